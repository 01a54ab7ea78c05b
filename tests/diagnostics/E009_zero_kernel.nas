network net(C: int = 16) {
    input [3, 32, 32]
    classes 10
    stage s = conv(0x3, C) -> max_pool(0) -> global_avg_pool -> linear(classes)
}
