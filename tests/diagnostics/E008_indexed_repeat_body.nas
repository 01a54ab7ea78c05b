// An indexed repeat's body must be ops in every repetition: here it is a number.
network n(C: int = 16) {
    input [3, 32, 32]
    classes 10
    stage s = conv(3x3, C) -> repeat(2, i => C * i)
    stage head = global_avg_pool -> linear(classes)
}
