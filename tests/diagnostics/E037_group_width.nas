// An AnyNet stage whose width is not a multiple of its group width.
network net {
    input [3, 32, 32]
    classes 10
    stage stem = conv(3x3, 16) -> bn -> relu
    stage body = anynet([(1, 32, 1.0, 8), (2, 40, 1.0, 16)], w_in=16)
    stage head = global_avg_pool -> linear(classes)
}
