network net(C: int = 16, D: int = 0) {
    input [3, 32, 32]
    classes 10
    stage s = conv(3x3, C / D) -> bn -> global_avg_pool -> linear(classes)
}
