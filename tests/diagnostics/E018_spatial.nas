network net(C: int = 16) {
    input [3, 8, 8]
    classes 10
    stage s = conv(3x3, C, stride=2) -> conv(3x3, C, stride=2) -> conv(3x3, C, stride=2) -> max_pool(3x3)
    stage head = global_avg_pool -> linear(classes)
}
