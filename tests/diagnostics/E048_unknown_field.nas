// A block input has channels, height and width.
block widen(t: int) {
    input x
    output x -> conv(1x1, x.chanels * t)
}

network net {
    input [3, 32, 32]
    classes 10
    stage body = widen(2) -> relu
    stage head = global_avg_pool -> linear(classes)
}
