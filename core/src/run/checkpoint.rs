//! A run saved at a task boundary, so that it can go on elsewhere — the
//! browser moves a run from a failed WebGPU device to the CPU this way.
//!
//! What a boundary needs: the model (burn's burnpack format, parameter ids
//! included), what the strategy carries between tasks
//! ([`crate::strategy::StrategyState`]),
//! the run's random-number stream and everything measured so far. The
//! optimiser is not stored: every task starts a fresh one.
//!
//! Byte layout: `PALCKPT2`, then three length-prefixed (u64 little-endian)
//! sections — a JSON header (the strategy's own value inside it), the
//! burnpack model, the strategy's named tensors (each: `u64` name length,
//! the UTF-8 name, `u64` value count, the `f32`s; all little-endian) — and
//! nothing after.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::store::{BurnpackStore, FloatCastAdapter, ModuleSnapshot};
use burn::tensor::{DType, Device, Tensor, TensorData};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use serde::{Deserialize, Serialize};

use super::config::RunConfig;
use super::read_floats;
use super::record::Measured;
use crate::model::Model;

const MAGIC: &[u8; 8] = b"PALCKPT2";
/// The header's version: 3 since the model is keyed by modality (its
/// tensors' paths are `encoders.<i>.…`, the classifier's `parts.<i>`).
pub const CHECKPOINT_VERSION: u32 = 3;

/// The position of the run's ChaCha stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RngState {
    seed: [u8; 32],
    stream: u64,
    /// u128, as a decimal string (JSON numbers stop at 64 bits).
    word_pos: String,
}

impl RngState {
    pub fn of(rng: &ChaCha8Rng) -> RngState {
        RngState {
            seed: rng.get_seed(),
            stream: rng.get_stream(),
            word_pos: rng.get_word_pos().to_string(),
        }
    }

    pub fn rng(&self) -> Result<ChaCha8Rng, String> {
        let pos: u128 = self
            .word_pos
            .parse()
            .map_err(|_| format!("bad random-stream position '{}'", self.word_pos))?;
        let mut rng = ChaCha8Rng::from_seed(self.seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(pos);
        Ok(rng)
    }
}

/// Everything of a checkpoint but its tensors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub version: u32,
    pub config: RunConfig,
    /// Tasks trained and evaluated (the boundary is after this task).
    pub tasks_done: usize,
    /// The stream's class names at the boundary (to check the stream it resumes on).
    pub class_names: Vec<String>,
    pub rng: RngState,
    /// Everything measured up to the boundary.
    pub measured: Measured,
    pub elapsed_s: f64,
    pub train_seconds: f64,
    pub train_samples: usize,
    /// The strategy's carried value ([`crate::strategy::StrategyState::value`]).
    pub strategy: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub header: Header,
    /// The model, as a burnpack.
    pub model: Vec<u8>,
    /// The strategy's named tensors ([`crate::strategy::StrategyState::tensors`]), read back.
    pub tensors: Vec<(String, Vec<f32>)>,
}

impl Checkpoint {
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&self.header).expect("a header serialises");
        let mut tensors = Vec::new();
        for (name, values) in &self.tensors {
            tensors.extend_from_slice(&(name.len() as u64).to_le_bytes());
            tensors.extend_from_slice(name.as_bytes());
            tensors.extend_from_slice(&(values.len() as u64).to_le_bytes());
            for v in values {
                tensors.extend_from_slice(&v.to_le_bytes());
            }
        }
        let mut out = Vec::with_capacity(8 + 24 + header.len() + self.model.len() + tensors.len());
        out.extend_from_slice(MAGIC);
        for section in [&header, &self.model, &tensors] {
            out.extend_from_slice(&(section.len() as u64).to_le_bytes());
            out.extend_from_slice(section);
        }
        out
    }

    /// Reads [`Checkpoint::to_bytes`]; anything else is an error naming the problem.
    pub fn from_bytes(bytes: &[u8]) -> Result<Checkpoint, String> {
        let mut r = Cursor(bytes);
        if r.take(8).ok() != Some(&MAGIC[..]) {
            return Err("not a Palimpsest checkpoint".into());
        }
        let header = r.section("header")?;
        let model = r.section("model")?.to_vec();
        let mut t = Cursor(r.section("tensors")?);
        if !r.0.is_empty() {
            return Err("trailing bytes after the checkpoint".into());
        }
        let header: Header =
            serde_json::from_slice(header).map_err(|e| format!("checkpoint header: {e}"))?;
        if header.version != CHECKPOINT_VERSION {
            return Err(format!(
                "checkpoint version {} (this build reads {CHECKPOINT_VERSION})",
                header.version
            ));
        }
        let mut tensors = Vec::new();
        while !t.0.is_empty() {
            let len = usize::try_from(t.u64()?).map_err(|_| "tensor name too long")?;
            let name = std::str::from_utf8(t.take(len)?)
                .map_err(|_| "a tensor name is not UTF-8")?
                .to_string();
            let n = usize::try_from(t.u64()?).map_err(|_| "tensor too long")?;
            let raw = t.take(n.checked_mul(4).ok_or("tensor too long")?)?;
            let values = raw
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            tensors.push((name, values));
        }
        Ok(Checkpoint {
            header,
            model,
            tensors,
        })
    }
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err("the checkpoint is truncated".into());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u64(&mut self) -> Result<u64, String> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    fn section(&mut self, name: &str) -> Result<&'a [u8], String> {
        let n = usize::try_from(self.u64()?).map_err(|_| format!("{name} section too long"))?;
        self.take(n)
    }
}

