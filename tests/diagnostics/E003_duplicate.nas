network net(C: int = 16) {
    input [3, 32, 32]
    classes 10
    let block = conv(3x3, C) -> bn
    let block = relu
    stage s = block -> global_avg_pool -> linear(classes)
}
