// RandWire for CIFAR-10 (32x32x3) mixing the three generators, one per stage, with
// explicit seeds on two of them and different aggregation rules.
//   nasc train examples/randwire_cifar.nas --data cifar10 --data-dir ~/data/cifar-10-batches-bin

network randwire_cifar(C: int = 32, N: int = 12, seed: int = 0) {
    input [3, 32, 32]
    classes 10

    let cat_node = relu -> sep_conv(3x3) -> bn       // with agg=concat the pointwise conv restores C

    stage stem = conv(3x3, C) -> bn
    stage s1 = random(WS(N, 4, 0.75), C, stride=1)
    stage s2 = random(ER(N, 0.3, seed=11), 2 * C, agg=mean)
    stage s3 = random(BA(N, 3, seed=12), 4 * C, node=cat_node, agg=concat)
    stage head = relu -> global_avg_pool -> dropout(0.2) -> linear(classes)
}
