// NASNet-A Mobile, 4 @ 1056 (Zoph et al. 2018, Table 2), as TF-slim builds it
// (`nets/nasnet/nasnet.py`, `build_nasnet_mobile`): a 3x3 stride-2 conv stem (32 filters,
// no padding), two stem reduction cells at C/4 and C/2, then (N normal cells, reduction)
// twice and N normal cells, filters doubled at each reduction; ReLU, global pool, dropout,
// linear. 224x224x3, 1000 classes, no auxiliary head. Published: 5.3M parameters, 564M
// multiply-adds. N = 4, C = 44 gives the 1056 = 6 x 4 x 44 penultimate filters.
//
//   nasc stats specs/nasnet_a_mobile.nas

// The NASNet-A cells in TF-slim's convention: state 0 is the current input h(i-1), state 1
// the previous cell's output h(i-2), block k's sum is state k + 2. Op names are the blocks
// of std/nasnet.nas (`none` is NASNet's identity). The normal cell's output concatenates
// states 1 to 6 (TF-slim's used_hiddenstates), the reduction cell's states 3 to 6.
let NASNET_A = Genotype(
    normal=[('separable_5x5_2', 0), ('separable_3x3_2', 1), ('separable_5x5_2', 1), ('separable_3x3_2', 1),
        ('avg_pool_3x3', 0), ('none', 1), ('avg_pool_3x3', 1), ('avg_pool_3x3', 1),
        ('separable_3x3_2', 0), ('none', 0)],
    normal_concat=[1, 2, 3, 4, 5, 6],
    reduce=[('separable_5x5_2', 0), ('separable_7x7_2', 1), ('max_pool_3x3', 0), ('separable_7x7_2', 1),
        ('avg_pool_3x3', 0), ('separable_5x5_2', 1), ('none', 3), ('avg_pool_3x3', 2),
        ('separable_3x3_2', 2), ('max_pool_3x3', 0)],
    reduce_concat=[3, 4, 5, 6])

network nasnet_a_mobile(C: int = 44, N: int = 4) {
    input [3, 224, 224]
    classes 1000

    stage stem = conv(3x3, 32, stride=2, padding=0) -> bn
    // One input: the first stem cell has no h(i-2) and reads the stem's output for both.
    stage cells = cells(NASNET_A, convention=tf_slim,
        layout=[reduce(C / 4), reduce(C / 2)] + [normal(C)] * N + [reduce(2 * C)] + [normal(2 * C)] * N + [reduce(4 * C)] + [normal(4 * C)] * N)
    stage head = relu -> global_avg_pool -> dropout(0.5) -> linear(classes)
}
