// `not` binds more loosely than comparisons (as in Python): `a == not b` does not parse.
network net(C: int = 16, deep: int = 1) {
    input [3, 32, 32]
    classes 10
    require C > 8 and deep == not false, "a wide, deep net"
    stage s = conv(3x3, C) -> bn -> global_avg_pool -> linear(classes)
}
