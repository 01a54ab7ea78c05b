network net(C: int = 16) {
    input [3, 32, 32]
    classes 10
    stage s = conv(3x3, C) -> conv(3x3, 24, groups=5) -> global_avg_pool -> linear(classes)
}
