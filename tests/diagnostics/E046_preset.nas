// A preset sets parameters of its network, to literal values; every preset is checked, not
// only the one `--preset` chooses.
network net(C: int = 16, depth: int in 1..4 = 2) {
    preset wide(C=64, depht=3)
    preset computed(C=4 * 16)
    input [3, 32, 32]
    classes 10
    stage s = repeat(depth, conv(3x3, C) -> bn -> relu)
    stage head = global_avg_pool -> linear(classes)
}
