// DARTS (second order), CIFAR-10 (Liu, Simonyan, Yang 2019, Table 1): the DARTS_V2 genotype
// of the reference code (`cnn/genotypes.py` of quark0/darts), pasted verbatim, in the
// network of `cnn/model.py` (NetworkCIFAR): 20 cells, C = 36, reductions at cells L/3 and
// 2L/3 with C doubled, no auxiliary head. Published: 3.3M parameters.
//
//   nasc stats specs/darts_v2_cifar.nas
//   nasc build specs/darts_v2_cifar.nas --emit dot -o darts.dot

let DARTS_V2 = Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])

network darts_v2_cifar(C: int = 36, layers: int = 20) {
    input [3, 32, 32]
    classes 10

    // Cells 0 .. L/3 - 1 normal at C, a reduction at 2C, normal cells, a reduction at 4C, ...
    let n1 = layers / 3
    let n2 = 2 * layers / 3 - n1 - 1
    let n3 = layers - 2 * layers / 3 - 1
    stage stem = conv(3x3, 3 * C) -> bn
    stage cells = cells(DARTS_V2, convention=darts,
        layout=[normal(C)] * n1 + [reduce(2 * C)] + [normal(2 * C)] * n2 + [reduce(4 * C)] + [normal(4 * C)] * n3)
    stage head = global_avg_pool -> linear(classes)
}
