// NAS-Bench-101 (Ying et al., ICML 2019): the CIFAR-10 skeleton of the benchmark — a 3x3
// conv-BN-ReLU stem to 128 channels, three stacks of three cells, a 2x2 max pool halving the
// resolution and doubling the width between stacks, global average pooling and a linear
// classifier — with the cell given in the benchmark's own encoding, pasted verbatim from
// nasbench's `ModelSpec(matrix=..., ops=...)`:
//
//   nasc stats specs/nas_bench_101.nas \
//       --set matrix='[[0, 1, 0, 0, 1], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]' \
//       --set ops="['input', 'conv3x3-bn-relu', 'conv3x3-bn-relu', 'maxpool3x3', 'output']"
//
// The cell is pruned and its widths split as nasbench's model builder does (`nb101_cell`,
// std/nb101.nas); a malformed matrix or ops list is E031 naming the row, entry or vertex.
// The default is the cell of nasbench's README. The benchmark's tabular accuracies are not
// available offline; nasc builds and trains the networks.

network nas_bench_101(
    matrix: str = "[[0, 1, 1, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]]",
    ops: str = "['input', 'conv1x1-bn-relu', 'conv3x3-bn-relu', 'conv3x3-bn-relu', 'conv3x3-bn-relu', 'maxpool3x3', 'output']",
    C: int = 128,
) {
    input [3, 32, 32]
    classes 10

    stage stem = conv(3x3, C) -> bn -> relu
    stage stack1 = repeat(3, nb101_cell(matrix, ops, C))
    stage stack2 = max_pool(2x2, stride=2) -> repeat(3, nb101_cell(matrix, ops, 2 * C))
    stage stack3 = max_pool(2x2, stride=2) -> repeat(3, nb101_cell(matrix, ops, 4 * C))
    stage head = global_avg_pool -> linear(classes)
}
