import blocks

network net(C: int = 16, depth: int = 0) {
    input [3, 32, 32]
    classes 10
    stage stem = conv(3x3, C) -> bn -> relu
    stage body = repeat(depth, basic(C))
    stage head = global_avg_pool -> linear(classes)
}
