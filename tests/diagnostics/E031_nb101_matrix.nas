// A NAS-Bench-101 matrix must be upper triangular: E031 names the entry.
network n(
    matrix: str = "[[0, 1, 0], [0, 0, 1], [1, 0, 0]]",
    ops: str = "['input', 'conv3x3-bn-relu', 'output']",
) {
    input [3, 32, 32]
    classes 10
    stage s = conv(3x3, 16) -> nb101_cell(matrix, ops, 16)
    stage head = global_avg_pool -> linear(classes)
}
