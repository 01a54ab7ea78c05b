// Sizes are bounded before any allocation: graph nodes, channels, tensors, parameters.
network net(C: int = 16) {
    input [3, 32, 32]
    classes 10
    stage a = conv(3x3, 4000000)
    stage b = random(WS(200000, 4, 0.75), C)
    stage c = random(ER(20000, 0.5), C) -> global_avg_pool -> linear(classes)
}
