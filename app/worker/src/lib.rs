//! The training web worker of the browser app: holds the stream and the
//! models, runs the core's step-wise [`Runner`], and posts its events to the
//! page (messages in `palimpsest_app::protocol`). Built by Trunk as its own
//! wasm module, so the page's module carries no training code.

mod device;
mod train;
pub mod views;

use std::cell::RefCell;
use std::rc::Rc;

use palimpsest_core::data::folder::append_task;
use palimpsest_core::data::{Sample, Scenario};
use palimpsest_core::model::{Model, ModelConfig};
use palimpsest_core::run::{Runner, build_scenario, top_k};
use palimpsest_core::strategy::Env;
use palimpsest_core::strategy::fault::Faulty;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use palimpsest_app::protocol::{
    AttentionView, Command, ModalSample, NewClass, Reply, RunState, SampleRef,
    read_checkpoint_message,
};

/// What the page asked the running loop to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Run,
    Pause,
    /// Run until the current task is evaluated, then pause.
    StepTask,
    Stop,
}

/// The worker's state between messages.
struct State {
    device: Option<device::Chosen>,
    scenario: Option<Scenario>,
    /// Tasks of the bundled stream (the rest were added by the user).
    bundled: usize,
    seed: u64,
    /// The current run's runner when no loop holds it (paused runs are
    /// held by their loop; finished ones rest here so they can be extended).
    idle_runner: Option<Runner>,
    /// Tasks added while a loop holds the runner; it applies them.
    pending: Vec<palimpsest_core::data::Task>,
    run: usize,
    looping: bool,
    control: Control,
    /// The model before the latest task and after it, with their task.
    before: Option<(usize, Model)>,
    after: Option<(usize, Model)>,
    selected: SampleRef,
    /// The current run's model shape (for inference on its models).
    model_config: ModelConfig,
    /// A checkpoint the page sent to go on from: (run, bytes).
    checkpoint: Option<(usize, Vec<u8>)>,
    /// Test hook: fail like a lost device when this task starts.
    fault_at_task: Option<usize>,
    /// Test hook: steps (task, step) of the next run whose loss is made NaN.
    diverge_at: Vec<(usize, usize)>,
    /// The experts of modality runs trained so far, by their key
    /// (`run::experts::expert_key`): runs of one stream and config share them.
    experts: std::collections::HashMap<String, palimpsest_core::metrics::Expert>,
}

type Shared = Rc<RefCell<State>>;

thread_local! {
    static STATE: Shared = Rc::new(RefCell::new(State {
        device: None,
        scenario: None,
        bundled: 0,
        seed: 7,
        idle_runner: None,
        pending: Vec::new(),
        run: 0,
        looping: false,
        control: Control::Run,
        before: None,
        after: None,
        selected: SampleRef { task: 1, index: 0 },
        model_config: ModelConfig::default(),
        checkpoint: None,
        fault_at_task: None,
        diverge_at: Vec::new(),
        experts: std::collections::HashMap::new(),
    }));
}

fn state() -> Shared {
    STATE.with(Rc::clone)
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

pub fn post(reply: &Reply) {
    // a closed page is the only way this fails; nothing left to tell then
    let _ = scope().post_message(&JsValue::from_str(&reply.to_json()));
}

fn error(message: impl Into<String>) {
    post(&Reply::Error {
        message: message.into(),
    });
}

pub use palimpsest_app::adapter::sleep;

/// Entry point: runs once when the worker's wasm is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        post(&Reply::Crashed {
            message: info.to_string(),
        });
    }));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|ev: MessageEvent| {
        let data = ev.data();
        if let Some((run, _, bytes)) = read_checkpoint_message(&data) {
            state().borrow_mut().checkpoint = Some((run, bytes.to_vec()));
            return;
        }
        let Some(text) = data.as_string() else {
            return error("the worker got a message it does not know");
        };
        match serde_json::from_str::<Command>(&text) {
            Ok(cmd) => wasm_bindgen_futures::spawn_local(handle(cmd)),
            Err(e) => error(format!("the worker got a malformed command: {e}")),
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&Reply::Alive);
}

fn env(device: &device::Chosen, model: &ModelConfig, seed: u64) -> Env {
    Env {
        device: device.device.clone(),
        autodiff: device.device.clone().autodiff(),
        model: model.clone(),
        batch_size: 128,
        seed,
    }
}

