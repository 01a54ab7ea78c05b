// Only a block's inputs have a shape to read: `y` is computed in the block.
block widen(t: int) {
    input x
    let y = x -> conv(1x1, 16)
    output y -> conv(1x1, y.channels * t)
}

network net {
    input [3, 32, 32]
    classes 10
    stage body = widen(2) -> relu
    stage head = global_avg_pool -> linear(classes)
}
