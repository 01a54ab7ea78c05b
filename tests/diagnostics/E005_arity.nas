network net(C: int = 16) {
    input [3, 32, 32]
    classes 10
    stage s = conv(3x3, C, 2, 1, 1, 1, false, 7) -> bn -> global_avg_pool -> linear()
}
