//! Parameter initialisation from the run's own seeded generator, so that the
//! same seed gives the same weights on every device (CPU, WebGPU).

use burn::module::Param;
use burn::nn::{LayerNorm, LayerNormConfig, Linear};
use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Uniform(−bound, bound) tensor of `shape`.
pub fn uniform<const D: usize>(
    rng: &mut ChaCha8Rng,
    shape: [usize; D],
    bound: f32,
    device: &Device,
) -> Tensor<D> {
    let n: usize = shape.iter().product();
    let values: Vec<f32> = (0..n).map(|_| rng.random_range(-bound..=bound)).collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}

pub fn param<const D: usize>(
    rng: &mut ChaCha8Rng,
    shape: [usize; D],
    bound: f32,
    device: &Device,
) -> Param<Tensor<D>> {
    Param::from_tensor(uniform(rng, shape, bound, device))
}

/// A linear layer with PyTorch's default bounds (1/√fan_in).
pub fn linear(rng: &mut ChaCha8Rng, d_in: usize, d_out: usize, device: &Device) -> Linear {
    let bound = 1.0 / (d_in as f32).sqrt();
    Linear {
        weight: param(rng, [d_in, d_out], bound, device),
        bias: Some(param(rng, [d_out], bound, device)),
    }
}

pub fn layer_norm(d: usize, device: &Device) -> LayerNorm {
    LayerNormConfig::new(d).init(device)
}
