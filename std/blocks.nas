// General building blocks, written in the language itself.

// ResNet basic block: two 3x3 convs with BN, a residual connection (projected by a 1x1
// conv + BN when the shape changes), ReLU after the add.
block basic(C: int, stride: int = 1) {
    input x
    output x -> residual(conv(3x3, C, stride=stride) -> bn -> relu -> conv(3x3, C) -> bn) -> relu
}

// ResNet bottleneck: 1x1 to C / expansion, 3x3 (carrying the stride), 1x1 to C.
block bottleneck(C: int, stride: int = 1, expansion: int = 4) {
    input x
    let mid = C / expansion
    output x -> residual(conv(1x1, mid) -> bn -> relu -> conv(3x3, mid, stride=stride) -> bn -> relu -> conv(1x1, C) -> bn) -> relu
}

// The same residual unit with its dataflow spelled out: named values and `+`.
block basic_explicit(C: int) {
    input x
    let y = x -> conv(3x3, C) -> bn -> relu -> conv(3x3, C) -> bn
    output (x + y) -> relu
}
