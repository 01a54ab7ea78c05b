//! The wgpu backend (built with `--features wgpu`). In CI it runs on Mesa's lavapipe, a CPU
//! Vulkan driver (Debian's mesa-vulkan-drivers).

#![cfg(feature = "wgpu")]

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Distribution, Int, Tensor, TensorData};
use nasc_burn::device::Backend;
use nasc_burn::runtime::RuntimeModel;

fn ir() -> nasc_core::ir::Ir {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../specs/randwire_ws_fmnist.nas"
    ))
    .unwrap();
    nasc_core::compile(&src, &Default::default()).unwrap().ir.unwrap()
}

#[test]
fn wgpu_matches_flex_and_trains() {
    let _rng = crate::device_rng();
    let ir = ir();
    let cpu = Device::flex();
    let gpu = Backend::Wgpu
        .device()
        .expect("wgpu device (install mesa-vulkan-drivers on a machine without a GPU)");
    // Same weights on both devices.
    let flex_model = RuntimeModel::new(&ir, &cpu);
    let path = std::env::temp_dir().join(format!("nasc-wgpu-{}.bpk", std::process::id()));
    flex_model.clone().save_file(&path).unwrap();
    let gpu_model = RuntimeModel::new(&ir, &gpu).try_load_file(&path).unwrap();
    let x = Tensor::<4>::random([4, 1, 28, 28], Distribution::Normal(0.0, 1.0), &cpu);
    let a = flex_model.forward(x.clone());
    let b = gpu_model.forward(Tensor::<4>::from_data(x.into_data(), &gpu));
    let b = Tensor::<2>::from_data(b.into_data(), &cpu);
    let d = (a - b).abs().max().into_scalar::<f32>();
    assert!(d < 1e-3, "flex vs wgpu max abs difference {d}");
    std::fs::remove_file(&path).ok();

    // Training steps on the GPU device reduce the loss on a fixed batch.
    let dev = gpu.autodiff();
    let mut model = RuntimeModel::new(&ir, &dev);
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&dev);
    let x = Tensor::<4>::random([16, 1, 28, 28], Distribution::Normal(0.0, 1.0), &dev);
    let y = Tensor::<1, Int>::from_data(
        TensorData::new((0..16).map(|i| (i % 10) as i64).collect::<Vec<_>>(), [16]),
        &dev,
    );
    let mut losses = Vec::new();
    for _ in 0..5 {
        let loss = loss_fn.forward(model.forward(x.clone()), y.clone());
        losses.push(loss.clone().into_scalar::<f32>());
        let g = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(3e-3, model, g);
    }
    assert!(losses[4] < losses[0], "loss should fall on the wgpu backend: {losses:?}");
}

/// A learned wiring (papers.md §4) on the wgpu backend: same function as on flex with the
/// same weights, and training steps move the edge weights (straight-through top-K).
#[test]
fn learned_wiring_matches_flex_and_trains_on_wgpu() {
    let _rng = crate::device_rng();
    let src =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs/dnw_fmnist.nas"))
            .unwrap();
    let ir = nasc_core::compile(&src, &Default::default()).unwrap().ir.unwrap();
    let cpu = Device::flex();
    let gpu = Backend::Wgpu
        .device()
        .expect("wgpu device (install mesa-vulkan-drivers on a machine without a GPU)");
    let flex_model = RuntimeModel::new(&ir, &cpu);
    let path = std::env::temp_dir().join(format!("nasc-wgpu-dnw-{}.bpk", std::process::id()));
    flex_model.clone().save_file(&path).unwrap();
    let gpu_model = RuntimeModel::new(&ir, &gpu).try_load_file(&path).unwrap();
    assert_eq!(
        flex_model.wiring_masks(),
        gpu_model.wiring_masks(),
        "same weights, same chosen edges"
    );
    let x = Tensor::<4>::random([4, 1, 28, 28], Distribution::Normal(0.0, 1.0), &cpu);
    let a = flex_model.forward(x.clone());
    let b = gpu_model.forward(Tensor::<4>::from_data(x.into_data(), &gpu));
    let b = Tensor::<2>::from_data(b.into_data(), &cpu);
    let d = (a - b).abs().max().into_scalar::<f32>();
    assert!(d < 1e-3, "flex vs wgpu max abs difference {d}");
    std::fs::remove_file(&path).ok();

    let dev = gpu.autodiff();
    let mut model = RuntimeModel::new(&ir, &dev);
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&dev);
    let x = Tensor::<4>::random([16, 1, 28, 28], Distribution::Normal(0.0, 1.0), &dev);
    let y = Tensor::<1, Int>::from_data(
        TensorData::new((0..16).map(|i| (i % 10) as i64).collect::<Vec<_>>(), [16]),
        &dev,
    );
    let mut losses = Vec::new();
    for _ in 0..5 {
        let loss = loss_fn.forward(model.forward(x.clone()), y.clone());
        losses.push(loss.clone().into_scalar::<f32>());
        let g = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(3e-2, model, g);
    }
    assert!(losses[4] < losses[0], "loss should fall on the wgpu backend: {losses:?}");
}
