// The RegNet width rule needs wm > 1.
network net {
    input [3, 32, 32]
    classes 10
    stage stem = conv(3x3, 16) -> bn -> relu
    stage body = anynet(regnet(22, 24, 24.48, 1.0, 16))
    stage head = global_avg_pool -> linear(classes)
}
