// args: --preset b8
// `--preset` must name one of the network's presets.
network net(width: float = 1.0, depth: float = 1.0) {
    preset b0(width=1.0, depth=1.0)
    preset b1(width=1.0, depth=1.1)
    preset b7(width=2.0, depth=3.1)
    input [3, 32, 32]
    classes 10
    stage s = conv(3x3, round(32 * width)) -> bn -> repeat(round(2 * depth), conv(3x3) -> bn -> relu)
    stage head = global_avg_pool -> linear(classes)
}
