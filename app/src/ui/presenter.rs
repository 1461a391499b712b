//! Presenter mode (key `p`, `?present`): the shown run's matrix and one
//! chart, large and in high contrast, filling a 1280×720 projector, with
//! the lesson's step (when the lesson is open) and the keys at the foot.
//! Every control of the page stays reachable by its key.

use leptos::prelude::*;

use super::attention::AttentionMaps;
use super::charts::{Heatmap, LineChart};
use super::keys::present;
use super::lesson::{self, Chart, STEPS};
use super::results::{curves_of, gamma_of, rewound};
use super::state::AppState;

#[component]
pub fn Presenter() -> impl IntoView {
    let st = expect_context::<AppState>();
    let run = Memo::new(move |_| st.shown_run().map(|r| rewound(&r, st.scrub.get())));
    let rows = Signal::derive(move || run.get().map(|r| r.acc).unwrap_or_default());
    let tasks = Signal::derive(move || {
        run.get()
            .map(|r| r.tasks)
            .or_else(|| st.dataset.get().map(|d| d.tasks.len()))
            .unwrap_or(0)
    });
    let chart = move || {
        st.lesson
            .get()
            .map(|k| STEPS[k].chart)
            .unwrap_or(Chart::Curves)
    };
    let title = move || match st.lesson.get() {
        Some(k) => format!("{} · {}", k + 1, STEPS[k].title),
        None => run
            .get()
            .map(|r| {
                let at = st
                    .scrub
                    .get()
                    .map(|k| format!(" · rewound to task {k}"))
                    .unwrap_or_default();
                format!("{} · task {} of {}{at}", r.label, r.acc.len(), r.tasks)
            })
            .unwrap_or_else(|| "Palimpsest: press space to train".into()),
    };
    let curves = Signal::derive(move || run.get().map(|r| curves_of(&r)).unwrap_or_default());
    let gamma = Signal::derive(move || run.get().map(|r| gamma_of(&r)).unwrap_or_default());
    let compare = Signal::derive(move || {
        let scenario = run.get().and_then(|r| r.config.map(|c| c.scenario));
        lesson::compare_curves(st, scenario.as_deref())
    });
    let side = move || {
        match chart() {
        Chart::Curves => view! {
            <h3>"A_k (all tasks so far) and U_k (the newest task)"</h3>
            <LineChart series=curves x_label="after task k" y_label="accuracy" y_range=(0.0, 1.0) x_integer=true testid="presenter-chart" />
        }
        .into_any(),
        Chart::Compare => view! {
            <h3>"A_k of the lesson's runs on this stream"</h3>
            <LineChart series=compare x_label="after task k" y_label="A_k" y_range=(0.0, 1.0) x_integer=true testid="presenter-chart" />
        }
        .into_any(),
        Chart::Gamma => view! {
            <h3>"Modality balance: γ (text over image) and g"</h3>
            <LineChart series=gamma x_label="training step" y_label="γ, g" testid="presenter-chart" />
        }
        .into_any(),
        Chart::Attention => view! {
            <h3>"Where the model looks"</h3>
            <AttentionMaps />
        }
        .into_any(),
    }
    };
    // the presenter view takes the keyboard's focus while it is up: the
    // view itself, not its × button, so that space still starts and pauses
    // (space on a focused button presses it) and Tab reaches the ×
    let view_ref = NodeRef::<leptos::html::Div>::new();
    Effect::new(move || {
        if let Some(v) = view_ref.get() {
            let _ = v.focus();
        }
    });
    view! {
        <Show when=move || st.presenting.get()>
            <div class="presenter" data-testid="presenter" role="region" aria-label="presenter view"
                tabindex="-1" node_ref=view_ref>
                <div class="presenter-head">
                    <h1>{title}</h1>
                    {move || st.lesson.get().map(|k| view! {
                        <progress max=STEPS.len().to_string() prop:value=(k + 1) as f64 aria-label="lesson progress"></progress>
                    })}
                    <button class="small" on:click=move |_| present(st, false) title="leave presenter mode (p or Esc)">"×"</button>
                </div>
                <div class="presenter-body">
                    <div class="presenter-matrix">
                        <Heatmap rows=rows tasks=tasks testid="acc-matrix" highlight=st.highlight />
                    </div>
                    <div class="presenter-side">
                        {side}
                        {move || st.lesson.get().map(|k| view! {
                            <p class="presenter-text">{lesson::text(st, k)}</p>
                        })}
                    </div>
                </div>
                <div class="presenter-foot">
                    "space start/pause · → ← " {move || if st.lesson.get().is_some() { "lesson steps" } else { "task boundaries" }}
                    " · 1–4 strategy · r race · ? keys · p leave"
                </div>
            </div>
        </Show>
    }
}
