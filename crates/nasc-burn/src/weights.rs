//! The runtime model's parameters — or their gradients — in nasc-core's framework-neutral
//! layout ([`nasc_core::weights`]), for the exporters (PyTorch, ONNX) and the tests that
//! check them: Burn's linear weights are `[in, out]` and are transposed; everything else
//! keeps its layout.

use crate::runtime::{Layer, RuntimeModel};
use burn::tensor::{Gradients, Tensor};
use nasc_core::weights::{Param, Role, Weights};

/// Why a tensor could not be read back from the device.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the parameters of layer {layer}: {message}")]
pub struct WeightsError {
    pub layer: usize,
    pub message: String,
}

/// What is read of each parameter: its value, or its gradient (none for running statistics).
trait Read {
    fn read<const D: usize>(&self, t: Tensor<D>) -> Option<Tensor<D>>;
    fn stats(&self) -> bool;
}

struct Values;

impl Read for Values {
    fn read<const D: usize>(&self, t: Tensor<D>) -> Option<Tensor<D>> {
        Some(t)
    }
    fn stats(&self) -> bool {
        true
    }
}

struct Grads<'a>(&'a Gradients);

impl Read for Grads<'_> {
    fn read<const D: usize>(&self, t: Tensor<D>) -> Option<Tensor<D>> {
        t.grad(self.0)
    }
    fn stats(&self) -> bool {
        false
    }
}

fn host<const D: usize>(
    r: &impl Read,
    t: Tensor<D>,
    role: Role,
    layer: usize,
    out: &mut Vec<Param>,
) -> Result<(), WeightsError> {
    let Some(t) = r.read(t) else { return Ok(()) };
    let shape = t.dims().to_vec();
    let data = t
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| WeightsError { layer, message: format!("{e:?}") })?;
    out.push(Param { role, shape, data });
    Ok(())
}

fn collect(model: &RuntimeModel, r: &impl Read) -> Result<Weights, WeightsError> {
    let mut out = Weights::default();
    for (i, layer) in model.layers.iter().enumerate() {
        let mut v = Vec::new();
        match layer {
            Layer::Conv(c) => {
                host(r, c.weight.val(), Role::Weight, i, &mut v)?;
                if let Some(b) = &c.bias {
                    host(r, b.val(), Role::Bias, i, &mut v)?;
                }
            }
            Layer::Dense(l) => {
                if let Some(g) = r.read(l.weight.val()) {
                    host(&Values, g.transpose(), Role::Weight, i, &mut v)?;
                }
                if let Some(b) = &l.bias {
                    host(r, b.val(), Role::Bias, i, &mut v)?;
                }
            }
            Layer::Norm(n) => {
                host(r, n.gamma.val(), Role::Scale, i, &mut v)?;
                host(r, n.beta.val(), Role::Shift, i, &mut v)?;
                if r.stats() {
                    host(r, n.running_mean.value(), Role::RunningMean, i, &mut v)?;
                    host(r, n.running_var.value(), Role::RunningVar, i, &mut v)?;
                }
            }
            Layer::LNorm(n) => {
                host(r, n.gamma.val(), Role::Scale, i, &mut v)?;
                if let Some(b) = &n.beta {
                    host(r, b.val(), Role::Shift, i, &mut v)?;
                }
            }
            Layer::Mix(w) => host(r, w.val(), Role::Mix, i, &mut v)?,
            Layer::MaxPool(_) | Layer::AvgPool(_) | Layer::Drop(_) | Layer::Plain(_) => continue,
        }
        if !v.is_empty() {
            out.nodes.insert(i, v);
        }
    }
    Ok(out)
}

/// Every parameterised layer's tensors (with batch norms' running statistics), by IR node
/// index.
pub fn weights(model: &RuntimeModel) -> Result<Weights, WeightsError> {
    collect(model, &Values)
}

/// The gradients `grads` holds for the model's parameters (a model on an autodiff device,
/// after `loss.backward()`), by IR node index; parameters without one are left out.
pub fn gradients(model: &RuntimeModel, grads: &Gradients) -> Result<Weights, WeightsError> {
    collect(model, &Grads(grads))
}