/// Every float parameter: shape and flattened value.
struct Gather(Vec<(Vec<usize>, Tensor<1>)>);

impl ModuleVisitor for Gather {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val();
        let dims = value.dims().to_vec();
        let n = value.shape().num_elements();
        self.0.push((dims, value.reshape([n])));
    }
}

/// Replaces every float parameter, in visiting order, by the next value read.
struct Replace {
    values: std::vec::IntoIter<TensorData>,
    device: Device,
}

impl ModuleMapper for Replace {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let data = self.values.next().expect("one value per parameter");
        let device = self.device.clone();
        param.map(move |_| Tensor::from_data(data, &device))
    }
}

/// The model as burnpack bytes. Its values are read back asynchronously
/// (WebGPU cannot block) into a CPU copy, which burn-store then packs.
pub async fn model_bytes(model: &Model) -> Vec<u8> {
    pack_model(model, None).await
}

/// [`model_bytes`] with every float tensor stored as f16: half the bytes,
/// for the shipped pretrained weights (`Model::load_burnpack` reads them
/// back as f32, each value rounded to the nearest f16).
pub async fn model_bytes_f16(model: &Model) -> Vec<u8> {
    pack_model(model, Some(DType::F16)).await
}

/// The burnpack of `model` read back to the CPU, its float tensors stored
/// as `dtype` (as computed: f32).
async fn pack_model(model: &Model, dtype: Option<DType>) -> Vec<u8> {
    let mut gather = Gather(Vec::new());
    model.visit(&mut gather);
    let (shapes, flats): (Vec<Vec<usize>>, Vec<Tensor<1>>) = gather.0.into_iter().unzip();
    let values = read_all(flats)
        .await
        .into_iter()
        .zip(shapes)
        .map(|(floats, dims)| TensorData::new(floats, dims))
        .collect::<Vec<_>>();
    let cpu = model.clone().map(&mut Replace {
        values: values.into_iter(),
        device: Device::flex(),
    });
    let mut store = BurnpackStore::from_bytes(None);
    if let Some(dtype) = dtype {
        store = store.with_to_adapter(FloatCastAdapter::to(dtype));
    }
    cpu.save_into(&mut store)
        .expect("a CPU model packs into memory");
    store.get_bytes().expect("bytes after packing").to_vec()
}

/// The values of several flat tensors on one device, in one read-back: on
/// WebGPU every read waits for the device and maps a buffer, so a model
/// read tensor by tensor pays that once per parameter.
async fn read_all(flats: Vec<Tensor<1>>) -> Vec<Vec<f32>> {
    if flats.is_empty() {
        return Vec::new();
    }
    let sizes: Vec<usize> = flats.iter().map(|t| t.dims()[0]).collect();
    let all = read_floats(Tensor::cat(flats, 0)).await;
    let mut rest = &all[..];
    sizes
        .into_iter()
        .map(|n| {
            let (head, tail) = rest.split_at(n);
            rest = tail;
            head.iter().map(|v| *v as f32).collect()
        })
        .collect()
}

/// Loads burnpack bytes into `model`, which must have the same shape.
pub fn load_model(model: Model, bytes: &[u8]) -> Result<Model, String> {
    model.load_burnpack(bytes, "the checkpoint's model")
}

/// A strategy's named tensors read back from the device.
pub async fn read_tensors(tensors: Vec<(String, Tensor<1>)>) -> Vec<(String, Vec<f32>)> {
    let (names, flats): (Vec<String>, Vec<Tensor<1>>) = tensors.into_iter().unzip();
    names.into_iter().zip(read_all(flats).await).collect()
}

