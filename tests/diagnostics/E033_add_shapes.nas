block bad(C: int) {
    input x
    let a = x -> conv(3x3, C) -> bn
    let b = x -> conv(3x3, 2 * C, stride=2) -> bn
    output a + b
}

network net(C: int = 16) {
    input [3, 32, 32]
    classes 10
    stage s = conv(3x3, C) -> bad(C) -> global_avg_pool -> linear(classes)
}
