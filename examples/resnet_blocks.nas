// Blocks, written in the language: a small ResNet for CIFAR-sized input built from the
// standard library's `basic` block (std/blocks.nas), a block of this file with named
// values and `+`, and `repeat`, whose first repetition strides and widens.
//
//   nasc stats examples/resnet_blocks.nas
//   nasc build examples/resnet_blocks.nas --emit dot -o resnet.dot   (stage > block clusters)

import blocks

// A pre-activation unit with an explicit 1x1 shortcut (instead of the automatic projection).
block preact(C: int, stride: int = 1) {
    input x
    let a = x -> bn -> relu
    let y = a -> conv(3x3, C, stride=stride) -> bn -> relu -> conv(3x3, C)
    output y + (a -> conv(1x1, C, stride=stride))
}

network resnet_blocks(C: int = 16, depth: int = 2) {
    input [3, 32, 32]
    classes 10

    stage stem = conv(3x3, C) -> bn -> relu
    stage s1 = repeat(depth, basic(C))
    stage s2 = repeat(depth, basic(2 * C), first=basic(2 * C, stride=2))
    stage s3 = preact(4 * C, stride=2) -> residual(conv(3x3) -> bn -> relu -> conv(3x3) -> bn)
    stage head = relu -> global_avg_pool -> linear(classes)
}