/// [`read_tensors`] back into tensors on `device`.
pub fn state_tensors(tensors: &[(String, Vec<f32>)], device: &Device) -> Vec<(String, Tensor<1>)> {
    tensors
        .iter()
        .map(|(name, values)| {
            let n = values.len();
            (
                name.clone(),
                Tensor::from_data(TensorData::new(values.clone(), [n]), device),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use burn::module::ParamId;

    use super::*;
    use crate::data::scenario::rng_for;

    fn sample() -> Checkpoint {
        Checkpoint {
            header: Header {
                version: CHECKPOINT_VERSION,
                config: RunConfig::default(),
                tasks_done: 2,
                class_names: vec!["a".into(), "b".into()],
                rng: RngState::of(&rng_for(3, "run")),
                measured: Measured {
                    acc_matrix: vec![vec![0.5, 0.0], vec![0.25, 0.75]],
                    f1_matrix: vec![vec![0.5, 0.0], vec![0.25, 0.75]],
                    random_init: vec![0.1, 0.2],
                    a: vec![0.5, 0.5],
                    u: vec![0.5, 0.75],
                    gamma: Vec::new(),
                    loss: Vec::new(),
                    divergences: Vec::new(),
                    forked: None,
                },
                elapsed_s: 1.5,
                train_seconds: 1.0,
                train_samples: 64,
                strategy: serde_json::json!({"memory": [[1, 2], [0]], "previous": {"image": 1.0, "text": 0.75}}),
            },
            model: vec![1, 2, 3],
            tensors: vec![
                ("fisher/7".into(), vec![0.5, -1.0]),
                ("fisher/9".into(), vec![]),
            ],
        }
    }

    #[test]
    fn bytes_round_trip() {
        let c = sample();
        assert_eq!(Checkpoint::from_bytes(&c.to_bytes()).unwrap(), c);
        let mut none = sample();
        none.tensors.clear();
        none.header.strategy = serde_json::Value::Null;
        assert_eq!(Checkpoint::from_bytes(&none.to_bytes()).unwrap(), none);
    }

    #[test]
    fn bad_bytes_are_errors_not_panics() {
        let good = sample().to_bytes();
        assert!(Checkpoint::from_bytes(&[]).is_err());
        assert!(Checkpoint::from_bytes(b"garbage that is long enough").is_err());
        for cut in [7, 8, 12, 20, good.len() - 3, good.len() - 1] {
            let err = Checkpoint::from_bytes(&good[..cut]).unwrap_err();
            assert!(!err.is_empty());
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(Checkpoint::from_bytes(&longer).is_err());
        // a length field pointing far past the end
        let mut huge = good.clone();
        huge[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(Checkpoint::from_bytes(&huge).is_err());
    }

    #[test]
    fn the_random_stream_resumes_where_it_was() {
        use rand::RngCore;
        let mut rng = rng_for(5, "run");
        rng.next_u64();
        let state = RngState::of(&rng);
        let mut back = state.rng().unwrap();
        assert_eq!(back.next_u64(), rng.next_u64());
    }

    #[test]
    fn a_model_packs_and_loads_with_its_parameter_ids() {
        let device = Device::flex();
        let config = crate::model::ModelConfig::default();
        let model = Model::new(&config, true, &mut rng_for(1, "m"), &device).expand_to(
            4,
            &mut rng_for(1, "c"),
            &device,
        );
        let bytes = pollster::block_on(model_bytes(&model));
        let fresh = Model::new(&config, true, &mut rng_for(2, "m"), &device).expand_to(
            4,
            &mut rng_for(2, "c"),
            &device,
        );
        let loaded = load_model(fresh, &bytes).unwrap();
        let flat = |m: &Model| -> HashMap<ParamId, Tensor<1>> {
            crate::strategy::params::flat_params(m)
                .into_iter()
                .collect()
        };
        let (a, b) = (flat(&model), flat(&loaded));
        assert_eq!(a.len(), b.len());
        for (id, t) in &a {
            let u = b.get(id).expect("same parameter ids");
            assert_eq!(t.to_data(), u.to_data());
        }
        // a model of another shape is refused, not half-loaded
        let other = Model::new(&config, true, &mut rng_for(2, "m"), &device);
        assert!(load_model(other, &bytes).is_err());
        assert!(load_model(model, b"not a burnpack").is_err());
    }
}
