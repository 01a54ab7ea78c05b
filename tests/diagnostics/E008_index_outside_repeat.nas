// Only `repeat` binds an index: `i => ...` anywhere else is E008.
network n(C: int = 16) {
    input [3, 32, 32]
    classes 10
    stage s = conv(3x3, C) -> residual(i => conv(3x3, C + i))
    stage head = global_avg_pool -> linear(classes)
}
