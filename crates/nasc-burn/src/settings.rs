//! The vocabulary shared by training and its checkpoints: optimizer and schedule choices,
//! the settings a resumed run must keep, and one epoch's metrics.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Optimizer {
    Sgd,
    Adam,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// Cosine decay to zero over all steps
    Cosine,
    /// Divide by 10 at 50% and 75% of the epochs
    Step,
    /// Constant learning rate
    Constant,
}

/// The settings a resumed run must share with the run it continues (bit-exact resume).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    pub data: String,
    pub batch_size: usize,
    pub lr: f64,
    pub optimizer: Optimizer,
    pub schedule: Schedule,
    pub weight_decay: f32,
    pub seed: u64,
    pub limit_train: Option<usize>,
    pub epochs: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochMetrics {
    pub epoch: usize,
    pub train_loss: f64,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    pub lr: f64,
    pub images_per_sec: f64,
    pub seconds: f64,
    /// Learned wirings: edges that entered the chosen set during the epoch, summed over the
    /// optimizer steps and the wirings (each entering edge displaces one). `None` without a
    /// learned wiring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge_swaps: Option<u64>,
}
