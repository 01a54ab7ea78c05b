//! Choosing a Burn device. Each backend is a cargo feature; `flex` (pure-Rust CPU) is always in.

use burn::tensor::Device;

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
    pub fn device(self) -> Result<Device, String> {
        let missing = |f: &str| {
            Err(format!("this nasc was built without the `{f}` backend; rebuild with `cargo build --release --features {f}`"))
        };
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
