network net(C: int = 16) {
    input [3, 32, 32]
    classes 10
    stage s = conv(3x3, C -> bn -> relu
    stage t = global_avg_pool -> linear(classes)
}
