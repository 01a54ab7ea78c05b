// RegNetY-400MF (Radosavovic et al. 2020), a member of specs/regnet.nas: depth=16, w0=48, wa=27.89,
// wm=2.09, group_width=8, se_ratio=0.25, rounding=half_up.
// Reference — torchvision regnet_y_400mf: 4,344,144 parameters.
//
//   nasc stats specs/regnety_400mf.nas

network regnety_400mf {
    input [3, 224, 224]
    classes 1000

    stage stem = conv(3x3, 32, stride=2) -> bn -> relu
    stage body = anynet(regnet(16, 48, 27.89, 2.09, 8, rounding=half_up), se_ratio=0.25)
    stage head = global_avg_pool -> linear(classes)
}
