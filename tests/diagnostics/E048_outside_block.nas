// Shape fields are read inside blocks, from their inputs.
network net(width: int = 16) {
    input [3, 32, 32]
    classes 10
    stage body = conv(3x3, width.channels) -> relu
    stage head = global_avg_pool -> linear(classes)
}
