// Block 0 reads state 3, the output of block 1, which is computed after it.
let G = Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 3), ('sep_conv_3x3', 2), ('skip_connect', 1)], normal_concat=[2, 3], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1)])

network net(C: int = 16) {
    input [3, 32, 32]
    classes 10
    stage stem = conv(3x3, C) -> bn
    stage cells = cells(G, convention=darts, layout=[normal(C), reduce(2 * C)])
    stage head = global_avg_pool -> linear(classes)
}
