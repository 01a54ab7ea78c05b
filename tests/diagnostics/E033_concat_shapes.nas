block branches(C: int) {
    input x
    output concat(x -> conv(1x1, C), x -> max_pool(2x2))
}

network net(C: int = 16) {
    input [3, 32, 32]
    classes 10
    stage s = conv(3x3, C) -> branches(C) -> global_avg_pool -> linear(classes)
}
