block unit(C: int) {
    input x
    let y = x -> conv(3x3, C) -> bn
}

network net(C: int = 16) {
    input [3, 32, 32]
    classes 10
    stage s = conv(3x3, C) -> unit(C) -> global_avg_pool -> linear(classes)
}
