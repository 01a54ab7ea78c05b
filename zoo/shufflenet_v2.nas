// ShuffleNetV2 (Ma et al. 2018) as torchvision.models builds it: a strided 3x3 stem and max
// pool, three stages of units (the first of each strided: two branches on the whole input;
// the others: half the channels pass through, the other half through 1x1 - depthwise 3x3 -
// 1x1), every unit's halves concatenated and channel-shuffled in 2 groups, a 1x1 conv, global
// average pooling, a linear classifier. The width multipliers are torchvision's presets:
//
//   nasc stats zoo/shufflenet_v2.nas --preset shufflenet_v2_x1_0

// A stride-1 unit of C channels (torchvision's `InvertedResidual` with stride 1).
block unit(C: int) {
    input x
    let kept = x -> chunk(0)
    let mixed = x -> chunk(1) -> conv(1x1, C / 2) -> bn -> relu -> dw_conv(3x3) -> bn -> conv(1x1, C / 2) -> bn -> relu
    output concat(kept, mixed) -> channel_shuffle(2)
}

// A stride-2 unit to C channels: both branches read the whole input.
block down(C: int) {
    input x
    let left = x -> dw_conv(3x3, stride=2) -> bn -> conv(1x1, C / 2) -> bn -> relu
    let right = x -> conv(1x1, C / 2) -> bn -> relu -> dw_conv(3x3, stride=2) -> bn -> conv(1x1, C / 2) -> bn -> relu
    output concat(left, right) -> channel_shuffle(2)
}

network shufflenet_v2(c2: int = 116, c3: int = 232, c4: int = 464, c5: int = 1024) {
    preset shufflenet_v2_x0_5(c2=48, c3=96, c4=192, c5=1024)
    preset shufflenet_v2_x1_0(c2=116, c3=232, c4=464, c5=1024)
    preset shufflenet_v2_x1_5(c2=176, c3=352, c4=704, c5=1024)
    preset shufflenet_v2_x2_0(c2=244, c3=488, c4=976, c5=2048)

    input [3, 224, 224]
    classes 1000

    stage stem = conv(3x3, 24, stride=2) -> bn -> relu -> max_pool(3x3, stride=2, padding=1)
    stage stage2 = repeat(4, unit(c2), first=down(c2))
    stage stage3 = repeat(8, unit(c3), first=down(c3))
    stage stage4 = repeat(4, unit(c4), first=down(c4))
    stage conv5 = conv(1x1, c5) -> bn -> relu
    stage head = global_avg_pool -> linear(classes)
}
