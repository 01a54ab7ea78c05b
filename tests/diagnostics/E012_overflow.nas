network net(C: int = 4611686018427387904) {
    input [3, 32, 32]
    classes 10
    stage s = conv(3x3, C * 4) -> bn -> global_avg_pool -> linear(classes)
}
