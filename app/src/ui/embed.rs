//! `?embed=…`: one chart and its controls alone, for an iframe in slides —
//! `matrix` (the default), `curves` (A_k and U_k), `loss` or `gamma` — with
//! the page's settings from the rest of the address (a shared link).

use leptos::prelude::*;

use super::charts::{Heatmap, LineChart};
use super::results::{curves_of, gamma_of};
use super::session::{self, busy};
use super::state::AppState;
use crate::protocol::RunState;

#[component]
pub fn Embed(which: String) -> impl IntoView {
    let st = expect_context::<AppState>();
    let super::results::Shown { run, rows, tasks } = super::results::shown(st);
    let curves = Signal::derive(move || run.get().map(|r| curves_of(&r)).unwrap_or_default());
    let gamma = Signal::derive(move || run.get().map(|r| gamma_of(&r)).unwrap_or_default());
    let loss = Signal::derive(move || {
        run.get()
            .map(|r| {
                vec![super::charts::Series {
                    name: "training loss".into(),
                    color: super::charts::PALETTE[2],
                    points: r
                        .loss
                        .iter()
                        .enumerate()
                        .map(|(i, &l)| (i as f64 + 1.0, l))
                        .collect(),
                    dashed: false,
                }]
            })
            .unwrap_or_default()
    });
    let chart = match which.as_str() {
        "curves" => view! {
            <LineChart series=curves x_label="after task k" y_label="accuracy" y_range=(0.0, 1.0) x_integer=true testid="ak-uk" />
        }
        .into_any(),
        "loss" => view! { <LineChart series=loss x_label="training step" y_label="loss" testid="loss-chart" /> }.into_any(),
        "gamma" => view! { <LineChart series=gamma x_label="training step" y_label="γ, g" testid="gamma-chart" /> }.into_any(),
        _ => view! { <Heatmap rows=rows tasks=tasks testid="acc-matrix" /> }.into_any(),
    };
    let state = move || st.run_state.get();
    let label = move || {
        run.get()
            .map(|r| format!("{} · task {}/{}", r.label, r.acc.len(), r.tasks))
            .unwrap_or_else(|| "Palimpsest".into())
    };
    view! {
        <div class="embed" data-testid="embed">
            <div class="row">
                <b>{label}</b>
                <button data-testid="start" class="primary"
                    prop:disabled=move || !st.ready.get() || st.dataset.get().is_none() || busy(st)
                    on:click=move |_| session::start(st, session::configured(st))>"Start"</button>
                <Show when=move || state() == Some(RunState::Running)>
                    <button data-testid="pause" on:click=move |_| session::pause()>"Pause"</button>
                </Show>
                <Show when=move || state() == Some(RunState::Paused)>
                    <button data-testid="resume" on:click=move |_| session::resume()>"Resume"</button>
                </Show>
                <button data-testid="step-task" prop:disabled=move || !busy(st)
                    on:click=move |_| session::step_task()>"Step one task"</button>
            </div>
            {chart}
            <p class="muted">"Palimpsest — trains in this browser; nothing leaves it."</p>
        </div>
    }
}
