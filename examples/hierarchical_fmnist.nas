// A small member of the hierarchical family for Fashion-MNIST (28x28x1, 10 classes): two
// level-2 motifs of 3 nodes in a level-3 cell of 4 nodes, stacked as in the paper's CIFAR
// network (cell, stride-2 separable conv to 2C, cell), C = 16.
//
//   nasc train examples/hierarchical_fmnist.nas --epochs 3
//   nasc build examples/hierarchical_fmnist.nas --emit motifs

//
// It is also a search space (papers.md §3): `ops=` makes every edge of a motif a search site
// (one of the listed ops, or `none`), and the edges written are the default genotype.
//
//   nasc search examples/hierarchical_fmnist.nas --store sqlite:hier.db --evaluations 64

import hier

let a = motif(level=2, nodes=3, edges=[(0, 1, sep_conv_3x3), (0, 2, conv_1x1), (1, 2, max_pool_3x3)],
    ops=[conv_1x1, dw_conv_3x3, sep_conv_3x3, max_pool_3x3, avg_pool_3x3, identity])
let b = motif(level=2, nodes=3, edges=[(0, 1, dw_conv_3x3), (1, 2, conv_1x1), (0, 2, identity)],
    ops=[conv_1x1, dw_conv_3x3, sep_conv_3x3, max_pool_3x3, avg_pool_3x3, identity])
let cell = motif(level=3, nodes=4, edges=[(0, 1, a), (0, 2, b), (1, 2, b), (2, 3, a), (1, 3, none)], ops=[a, b])

network hierarchical_fmnist(C: int = 16) {
    input [1, 28, 28]
    classes 10

    stage stem = conv(3x3, C) -> bn -> relu
    stage cell1 = cell
    stage down1 = reduction(2 * C)
    stage cell2 = cell
    stage down2 = reduction(4 * C)
    stage head = global_avg_pool -> linear(classes)
}
