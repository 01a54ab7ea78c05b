// A block in a random-graph node op: a 1x1 conv to the stage's width (it carries the stage's
// stride on input nodes: a stride goes to the node op's first top-level conv or pool), then
// RandWire's node (ReLU, separable conv, BN) as a residual block. The generated Burn code
// gives the node op one type whose forward keeps the skip connection.
//
//   nasc stats examples/randwire_blocks.nas

block res_node {
    input x
    output x -> residual(relu -> sep_conv(3x3) -> bn)
}

network randwire_blocks(C: int = 16, seed: int = 0) {
    input [3, 32, 32]
    classes 10

    stage stem = conv(3x3, C) -> bn
    stage g1 = random(WS(8, 4, 0.5), 2 * C, node=relu -> conv(1x1) -> res_node)
    stage g2 = random(WS(8, 4, 0.5), 4 * C, node=relu -> conv(1x1) -> res_node)
    stage head = relu -> global_avg_pool -> linear(classes)
}
