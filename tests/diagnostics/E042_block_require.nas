// A block's `require` reads its input's shape: `inp` must be the input's channel count.
block project(inp: int, oup: int) {
    input x
    require x.channels == inp, "inp is the input's channel count"
    output x -> conv(1x1, oup) -> bn
}

network net {
    input [3, 32, 32]
    classes 10
    stage stem = conv(3x3, 16) -> bn -> relu
    stage body = project(20, 32) -> relu
    stage head = global_avg_pool -> linear(classes)
}
