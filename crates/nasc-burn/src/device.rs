//! Choosing a Burn device. Each backend is a cargo feature; `flex` (pure-Rust CPU) is always in.

use burn::tensor::Device;

/// Why a backend's device cannot be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    #[error(
        "this nasc was built without the `{0}` backend; rebuild with `cargo build --release --features {0}`"
    )]
    NotBuilt(&'static str),
    #[error(
        "wgpu found no adapter at all (no Vulkan, DX12 or OpenGL driver): install a GPU driver, or mesa-vulkan-drivers for a CPU Vulkan device, or use --backend flex"
    )]
    NoAdapter,
    /// `--backend cuda` on a machine whose NVIDIA driver library cannot be loaded.
    #[error(
        "CUDA: the NVIDIA driver library is missing (none of {tried} loads): install the GPU's driver, or use --backend flex"
    )]
    NoCudaDriver { tried: String },
    /// `--backend cuda` without the CUDA toolkit's libdevice, which the kernel compiler links.
    #[error(
        "CUDA: libdevice.10.bc is missing (looked in {looked}): set CUDA_PATH to a directory holding nvvm/libdevice/libdevice.10.bc (a CUDA toolkit, or the `nvidia-cuda-nvcc` wheel's `nvidia/cuda_nvcc`; docs/backends.md)"
    )]
    NoLibdevice { looked: String },
    /// `--backend cuda` with a driver that reports no GPU.
    #[error("CUDA: the NVIDIA driver is loaded but reports no GPU ({0})")]
    NoCudaDevice(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Burn's pure-Rust CPU backend (always built)
    Flex,
    /// Burn's ndarray CPU backend (cargo feature `ndarray`; deprecated upstream)
    Ndarray,
    /// GPU through wgpu: Vulkan, Metal, DX12 (cargo feature `wgpu`)
    Wgpu,
    /// NVIDIA GPU through CUDA (cargo feature `cuda`)
    Cuda,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Flex => "flex",
            Backend::Ndarray => "ndarray",
            Backend::Wgpu => "wgpu",
            Backend::Cuda => "cuda",
        }
    }

    /// How this backend's kernels are written or compiled.
    pub fn compiler(self) -> &'static str {
        match self {
            Backend::Flex => "Rust CPU kernels",
            Backend::Ndarray => "ndarray CPU kernels",
            Backend::Wgpu if cfg!(feature = "vulkan") => "cubecl to SPIR-V",
            Backend::Wgpu => "cubecl to WGSL",
            Backend::Cuda => "cubecl to PTX through LLVM",
        }
    }

    /// The device for this backend, or why it is unavailable in this build.
    pub fn device(self) -> Result<Device, DeviceError> {
        let missing = |f: &'static str| Err(DeviceError::NotBuilt(f));
        match self {
            Backend::Flex => Ok(Device::flex()),
            Backend::Ndarray => {
                #[cfg(feature = "ndarray")]
                {
                    #[allow(deprecated)]
                    return Ok(Device::ndarray());
                }
                #[allow(unreachable_code)]
                missing("ndarray")
            }
            Backend::Wgpu => {
                #[cfg(feature = "wgpu")]
                {
                    eprintln!("{}", wgpu_adapter()?);
                    return Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice));
                }
                #[allow(unreachable_code)]
                missing("wgpu")
            }
            Backend::Cuda => {
                #[cfg(feature = "cuda")]
                {
                    cuda::preflight()?;
                    return Ok(Device::cuda(0));
                }
                #[allow(unreachable_code)]
                missing("cuda")
            }
        }
    }
}

