//! What if, from a task boundary, the run had gone on with another
//! strategy? The rewound run forks there (same seed, same data order, from
//! that boundary's checkpoint), and both are shown side by side.

use leptos::prelude::*;
use palimpsest_core::strategy::StrategyConfig;

use super::charts::Heatmap;
use super::session::{self, busy};
use super::state::AppState;

/// The fork's controls at boundary `k` of the shown run.
#[component]
pub fn WhatIf(k: usize) -> impl IntoView {
    let st = expect_context::<AppState>();
    let run = move || st.shown.get();
    let available = move || run().is_some_and(|r| session::has_boundary(r, k));
    let current = move || {
        st.shown_run()
            .and_then(|r| r.config)
            .map(|c| c.strategy.name())
    };
    // the first other strategy the page offers on this model
    let choice = RwSignal::new(String::new());
    let options = move || {
        let fusion = st.fusion.get();
        StrategyConfig::NAMES
            .into_iter()
            .filter(move |n| StrategyConfig::by_name(n).is_ok_and(|s| fusion || !s.needs_fusion()))
            .filter(|n| Some(*n) != current())
            .collect::<Vec<_>>()
    };
    let go = move |_| {
        let name = match choice.get_untracked() {
            n if n.is_empty() => options().first().map(|s| s.to_string()).unwrap_or_default(),
            n => n,
        };
        let (Some(id), Ok(strategy)) = (run(), StrategyConfig::by_name(&name)) else {
            return;
        };
        session::what_if(st, id, k, strategy);
    };
    view! {
        <Show when=available fallback=|| view! {
            <span class="muted">"(what-if: needs a run trained in this visit)"</span>
        }>
            <label>
                "What if, from here, "
                <select data-testid="what-if-strategy" aria-label="the strategy of the what-if"
                    on:change=move |ev| choice.set(event_target_value(&ev))>
                    {move || options().into_iter().map(|n| view! { <option value=n>{n}</option> }).collect_view()}
                </select>
            </label>
            <button data-testid="what-if" on:click=go prop:disabled=move || busy(st)
                title="go on from this task boundary with the other strategy (same seed, same data order)">
                "What if…"
            </button>
        </Show>
    }
}

/// The original and its what-if, side by side.
#[component]
pub fn WhatIfPair() -> impl IntoView {
    let st = expect_context::<AppState>();
    let pair = move || {
        let (a, b) = st.whatif.get()?;
        st.runs.with(|r| {
            Some((
                r.iter().find(|v| v.id == a)?.clone(),
                r.iter().find(|v| v.id == b)?.clone(),
            ))
        })
    };
    move || {
        pair().map(|(a, b)| {
            let side = |v: super::state::RunView| {
                let rows = v.acc.clone();
                let tasks = v.tasks;
                view! {
                    <div class="run-matrix" data-run=v.id>
                        <h3>{format!("#{} {}", v.id, v.label)}</h3>
                        <Heatmap rows=Signal::derive(move || rows.clone()) tasks=Signal::derive(move || tasks) small=true />
                    </div>
                }
            };
            view! {
                <section class="panel" data-testid="what-if-pair" aria-label="what-if">
                    <div class="lesson-head">
                        <h2>"What if: the run and its fork, side by side"</h2>
                        <button class="small" title="close" on:click=move |_| st.whatif.set(None)>"×"</button>
                    </div>
                    <div class="two">{side(a)}{side(b)}</div>
                </section>
            }
        })
    }
}
