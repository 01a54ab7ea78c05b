// Learned wiring (papers.md §4): an invalid stage.
network net(C: int = 16) {
    input [1, 28, 28]
    classes 10
    stage stem = conv(3x3, C, stride=2) -> bn
    stage graph = learned(nodes=4, edges=0)
    stage head = relu -> global_avg_pool -> linear(classes)
}
