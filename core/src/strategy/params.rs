//! Flattened views of a model's parameters and gradients, keyed by id: what
//! EWC's Fisher estimate and penalty need.

use std::collections::HashMap;

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::tensor::{Gradients, Tensor};

struct Flatten<'a> {
    grads: Option<&'a Gradients>,
    out: HashMap<ParamId, Tensor<1>>,
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
        self.out.insert(param.id, t);
    }
}

/// Every float parameter, flattened (still in the autodiff graph).
pub fn flat_params<M: Module>(module: &M) -> HashMap<ParamId, Tensor<1>> {
    let mut v = Flatten {
        grads: None,
        out: HashMap::new(),
    };
    module.visit(&mut v);
    v.out
}

/// The gradient of every parameter that has one, flattened.
pub fn flat_grads<M: Module>(module: &M, grads: &Gradients) -> HashMap<ParamId, Tensor<1>> {
    let mut v = Flatten {
        grads: Some(grads),
        out: HashMap::new(),
    };
    module.visit(&mut v);
    v.out
}
