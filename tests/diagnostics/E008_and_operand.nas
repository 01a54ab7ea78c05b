// `and`, `or` and `not` take bools: an int is not a truth value.
network net(C: int = 16, deep: int = 1) {
    input [3, 32, 32]
    classes 10
    require C > 8 and deep, "a wide, deep net"
    stage s = conv(3x3, C) -> bn -> global_avg_pool -> linear(classes)
}
