//! nasc-export — back ends that take a network out of nasc: a standalone PyTorch module
//! ([`pytorch`]) with its weights as safetensors ([`weights`]). They read the optimised IR
//! (nasc-core) and, for weights, nasc-core's framework-neutral tensors; they know nothing of
//! Burn. [`structure`] recovers the spec's hierarchy (one class per definition) for them.

mod names;
pub mod onnx;
pub mod pytorch;
pub mod structure;
pub mod weights;