/// The graphics API and adapters wgpu will run on, found the way Burn's wgpu runtime picks
/// them (the first API of Vulkan, DX12, OpenGL — Metal on macOS — with a GPU adapter, else the
/// first with any adapter), as a line for stderr; a loud warning when only a software (CPU)
/// adapter exists (lavapipe, llvmpipe), and an error when there is none.
#[cfg(feature = "wgpu")]
pub fn wgpu_adapter() -> Result<String, DeviceError> {
    let chain: &[wgpu::Backend] = if cfg!(target_os = "macos") {
        &[wgpu::Backend::Metal]
    } else {
        &[wgpu::Backend::Vulkan, wgpu::Backend::Dx12, wgpu::Backend::Gl]
    };
    let mut software: Option<(wgpu::Backend, Vec<wgpu::AdapterInfo>)> = None;
    for &api in chain {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends: api.into(),
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        let adapters: Vec<wgpu::AdapterInfo> =
            futures_lite::future::block_on(instance.enumerate_adapters(api.into()))
                .iter()
                .map(wgpu::Adapter::get_info)
                .collect();
        let describe = |a: &wgpu::AdapterInfo| {
            format!("`{}` ({:?}, driver {} {})", a.name, a.device_type, a.driver, a.driver_info)
        };
        if adapters.iter().any(|a| a.device_type != wgpu::DeviceType::Cpu) {
            let list: Vec<String> = adapters
                .iter()
                .filter(|a| a.device_type != wgpu::DeviceType::Cpu)
                .map(describe)
                .collect();
            return Ok(format!("wgpu: {api:?} with {}", list.join(", ")));
        }
        if software.is_none() && !adapters.is_empty() {
            software = Some((api, adapters));
        }
    }
    match software {
        Some((api, adapters)) => {
            let list: Vec<String> =
                adapters.iter().map(|a| format!("`{}` ({:?})", a.name, a.device_type)).collect();
            Ok(format!(
                "warning: wgpu found no GPU, only a software (CPU) adapter: {api:?} with {}. Shaders run on the CPU, far slower than \
                 `--backend flex`; install the GPU's driver (and its Vulkan ICD) to use it",
                list.join(", ")
            ))
        }
        None => Err(DeviceError::NoAdapter),
    }
}

/// What `--backend cuda` needs before Burn's CUDA runtime may start (it panics when the driver
/// library is missing and fails at the first kernel without libdevice): the driver library
/// (`libcuda`, loaded at run time), a GPU, and libdevice, looked up the way cubecl's kernel
/// compiler does (`$CUDA_PATH`, else the usual toolkit directories).
#[cfg(feature = "cuda")]
pub mod cuda {
    use super::DeviceError;
    use std::path::{Path, PathBuf};

    /// The driver library's names, as cudarc tries them on Linux (and Windows' `nvcuda`).
    const DRIVER: [&str; 3] = ["libcuda.so", "libcuda.so.1", "nvcuda.dll"];
    /// Where cubecl looks for a toolkit when `CUDA_PATH` is not set.
    const ROOTS: [&str; 4] = ["/usr/local/cuda", "/opt/cuda", "/usr/lib/cuda", "/usr"];

    /// The NVIDIA driver library, if one of its names loads.
    pub fn driver() -> Option<libloading::Library> {
        DRIVER.iter().find_map(|name| {
            // SAFETY: loading the NVIDIA driver library runs its initialisers, as Burn's CUDA
            // runtime does when it starts; only `cuInit` and `cuDeviceGetCount` are called.
            unsafe { libloading::Library::new(*name) }.ok()
        })
    }

    /// The driver, a GPU and libdevice, or the first of them that is missing.
    pub fn preflight() -> Result<(), DeviceError> {
        let Some(driver) = driver() else {
            return Err(DeviceError::NoCudaDriver { tried: DRIVER.join(", ") });
        };
        gpus(&driver)?;
        libdevice()?;
        Ok(())
    }

    /// `cuInit` and `cuDeviceGetCount` through the loaded driver: at least one GPU.
    fn gpus(driver: &libloading::Library) -> Result<(), DeviceError> {
        type Init = unsafe extern "C" fn(u32) -> i32;
        type Count = unsafe extern "C" fn(*mut i32) -> i32;
        let missing = |e: libloading::Error| DeviceError::NoCudaDevice(e.to_string());
        // SAFETY: the two symbols have these C signatures in every CUDA driver API version
        // (CUresult is a C enum, an int).
        unsafe {
            let init = driver.get::<Init>(b"cuInit\0").map_err(missing)?;
            let count = driver.get::<Count>(b"cuDeviceGetCount\0").map_err(missing)?;
            let status = init(0);
            if status != 0 {
                return Err(DeviceError::NoCudaDevice(format!("cuInit returned error {status}")));
            }
            let mut n = 0i32;
            let status = count(&mut n);
            if status != 0 || n < 1 {
                return Err(DeviceError::NoCudaDevice(format!(
                    "cuDeviceGetCount returned error {status}, {n} devices"
                )));
            }
        }
        Ok(())
    }

    fn libdevice() -> Result<PathBuf, DeviceError> {
        let at = |root: &Path| root.join("nvvm").join("libdevice").join("libdevice.10.bc");
        let roots: Vec<PathBuf> = match std::env::var_os("CUDA_PATH") {
            Some(p) => vec![PathBuf::from(p)],
            None => ROOTS.iter().map(PathBuf::from).collect(),
        };
        roots.iter().map(|r| at(r)).find(|p| p.is_file()).ok_or_else(|| DeviceError::NoLibdevice {
            looked: roots
                .iter()
                .map(|r| at(r).display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }
}
