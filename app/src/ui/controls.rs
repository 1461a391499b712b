//! Scenario, strategy and its hyper-parameters, and the training buttons.

use leptos::prelude::*;
use palimpsest_core::run::limits::{Limit, limit_of};
use palimpsest_core::strategy::StrategyConfig;
use serde_json::Value;

use super::session::{self, busy};
use super::state::AppState;
use crate::protocol::RunState;

/// Turns on the fusion stage where one of `strategies` needs it and it is
/// off, and says so in one notice (as the CLI does).
pub fn turn_on_fusion_for(st: AppState, strategies: &[StrategyConfig]) {
    if st.fusion.get_untracked() {
        return;
    }
    if let Some(s) = strategies.iter().find(|s| s.needs_fusion()) {
        st.fusion.set(true);
        st.notice(format!(
            "{} needs the fusion stage: the Fusion stage box is now on (it changes the model for every strategy)",
            s.name()
        ));
    }
}

#[component]
pub fn Controls() -> impl IntoView {
    let st = expect_context::<AppState>();
    let on_scenario = move |ev| session::load(st, event_target_value(&ev), st.seed.get_untracked());
    let on_strategy = move |ev| {
        if let Ok(s) = StrategyConfig::by_name(&event_target_value(&ev)) {
            turn_on_fusion_for(st, std::slice::from_ref(&s));
            st.strategy.set(s);
        }
    };
    // the range every run setting has (run::limits), as the CLI checks it
    let epochs: &'static Limit = limit_of("epochs").expect("epochs has a range");
    // a refused value is named, and the input shows the value kept again
    let refuse_epochs = move |e: String| {
        st.error(e);
        st.epochs.update(|_| {});
    };
    let on_epochs = move |ev| match event_target_value(&ev).parse::<usize>() {
        Ok(n) => match epochs.admit(n as f64) {
            Ok(_) => st.epochs.set(n),
            Err(e) => refuse_epochs(e),
        },
        Err(_) => refuse_epochs("epochs must be a whole number".into()),
    };
    let lr: &'static Limit = limit_of("lr").expect("lr has a range");
    let refuse_lr = move |e: String| {
        st.error(e);
        st.lr.update(|_| {});
    };
    let on_lr = move |ev| match event_target_value(&ev).parse::<f64>() {
        Ok(v) if v.is_finite() => match lr.admit(v) {
            Ok(_) => st.lr.set(v),
            Err(e) => refuse_lr(e),
        },
        _ => refuse_lr("the learning rate must be a number".into()),
    };
    let on_seed = move |ev| match event_target_value(&ev).parse::<u64>() {
        Ok(n) => session::load(st, st.scenario.get_untracked(), n),
        Err(_) => st.error("the seed must be a whole number"),
    };
    let start = move |_| session::start(st, session::configured(st));
    let pause = move |_| session::pause();
    let resume = move |_| session::resume();
    let step = move |_| session::step_task();
    let stop = move |_| session::stop(st);
    let state = move || st.run_state.get();
    view! {
        <section class="panel controls">
            <h2>"Run"</h2>
            <div class="row">
                <label>
                    "Scenario "
                    <select data-testid="scenario" on:change=on_scenario prop:disabled=move || busy(st)>
                        {super::SCENARIOS
                            .map(|(name, label)| {
                                view! {
                                    <option value=name selected=move || st.scenario.get() == name>
                                        {label}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    "Strategy "
                    <select data-testid="strategy" on:change=on_strategy prop:disabled=move || busy(st)>
                        {move || StrategyConfig::NAMES.into_iter()
                            .map(|n| {
                                view! {
                                    <option value=n selected=move || st.strategy.get().name() == n>
                                        {n}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    "Epochs per task "
                    <input type="number" min=epochs.min_attr() max=epochs.max_attr() class="num"
                        data-setting="epochs"
                        prop:value=move || st.epochs.get().to_string()
                        on:change=on_epochs prop:disabled=move || busy(st) />
                </label>
                <label title="how far each training step moves the weights: too large and the loss blows up (the run says so and stops)">
                    "Learning rate "
                    <input type="number" min=lr.min_attr() max=lr.max_attr() step="any" class="num"
                        data-setting="lr"
                        prop:value=move || st.lr.get().to_string()
                        on:change=on_lr prop:disabled=move || busy(st) />
                </label>
                <label>
                    "Seed "
                    <input type="number" min="0" class="num" data-testid="seed"
                        prop:value=move || st.seed.get().to_string()
                        on:change=on_seed prop:disabled=move || busy(st) />
                </label>
                <label title="start the image and text encoders from the weights pretrained on OpenMoji subgroups of no stream (palimpsest pretrain), instead of random">
                    <input type="checkbox" data-testid="init-pretrained"
                        prop:checked=move || st.pretrained.get()
                        on:change=move |ev| st.pretrained.set(event_target_checked(&ev))
                        prop:disabled=move || busy(st) />
                    " Pretrained encoders"
                </label>
                <label title="a modality-agnostic fusion stage shared by every modality, and one classifier weight for all (MERA and MoDE need it)">
                    <input type="checkbox" data-testid="fusion"
                        prop:checked=move || st.fusion.get()
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            st.fusion.set(on);
                            // a strategy that needs the stage goes with it
                            if !on && st.strategy.get_untracked().needs_fusion() {
                                st.strategy.set(StrategyConfig::by_name("mspt").expect("mspt exists"));
                            }
                        }
                        prop:disabled=move || busy(st) />
                    " Fusion stage (MERA, MoDE)"
                </label>
            </div>
            <HyperParams />
            <div class="row buttons">
                <button data-testid="start" class="primary" on:click=start
                    prop:disabled=move || !st.ready.get() || st.dataset.get().is_none() || busy(st)>
                    "Start"
                </button>
                <Show when=move || state() == Some(RunState::Running)>
                    <button data-testid="pause" on:click=pause>"Pause"</button>
                </Show>
                <Show when=move || state() == Some(RunState::Paused)>
                    <button data-testid="resume" on:click=resume>"Resume"</button>
                </Show>
                <button data-testid="step-task" on:click=step prop:disabled=move || !busy(st)
                    title="train until the current task is evaluated, then pause">
                    "Step one task"
                </button>
                <button data-testid="stop" on:click=stop prop:disabled=move || !busy(st)>"Stop"</button>
            </div>
            <Progress />
        </section>
    }
}

#[component]
fn Progress() -> impl IntoView {
    let st = expect_context::<AppState>();
    let text = move || {
        let Some(v) = st.shown_run() else {
            return if st.ready.get() {
                "Ready: press Start to train the stream.".to_string()
            } else {
                "Starting the training worker…".to_string()
            };
        };
        let state = match v.state {
            Some(RunState::Finished) => "finished",
            Some(RunState::Paused) => "paused",
            Some(RunState::Stopped) => "stopped",
            _ => "training",
        };
        if v.tasks == 0 {
            return format!("{}: preparing…", v.label);
        }
        format!(
            "{} {state} · task {}/{} · step {}/{} · {:.0} samples/s",
            v.label, v.task, v.tasks, v.step, v.steps, v.samples_per_s
        )
    };
    let fraction = move || {
        st.shown_run()
            .filter(|v| v.tasks > 0)
            .map(|v| {
                let done = v.acc.len() as f64;
                let within = if v.steps > 0 && v.acc.len() < v.task {
                    v.step as f64 / v.steps as f64
                } else {
                    0.0
                };
                ((done + within) / v.tasks as f64).min(1.0)
            })
            .unwrap_or(0.0)
    };
    view! {
        <div data-testid="progress" class="progress">
            <progress max="1" prop:value=fraction></progress>
            <span>{text}</span>
        </div>
    }
}

/// The chosen strategy's hyper-parameters, edited through its JSON form:
/// numbers as number inputs, switches (MSPT's GM/MI/AD/MM) as checkboxes.
#[component]
fn HyperParams() -> impl IntoView {
    let st = expect_context::<AppState>();
    let fields = move || match serde_json::to_value(st.strategy.get()) {
        Ok(Value::Object(m)) => {
            // switches (MSPT's GM/MI/AD/MM) first, then the numbers
            let mut v: Vec<(String, Value)> = m.into_iter().filter(|(k, _)| k != "name").collect();
            v.sort_by_key(|(_, x)| !x.is_boolean());
            v
        }
        _ => Vec::new(),
    };
    // each number's range from run::limits, by its path in a run config
    let limit = move |key: &str| {
        limit_of(&format!(
            "strategy.{}.{key}",
            st.strategy.get_untracked().name()
        ))
    };
    // a refused value is named, and the inputs show the values kept again
    let refuse = move |e: String| {
        st.error(e);
        st.strategy.update(|_| {});
    };
    let set = move |key: String, value: Value| {
        let mut json = serde_json::to_value(st.strategy.get_untracked()).unwrap_or(Value::Null);
        json[key.as_str()] = value;
        match serde_json::from_value::<StrategyConfig>(json) {
            Ok(s) => st.strategy.set(s),
            Err(e) => st.error(format!("{key}: {e}")),
        }
    };
    view! {
        <div class="row params">
            {move || {
                let list: Vec<(String, Value)> = fields();
                if list.is_empty() {
                    return view! { <span class="muted">"No hyper-parameters."</span> }.into_any();
                }
                list.into_iter()
                    .map(|(key, value)| {
                        let k = key.clone();
                        match value {
                            Value::Bool(on) => view! {
                                <label class="toggle">
                                    <input type="checkbox" data-param=key.clone() prop:checked=on
                                        on:change=move |ev| set(k.clone(), Value::Bool(event_target_checked(&ev))) />
                                    // MSPT's components by their acronyms, other switches by name
                                    {if key.len() <= 2 { key.to_uppercase() } else { key.clone() }}
                                </label>
                            }.into_any(),
                            other => {
                                let int = other.is_u64();
                                let range = limit(&key);
                                view! {
                                    <label>
                                        {key.clone()} " "
                                        <input type="number" class="num" data-param=key.clone()
                                            step=if int { "1" } else { "any" }
                                            min=range.map(Limit::min_attr)
                                            max=range.map(Limit::max_attr)
                                            prop:value=other.to_string()
                                            on:change=move |ev| {
                                                let text = event_target_value(&ev);
                                                let parsed = if int {
                                                    text.parse::<u64>().ok().map(Value::from)
                                                } else {
                                                    text.parse::<f64>().ok().filter(|v| v.is_finite()).map(Value::from)
                                                };
                                                let admitted = match (parsed, range) {
                                                    (Some(v), Some(l)) => v.as_f64().map(|x| l.admit(x).map(|_| v)),
                                                    (Some(v), None) => Some(Ok(v)),
                                                    (None, _) => None,
                                                };
                                                match admitted {
                                                    Some(Ok(v)) => set(k.clone(), v),
                                                    Some(Err(e)) => refuse(e),
                                                    None => refuse(format!("{k}: '{text}' is not a valid number")),
                                                }
                                            } />
                                    </label>
                                }.into_any()
                            }
                        }
                    })
                    .collect_view()
                    .into_any()
            }}
        </div>
    }
}

/// The strategies chosen to compare or race, in the order the page offers
/// them (every one; MERA and MoDE turn on the fusion stage they need): a
/// comparison runs them in this order.
pub fn chosen(st: AppState) -> Vec<String> {
    let picked = st.contenders.get_untracked();
    StrategyConfig::NAMES
        .into_iter()
        .filter(|n| picked.iter().any(|p| p == n))
        .map(String::from)
        .collect()
}

/// Starts a race of the chosen strategies.
pub fn race(st: AppState) {
    super::race::start(st, &chosen(st));
}

/// Queues several strategies on the same stream and seed, or races them.
#[component]
pub fn CompareControls() -> impl IntoView {
    let st = expect_context::<AppState>();
    let run = move |_| {
        let mut queue: Vec<StrategyConfig> = chosen(st)
            .iter()
            .filter_map(|n| StrategyConfig::by_name(n).ok())
            .collect();
        // one model for the whole comparison: with the stage if any needs it
        turn_on_fusion_for(st, &queue);
        // the strategy as configured above replaces its defaults
        let mine = st.strategy.get_untracked();
        for q in &mut queue {
            if q.name() == mine.name() {
                *q = mine.clone();
            }
        }
        session::compare(st, queue);
    };
    let count = move || {
        st.contenders
            .get()
            .iter()
            .filter(|n| StrategyConfig::NAMES.contains(&n.as_str()))
            .count()
    };
    view! {
        <div class="row compare-controls">
            <span>"Compare on the same stream and seed: "</span>
            {move || StrategyConfig::NAMES.into_iter()
                .map(|n| {
                    let n = n.to_string();
                    let n2 = n.clone();
                    let n3 = n.clone();
                    view! {
                        <label class="toggle">
                            <input type="checkbox" data-compare=n.clone()
                                prop:checked=move || st.contenders.get().contains(&n2)
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    st.contenders.update(|c| {
                                        c.retain(|x| x != &n3);
                                        if on {
                                            c.push(n3.clone());
                                        }
                                    });
                                } />
                            {n}
                        </label>
                    }
                })
                .collect_view()}
            <button data-testid="compare" on:click=run
                title="train them one after the other on the page's worker"
                prop:disabled=move || !st.ready.get() || busy(st) || count() < 2>
                "Run comparison"
            </button>
            <button data-testid="race" on:click=move |_| race(st)
                title="train them at the same time, a worker each (2 to 4; key r)"
                prop:disabled=move || !st.ready.get() || super::race::racing(st)
                    || !(2..=super::race::MAX_LANES).contains(&count())>
                "Race them"
            </button>
        </div>
    }
}
