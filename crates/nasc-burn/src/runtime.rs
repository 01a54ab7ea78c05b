//! A Burn `Module` built at run time from a verified IR: one layer per IR node (in the IR's
//! topological order) plus a plan of how nodes feed each other. Runs on any Burn device.
//! What each node does is its op's (the op units in [`crate::ops`]).

use crate::ops::BurnOp;
pub use crate::ops::{Act, Layer};
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};
use nasc_core::ir::{Ir, Op};

#[derive(Debug, Clone)]
pub struct Step {
    pub op: Op,
    pub inputs: Vec<usize>,
    /// How the step runs: its op, its op with the ReLU that reads it, or a ReLU already run.
    pub run: Run,
}

/// How the runtime runs a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    /// The op's forward.
    Op,
    /// The op and the ReLU that is its only reader, in one kernel (batch norm -> ReLU).
    WithRelu,
    /// A ReLU whose input ran [`Run::WithRelu`]: it passes the value on.
    Fused,
}

/// How nodes are wired: skipped by the module machinery (not a parameter).
#[derive(Debug, Clone)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// For every node, how many later steps read it (to free activations early).
    pub uses: Vec<usize>,
    pub output: usize,
    pub input_shape: [usize; 3],
    pub classes: usize,
}

#[derive(Module, Debug)]
pub struct RuntimeModel {
    pub layers: Vec<Layer>,
    #[module(skip)]
    pub plan: Plan,
}

impl RuntimeModel {
    /// Builds the model for a verified IR on `device`, with fresh parameters.
    pub fn new(ir: &Ir, device: &Device) -> Self {
        let order = ir.topo_order();
        let mut layers = Vec::with_capacity(order.len());
        let mut steps = Vec::with_capacity(order.len());
        let mut uses = vec![0usize; order.len()];
        for &n in &order {
            let node = &ir.graph[n];
            let inputs: Vec<usize> = ir.inputs(n).iter().map(|i| i.index()).collect();
            for &i in &inputs {
                uses[i] += 1;
            }
            layers.push(node.op.layer(device));
            steps.push(Step { op: node.op.clone(), inputs, run: Run::Op });
        }
        fuse_relus(&mut steps, &uses);
        let [c, h, w] = ir.input_shape;
        let plan = Plan {
            steps,
            uses,
            output: ir.output.index(),
            input_shape: [c as usize, h as usize, w as usize],
            classes: ir.classes as usize,
        };
        RuntimeModel { layers, plan }
    }

    /// Sets the running-statistics momentum of every batch norm (precise BN).
    pub fn set_bn_momentum(&mut self, momentum: f64) {
        for l in &mut self.layers {
            if let Layer::Norm(bn) = l {
                bn.momentum = momentum;
            }
        }
    }

    /// Every batch norm's running-statistics momentum, in layer order.
    pub fn bn_momenta(&self) -> Vec<f64> {
        let norms = self.layers.iter().filter_map(|l| match l {
            Layer::Norm(bn) => Some(bn.momentum),
            _ => None,
        });
        norms.collect()
    }

    /// Sets the batch norms' momenta to `momenta` (as [`Self::bn_momenta`] gave them).
    pub fn set_bn_momenta(&mut self, momenta: &[f64]) {
        let norms = self.layers.iter_mut().filter_map(|l| match l {
            Layer::Norm(bn) => Some(bn),
            _ => None,
        });
        for (bn, &m) in norms.zip(momenta) {
            bn.momentum = m;
        }
    }

    /// Logits [B, classes] for a batch of images [B, C, H, W].
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let n = self.plan.steps.len();
        let mut vals: Vec<Option<Act>> = vec![None; n];
        let mut left = self.plan.uses.clone();
        let mut input = Some(Act::Map(x));
        for (i, (step, layer)) in self.plan.steps.iter().zip(&self.layers).enumerate() {
            let mut ins: Vec<Act> = Vec::with_capacity(step.inputs.len());
            for &j in &step.inputs {
                left[j] = left[j].saturating_sub(1);
                let v = if left[j] == 0 { vals[j].take() } else { vals[j].clone() };
                if let Some(v) = v {
                    ins.push(v);
                }
            }
            if let Op::Input(_) = step.op {
                ins.extend(input.take());
            }
            vals[i] = match step.run {
                Run::Op => step.op.forward(layer, ins),
                Run::WithRelu => step.op.forward_relu(layer, ins),
                Run::Fused => ins.pop(),
            };
        }
        match vals.get_mut(self.plan.output).and_then(Option::take) {
            Some(a) => a.vec(),
            // Unreachable for a verified IR (the output node has an input); keep it total.
            None => Tensor::zeros([1, self.plan.classes], &self.devices_or_default()),
        }
    }

    /// For every learned wiring (in IR order): the edges chosen by the current weights.
    pub fn wiring_masks(&self) -> Vec<Vec<bool>> {
        let mut out = Vec::new();
        for (step, layer) in self.plan.steps.iter().zip(&self.layers) {
            if let (Op::EdgeWeights(e), Layer::Mix(w)) = (&step.op, layer) {
                let host: Vec<f32> = w.val().into_data().try_to_vec::<f32>().unwrap_or_default();
                let nodes = nasc_core::ir::wiring::nodes_of(e.edges);
                out.push(nasc_core::ir::wiring::choose(&host, nodes, e.keep, e.select));
            }
        }
        out
    }

    fn devices_or_default(&self) -> Device {
        self.devices().into_iter().next().unwrap_or_default()
    }
}

/// Marks every ReLU whose one input is a step that fuses it ([`BurnOp::fuses_relu`]) and that
/// nothing else reads: the two run as one kernel (the IR keeps both nodes).
fn fuse_relus(steps: &mut [Step], uses: &[usize]) {
    for i in 0..steps.len() {
        let &[j] = steps[i].inputs.as_slice() else { continue };
        if steps[i].op == Op::RELU && uses[j] == 1 && j < i && steps[j].op.fuses_relu() {
            steps[j].run = Run::WithRelu;
            steps[i].run = Run::Fused;
        }
    }
}

/// Learnable parameters of a module: like Burn's `num_params`, but without batch-norm running
/// statistics (buffers, not parameters), so that it matches `nasc stats`.
pub fn learnable_params<M: Module>(module: &M) -> usize {
    struct Count {
        path: Vec<String>,
        n: usize,
    }
    impl burn::module::ModuleVisitor for Count {
        fn enter_module(&mut self, name: &str, _container: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _name: &str, _container: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if !self.path.last().is_some_and(|p| p.starts_with("running_")) {
                self.n += param.lazy_shape().num_elements();
            }
        }
    }
    let mut c = Count { path: Vec::new(), n: 0 };
    module.visit(&mut c);
    c.n
}
