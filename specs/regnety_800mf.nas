// RegNetY-800MF (Radosavovic et al. 2020), a member of specs/regnet.nas: depth=14, w0=56, wa=38.84,
// wm=2.4, group_width=16, se_ratio=0.25, rounding=half_up.
// Reference — torchvision regnet_y_800mf: 6,432,512 parameters.
//
//   nasc stats specs/regnety_800mf.nas

network regnety_800mf {
    input [3, 224, 224]
    classes 1000

    stage stem = conv(3x3, 32, stride=2) -> bn -> relu
    stage body = anynet(regnet(14, 56, 38.84, 2.4, 16, rounding=half_up), se_ratio=0.25)
    stage head = global_avg_pool -> linear(classes)
}
