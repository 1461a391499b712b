//! Messages between the page and the training worker, as JSON strings.
//! The page never touches a tensor; the worker never touches the DOM.

use palimpsest_core::metrics::ModalityGains;
use palimpsest_core::run::bench::{BenchPlan, BenchReport};
use palimpsest_core::run::{Event, RunConfig};
use serde::{Deserialize, Serialize};

/// Which device the worker should train on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    /// WebGPU when the browser offers a hardware adapter, else the CPU.
    Auto,
    Webgpu,
    Cpu,
}

impl DeviceChoice {
    /// From the page's `?device=` parameter.
    pub fn parse(s: Option<&str>) -> DeviceChoice {
        match s.map(str::to_ascii_lowercase).as_deref() {
            Some("webgpu") | Some("gpu") => DeviceChoice::Webgpu,
            Some("cpu") => DeviceChoice::Cpu,
            _ => DeviceChoice::Auto,
        }
    }
}

/// One image–caption pair the user uploaded, already decoded by the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSample {
    /// `IMAGE_BYTES` of RGB.
    pub image: Vec<u8>,
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewClass {
    pub name: String,
    pub samples: Vec<UserSample>,
}

/// One sample of a modality the user made for a class of the stream: a
/// drawing of the sketch pad or a recording's log-mel picture, as pixels like
/// a pack's (`IMAGE_BYTES`, grey as RGB).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModalSample {
    pub class: String,
    pub pixels: Vec<u8>,
}

/// A test sample, named by its task (1-based) and its index in that task's test set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SampleRef {
    pub task: usize,
    pub index: usize,
}

/// First element of the binary message that carries a run's checkpoint,
/// either way: `[CHECKPOINT_TAG, run, tasks_done, Uint8Array]`. The bytes
/// stay out of JSON (a model is megabytes) and are transferred, not copied.
pub const CHECKPOINT_TAG: &str = "checkpoint";

/// Page → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Command {
    Init {
        device: DeviceChoice,
        /// Test hook (`?fault=N`): the worker fails like a lost device at the
        /// start of task N, to exercise the move to the CPU.
        #[serde(default)]
        fault_at_task: Option<usize>,
        /// Test hook (`?diverge=TASK:STEP[,…]`): the loss of those steps of
        /// the next run is made NaN (each once), as the CLI's
        /// `PALIMPSEST_DIVERGE_AT` does: no setting within its range makes
        /// the small models diverge.
        #[serde(default)]
        diverge_at: Option<String>,
    },
    /// Builds a bundled scenario's stream (replaces any added classes).
    Load {
        scenario: String,
        seed: u64,
    },
    /// Appends the classes as one new task of the stream.
    AddClasses {
        classes: Vec<NewClass>,
    },
    /// Appends `count` image–caption pairs of the bundled pack's subgroup
    /// `subgroup` as one new class of one new task, exactly as a visitor's
    /// upload of them would (each caption the item's name and tags): the
    /// lesson's "your own class" step, on the bundled data.
    AddExample {
        subgroup: String,
        count: usize,
    },
    /// Appends the user's samples of a new modality (`sketch` or `speech`)
    /// of classes the stream has, as one new task. The next run trains it
    /// (a model cannot take a modality in the middle of a run).
    AddModality {
        modality: String,
        samples: Vec<ModalSample>,
    },
    Start {
        run: usize,
        config: Box<RunConfig>,
    },
    /// Goes on with run `run` from the checkpoint sent just before this
    /// command (a binary message, see [`CHECKPOINT_TAG`]).
    Continue {
        run: usize,
    },
    /// What if run `from` had gone on with `strategy`: a new run `run`
    /// from the boundary checkpoint sent just before this command (as for
    /// [`Command::Continue`]).
    Fork {
        run: usize,
        strategy: palimpsest_core::strategy::StrategyConfig,
    },
    Pause,
    Resume,
    /// Trains until the current task is evaluated, then pauses.
    StepTask,
    Stop,
    /// The sample whose attention maps the page shows.
    Select {
        sample: SampleRef,
    },
    /// Times the training step and one prediction of `config`'s model on
    /// the worker's device (`bench/browser.mjs`; the page has no button for
    /// it). Refused while a run trains.
    Bench {
        config: Box<RunConfig>,
        plan: BenchPlan,
    },
    /// Top-5 classes on the current model for a test sample or an uploaded pair.
    Predict {
        sample: Option<SampleRef>,
        image: Option<Vec<u8>>,
        text: Option<String>,
        /// A drawing or a recording instead: (modality, pixels).
        #[serde(default)]
        other: Option<(String, Vec<u8>)>,
    },
}

