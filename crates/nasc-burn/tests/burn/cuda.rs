//! The CUDA backend (built with `--features cuda`, `scripts/cuda-toolchain.sh`). CI has no
//! NVIDIA driver: there `--backend cuda` must be a clear error naming the driver library,
//! never Burn's panic. On a machine with a driver and a GPU, the checks before Burn's runtime
//! starts find libdevice through `CUDA_PATH`, or name the directories they looked in.

#![cfg(feature = "cuda")]

use nasc_burn::device::{Backend, DeviceError};

fn driver_loads() -> bool {
    nasc_burn::device::cuda::driver().is_some()
}

#[test]
fn cuda_without_its_driver_or_libdevice_is_an_error_naming_what_is_missing() {
    let under_ci = std::env::var_os("CI").is_some();
    match Backend::Cuda.device() {
        Err(DeviceError::NoCudaDriver { tried }) => {
            assert!(!driver_loads());
            assert!(tried.contains("libcuda.so.1"), "{tried}");
            let message = DeviceError::NoCudaDriver { tried }.to_string();
            assert!(message.contains("NVIDIA driver library is missing"), "{message}");
        }
        Err(DeviceError::NoLibdevice { looked }) => {
            assert!(driver_loads());
            assert!(looked.contains("nvvm/libdevice/libdevice.10.bc"), "{looked}");
        }
        Err(DeviceError::NoCudaDevice(why)) => assert!(driver_loads(), "{why}"),
        Err(other) => panic!("unexpected error: {other}"),
        // A machine with the driver, a GPU and libdevice: nothing is missing.
        Ok(_) => assert!(driver_loads() && !under_ci, "CI machines have no NVIDIA driver"),
    }
}

#[test]
fn cuda_path_without_libdevice_is_named() {
    if !driver_loads() {
        // Without the driver, the driver is what is missing (the test above); the libdevice
        // check runs after it.
        return;
    }
    let empty = std::env::temp_dir().join(format!("nasc-no-cuda-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    // SAFETY: this test binary's other CUDA test does not read CUDA_PATH concurrently in a
    // way that matters: it accepts every outcome a machine with a driver can have.
    unsafe { std::env::set_var("CUDA_PATH", &empty) };
    let got = Backend::Cuda.device();
    std::fs::remove_dir_all(&empty).ok();
    match got {
        Err(DeviceError::NoLibdevice { looked }) => {
            assert!(looked.starts_with(&empty.display().to_string()), "{looked}")
        }
        Err(DeviceError::NoCudaDevice(_)) => {}
        other => panic!("expected libdevice to be missing, got {other:?}"),
    }
}