async fn handle(cmd: Command) {
    let st = state();
    match cmd {
        Command::Init {
            device,
            fault_at_task,
            diverge_at,
        } => {
            st.borrow_mut().fault_at_task = fault_at_task;
            if let Some(points) = diverge_at {
                match Faulty::parse_points(&points) {
                    Ok(p) => st.borrow_mut().diverge_at = p,
                    Err(e) => error(format!("?diverge={points}: {e}")),
                }
            }
            let chosen = device::choose(device).await;
            post(&Reply::Ready {
                backend: chosen.label.clone(),
                gpu: chosen.gpu,
                notice: chosen.notice.clone(),
            });
            st.borrow_mut().device = Some(chosen);
        }
        Command::Load { scenario, seed } => load(&st, &scenario, seed).await,
        Command::AddClasses { classes } => add_classes(&st, classes).await,
        Command::AddExample { subgroup, count } => match example_class(&subgroup, count) {
            Ok(class) => add_classes(&st, vec![class]).await,
            Err(e) => error(e),
        },
        Command::AddModality { modality, samples } => add_modality(&st, &modality, samples),
        Command::Start { run, config } => train::start(st, run, *config).await,
        Command::Continue { run } => train::continue_from(st, run, None).await,
        Command::Fork { run, strategy } => train::continue_from(st, run, Some(strategy)).await,
        Command::Pause => set_control(&st, Control::Pause),
        Command::Resume => train::resume(st, Control::Run).await,
        Command::StepTask => train::resume(st, Control::StepTask).await,
        Command::Stop => set_control(&st, Control::Stop),
        Command::Select { sample } => {
            st.borrow_mut().selected = sample;
            send_attention(&st).await;
        }
        Command::Predict {
            sample,
            image,
            text,
            other,
        } => predict(&st, sample, image, text, other).await,
        Command::Bench { config, plan } => bench(&st, *config, plan).await,
    }
}

/// Times `config`'s training step on the worker's device.
async fn bench(
    st: &Shared,
    config: palimpsest_core::run::RunConfig,
    plan: palimpsest_core::run::bench::BenchPlan,
) {
    let (device, backend) = {
        let s = st.borrow();
        if s.looping {
            return error("stop the run before timing the model");
        }
        let Some(chosen) = s.device.as_ref() else {
            return error("the worker has no device yet");
        };
        (chosen.device.clone(), chosen.label.clone())
    };
    let scenario = match build_scenario(&config, None) {
        Ok(s) => s,
        Err(e) => return error(e.to_string()),
    };
    match palimpsest_core::run::bench::bench(&config, &scenario, &device, plan).await {
        Ok(report) => post(&Reply::Bench {
            backend,
            report: Box::new(report),
        }),
        Err(e) => error(e.to_string()),
    }
}

fn set_control(st: &Shared, c: Control) {
    let mut s = st.borrow_mut();
    s.control = c;
    if c == Control::Stop && !s.looping && s.idle_runner.take().is_some() {
        post(&Reply::State {
            run: s.run,
            state: RunState::Stopped,
        });
    }
}

