//! Average pooling that leaves padding out (`count_pad=false`: DARTS, NAS-Bench-201): its
//! gradient in the runtime model against the analytic one.

use burn::tensor::{Device, Distribution, Tensor};
use nasc_burn::ops::shared::avg_pool2d;

#[test]
fn average_pooling_without_padding_has_the_analytic_gradient() {
    let _rng = crate::device_rng();
    let dev = Device::flex().autodiff();
    let (h, w) = (5usize, 4usize);
    let x = Tensor::<4>::random([1, 1, h, w], Distribution::Normal(0.0, 1.0), &dev).require_grad();
    let wts = Tensor::<4>::random([1, 1, h, w], Distribution::Normal(0.0, 1.0), &dev);
    let pool = avg_pool2d([3, 3], 1, 1, false);
    let y = pool.forward(x.clone());
    let loss = (y * wts.clone()).sum();
    let grads = loss.backward();
    let g: Vec<f32> = x.grad(&grads).expect("grad").into_data().try_to_vec::<f32>().unwrap();
    let wv: Vec<f32> = wts.into_data().try_to_vec::<f32>().unwrap();
    // Window (r, c) covers rows r-1..=r+1 and columns c-1..=c+1 inside the map.
    let count = |r: usize, c: usize| {
        let rows = (r.saturating_sub(1)..=(r + 1).min(h - 1)).count();
        let cols = (c.saturating_sub(1)..=(c + 1).min(w - 1)).count();
        (rows * cols) as f32
    };
    for i in 0..h {
        for j in 0..w {
            let mut want = 0.0f32;
            for r in i.saturating_sub(1)..=(i + 1).min(h - 1) {
                for c in j.saturating_sub(1)..=(j + 1).min(w - 1) {
                    want += wv[r * w + c] / count(r, c);
                }
            }
            let got = g[i * w + j];
            assert!((got - want).abs() < 1e-5, "dL/dx[{i}][{j}]: {got} vs {want}");
        }
    }
}
