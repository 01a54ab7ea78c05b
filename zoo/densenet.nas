// DenseNet (Huang et al. 2017) as torchvision.models builds it: a 7x7 stem and max pool, four
// dense blocks (each layer BN-ReLU-1x1 conv to 4 x growth, BN-ReLU-3x3 conv to `growth`,
// its output concatenated to its input) with transitions between them (BN-ReLU-1x1 conv
// halving the channels, 2x2 average pool), a final BN-ReLU, global average pooling and a
// linear classifier. Every torchvision variant is a preset:
//
//   nasc stats zoo/densenet.nas --preset densenet169

// torchvision's `_DenseLayer` (bn_size 4).
block dense_layer(growth: int) {
    input x
    output concat(x, x -> bn -> relu -> conv(1x1, 4 * growth) -> bn -> relu -> conv(3x3, growth))
}

// torchvision's `_Transition` to C channels.
block transition(C: int) {
    input x
    output x -> bn -> relu -> conv(1x1, C) -> avg_pool(2x2)
}

network densenet(
    growth: int = 32,
    init: int = 64,
    b1: int = 6,
    b2: int = 12,
    b3: int = 24,
    b4: int = 16,
) {
    preset densenet121(growth=32, init=64, b1=6, b2=12, b3=24, b4=16)
    preset densenet161(growth=48, init=96, b1=6, b2=12, b3=36, b4=24)
    preset densenet169(growth=32, init=64, b1=6, b2=12, b3=32, b4=32)
    preset densenet201(growth=32, init=64, b1=6, b2=12, b3=48, b4=32)

    input [3, 224, 224]
    classes 1000

    // The channel count after each block: its input plus `growth` per layer, halved by
    // each transition.
    let f1 = init + b1 * growth
    let f2 = f1 / 2 + b2 * growth
    let f3 = f2 / 2 + b3 * growth
    stage stem = conv(7x7, init, stride=2) -> bn -> relu -> max_pool(3x3, stride=2, padding=1)
    stage block1 = repeat(b1, dense_layer(growth)) -> transition(f1 / 2)
    stage block2 = repeat(b2, dense_layer(growth)) -> transition(f2 / 2)
    stage block3 = repeat(b3, dense_layer(growth)) -> transition(f3 / 2)
    stage block4 = repeat(b4, dense_layer(growth))
    stage head = bn -> relu -> global_avg_pool -> linear(classes)
}
