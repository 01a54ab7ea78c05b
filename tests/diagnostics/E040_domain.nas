// A default outside the parameter's domain.
network net(depth: int in 1..4 = 6, g: int in {1, 2, 4} = 4) {
    input [3, 32, 32]
    classes 10
    stage stem = conv(3x3, 16) -> bn -> relu
    stage body = anynet([(depth, 32, 1.0, g)], w_in=16)
    stage head = global_avg_pool -> linear(classes)
}
