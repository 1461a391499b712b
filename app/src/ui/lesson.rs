//! The guided lesson (`?lesson`, or "Lesson" on the page): ten steps, one
//! idea each, each run with one click or one key (→) on the bundled data.
//! A step's text quotes the numbers of the runs the lesson trained
//! ("task 1 fell from 100 % to 0 %"), never numbers written in advance:
//! until its run has measured them, the text says what will be measured.
//!
//! The lesson drives the page through the session's commands only: a step
//! sets a goal (a stream, a strategy, how many tasks), and one effect moves
//! the runs towards it as the worker becomes free.

use leptos::prelude::*;
use palimpsest_core::run::RunConfig;
use palimpsest_core::strategy::StrategyConfig;

use super::session::{self, busy};
use super::state::{AppState, RunView};
use crate::protocol::RunState;

/// Where a step's run comes from: its key names it across steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Train {
    /// The lesson's name for the run ("finetune" on the teaching stream…).
    pub key: &'static str,
    pub scenario: &'static str,
    pub strategy: &'static str,
    /// Train until this many tasks are evaluated (then pause); `None`: all.
    pub upto: Option<usize>,
}

/// What a step does when it is run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Act {
    /// Load a stream, train nothing.
    Load(&'static str),
    Train(Train),
    /// Train the run, then add a class of `count` pictures of the bundled
    /// `subgroup` as a visitor's upload would, and let the run learn it.
    AddClass {
        train: Train,
        subgroup: &'static str,
        count: usize,
    },
}

/// One step: its title, its action, the cells of the matrix it points at,
/// the chart it shows in presenter mode, and the paper it comes from.
pub struct Step {
    pub title: &'static str,
    pub act: Act,
    pub chart: Chart,
    pub paper: Option<(&'static str, &'static str)>,
}

/// The one chart a step shows beside the matrix in presenter mode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Chart {
    /// A_k and U_k of the step's run.
    Curves,
    /// A_k of every run the lesson trained on the step's stream.
    Compare,
    /// γ and g (MSPT's gradient modulation).
    Gamma,
    /// The attention maps before and after the latest task.
    Attention,
}

const TEACHING: &str = "teaching";
/// The class the last step adds: a subgroup of the bundled pack that no
/// task of the teaching stream has (and the pretrained encoders never saw).
const OWN_CLASS: &str = "drink";
/// How many pictures of it the step adds.
const OWN_COUNT: usize = 10;
const SEED: u64 = 7;

const fn train(
    key: &'static str,
    scenario: &'static str,
    strategy: &'static str,
    upto: Option<usize>,
) -> Act {
    Act::Train(Train {
        key,
        scenario,
        strategy,
        upto,
    })
}

/// The lesson's steps, in order.
pub const STEPS: [Step; 10] = [
    Step {
        title: "A stream of tasks",
        act: Act::Load(TEACHING),
        chart: Chart::Curves,
        paper: None,
    },
    Step {
        title: "Train task 1",
        act: train("finetune", TEACHING, "finetune", Some(1)),
        chart: Chart::Curves,
        paper: None,
    },
    Step {
        title: "Train task 2, and watch task 1",
        act: train("finetune", TEACHING, "finetune", Some(2)),
        chart: Chart::Curves,
        paper: None,
    },
    Step {
        title: "Reading the matrix: A_k, U_k, BWT, forgetting",
        act: train("finetune", TEACHING, "finetune", None),
        chart: Chart::Curves,
        paper: Some((
            "GEM: BWT (Lopez-Paz & Ranzato 2017)",
            "https://arxiv.org/abs/1706.08840",
        )),
    },
    Step {
        title: "Replay: keep a few old examples",
        act: train("replay", TEACHING, "replay", None),
        chart: Chart::Compare,
        paper: Some((
            "Tiny episodic memories (Chaudhry et al. 2019)",
            "https://arxiv.org/abs/1902.10486",
        )),
    },
    Step {
        title: "EWC: hold on to the weights that mattered",
        act: train("ewc", TEACHING, "ewc", None),
        chart: Chart::Compare,
        paper: Some((
            "EWC (Kirkpatrick et al. 2017)",
            "https://arxiv.org/abs/1612.00796",
        )),
    },
    Step {
        title: "MSPT: four parts against forgetting",
        act: train("mspt", TEACHING, "mspt", None),
        chart: Chart::Gamma,
        paper: Some((
            "MSPT: continual multimodal KG construction (2023)",
            "https://arxiv.org/abs/2305.08698",
        )),
    },
    Step {
        title: "Relations forget too",
        act: train("relation", "relation", "finetune", None),
        chart: Chart::Attention,
        paper: Some((
            "MSPT's relation benchmark (2023)",
            "https://arxiv.org/abs/2305.08698",
        )),
    },
    Step {
        title: "A new modality: sketches",
        act: train("mera", "modality-sketch", "mera", None),
        chart: Chart::Compare,
        paper: Some((
            "MERA: merge, then realign (2025)",
            "https://arxiv.org/search/?query=Merge+then+Realign+Modality-Incremental&searchtype=title",
        )),
    },
    Step {
        title: "A class of your own",
        act: Act::AddClass {
            train: Train {
                key: "own",
                scenario: TEACHING,
                strategy: "finetune",
                upto: None,
            },
            subgroup: OWN_CLASS,
            count: OWN_COUNT,
        },
        chart: Chart::Curves,
        paper: None,
    },
];

