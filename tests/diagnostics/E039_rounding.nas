// A rounding mode that does not exist.
network net {
    input [3, 32, 32]
    classes 10
    stage stem = conv(3x3, 16) -> bn -> relu
    stage body = anynet(regnet(22, 24, 24.48, 2.54, 16, rounding='half_upp'))
    stage head = global_avg_pool -> linear(classes)
}
