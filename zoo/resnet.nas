// ResNet (He et al. 2016), ResNeXt (Xie et al. 2017) and Wide ResNet (Zagoruyko & Komodakis
// 2016) as torchvision.models builds them: a 7x7 stem and max pool, four stages of basic or
// bottleneck units (the first of stages 2-4 strided, projection shortcuts of a 1x1 conv + BN
// where the shape changes), global average pooling, a linear classifier. Every torchvision
// variant is a preset named as its constructor:
//
//   nasc stats zoo/resnet.nas --preset resnet50
//   nasc stats zoo/resnet.nas --preset resnext101_32x8d
//
// A bottleneck unit's inner width is floor(planes * width_per_group / 64) * groups
// (torchvision's `Bottleneck`); its output is 4 * planes.

// torchvision's `BasicBlock`.
block basic(planes: int, stride: int = 1) {
    input x
    output x -> residual(conv(3x3, planes, stride=stride) -> bn -> relu -> conv(3x3, planes) -> bn) -> relu
}

// torchvision's `Bottleneck` (ResNet v1.5: the stride on the 3x3 conv).
block bottleneck(planes: int, width: int, groups: int, stride: int = 1) {
    input x
    output x -> residual(conv(1x1, width) -> bn -> relu -> conv(3x3, width, stride=stride, groups=groups) -> bn -> relu -> conv(1x1, 4 * planes) -> bn) -> relu
}

// One stage: `depth` units of `planes`, the first with `stride`.
block layer(bottle: bool, depth: int, planes: int, groups: int, width_per_group: int, stride: int) {
    input x
    let width = planes * width_per_group / 64 * groups
    let b = if(bottle, bottleneck(planes, width, groups), basic(planes))
    let first = if(bottle, bottleneck(planes, width, groups, stride=stride), basic(planes, stride=stride))
    output x -> repeat(depth, b, first=first)
}

network resnet(
    unit: {basic, bottleneck} = basic,
    d1: int in 1..8 = 2,
    d2: int in 1..16 = 2,
    d3: int in 1..48 = 2,
    d4: int in 1..8 = 2,
    groups: int in {1, 2, 4, 8, 16, 32, 64} = 1,
    width_per_group: int in {4, 8, 16, 32, 64, 128} = 64,
) {
    preset resnet18(unit=basic, d1=2, d2=2, d3=2, d4=2)
    preset resnet34(unit=basic, d1=3, d2=4, d3=6, d4=3)
    preset resnet50(unit=bottleneck, d1=3, d2=4, d3=6, d4=3)
    preset resnet101(unit=bottleneck, d1=3, d2=4, d3=23, d4=3)
    preset resnet152(unit=bottleneck, d1=3, d2=8, d3=36, d4=3)
    preset resnext50_32x4d(unit=bottleneck, d1=3, d2=4, d3=6, d4=3, groups=32, width_per_group=4)
    preset resnext101_32x8d(unit=bottleneck, d1=3, d2=4, d3=23, d4=3, groups=32, width_per_group=8)
    preset resnext101_64x4d(unit=bottleneck, d1=3, d2=4, d3=23, d4=3, groups=64, width_per_group=4)
    preset wide_resnet50_2(unit=bottleneck, d1=3, d2=4, d3=6, d4=3, width_per_group=128)
    preset wide_resnet101_2(unit=bottleneck, d1=3, d2=4, d3=23, d4=3, width_per_group=128)

    input [3, 224, 224]
    classes 1000

    stage stem = conv(7x7, 64, stride=2) -> bn -> relu -> max_pool(3x3, stride=2, padding=1)
    let bottle = unit == "bottleneck"
    stage layer1 = layer(bottle, d1, 64, groups, width_per_group, stride=1)
    stage layer2 = layer(bottle, d2, 128, groups, width_per_group, stride=2)
    stage layer3 = layer(bottle, d3, 256, groups, width_per_group, stride=2)
    stage layer4 = layer(bottle, d4, 512, groups, width_per_group, stride=2)
    stage head = global_avg_pool -> linear(classes)
}
