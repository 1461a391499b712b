//! The stream: a task timeline and each task's classes as image grids with
//! their captions. Clicking a sample selects it for the attention maps and
//! the playground.

use leptos::prelude::*;

use super::session::select;
use super::state::AppState;
use crate::protocol::SampleView;

#[component]
pub fn Timeline() -> impl IntoView {
    let st = expect_context::<AppState>();
    let chips = move || {
        let Some(d) = st.dataset.get() else {
            return Vec::new();
        };
        let run = st.shown_run();
        let (current, done) = run.map(|r| (r.task, r.acc.len())).unwrap_or((0, 0));
        d.tasks
            .iter()
            .map(|t| {
                let names: Vec<String> = t.classes.iter().map(|c| c.name.clone()).collect();
                let status = if t.index <= done {
                    "done"
                } else if t.index == current {
                    "current"
                } else {
                    "todo"
                };
                view! {
                    <div class=format!("chip {status}{}", if t.custom { " custom" } else { "" }) data-task=t.index>
                        <b>{format!("Task {}", t.index)}</b>
                        {t.custom.then(|| view! { <span class="tag">"yours"</span> })}
                        // the modality a task brings, where it is not the
                        // image–caption pairs of the default streams
                        {(!t.modalities.is_empty() && t.modalities != ["image", "text"])
                            .then(|| view! { <span class="tag modality" data-modality=t.modalities.join("+")>{t.modalities.join(" + ")}</span> })}
                        <span>{names.join(", ")}</span>
                    </div>
                }
            })
            .collect::<Vec<_>>()
    };
    view! {
        <section class="panel">
            <h2>"Task stream"</h2>
            <div class="timeline">{chips}</div>
        </section>
    }
}

#[component]
pub fn Thumb(sample: SampleView) -> impl IntoView {
    let st = expect_context::<AppState>();
    let at = sample.at;
    let chosen = move || st.selected.get() == at;
    // a button: Tab reaches it, Enter or space picks it
    view! {
        <button type="button" class="thumb pick" class:chosen=chosen
            aria-pressed=move || chosen().to_string() on:click=move |_| select(st, at)
            title="show where the model looks for this sample">
            <img src=sample.png.clone() alt="" width="64" height="64" />
            // captions are text nodes: never parsed as HTML
            <span class="caption">{sample.caption.clone()}</span>
        </button>
    }
}

#[component]
pub fn DatasetBrowser() -> impl IntoView {
    let st = expect_context::<AppState>();
    let open = RwSignal::new(1usize);
    let body = move || {
        let Some(d) = st.dataset.get() else {
            return view! { <p class="muted">"Loading the bundled dataset…"</p> }.into_any();
        };
        let tabs = d
            .tasks
            .iter()
            .map(|t| {
                let i = t.index;
                view! {
                    <button class="tab" class:active=move || open.get() == i
                        on:click=move |_| open.set(i)>{format!("Task {i}")}</button>
                }
            })
            .collect_view();
        let task = d
            .tasks
            .iter()
            .find(|t| t.index == open.get())
            .or(d.tasks.first())
            .cloned();
        let classes = task
            .map(|t| {
                t.classes
                    .into_iter()
                    .map(|c| {
                        view! {
                            <div class="class">
                                <h3>{c.name.clone()} <span class="muted">{format!(" {} train · {} test", c.train, c.test)}</span></h3>
                                <div class="grid">
                                    {c.samples.into_iter().map(|s| view! { <Thumb sample=s /> }).collect_view()}
                                </div>
                            </div>
                        }
                    })
                    .collect_view()
            });
        view! {
            <div class="tabs">{tabs}</div>
            <div class="classes">{classes}</div>
        }
        .into_any()
    };
    view! {
        <section class="panel">
            <h2>"Dataset"</h2>
            <p class="muted">"Test samples of each class; pick one (click, or Tab and Enter) to see where the model looks."</p>
            {body}
        </section>
    }
}
