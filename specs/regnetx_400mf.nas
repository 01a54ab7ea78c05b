// RegNetX-400MF (Radosavovic et al. 2020), a member of specs/regnet.nas: depth=22, w0=24, wa=24.48,
// wm=2.54, group_width=16, se_ratio=0, rounding=half_even.
// Reference — pycls: 5,157,512 parameters, 397.7M multiply-adds (torchvision's regnet_x_400mf is this with rounding=half_up: 5,495,976).
//
//   nasc stats specs/regnetx_400mf.nas

network regnetx_400mf {
    input [3, 224, 224]
    classes 1000

    stage stem = conv(3x3, 32, stride=2) -> bn -> relu
    stage body = anynet(regnet(22, 24, 24.48, 2.54, 16, rounding=half_even), se_ratio=0)
    stage head = global_avg_pool -> linear(classes)
}
