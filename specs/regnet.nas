// RegNet (Radosavovic et al. 2020, papers.md §5): the quantized linear width rule over an
// AnyNet body of X blocks (se = 0) or Y blocks (se = 1). Every RegNetX/Y of pycls and
// torchvision is a preset, one command line away:
//
//   nasc stats specs/regnet.nas --preset regnet_y_400mf      # torchvision.models.regnet_y_400mf
//   nasc stats specs/regnet.nas --preset RegNetX_1_6GF       # pycls's RegNetX-1.6GF
//
// The domains are the paper's sampling space (its Table 1 ranges, group widths 1..32):
// `nasc sample specs/regnet.nas -n 100 --flops 360M..440M -o runs/regnet` draws inside them.
// Several published models lie outside (group width 24..264, w0 320 and 456): their presets
// may; a `--set` outside a domain compiles with a warning (W004). The defaults are pycls's
// RegNetX-400MF (5,157,512 parameters).

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
    // pycls's model zoo (Python's round: rounding=half_even).
    preset RegNetX_200MF(depth=13, w0=24, wa=36.44, wm=2.49, group_width=8, se=0)
    preset RegNetX_400MF(depth=22, w0=24, wa=24.48, wm=2.54, group_width=16, se=0)
    preset RegNetX_600MF(depth=16, w0=48, wa=36.97, wm=2.24, group_width=24, se=0)
    preset RegNetX_800MF(depth=16, w0=56, wa=35.73, wm=2.28, group_width=16, se=0)
    preset RegNetX_1_6GF(depth=18, w0=80, wa=34.01, wm=2.25, group_width=24, se=0)
    preset RegNetX_3_2GF(depth=25, w0=88, wa=26.31, wm=2.25, group_width=48, se=0)
    preset RegNetX_4_0GF(depth=23, w0=96, wa=38.65, wm=2.43, group_width=40, se=0)
    preset RegNetX_6_4GF(depth=17, w0=184, wa=60.83, wm=2.07, group_width=56, se=0)
    preset RegNetX_8_0GF(depth=23, w0=80, wa=49.56, wm=2.88, group_width=120, se=0)
    preset RegNetX_12GF(depth=19, w0=168, wa=73.36, wm=2.37, group_width=112, se=0)
    preset RegNetX_16GF(depth=22, w0=216, wa=55.59, wm=2.1, group_width=128, se=0)
    preset RegNetX_32GF(depth=23, w0=320, wa=69.86, wm=2.0, group_width=168, se=0)
    preset RegNetY_200MF(depth=13, w0=24, wa=36.44, wm=2.49, group_width=8, se=1)
    preset RegNetY_400MF(depth=16, w0=48, wa=27.89, wm=2.09, group_width=8, se=1)
    preset RegNetY_600MF(depth=15, w0=48, wa=32.54, wm=2.32, group_width=16, se=1)
    preset RegNetY_800MF(depth=14, w0=56, wa=38.84, wm=2.4, group_width=16, se=1)
    preset RegNetY_1_6GF(depth=27, w0=48, wa=20.71, wm=2.65, group_width=24, se=1)
    preset RegNetY_3_2GF(depth=21, w0=80, wa=42.63, wm=2.66, group_width=24, se=1)
    preset RegNetY_4_0GF(depth=22, w0=96, wa=31.41, wm=2.24, group_width=64, se=1)
    preset RegNetY_6_4GF(depth=25, w0=112, wa=33.22, wm=2.27, group_width=72, se=1)
    preset RegNetY_8_0GF(depth=17, w0=192, wa=76.82, wm=2.19, group_width=56, se=1)
    preset RegNetY_12GF(depth=19, w0=168, wa=73.36, wm=2.37, group_width=112, se=1)
    preset RegNetY_16GF(depth=18, w0=200, wa=106.23, wm=2.48, group_width=112, se=1)
    preset RegNetY_32GF(depth=20, w0=232, wa=115.89, wm=2.53, group_width=232, se=1)
    // torchvision.models (_make_divisible: rounding=half_up).
    preset regnet_y_400mf(depth=16, w0=48, wa=27.89, wm=2.09, group_width=8, se=1, rounding=half_up)
    preset regnet_y_800mf(depth=14, w0=56, wa=38.84, wm=2.4, group_width=16, se=1, rounding=half_up)
    preset regnet_y_1_6gf(depth=27, w0=48, wa=20.71, wm=2.65, group_width=24, se=1, rounding=half_up)
    preset regnet_y_3_2gf(depth=21, w0=80, wa=42.63, wm=2.66, group_width=24, se=1, rounding=half_up)
    preset regnet_y_8gf(depth=17, w0=192, wa=76.82, wm=2.19, group_width=56, se=1, rounding=half_up)
    preset regnet_y_16gf(depth=18, w0=200, wa=106.23, wm=2.48, group_width=112, se=1, rounding=half_up)
    preset regnet_y_32gf(depth=20, w0=232, wa=115.89, wm=2.53, group_width=232, se=1, rounding=half_up)
    preset regnet_y_128gf(depth=27, w0=456, wa=160.83, wm=2.52, group_width=264, se=1, rounding=half_up)
    preset regnet_x_400mf(depth=22, w0=24, wa=24.48, wm=2.54, group_width=16, se=0, rounding=half_up)
    preset regnet_x_800mf(depth=16, w0=56, wa=35.73, wm=2.28, group_width=16, se=0, rounding=half_up)
    preset regnet_x_1_6gf(depth=18, w0=80, wa=34.01, wm=2.25, group_width=24, se=0, rounding=half_up)
    preset regnet_x_3_2gf(depth=25, w0=88, wa=26.31, wm=2.25, group_width=48, se=0, rounding=half_up)
    preset regnet_x_8gf(depth=23, w0=80, wa=49.56, wm=2.88, group_width=120, se=0, rounding=half_up)
    preset regnet_x_16gf(depth=22, w0=216, wa=55.59, wm=2.1, group_width=128, se=0, rounding=half_up)
    preset regnet_x_32gf(depth=23, w0=320, wa=69.86, wm=2.0, group_width=168, se=0, rounding=half_up)

    input [3, 224, 224]
    classes 1000

    stage stem = conv(3x3, 32, stride=2) -> bn -> relu
    stage body = anynet(regnet(depth, w0, wa, wm, group_width, bottleneck=bottleneck, rounding=rounding), se_ratio=0.25 * se)
    stage head = global_avg_pool -> linear(classes)
}
