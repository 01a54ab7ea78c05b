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
