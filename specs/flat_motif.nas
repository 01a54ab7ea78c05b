// The flat baseline of hierarchical representations (Liu et al. 2018, papers.md §3): a
// single level-2 motif of 11 nodes whose edges carry level-1 primitives directly, in the
// same CIFAR network as specs/hierarchical.nas. The genotype is a fixed one of our choosing.
//
//   nasc stats specs/flat_motif.nas

import hier

let flat = motif(level=2, nodes=11, edges=[
    (0, 1, sep_conv_3x3), (0, 2, conv_1x1), (1, 2, dw_conv_3x3), (1, 3, max_pool_3x3),
    (2, 3, sep_conv_3x3), (0, 4, avg_pool_3x3), (3, 4, conv_1x1), (2, 5, identity),
    (4, 5, sep_conv_3x3), (3, 6, dw_conv_3x3), (5, 6, conv_1x1), (4, 7, sep_conv_3x3),
    (6, 7, max_pool_3x3), (5, 8, avg_pool_3x3), (7, 8, sep_conv_3x3), (6, 9, identity),
    (8, 9, dw_conv_3x3), (7, 10, conv_1x1), (9, 10, sep_conv_3x3), (1, 10, none),
])

network flat_motif(C: int = 16) {
    input [3, 32, 32]
    classes 10

    stage stem = conv(3x3, C) -> bn -> relu
    stage cell1 = flat
    stage down1 = reduction(2 * C)
    stage cell2 = flat
    stage down2 = reduction(4 * C)
    stage cell3 = flat
    stage head = global_avg_pool -> linear(classes)
}
