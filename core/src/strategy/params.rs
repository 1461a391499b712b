//! Flattened views of a model's parameters and gradients with their ids, in
//! the model's own (visiting) order: what EWC's Fisher estimate and penalty
//! need. A fixed order keeps sums over parameters, and so runs, reproducible.

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::tensor::{Gradients, Tensor};

struct Flatten<'a> {
    grads: Option<&'a Gradients>,
    out: Vec<(ParamId, Tensor<1>)>,
}

impl ModuleVisitor for Flatten<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val();
        let n = value.shape().num_elements();
        let t = match self.grads {
            Some(g) => match value.grad(g) {
                Some(grad) => grad.reshape([n]),
                None => return,
            },
            None => value.reshape([n]),
        };
        self.out.push((param.id, t));
    }
}

/// Every float parameter, flattened (still in the autodiff graph).
pub fn flat_params<M: Module>(module: &M) -> Vec<(ParamId, Tensor<1>)> {
    let mut v = Flatten {
        grads: None,
        out: Vec::new(),
    };
    module.visit(&mut v);
    v.out
}

/// The gradient of every parameter that has one, flattened.
pub fn flat_grads<M: Module>(module: &M, grads: &Gradients) -> Vec<(ParamId, Tensor<1>)> {
    let mut v = Flatten {
        grads: Some(grads),
        out: Vec::new(),
    };
    module.visit(&mut v);
    v.out
}
