// A wrong-typed block argument is one error: not also "missing arguments" (every argument is
// given), and not W001 for the definitions the failed use would have read.
let node_op = relu -> conv(3x3)

block cell(C: int, stride: int, op: ops) {
    input x
    output x -> conv(3x3, C, stride=stride) -> bn -> op
}

network net(C: int = 16) {
    input [3, 32, 32]
    classes 10
    let width = 2 * C
    stage s = cell(width, 1.5, node_op)
    stage head = global_avg_pool -> linear(classes)
}