/// The bytes of a file beside the page (the worker's scripts are there too).
async fn fetch_bytes(file: &str) -> Result<Vec<u8>, String> {
    use wasm_bindgen_futures::JsFuture;
    let failed = |e: JsValue| format!("{file} could not be loaded: {e:?}");
    let response: web_sys::Response = JsFuture::from(scope().fetch_with_str(file))
        .await
        .map_err(failed)?
        .dyn_into()
        .map_err(failed)?;
    if !response.ok() {
        return Err(format!(
            "{file} could not be loaded: the server answered {}",
            response.status()
        ));
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(failed)?)
        .await
        .map_err(failed)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

async fn load(st: &Shared, name: &str, seed: u64) {
    use palimpsest_core::data::modality::{pack_file, packs_needed, provide, provided};
    if st.borrow().looping {
        return error("stop the run before loading another scenario");
    }
    // the packs of the other modalities come beside the page, on demand
    for m in packs_needed(name) {
        if provided(m) {
            continue;
        }
        // the page says "Loading the bundled dataset…" until the stream comes
        let file = pack_file(m).expect("a needed pack has a file");
        let loaded = fetch_bytes(file).await.and_then(|b| provide(m, &b));
        if let Err(e) = loaded {
            return error(e);
        }
    }
    let mut s = st.borrow_mut();
    if s.looping {
        return error("stop the run before loading another scenario");
    }
    let config = palimpsest_core::run::RunConfig {
        scenario: name.to_string(),
        seed,
        ..Default::default()
    };
    match build_scenario(&config, None) {
        Ok(scenario) => {
            s.bundled = scenario.tasks.len();
            s.seed = seed;
            post(&Reply::Dataset(Box::new(views::dataset_view(
                &scenario, s.bundled,
            ))));
            s.scenario = Some(scenario);
            s.idle_runner = None;
            s.before = None;
            s.after = None;
            s.selected = SampleRef { task: 1, index: 0 };
        }
        Err(e) => error(e.to_string()),
    }
}

/// Appends the user's classes as a new task; a run that exists goes on into it.
async fn add_classes(st: &Shared, classes: Vec<NewClass>) {
    let (task, names, extend_idle) = {
        let mut s = st.borrow_mut();
        let seed = s.seed;
        let bundled = s.bundled;
        let Some(scenario) = s.scenario.as_mut() else {
            return error("load a scenario before adding classes");
        };
        let classes: Vec<(String, Vec<Sample>)> = classes
            .into_iter()
            .map(|c| {
                let samples = c
                    .samples
                    .into_iter()
                    .map(|u| Sample::image_text(Some(u.image), u.text, 0))
                    .collect();
                (c.name, samples)
            })
            .collect();
        let mut grown = scenario.clone();
        if let Err(e) = append_task(&mut grown, &classes, seed) {
            return error(e);
        }
        *scenario = grown;
        post(&Reply::Dataset(Box::new(views::dataset_view(
            scenario, bundled,
        ))));
        let task = scenario.tasks.last().cloned().expect("just appended");
        let names = scenario.class_names.clone();
        if s.looping {
            s.pending.push(task);
            return;
        }
        (task, names, s.idle_runner.is_some())
    };
    if extend_idle {
        let runner = st.borrow_mut().idle_runner.take();
        if let Some(mut runner) = runner {
            match runner.extend(task, names).await {
                Ok(()) => {
                    st.borrow_mut().idle_runner = Some(runner);
                    train::resume(st.clone(), Control::Run).await;
                }
                Err(e) => error(e.to_string()),
            }
        }
    }
}

/// `count` pairs of the bundled pack's `subgroup` as a visitor's upload
/// would bring them (core's `example_pairs`).
fn example_class(subgroup: &str, count: usize) -> Result<NewClass, String> {
    let pairs = palimpsest_core::data::entity::example_pairs(
        palimpsest_core::data::pack::bundled(),
        subgroup,
        count,
    )?;
    Ok(NewClass {
        name: subgroup.to_string(),
        samples: pairs
            .into_iter()
            .map(|(image, text)| palimpsest_app::protocol::UserSample {
                image,
                text: Some(text),
            })
            .collect(),
    })
}

/// Appends the user's drawings or recordings of classes of the stream as a
/// new task of their modality. A run that exists stays as it is: the next
/// run trains the task (its model gets the modality's encoder).
fn add_modality(st: &Shared, modality: &str, samples: Vec<ModalSample>) {
    use palimpsest_core::data::Modality;
    use palimpsest_core::data::modality::{ModalityOptions, user_task};
    let mut s = st.borrow_mut();
    if s.looping {
        return error("stop the run before adding a modality: the next run trains it");
    }
    let (seed, bundled) = (s.seed, s.bundled);
    let Some(scenario) = s.scenario.as_mut() else {
        return error("load a scenario before adding a modality");
    };
    let Some(m) = Modality::by_name(modality) else {
        return error(format!("there is no modality called {modality:?}"));
    };
    let mut given = Vec::new();
    for x in samples {
        let Some(label) = scenario.class_names.iter().position(|c| *c == x.class) else {
            return error(format!("the stream has no class {:?}", x.class));
        };
        given.push((label, x.pixels));
    }
    let copies = ModalityOptions::default().copies(m);
    let mut task = match user_task(m, &given, &scenario.class_names, seed, copies) {
        Ok(t) => t,
        Err(e) => return error(e),
    };
    let mut grown = scenario.clone();
    task.index = grown.tasks.len() + 1;
    grown.tasks.push(task);
    if let Err(e) = grown.validate() {
        return error(e);
    }
    *scenario = grown;
    post(&Reply::Dataset(Box::new(views::dataset_view(
        scenario, bundled,
    ))));
    if s.idle_runner.take().is_some() {
        post(&Reply::Notice {
            message: format!(
                "The {} task joins the stream: start a new run to train it (the finished run stays as it is).",
                m.name()
            ),
        });
    }
}

/// Attention of the models before and after the latest task on the selected sample.
async fn send_attention(st: &Shared) {
    let at = st.borrow().selected;
    match attention_view(st, at).await {
        Ok(Some(view)) => post(&Reply::Attention(Box::new(view))),
        Ok(None) => {}
        Err(e) => error(e),
    }
}

/// The sample every boundary's maps are drawn for, so that a rewind shows
/// how the model's look at one picture changed: task 1's first test pair.
const PROBE: SampleRef = SampleRef { task: 1, index: 0 };

/// The probe's maps at the boundary the run just reached, to the page.
async fn send_probe(st: &Shared, run: usize) {
    if let Ok(Some(view)) = attention_view(st, PROBE).await {
        post(&Reply::Probe {
            run,
            view: Box::new(view),
        });
    }
}

/// Where the models before and after the latest task look for sample
/// `at`; `None` before a task is trained.
async fn attention_view(st: &Shared, at: SampleRef) -> Result<Option<AttentionView>, String> {
    let (sample, before, after, env, names) = {
        let s = st.borrow();
        let (Some(scenario), Some(device)) = (&s.scenario, &s.device) else {
            return Ok(None);
        };
        let Some(after) = s.after.clone() else {
            return Ok(None);
        };
        let Some(sample) = views::lookup(scenario, at) else {
            return Err("that sample is not in the stream".into());
        };
        let env = env(device, &s.model_config, s.seed);
        (
            sample.clone(),
            s.before.clone(),
            after,
            env,
            scenario.class_names.clone(),
        )
    };
    let after_view = views::map_view(&after.1, &sample, &env, after.0, &names).await;
    let before_view = match &before {
        Some((k, m)) => Some(views::map_view(m, &sample, &env, *k, &names).await),
        None => None,
    };
    Ok(Some(AttentionView {
        sample: views::sample_view(&sample, at),
        truth: names.get(sample.label).cloned().unwrap_or_default(),
        before: before_view,
        after: after_view,
    }))
}

async fn predict(
    st: &Shared,
    at: Option<SampleRef>,
    image: Option<Vec<u8>>,
    text: Option<String>,
    other: Option<(String, Vec<u8>)>,
) {
    let (sample, model, env, names) = {
        let s = st.borrow();
        let (Some(scenario), Some(device)) = (&s.scenario, &s.device) else {
            return error("the worker is not ready yet");
        };
        let Some((_, model)) = s.after.clone() else {
            return error("train at least one task before asking the model");
        };
        let sample = match at {
            Some(at) => match views::lookup(scenario, at) {
                Some(x) => x.clone(),
                None => return error("that sample is not in the stream"),
            },
            None if other.is_some() => {
                use palimpsest_core::data::{IMAGE_BYTES, Input, InputKind, Modality};
                let (name, pixels) = other.expect("checked");
                let Some(m) = Modality::by_name(&name).filter(|m| m.kind() == InputKind::Pixels)
                else {
                    return error(format!("the model cannot be asked with {name:?}"));
                };
                if pixels.len() != IMAGE_BYTES {
                    return error(format!("the {name} picture has the wrong size"));
                }
                if !s
                    .after
                    .as_ref()
                    .is_some_and(|(_, model)| model.modalities().contains(&m))
                {
                    return error(format!(
                        "the model has not learnt {name}: train a stream with a {name} task first"
                    ));
                }
                Sample::new(0).with(m, Input::Pixels(pixels))
            }
            None => {
                let text = text.filter(|t| !t.trim().is_empty());
                if image.is_none() && text.is_none() {
                    return error("give an image, a caption, or both");
                }
                if image
                    .as_ref()
                    .is_some_and(|i| i.len() != palimpsest_core::data::IMAGE_BYTES)
                {
                    return error("the image has the wrong size");
                }
                Sample::image_text(image, text, 0)
            }
        };
        let env = env(device, &s.model_config, s.seed);
        (sample, model, env, scenario.class_names.clone())
    };
    let top = top_k(&model, &sample, &env, 5).await;
    post(&Reply::Prediction {
        top: top
            .into_iter()
            .map(|(c, p)| (names.get(c).cloned().unwrap_or_default(), p))
            .collect(),
    });
}
