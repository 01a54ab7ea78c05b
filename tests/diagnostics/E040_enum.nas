// args: --set rounding=nearest
// An enumeration value that is not one of its names.
network net(rounding: {half_even, half_up} = half_even) {
    input [3, 32, 32]
    classes 10
    stage stem = conv(3x3, 16) -> bn -> relu
    stage body = anynet(regnet(8, 16, 12.0, 2.0, 8, rounding=rounding), w_in=16)
    stage head = global_avg_pool -> linear(classes)
}
