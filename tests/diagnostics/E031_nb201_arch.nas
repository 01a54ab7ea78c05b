// args: --set arch=|nor_conv_3x3~0|+|none~0|nor_conv_1x1~2|+|skip_connect~0|none~1|avg_pool_3x3~2|
// A NAS-Bench-201 arch string lists each node's edges from nodes 0, 1, ... in order.
import nb201

network net(arch: str = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|") {
    input [3, 32, 32]
    classes 10
    stage stem = conv(3x3, 16) -> bn
    stage cells = nb201_cell(arch)
    stage head = global_avg_pool -> linear(classes)
}