/// The run the lesson trained under `key`, if any.
pub fn lesson_run(st: AppState, key: &str) -> Option<RunView> {
    let id = st
        .lesson_runs
        .with(|l| l.iter().find(|(k, _)| k == key).map(|(_, id)| *id))?;
    st.runs.with(|r| r.iter().find(|v| v.id == id).cloned())
}

fn pct(v: f64) -> String {
    format!("{:.0} %", v * 100.0)
}

fn cell(r: &RunView, i: usize, j: usize) -> Option<f64> {
    r.acc.get(i).and_then(|row| row.get(j)).copied()
}

/// The step's explanation, with the numbers its runs measured so far.
pub fn text(st: AppState, step: usize) -> String {
    let ft = lesson_run(st, "finetune");
    let ft_rows = ft.as_ref().map_or(0, |r| r.acc.len());
    let last_a = |r: &RunView| r.a.last().copied();
    let final_of = |key: &str| -> Option<(f64, f64)> {
        let r = lesson_run(st, key)?;
        (r.state == Some(RunState::Finished)).then_some(())?;
        Some((last_a(&r)?, cell(&r, r.acc.len() - 1, 0)?))
    };
    match step {
        0 => {
            let tasks = st.dataset.with(|d| {
                d.as_ref().filter(|d| d.scenario == TEACHING).map(|d| {
                    d.tasks
                        .iter()
                        .map(|t| {
                            let names: Vec<&str> = t.classes.iter().map(|c| c.name.as_str()).collect();
                            format!("task {}: {}", t.index, names.join(" or "))
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                })
            });
            format!(
                "A model learns from a stream: tasks arrive one after another, and while it learns a task it sees \
                 only that task's pictures and captions — never the old ones again. This stream has five tasks, \
                 each telling two kinds of emoji apart from their picture and a caption{}. The matrix below will \
                 fill in one row per task: row i is the model after task i, tested on every task.",
                tasks.map(|t| format!(" ({t})")).unwrap_or_default()
            )
        }
        1 => match ft.as_ref().and_then(|r| cell(r, 0, 0)) {
            Some(u) => format!(
                "After training on task 1 alone, the model gets {} of task 1's test pairs right — pairs it never \
                 saw while training. That is the first cell of the matrix. The other cells of the row are the \
                 tasks it has not met yet: it cannot know their classes.",
                pct(u)
            ),
            None => "Press → (or Run this step) to train the model on task 1. The first cell of the matrix will \
                     show how many of task 1's test pairs it then gets right."
                .into(),
        },
        2 => match ft.as_ref().filter(|_| ft_rows >= 2) {
            Some(r) => {
                let (before, after, new) = (
                    cell(r, 0, 0).unwrap_or(0.0),
                    cell(r, 1, 0).unwrap_or(0.0),
                    cell(r, 1, 1).unwrap_or(0.0),
                );
                format!(
                    "Now it learnt task 2 ({}). Look down the first column: task 1 fell from {} to {}. \
                     Nothing was deleted — the same weights were simply moved to serve task 2. This is \
                     catastrophic forgetting, and it is what the rest of the lesson is about.",
                    pct(new),
                    pct(before),
                    pct(after)
                )
            }
            None => "Press → to train task 2 with the same model (plain fine-tuning: it just goes on learning). \
                     Then watch the first column: what happens to task 1?"
                .into(),
        },
        3 => match ft.as_ref().filter(|r| r.state == Some(RunState::Finished)) {
            Some(r) => {
                let m: std::collections::HashMap<&str, f64> = r.metrics().into_iter().collect();
                let u_mean = r.u.iter().sum::<f64>() / r.u.len().max(1) as f64;
                format!(
                    "All five tasks are trained. U_k, the diagonal (framed), is how well each task was learnt \
                     right after it: {} on average. A_k is the accuracy on every task seen so far: after the \
                     last task it is {}. BWT averages how much each old task changed by the end (last row minus \
                     the diagonal): {:+.0} points. Forgetting is the average drop from each task's best: {:.0} \
                     points. High U_k with low A_k: the model learns well and forgets almost everything.",
                    pct(u_mean),
                    pct(m.get("A").copied().unwrap_or(0.0)),
                    m.get("BWT").copied().unwrap_or(0.0) * 100.0,
                    m.get("forgetting").copied().unwrap_or(0.0) * 100.0,
                )
            }
            None => "Press → to train the rest of the stream. Then the four numbers that papers report \
                     are read off the matrix, and the cells each one reads are framed."
                .into(),
        },
        4 => match (final_of("replay"), final_of("finetune")) {
            (Some((a, t1)), Some((fa, ft1))) => format!(
                "Replay keeps a small memory of old examples (the pictures below) and mixes them into every \
                 new task. At the end, task 1 is at {} instead of {} with fine-tuning, and A_5 is {} instead \
                 of {}. The price: memory, and old data kept around.",
                pct(t1),
                pct(ft1),
                pct(a),
                pct(fa)
            ),
            _ => "Replay keeps a few examples of each old task in a small memory and trains on them again \
                  with every new task. Press → to run it on the same stream and seed."
                .into(),
        },
        5 => match (final_of("ewc"), final_of("finetune")) {
            (Some((a, t1)), Some((fa, _))) => format!(
                "EWC keeps no data: it measures which weights mattered for the old tasks and pulls them back \
                 towards their old values. Here A_5 is {} against {} with fine-tuning, and task 1 ends at {}. \
                 With tasks whose classes must all be told apart at the end, a penalty on weights alone holds \
                 little — which is why the papers add memory.",
                pct(a),
                pct(fa),
                pct(t1)
            ),
            _ => "EWC (elastic weight consolidation) protects the weights that mattered for old tasks, \
                  without keeping any data. Press → to run it."
                .into(),
        },
        6 => match final_of("mspt") {
            Some((a, t1)) => {
                let g = lesson_run(st, "mspt")
                    .map(|r| {
                        let damped = r.gamma.iter().filter(|p| p.1 < 1.0).count();
                        format!("{damped} of {} steps", r.gamma.len())
                    })
                    .unwrap_or_default();
                format!(
                    "MSPT combines four parts. GM (gradient modulation) slows the stream that dominates — the \
                     chart shows γ, text against image, and g, the damping: it damped {g}. MI lets both streams \
                     attend to shared keys. AD (attention distillation) keeps the new model looking where the \
                     old one looked — the maps show where it looks. MM is a tiny memory. Result: A_5 {} and \
                     task 1 at {}.",
                    pct(a),
                    pct(t1)
                )
            }
            None => "MSPT (the paper this app reproduces) combines gradient modulation, shared-key \
                     interaction, attention distillation and a tiny memory. Press → to run it."
                .into(),
        },
        7 => match lesson_run(st, "relation").filter(|r| r.state == Some(RunState::Finished)) {
            Some(r) => {
                let f = r.metrics().into_iter().find(|(n, _)| *n == "forgetting").map_or(0.0, |x| x.1);
                format!(
                    "Now the classes are relations — where one picture sits against another (left of, above, \
                     inside…), said by a sentence, with a \"none\" class in every task. Fine-tuning forgets \
                     here too: {:.0} points on average, A_5 {}. The attention maps show where the model \
                     looks in the scene.",
                    f * 100.0,
                    pct(r.a.last().copied().unwrap_or(0.0))
                )
            }
            None => "The same problem with relations: scenes of two pictures, a sentence naming them, and \
                     the class is how they are placed. Press → to train fine-tuning on this stream."
                .into(),
        },
        8 => {
            let gains = lesson_run(st, "mera")
                .and_then(|r| r.record)
                .and_then(|rec| rec.modality_gains)
                .and_then(|g| g.bwrg.last().copied().flatten());
            match (lesson_run(st, "mera"), gains) {
                (Some(r), Some(b)) if r.state == Some(RunState::Finished) => format!(
                    "The second task brings a new modality: hand-drawn sketches of the same classes. MERA \
                     merges what the model knew with what it learns (an average of the shared weights) and \
                     realigns the modality connectors on a small replay. Measured against experts trained on \
                     one task each, the image+text task keeps {b:.0} % of its expert's accuracy (BwRG). \
                     MoDE, the other method here, gives each modality its own small experts."
                ),
                _ => "Tasks can bring new modalities too: first image+caption pairs, then sketches of the same \
                      classes. Press → to train MERA on it (it merges the shared weights and realigns each \
                      modality's connector; then the page measures it against one expert per task)."
                    .into(),
            }
        }
        _ => {
            let own = lesson_run(st, "own").filter(|r| r.acc.len() >= 6 && r.state == Some(RunState::Finished));
            let test = st.dataset.with(|d| {
                d.as_ref()
                    .and_then(|d| d.tasks.get(5))
                    .and_then(|t| t.classes.first())
                    .map(|c| c.test)
            });
            let turn = "Your turn: in Your own data, drop 10 or more pictures with a caption each (a .txt \
                        beside each picture, or a metadata.csv), name the class and add it.";
            match (own, test) {
                (Some(r), Some(test)) => format!(
                    "A new class arrived as a visitor would bring it: {OWN_COUNT} pictures of {OWN_CLASS}s, \
                     each with a caption ({} to learn from, {test} held out). Right after its task, the \
                     model gets {} of the held-out ones right — and task 1, learnt first, is at {}. {turn}",
                    OWN_COUNT.saturating_sub(test),
                    pct(cell(&r, 5, 5).unwrap_or(0.0)),
                    pct(cell(&r, 5, 0).unwrap_or(0.0)),
                ),
                _ => format!(
                    "The stream does not have to end: press → to train it once more and then add a class \
                     the way a visitor would — {OWN_COUNT} pictures of {OWN_CLASS}s, each with a caption. {turn}"
                ),
            }
        }
    }
}

/// A_k of every run the lesson trained on `scenario`, one series each.
pub fn compare_curves(st: AppState, scenario: Option<&str>) -> Vec<super::charts::Series> {
    let keys: Vec<(String, usize)> = st.lesson_runs.get();
    let runs: Vec<RunView> = keys
        .iter()
        .filter_map(|(_, id)| st.runs.with(|r| r.iter().find(|v| v.id == *id).cloned()))
        .filter(|r| {
            scenario.is_none() || r.config.as_ref().map(|c| c.scenario.as_str()) == scenario
        })
        .collect();
    super::results::ak_series(&runs, |r| r.label.clone(), |_| false)
}

/// The cells (row, column, 0-based) the step points at in the matrix.
pub fn highlight(st: AppState, step: usize) -> Vec<(usize, usize)> {
    let Some(r) = lesson_run(st, "finetune") else {
        return Vec::new();
    };
    match step {
        2 => vec![(0, 0), (1, 0)],
        3 => (0..r.acc.len()).map(|i| (i, i)).collect(),
        _ => Vec::new(),
    }
}

/// Which run the page shows during a step.
fn shown_key(step: usize) -> Option<&'static str> {
    match STEPS.get(step)?.act {
        Act::Train(t) | Act::AddClass { train: t, .. } => Some(t.key),
        Act::Load(_) => Some("finetune"),
    }
}

/// Opens the lesson at `step` (0-based) without running it.
pub fn open(st: AppState, step: usize) {
    st.lesson.set(Some(step.min(STEPS.len() - 1)));
}

/// Moves to `step` and runs it: one key per step.
pub fn go(st: AppState, step: usize) {
    let step = step.min(STEPS.len() - 1);
    st.lesson.set(Some(step));
    run_step(st, step);
}

/// Runs the step's action (the drive effect carries it out as the worker
/// becomes free).
pub fn run_step(st: AppState, step: usize) {
    st.lesson_goal.set(Some(step));
}

/// The lesson's config for a run: the page's demo settings of the stream,
/// the step's strategy, the lesson's seed.
fn config_for(t: &Train) -> RunConfig {
    let mut c = RunConfig {
        scenario: t.scenario.to_string(),
        seed: SEED,
        strategy: StrategyConfig::by_name(t.strategy).expect("the lesson names known strategies"),
        ..RunConfig::default()
    };
    let (epochs, lr) = super::demo_settings(t.scenario);
    c.epochs = epochs;
    c.lr = lr;
    c.model.fusion = c.strategy.needs_fusion();
    super::demo_sizes(&mut c);
    c
}

/// Moves the page one command towards the current goal, when the worker
/// can take it; called again whenever the state changes.
fn drive(st: AppState, sent: StoredValue<Option<String>>) {
    let Some(step) = st.lesson_goal.get() else {
        return;
    };
    let once = |what: String, f: &dyn Fn()| {
        if sent.get_value().as_deref() != Some(what.as_str()) {
            sent.set_value(Some(what));
            f();
        }
    };
    let ready = st.ready.get();
    let scenario = st.scenario.get();
    let loaded = st.dataset.with(|d| d.as_ref().map(|d| d.scenario.clone()));
    let want_stream = match STEPS[step].act {
        Act::Load(s) => s,
        Act::Train(t) | Act::AddClass { train: t, .. } => t.scenario,
    };
    // the page's worker is busy with a run that is not the goal's: wait,
    // or stop a paused one that is in the way
    if busy(st) {
        let active = st.active.get();
        let goal_run = match STEPS[step].act {
            Act::Train(t) | Act::AddClass { train: t, .. } => st
                .lesson_runs
                .with(|l| l.iter().find(|(k, _)| *k == t.key).map(|(_, id)| *id)),
            _ => None,
        };
        if active != goal_run {
            if st.run_state.get() == Some(RunState::Paused) {
                once(format!("stop {active:?}"), &|| session::stop(st));
            }
            return;
        }
    }
    if !ready {
        return;
    }
    if scenario != want_stream || loaded.as_deref() != Some(want_stream) || st.seed.get() != SEED {
        if !busy(st) {
            once(format!("load {want_stream}"), &|| {
                session::load(st, want_stream.to_string(), SEED)
            });
        }
        return;
    }
    let (t, add) = match STEPS[step].act {
        Act::Train(t) => (t, None),
        Act::AddClass {
            train,
            subgroup,
            count,
        } => (train, Some((subgroup, count))),
        Act::Load(_) => {
            st.lesson_goal.set(None);
            return;
        }
    };
    let has_class = |name: &str| {
        st.dataset.with(|d| {
            d.as_ref().is_some_and(|d| {
                d.tasks
                    .iter()
                    .any(|t| t.classes.iter().any(|c| c.name == name))
            })
        })
    };
    let run = lesson_run(st, t.key).filter(|r| {
        r.config
            .as_ref()
            .is_some_and(|c| c.scenario == t.scenario && c.seed == SEED)
            && r.state != Some(RunState::Stopped)
    });
    match run {
        None if !busy(st) => once(format!("start {}", t.key), &|| {
            let config = config_for(&t);
            st.strategy.set(config.strategy.clone());
            st.fusion.set(config.model.fusion);
            st.epochs.set(config.epochs);
            st.lr.set(config.lr);
            session::start(st, config);
            let id = st.active.get_untracked().expect("a run was just started");
            st.lesson_runs.update(|l| {
                l.retain(|(k, _)| *k != t.key);
                l.push((t.key.to_string(), id));
            });
            if t.upto.is_some() {
                session::step_task();
            }
        }),
        None => {}
        Some(r) => {
            st.shown.set(Some(r.id));
            let wanted = t.upto.unwrap_or(r.tasks.max(1));
            let done = r.acc.len() >= wanted && r.tasks > 0;
            match r.state {
                Some(RunState::Finished) => match add {
                    // the class goes in once the run has its five tasks;
                    // the finished run goes on to learn it
                    Some((subgroup, count)) if !has_class(subgroup) => {
                        once(format!("add {subgroup}"), &|| {
                            session::send(&crate::protocol::Command::AddExample {
                                subgroup: subgroup.to_string(),
                                count,
                            })
                        })
                    }
                    // until the run has learnt the added task too
                    Some(_)
                        if r.acc.len()
                            < st.dataset.with(|d| d.as_ref().map_or(0, |d| d.tasks.len())) => {}
                    _ => st.lesson_goal.set(None),
                },
                Some(RunState::Paused) if done && t.upto.is_some() => st.lesson_goal.set(None),
                Some(RunState::Paused) => {
                    let rows = r.acc.len();
                    once(format!("go {} {rows}", r.id), &|| {
                        if t.upto.is_some() {
                            session::step_task()
                        } else {
                            session::resume()
                        }
                    })
                }
                _ => {}
            }
        }
    }
}

/// The lesson's panel: its step, the text with the run's numbers, a
/// progress bar, and the buttons (keys → and ←).
#[component]
pub fn Lesson() -> impl IntoView {
    let st = expect_context::<AppState>();
    let sent = StoredValue::new(None::<String>);
    Effect::new(move |_| drive(st, sent));
    // the page shows the step's run, and the matrix frames what it reads
    Effect::new(move |_| {
        let Some(step) = st.lesson.get() else {
            st.highlight.set(Vec::new());
            return;
        };
        st.highlight.set(highlight(st, step));
        if let Some(r) = shown_key(step).and_then(|k| lesson_run(st, k))
            && st.shown.get_untracked() != Some(r.id)
        {
            st.shown.set(Some(r.id));
        }
    });
    let step = move || st.lesson.get().unwrap_or(0);
    let n = STEPS.len();
    let next = move |_| go(st, step() + 1);
    let prev = move |_| open(st, step().saturating_sub(1));
    let waiting = move || st.lesson_goal.get().is_some() && (busy(st) || !st.ready.get());
    view! {
        <Show when=move || st.lesson.get().is_some()>
            <section class="panel lesson" data-testid="lesson" aria-label="guided lesson">
                <div class="lesson-head">
                    <h2>{move || format!("Lesson {} of {n}: {}", step() + 1, STEPS[step()].title)}</h2>
                    <button class="small" title="close the lesson" on:click=move |_| st.lesson.set(None)>"×"</button>
                </div>
                <div class="lesson-progress" data-testid="lesson-step"
                    data-step=move || (step() + 1).to_string() data-steps=n.to_string()>
                    <progress max=n.to_string() prop:value=move || (step() + 1) as f64
                        aria-label="lesson progress"></progress>
                    <span>{move || format!("step {} of {n}", step() + 1)}</span>
                </div>
                <p class="lesson-text" aria-live="polite">{move || text(st, step())}</p>
                <MemoryStrip />
                {move || STEPS[step()].paper.map(|(name, url)| view! {
                    <p class="muted">"From the paper: " <a href=url target="_blank" rel="noopener">{name}</a></p>
                })}
                <div class="row">
                    <button data-testid="lesson-prev" on:click=prev prop:disabled=move || step() == 0>"← Back"</button>
                    <button data-testid="lesson-run" class="primary"
                        on:click=move |_| run_step(st, step())
                        >
                        {move || if waiting() { "Training…" } else { "Run this step" }}
                    </button>
                    <button data-testid="lesson-next" on:click=next prop:disabled=move || { step() + 1 >= n }>"Next →"</button>
                    <span class="muted">"Keys: → next step (runs it), ← back, space pause, p presenter, ? all keys"</span>
                </div>
            </section>
        </Show>
    }
}

/// The replay step's memory: the examples the replay run keeps.
#[component]
fn MemoryStrip() -> impl IntoView {
    let st = expect_context::<AppState>();
    move || {
        (st.lesson.get() == Some(4))
            .then(|| lesson_run(st, "replay"))
            .flatten()
            .filter(|r| !r.memory.is_empty())
            .map(|r| {
                view! {
                    <div class="memory" data-testid="memory">
                        <span class="muted">{format!("In replay's memory ({} examples):", r.memory.len())}</span>
                        <div class="thumbs">
                            {r.memory.into_iter().take(24).map(|s| view! {
                                <img src=s.png alt=s.caption.clone() title=s.caption width="40" height="40" />
                            }).collect_view()}
                        </div>
                    </div>
                }
            })
    }
}
