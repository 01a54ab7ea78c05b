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
    /// `--backend cuda` built with `cuda-cpp` on a machine without NVRTC.
    #[error(
        "CUDA: NVRTC, the CUDA C++ compiler this nasc was built to use (feature `cuda-cpp`), is missing (none of {tried} loads): install the `nvidia-cuda-nvrtc` wheel and put its lib directory on LD_LIBRARY_PATH (docs/backends.md)"
    )]
    NoNvrtc { tried: String },
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
            Backend::Cuda if cfg!(feature = "cuda-cpp") => "cubecl to CUDA C++ through NVRTC",
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
                    eprintln!("{}", kernel_cache::configure());
                    return Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice));
                }
                #[allow(unreachable_code)]
                missing("wgpu")
            }
            Backend::Cuda => {
                #[cfg(feature = "cuda")]
                {
                    cuda::preflight()?;
                    eprintln!("{}", kernel_cache::configure());
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
    /// NVRTC's names as cudarc tries them on Linux (CUDA 13, 12; Windows' `nvrtc64_*` are not
    /// checked: there the run-time error names them).
    const NVRTC: [&str; 4] =
        ["libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "nvrtc64_130_0.dll"];
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
        if cfg!(feature = "cuda-cpp") {
            nvrtc()?;
        } else {
            libdevice()?;
        }
        Ok(())
    }

    /// NVRTC, which compiles the kernels when nasc is built with `cuda-cpp`.
    fn nvrtc() -> Result<(), DeviceError> {
        // SAFETY: loading NVRTC runs only its initialisers, as cubecl does at its first kernel.
        let found = NVRTC.iter().any(|name| unsafe { libloading::Library::new(*name) }.is_ok());
        match found {
            true => Ok(()),
            false => Err(DeviceError::NoNvrtc { tried: NVRTC.join(", ") }),
        }
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

/// GPU backends keep what they compile and autotune on disk (cubecl's persistence), so that a
/// second process starts warm: every search worker after the first, every `nasc train` after a
/// `nasc bench`. The directory is `$NASC_KERNEL_CACHE`, else `$XDG_CACHE_HOME/nasc/kernels`,
/// else `~/.cache/nasc/kernels`; `NASC_KERNEL_CACHE=off` turns it off. A `cubecl.toml` in the
/// working directory (cubecl's own settings file) and cubecl's environment variables are read
/// first; nasc only sets the cache's switch and place.
#[cfg(feature = "kernel-cache")]
pub mod kernel_cache {
    use cubecl::config::cache::CacheConfig;
    use cubecl::config::{CubeClRuntimeConfig, RuntimeConfig};
    use std::ffi::OsString;
    use std::path::PathBuf;

    /// Where the cache lives, or `None` when it is off (or no directory can be named).
    pub fn dir() -> Option<PathBuf> {
        dir_from(|k| std::env::var_os(k))
    }

    /// [`dir`] with the environment read through `var`.
    pub fn dir_from(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
        let set = |k: &str| var(k).filter(|v| !v.is_empty());
        match var("NASC_KERNEL_CACHE") {
            Some(v) if v == "off" || v == "0" || v.is_empty() => None,
            Some(v) => Some(PathBuf::from(v)),
            None => set("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| set("HOME").map(|h| PathBuf::from(h).join(".cache")))
                .map(|b| b.join("nasc").join("kernels")),
        }
    }

    /// Sets cubecl's configuration before the first device starts (a later call, or one after
    /// cubecl read its configuration, keeps what is set), and says what it did, for stderr.
    pub fn configure() -> String {
        configure_at(dir())
    }

    /// [`configure`] with the cache in `dir` (`None`: off).
    pub fn configure_at(dir: Option<PathBuf>) -> String {
        let mut config = CubeClRuntimeConfig::from_current_dir().override_from_env();
        let dir = dir.filter(|d| std::fs::create_dir_all(d).is_ok());
        config.compilation.cache = dir.is_some();
        config.autotune.disable_cache = dir.is_none();
        if let Some(d) = &dir {
            config.environment.path = CacheConfig::Directory(d.clone());
        }
        let fresh = CubeClRuntimeConfig::try_set(config);
        match (dir, fresh) {
            (_, false) => "kernel cache: as configured earlier in this process".into(),
            (Some(d), true) => format!("kernel cache: {}", d.display()),
            (None, true) => "kernel cache: off (NASC_KERNEL_CACHE=off, or no directory)".into(),
        }
    }
}
