//! The training step's arithmetic, shared by the run loop and the bench:
//! the loss of one forward pass, and one optimiser step by parameter group.

use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::Tensor;

use crate::model::{Batch, ForwardOutput, Model};
use crate::strategy::LrFactors;
use crate::strategy::losses::{cross_entropy, masked_cross_entropy};

/// Cross-entropy of the fused logits plus `unimodal_weight` times the sum
/// of each unimodal head's, every logit shifted by `mask` (a separated
/// softmax) where given. The unimodal heads learn alongside the fused one,
/// so that each stream learns to predict on its own and their scores (GM's
/// s^v, s^t) mean something. A head learns only from the samples that have
/// its modality (a batch of sketches trains no image head on blank images).
pub fn task_loss(
    out: &ForwardOutput,
    batch: &Batch,
    mask: Option<&Tensor<2>>,
    unimodal_weight: f64,
) -> Tensor<1> {
    let labels = &batch.labels;
    let masked = |logits: &Tensor<2>| match mask {
        Some(m) => logits.clone() + m.clone(),
        None => logits.clone(),
    };
    let fused = cross_entropy(masked(&out.logits.fused), labels.clone());
    let b = batch.label_values.len();
    let unimodal = out
        .logits
        .unimodal
        .iter()
        .zip(&batch.inputs)
        .filter(|(_, input)| input.count > 0)
        .map(|((_, l), input)| {
            if input.count == b {
                cross_entropy(masked(l), labels.clone())
            } else {
                masked_cross_entropy(
                    masked(l),
                    labels.clone(),
                    input.present.clone(),
                    input.count,
                )
            }
        })
        .reduce(|a, b| a + b);
    match unimodal {
        Some(u) => fused + u * unimodal_weight,
        None => fused,
    }
}

/// One optimiser step, each parameter group at its learning-rate factor
/// (MSPT Eq. 9 scales the update, not the gradient, which Adam would
/// normalise away); a group at factor 0 is not updated at all.
pub fn apply(
    optim: &mut ModuleOptimizer,
    lr: f64,
    model: Model,
    mut grads: burn::tensor::Gradients,
    factors: &LrFactors,
) -> Model {
    if factors.is_neutral() {
        let all = GradientsParams::from_grads(grads, &model);
        return optim.step(lr, model, all);
    }
    let groups = model.param_groups();
    let mut parts = Vec::new();
    for (name, factor) in factors.0.iter().filter(|(_, f)| *f != 1.0) {
        let (_, ids) = groups
            .iter()
            .find(|(g, _)| g == name)
            .unwrap_or_else(|| panic!("the model has no parameter group '{name}'"));
        parts.push((
            *factor,
            GradientsParams::from_params(&mut grads, &model, ids),
        ));
    }
    let rest = GradientsParams::from_grads(grads, &model);
    let mut model = optim.step(lr, model, rest);
    for (factor, part) in parts {
        if factor != 0.0 {
            model = optim.step(lr * factor, model, part);
        }
    }
    model
}
