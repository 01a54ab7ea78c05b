// RegNet (Radosavovic et al. 2020, papers.md §5): the quantized linear width rule over an
// AnyNet body of X blocks (se = 0) or Y blocks (se = 1). Every RegNetX/Y of pycls and
// torchvision is one command line away, e.g. torchvision's regnet_y_400mf:
//
//   nasc stats specs/regnet.nas --set depth=16 --set w0=48 --set wa=27.89 --set wm=2.09 \
//       --set group_width=8 --set se=1 --set rounding=half_up
//
// The domains make it the RegNet design space of the paper (depth < 64, w0 and wa < 256,
// 1.5 <= wm <= 3): `nasc sample specs/regnet.nas -n 100 --flops 360M..440M -o runs/regnet`.
// The defaults are pycls's RegNetX-400MF (5,157,512 parameters).

network regnet(
    depth: int in 12..28 = 22,
    w0: int in log 8..256 step 8 = 24,
    wa: float in log 8.0..256.0 = 24.48,
    wm: float in 1.5..3.0 = 2.54,
    group_width: int in {1, 2, 4, 8, 16, 32} = 16,
    bottleneck: float in {1.0} = 1.0,
    se: int in {0, 1} = 0,
    rounding: {half_even, half_up} = half_even,
) {
    input [3, 224, 224]
    classes 1000

    stage stem = conv(3x3, 32, stride=2) -> bn -> relu
    stage body = anynet(regnet(depth, w0, wa, wm, group_width, bottleneck=bottleneck, rounding=rounding), se_ratio=0.25 * se)
    stage head = global_avg_pool -> linear(classes)
}
