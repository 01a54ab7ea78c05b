//! `drop_path` (stochastic depth) in the runtime and generated code (one shared helper): in
//! training each sample is dropped whole or kept scaled by 1 / (1 - p); in inference, and
//! with a frozen training flag, it is the identity.

use burn::module::Module;
use burn::nn::DropoutConfig;
use burn::tensor::{Device, Tensor};
use nasc_burn::ops::shared::drop_path;

fn values(t: Tensor<4>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().expect("f32 data")
}

#[test]
fn drop_path_drops_whole_samples_in_training_only() {
    let _rng = crate::device_rng();
    let base = Device::flex();
    let layer = DropoutConfig::new(0.5).init();
    let x = Tensor::<4>::ones([200, 3, 4, 4], &base);
    assert!(values(drop_path(&layer, x.clone())).iter().all(|&v| v == 1.0), "inference");

    let train = base.clone().autodiff();
    let xt = Tensor::<4>::ones([200, 3, 4, 4], &train);
    let y = values(drop_path(&layer, xt.clone()));
    let mut dropped = 0;
    for sample in y.chunks(3 * 4 * 4) {
        let first = sample[0];
        assert!(first == 0.0 || first == 2.0, "kept samples scale by 1 / (1 - p): {first}");
        assert!(sample.iter().all(|&v| v == first), "a sample is dropped or kept whole");
        dropped += usize::from(first == 0.0);
    }
    // Binomial(200, 0.5): 100 +- 7; far outside means the mask is not per-sample p.
    assert!((60..=140).contains(&dropped), "{dropped} of 200 samples dropped at p = 0.5");

    let frozen = layer.clone().freeze();
    let z = values(drop_path(&frozen, xt));
    assert!(z.iter().all(|&v| v == 1.0), "a frozen layer is the identity");
}
