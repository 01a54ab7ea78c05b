network net(C: int = 16) {
    classes 10
    stage s = conv(3x3, C) -> bn -> global_avg_pool -> linear(classes)
}
