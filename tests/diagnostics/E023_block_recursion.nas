block a(C: int) {
    input x
    output x -> b(C)
}

block b(C: int) {
    input x
    output x -> conv(3x3, C) -> a(C)
}

network net(C: int = 16) {
    input [3, 32, 32]
    classes 10
    stage s = a(C) -> global_avg_pool -> linear(classes)
}
