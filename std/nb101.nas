// NAS-Bench-101 (Ying et al., ICML 2019), as nasbench's model builder (and nasbench_pytorch)
// builds it: the three vertex ops, the projection of the cell input to a vertex, and the
// truncation of a vertex's output to a successor's width. The cell's wiring comes from its
// (adjacency matrix, ops) encoding: `nb101_cell(matrix, ops, C)` prunes it, splits C among
// the vertices that feed the output and builds the cell from these blocks.

block conv3x3_bn_relu(C: int) {
    input x
    output x -> conv(3x3, C) -> bn -> relu
}

block conv1x1_bn_relu(C: int) {
    input x
    output x -> conv(1x1, C) -> bn -> relu
}

block maxpool3x3 {
    input x
    output x -> max_pool(3x3, stride=1, padding=1)
}

// The 1x1 projection of the cell input (as in ResNet) to a vertex's width.
block projection(C: int) {
    input x
    output x -> conv(1x1, C) -> bn -> relu
}

// The first C channels of a vertex that has one channel more than its successor.
block truncate(C: int) {
    input x
    output x -> narrow(0, C)
}
