// `in` names a block's only input; with two, name the one meant.
block join(c: int) {
    input a, b
    output (a + b) -> conv(1x1, in.channels + c)
}

network net {
    input [3, 32, 32]
    classes 10
    stage stem = conv(3x3, 16) -> bn -> relu
    stage body = [stem, stem] -> join(8) -> relu
    stage head = global_avg_pool -> linear(classes)
}
