//! The wgpu backend (built with `--features wgpu`). In CI it runs on Mesa's lavapipe, a CPU
//! Vulkan driver (Debian's mesa-vulkan-drivers).

#![cfg(feature = "wgpu")]

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Distribution, Int, Tensor, TensorData};
use nasc_burn::device::Backend;
use nasc_burn::runtime::RuntimeModel;

fn ir(spec: &str) -> nasc_core::ir::Ir {
    let src = nasc_test_support::read(&format!("specs/{spec}"));
    nasc_core::compile(&src, &Default::default()).unwrap().ir.unwrap()
}

/// A record file removed when dropped: Burn reads a loaded record's tensors lazily, so the file
/// must outlive the models loaded from it.
struct Record(std::path::PathBuf);

impl Drop for Record {
    fn drop(&mut self) {
        std::fs::remove_file(&self.0).ok();
    }
}

/// The same weights on flex and on wgpu (saved from one, loaded into the other).
fn flex_and_wgpu(
    ir: &nasc_core::ir::Ir,
    tag: &str,
) -> (RuntimeModel, RuntimeModel, Device, Record) {
    let gpu = Backend::Wgpu
        .device()
        .expect("wgpu device (install mesa-vulkan-drivers on a machine without a GPU)");
    let flex_model = RuntimeModel::new(ir, &Device::flex());
    let path = std::env::temp_dir().join(format!("nasc-wgpu-{tag}-{}.bpk", std::process::id()));
    flex_model.clone().save_file(&path).unwrap();
    let record = Record(path);
    let gpu_model = RuntimeModel::new(ir, &gpu).try_load_file(&record.0).unwrap();
    (flex_model, gpu_model, gpu, record)
}

/// Both models give the same output on a random batch.
fn assert_same_forward(flex_model: &RuntimeModel, gpu_model: &RuntimeModel, gpu: &Device) {
    let cpu = Device::flex();
    let x = Tensor::<4>::random([4, 1, 28, 28], Distribution::Normal(0.0, 1.0), &cpu);
    let a = flex_model.forward(x.clone());
    let b = gpu_model.forward(Tensor::<4>::from_data(x.into_data(), gpu));
    let b = Tensor::<2>::from_data(b.into_data(), &cpu);
    let d = (a - b).abs().max().into_scalar::<f32>();
    assert!(d < 1e-3, "flex vs wgpu max abs difference {d}");
}

/// Five Adam steps on a fixed batch on the GPU device; the loss must fall.
fn assert_trains(ir: &nasc_core::ir::Ir, gpu: &Device, lr: f64) {
    let dev = gpu.clone().autodiff();
    let mut model = RuntimeModel::new(ir, &dev);
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
        model = optim.step(lr, model, g);
    }
    assert!(losses[4] < losses[0], "loss should fall on the wgpu backend: {losses:?}");
}

#[test]
fn wgpu_matches_flex_and_trains() {
    let _rng = crate::device_rng();
    let ir = ir("randwire_ws_fmnist.nas");
    let (flex_model, gpu_model, gpu, _record) = flex_and_wgpu(&ir, "ws");
    assert_same_forward(&flex_model, &gpu_model, &gpu);
    assert_trains(&ir, &gpu, 3e-3);
}

/// A learned wiring (papers.md §4) on the wgpu backend: same function as on flex with the
/// same weights, and training steps move the edge weights (straight-through top-K).
#[test]
fn learned_wiring_matches_flex_and_trains_on_wgpu() {
    let _rng = crate::device_rng();
    let ir = ir("dnw_fmnist.nas");
    let (flex_model, gpu_model, gpu, _record) = flex_and_wgpu(&ir, "dnw");
    assert_eq!(
        flex_model.wiring_masks(),
        gpu_model.wiring_masks(),
        "same weights, same chosen edges"
    );
    assert_same_forward(&flex_model, &gpu_model, &gpu);
    assert_trains(&ir, &gpu, 3e-2);
}

/// The kernel cache's directory: `NASC_KERNEL_CACHE` (or off), else the XDG cache, else HOME's.
#[test]
fn kernel_cache_directory_follows_the_environment() {
    use nasc_burn::device::kernel_cache::dir_from;
    use std::ffi::OsString;
    use std::path::PathBuf;
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| pairs.iter().find(|p| p.0 == k).map(|p| OsString::from(p.1))
    };
    let all = &[("NASC_KERNEL_CACHE", "/c"), ("XDG_CACHE_HOME", "/x"), ("HOME", "/h")];
    assert_eq!(dir_from(env(all)), Some(PathBuf::from("/c")));
    assert_eq!(dir_from(env(&[("NASC_KERNEL_CACHE", "off"), ("HOME", "/h")])), None);
    assert_eq!(
        dir_from(env(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/h")])),
        Some(PathBuf::from("/x/nasc/kernels"))
    );
    assert_eq!(
        dir_from(env(&[("XDG_CACHE_HOME", ""), ("HOME", "/h")])),
        Some(PathBuf::from("/h/.cache/nasc/kernels"))
    );
    assert_eq!(dir_from(env(&[])), None);
}

/// Run by `a_second_process_finds_the_kernel_cache_filled` in a child process of its own (the
/// cache is configured once per process): the device with the cache in `NASC_KERNEL_CACHE`,
/// and one training step of a small network.
#[test]
#[ignore = "a child process of a_second_process_finds_the_kernel_cache_filled"]
fn kernel_cache_child() {
    let gpu = Backend::Wgpu.device().expect("wgpu device");
    let ir =
        nasc_core::compile(&nasc_test_support::read("examples/plain_cnn.nas"), &Default::default())
            .unwrap()
            .ir
            .unwrap();
    assert_trains(&ir, &gpu, 1e-3);
}

/// GPU backends write what they compile and autotune under the kernel cache's directory, and a
/// second process starts from it.
#[test]
fn a_second_process_finds_the_kernel_cache_filled() {
    let dir = std::env::temp_dir().join(format!("nasc-kernel-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let child = || {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "wgpu::kernel_cache_child", "--ignored", "--nocapture"])
            .env("NASC_KERNEL_CACHE", &dir)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            out.status.success(),
            "child failed: {text}{}",
            String::from_utf8_lossy(&out.stdout)
        );
        text
    };
    let first = child();
    assert!(first.contains(&format!("kernel cache: {}", dir.display())), "{first}");
    let files = |d: &std::path::Path| -> u64 {
        let mut n = 0;
        let mut stack = vec![d.to_path_buf()];
        while let Some(p) = stack.pop() {
            for e in std::fs::read_dir(&p).into_iter().flatten().flatten() {
                match e.file_type().map(|t| t.is_dir()) {
                    Ok(true) => stack.push(e.path()),
                    _ => n += e.metadata().map(|m| m.len()).unwrap_or(0),
                }
            }
        }
        n
    };
    let bytes = files(&dir);
    assert!(bytes > 0, "nothing written under {}", dir.display());
    child();
    let _ = std::fs::remove_dir_all(&dir);
}