/// A sample as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleView {
    pub at: SampleRef,
    /// `data:image/png;base64,…`
    pub png: String,
    pub caption: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassView {
    pub name: String,
    pub train: usize,
    pub test: usize,
    pub samples: Vec<SampleView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskView {
    pub index: usize,
    pub classes: Vec<ClassView>,
    /// Added by the user (not part of the bundled stream).
    pub custom: bool,
    /// What its samples hold ("image", "text", "sketch", "speech").
    #[serde(default)]
    pub modalities: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetView {
    pub scenario: String,
    pub tasks: Vec<TaskView>,
}

impl DatasetView {
    /// Every class of the stream once, in order of arrival.
    pub fn class_names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in self.tasks.iter().flat_map(|t| &t.classes) {
            if !out.contains(&c.name) {
                out.push(c.name.clone());
            }
        }
        out
    }
}

/// Where one model looks for one sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapView {
    /// The model after this task.
    pub after_task: usize,
    /// One weight per image patch, row-major, `side × side`.
    pub image: Vec<f32>,
    pub side: usize,
    pub words: Vec<String>,
    pub text: Vec<f32>,
    pub predicted: String,
    pub probability: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttentionView {
    pub sample: SampleView,
    pub truth: String,
    /// The model before the latest task (absent until two tasks are done).
    pub before: Option<MapView>,
    pub after: MapView,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    Running,
    Paused,
    Stopped,
    Finished,
}

/// Worker → page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// The worker's wasm is loaded and listening.
    Alive,
    /// The device is chosen; `notice` says why it is not the one asked for.
    Ready {
        backend: String,
        gpu: bool,
        notice: Option<String>,
    },
    Dataset(Box<DatasetView>),
    Events {
        run: usize,
        events: Vec<Event>,
    },
    State {
        run: usize,
        state: RunState,
    },
    Attention(Box<AttentionView>),
    /// Where the model looks for the probe sample (task 1's first test
    /// pair) at the task boundary the run just reached: the rewind's maps.
    Probe {
        run: usize,
        view: Box<AttentionView>,
    },
    /// What the run's rehearsal memory holds after its latest task (its
    /// samples are training samples: their `at.task` is 0).
    Memory {
        run: usize,
        samples: Vec<SampleView>,
    },
    Prediction {
        top: Vec<(String, f64)>,
    },
    /// What [`Command::Bench`] measured, on the device `backend` names.
    Bench {
        backend: String,
        report: Box<BenchReport>,
    },
    /// A run of a stream whose tasks bring modalities is measured against
    /// experts, each trained on one task alone: this one trains now.
    Experts {
        run: usize,
        task: usize,
        tasks: usize,
    },
    /// The run's relative gains against its experts (the record's
    /// `modality_gains`).
    Gains {
        run: usize,
        gains: Box<ModalityGains>,
    },
    /// The worker switched device (e.g. WebGPU failed) and says so.
    Notice {
        message: String,
    },
    Error {
        message: String,
    },
    /// The worker hit a fault it cannot go on from (e.g. the GPU device was lost).
    Crashed {
        message: String,
    },
}

/// The binary message that carries a checkpoint, and the list of buffers to
/// transfer with it.
pub fn checkpoint_message(
    run: usize,
    tasks_done: usize,
    bytes: &js_sys::Uint8Array,
) -> (js_sys::Array, js_sys::Array) {
    let transfer = js_sys::Array::of1(&bytes.buffer());
    let msg = js_sys::Array::of4(
        &CHECKPOINT_TAG.into(),
        &(run as f64).into(),
        &(tasks_done as f64).into(),
        bytes,
    );
    (msg, transfer)
}

/// Reads [`checkpoint_message`]: `(run, tasks_done, bytes)`, or `None` for
/// any other message.
pub fn read_checkpoint_message(
    data: &wasm_bindgen::JsValue,
) -> Option<(usize, usize, js_sys::Uint8Array)> {
    use wasm_bindgen::JsCast;
    let msg = data.dyn_ref::<js_sys::Array>()?;
    if msg.length() != 4 || msg.get(0).as_string().as_deref() != Some(CHECKPOINT_TAG) {
        return None;
    }
    let run = msg.get(1).as_f64()? as usize;
    let tasks_done = msg.get(2).as_f64()? as usize;
    let bytes = msg.get(3).dyn_into::<js_sys::Uint8Array>().ok()?;
    Some((run, tasks_done, bytes))
}

impl Reply {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("replies serialise")
    }
}

impl Command {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("commands serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_replies_round_trip() {
        let c = Command::Start {
            run: 2,
            config: Box::new(RunConfig::default()),
        };
        assert_eq!(serde_json::from_str::<Command>(&c.to_json()).unwrap(), c);
        let r = Reply::State {
            run: 1,
            state: RunState::Paused,
        };
        assert_eq!(serde_json::from_str::<Reply>(&r.to_json()).unwrap(), r);
        // what bench/browser.mjs writes by hand
        let bench = r#"{"cmd":"bench","config":{},"plan":{"warmup":1,"steps":2,"tasks":1}}"#;
        match serde_json::from_str::<Command>(bench).unwrap() {
            Command::Bench { config, plan } => {
                assert_eq!(*config, RunConfig::default());
                assert_eq!((plan.warmup, plan.steps, plan.tasks), (1, 2, 1));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(DeviceChoice::parse(Some("WebGPU")), DeviceChoice::Webgpu);
        // a modality task repeats classes: each is named once, in order
        let class = |name: &str| ClassView {
            name: name.into(),
            train: 1,
            test: 1,
            samples: Vec::new(),
        };
        let task = |index, names: &[&str]| TaskView {
            index,
            classes: names.iter().map(|n| class(n)).collect(),
            custom: false,
            modalities: Vec::new(),
        };
        let d = DatasetView {
            scenario: "modality".into(),
            tasks: vec![task(1, &["cat", "owl"]), task(2, &["owl", "cat", "fig"])],
        };
        assert_eq!(d.class_names(), ["cat", "owl", "fig"]);
        assert_eq!(DeviceChoice::parse(None), DeviceChoice::Auto);
    }
}
