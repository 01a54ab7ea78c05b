// RegNetX-200MF (Radosavovic et al. 2020), a member of specs/regnet.nas: depth=13, w0=24, wa=36.44,
// wm=2.49, group_width=8, se_ratio=0, rounding=half_even.
// Reference — pycls: 2,684,792 parameters.
//
//   nasc stats specs/regnetx_200mf.nas

network regnetx_200mf {
    input [3, 224, 224]
    classes 1000

    stage stem = conv(3x3, 32, stride=2) -> bn -> relu
    stage body = anynet(regnet(13, 24, 36.44, 2.49, 8, rounding=half_even), se_ratio=0)
    stage head = global_avg_pool -> linear(classes)
}
