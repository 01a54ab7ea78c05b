//! nasc-burn's test suite (one binary): every op through every back end, the generated Burn
//! code's goldens, the optimiser's weight transfer, learned wiring and freezing, training,
//! data sets, checkpoints and resume; with `--features wgpu`, the wgpu backend on lavapipe.

mod codegen_golden;
mod cuda;
mod dnw;
mod drop_path;
mod every_op;
mod kernels;
mod passes;
mod passes_random;
mod pool_grad;
mod train;
mod wgpu;

/// Burn's device random generator is process-wide: a test that seeds it and compares two
/// seeded sequences of draws (dropout masks, initial weights) holds this lock, and so does
/// every test that seeds it (training does), so no other test's draws interleave.
pub fn device_rng() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}
