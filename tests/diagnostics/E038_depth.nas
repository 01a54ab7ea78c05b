// The RegNet width rule needs at least one block.
network net(depth: int = 0) {
    input [3, 32, 32]
    classes 10
    stage stem = conv(3x3, 16) -> bn -> relu
    stage body = anynet(regnet(depth, 24, 24.48, 2.54, 16))
    stage head = global_avg_pool -> linear(classes)
}
