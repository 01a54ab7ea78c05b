// A NAS-Bench-101 cell (Ying et al. 2019) at Fashion-MNIST scale: the benchmark's skeleton
// (a conv-BN-ReLU stem, stacks of cells with 2x2 max pools doubling the width between them,
// global average pooling, a linear classifier) with 16 stem channels and two cells per
// stack, so that a cell trains on a CPU in minutes. The cell is given in nasbench's
// encoding; this one splits the output's 16 channels unevenly (6, 5, 5), so vertex 1's six
// channels are truncated to five where it feeds vertex 2, as nasbench does.
//
//   nasc train examples/nas_bench_101_fmnist.nas --epochs 1
//   nasc train examples/nas_bench_101_fmnist.nas --set matrix='[[0, 1, 0], [0, 0, 1], [0, 0, 0]]' --set ops="['input', 'conv3x3-bn-relu', 'output']"

network nas_bench_101_fmnist(
    matrix: str = "[[0, 1, 1, 0, 0], [0, 0, 1, 0, 1], [0, 0, 0, 1, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]",
    ops: str = "['input', 'conv3x3-bn-relu', 'conv1x1-bn-relu', 'maxpool3x3', 'output']",
    C: int = 16,
) {
    input [1, 28, 28]
    classes 10

    stage stem = conv(3x3, C) -> bn -> relu
    stage stack1 = repeat(2, nb101_cell(matrix, ops, C))
    stage stack2 = max_pool(2x2, stride=2) -> repeat(2, nb101_cell(matrix, ops, 2 * C))
    stage stack3 = max_pool(2x2, stride=2) -> repeat(2, nb101_cell(matrix, ops, 4 * C))
    stage head = global_avg_pool -> linear(classes)
}
