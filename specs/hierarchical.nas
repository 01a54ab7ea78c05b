// Hierarchical representation (Liu et al. 2018, papers.md §3), L = 3: six level-2 motifs
// of 4 nodes built from the level-1 primitives, one level-3 motif (the cell) of 5 nodes
// built from them. The genotype below is a fixed one of our choosing (the paper's are found
// by evolution); it is plain data, so search can mutate it and `nasc build --emit motifs`
// prints it back. The CIFAR network stacks the cell with stride-2 3x3 separable convs
// (2x channels) between cells.
//
//   nasc stats specs/hierarchical.nas
//   nasc build specs/hierarchical.nas --emit motifs

import hier

let m2_1 = motif(level=2, nodes=4, edges=[
    (0, 1, conv_1x1), (0, 2, sep_conv_3x3), (1, 2, identity),
    (1, 3, max_pool_3x3), (2, 3, dw_conv_3x3),
])
let m2_2 = motif(level=2, nodes=4, edges=[
    (0, 1, sep_conv_3x3), (1, 2, conv_1x1), (0, 3, avg_pool_3x3), (2, 3, identity),
])
let m2_3 = motif(level=2, nodes=4, edges=[
    (0, 1, dw_conv_3x3), (0, 2, conv_1x1), (1, 3, sep_conv_3x3), (2, 3, sep_conv_3x3), (0, 3, none),
])
let m2_4 = motif(level=2, nodes=4, edges=[
    (0, 1, max_pool_3x3), (1, 2, conv_1x1), (0, 2, dw_conv_3x3), (2, 3, sep_conv_3x3),
])
let m2_5 = motif(level=2, nodes=4, edges=[
    (0, 1, conv_1x1), (1, 2, dw_conv_3x3), (2, 3, conv_1x1), (0, 3, identity),
])
let m2_6 = motif(level=2, nodes=4, edges=[
    (0, 1, avg_pool_3x3), (0, 2, sep_conv_3x3), (1, 3, conv_1x1), (2, 3, max_pool_3x3), (1, 2, none),
])
let cell = motif(level=3, nodes=5, edges=[
    (0, 1, m2_1), (0, 2, m2_2), (1, 2, m2_3), (1, 3, m2_4),
    (2, 3, m2_5), (2, 4, m2_6), (3, 4, m2_1), (0, 4, none),
])

network hierarchical(C: int = 16) {
    input [3, 32, 32]
    classes 10

    stage stem = conv(3x3, C) -> bn -> relu
    stage cell1 = cell
    stage down1 = reduction(2 * C)
    stage cell2 = cell
    stage down2 = reduction(4 * C)
    stage cell3 = cell
    stage head = global_avg_pool -> linear(classes)
}
