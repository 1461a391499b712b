//! The page: panels in the order a visitor meets them.

mod attention;
mod charts;
mod compare;
mod controls;
mod dataset;
mod drop;
mod embed;
mod export;
mod gains;
mod keys;
mod lesson;
mod modality;
mod offline;
mod playground;
mod presenter;
mod race;
mod records;
mod results;
mod session;
mod share;
pub mod state;
mod store;
mod upload;
mod whatif;
mod worker;

use leptos::prelude::*;
use palimpsest_core::run::RunConfig;

use crate::protocol::DeviceChoice;
use state::AppState;

/// The stream the page opens on: the teaching stream, whose every task the
/// model learns well in the browser, so that forgetting reads at a glance.
pub const DEMO_SCENARIO: &str = "teaching";

/// The page's starting settings for a bundled stream, (epochs per task,
/// learning rate): small enough that the whole stream trains within half
/// a minute on a laptop's CPU in the browser. The teaching stream's were
/// measured to learn every task (docs/findings.md, "The teaching stream").
pub fn demo_settings(scenario: &str) -> (usize, f64) {
    match scenario {
        "teaching" => (2, 0.002),
        _ => (2, RunConfig::default().lr),
    }
}

/// Sizes of the browser's runs (the CLI's defaults are larger).
pub fn demo_sizes(c: &mut RunConfig) {
    // the teaching stream keeps the CLI's 8 copies of each image (its two
    // epochs are the page's saving); the entity stream's are halved
    c.entity.train_copies = if c.scenario == "teaching" { 8 } else { 4 };
    // 60 scenes a class (the CLI's default is 400): the relation stream in
    // about the entity demo's time
    c.relation.train_per_class = 60;
    // half the CLI's copies of each drawing and one of each spoken word:
    // the sketch and speech tasks in about the image–caption task's time
    c.modality.sketch_copies = 2;
    c.modality.speech_copies = 1;
}

/// The bundled streams the page offers, with their names in the menu.
pub const SCENARIOS: [(&str, &str); 5] = [
    (
        "teaching",
        "Teaching: things that look unlike (OpenMoji, 5 tasks × 2 classes)",
    ),
    (
        "entity",
        "Entities (OpenMoji, 5 tasks × 4 subgroups; harder)",
    ),
    ("relation", "Relations (scenes, 5 tasks)"),
    (
        "modality-sketch",
        "Modalities: image+text, then sketches (2 tasks)",
    ),
    (
        "modality",
        "Modalities: image+text, sketches, then spoken words (3 tasks)",
    ),
];

fn url_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

#[component]
fn Badge() -> impl IntoView {
    let st = expect_context::<AppState>();
    view! {
        <span data-testid="backend" class="badge" class:gpu=move || st.gpu.get()
            title="the device the model trains on">
            {move || format!("trains on: {}", st.backend.get())}
        </span>
    }
}

/// Why the page trains on the CPU where the visitor left the choice to it
/// and the browser lacks a usable WebGPU: one line, and the page goes on.
async fn device_note() -> Option<&'static str> {
    let navigator = web_sys::window()?.navigator();
    let gpu = js_sys::Reflect::get(&navigator, &"gpu".into()).unwrap_or_default();
    if gpu.is_undefined() || gpu.is_null() {
        return Some("This browser has no WebGPU: the model trains on the CPU.");
    }
    match crate::adapter::probe().await {
        None => Some("WebGPU offers no adapter here: the model trains on the CPU."),
        Some(a) if a.software => Some(
            "WebGPU has only a software adapter here, slower than the CPU: the model trains on the CPU.",
        ),
        Some(_) => None,
    }
}

#[component]
fn DeviceNote() -> impl IntoView {
    let note = RwSignal::new(None::<&'static str>);
    if DeviceChoice::parse(url_param("device").as_deref()) == DeviceChoice::Auto {
        leptos::task::spawn_local(async move { note.set(device_note().await) });
    }
    move || {
        note.get()
            .map(|n| view! { <p class="device-note" data-testid="device-note">{n}</p> })
    }
}

#[component]
fn Messages() -> impl IntoView {
    let st = expect_context::<AppState>();
    let errors = move || {
        st.errors
            .get()
            .into_iter()
            .map(|(id, msg)| {
                view! {
                    <div class="message error" data-testid="error" role="alert">
                        <span>{msg}</span>
                        <button class="small" title="dismiss"
                            on:click=move |_| st.errors.update(|e| e.retain(|x| x.0 != id))>"×"</button>
                    </div>
                }
            })
            .collect_view()
    };
    let notices = move || {
        st.notices
            .get()
            .into_iter()
            .enumerate()
            .map(|(i, msg)| {
                view! {
                    <div class="message notice" data-testid="notice" role="status">
                        <span>{msg}</span>
                        <button class="small" title="dismiss"
                            on:click=move |_| st.notices.update(|n| { if i < n.len() { n.remove(i); } })>"×"</button>
                    </div>
                }
            })
            .collect_view()
    };
    view! { <div class="messages">{errors}{notices}</div> }
}

#[component]
pub fn App() -> AnyView {
    let st = AppState::new();
    provide_context(st);
    let device = DeviceChoice::parse(url_param("device").as_deref());
    let hooks = session::Hooks {
        fault_at_task: url_param("fault").and_then(|f| f.parse().ok()),
        diverge_at: url_param("diverge"),
    };
    session::spawn(st, device, hooks);
    // what the address asks for (a shared link), applied after what an
    // earlier visit kept
    let (shared, problems) = share::parse(&share::address_pairs());
    // what an earlier visit kept, or the default stream (or the link's)
    leptos::task::spawn_local(async move {
        let load_default = || {
            session::load(
                st,
                shared
                    .scenario
                    .clone()
                    .unwrap_or_else(|| st.scenario.get_untracked()),
                shared.seed.unwrap_or_else(|| st.seed.get_untracked()),
            )
        };
        let finished = match store::read().await {
            Ok(Some(saved)) => {
                let restored = store::restore(st, saved);
                if session::history().1.is_empty() {
                    load_default();
                }
                st.interrupted.set(restored.interrupted);
                restored.finished
            }
            Ok(None) => {
                load_default();
                None
            }
            Err(e) => {
                st.notice(format!(
                    "What this browser kept of an earlier visit cannot be used: {e}. \
                     The page starts afresh."
                ));
                load_default();
                None
            }
        };
        share::apply(st, &shared, problems);
        share::follow(st);
        store::keep(st);
        if let Some((id, k, bytes)) = finished {
            // the finished run's model back in the worker
            session::go_on_when_ready(st, id, k, bytes);
        }
    });
    store::watch(st);
    warn_before_leaving(st);
    keys::listen(st);
    if url_param("present").is_some() {
        keys::present(st, true);
    }
    if let Some(which) = url_param("embed") {
        return view! { <embed::Embed which=which /> }.into_any();
    }
    // while presenter mode or the keys overlay is up, the page behind it is
    // out of reach of the keyboard and of screen readers (`inert`)
    let behind = move || st.presenting.get() || st.help.get();
    view! {
        <header inert=behind>
            <h1>"Palimpsest"</h1>
            <p class="tagline">"Watch a small image+text model learn a stream of tasks — and forget. Everything runs in this browser."</p>
            <nav class="header-buttons" aria-label="teaching">
                <button data-testid="lesson-open" on:click=move |_| keys::act(st, keys::Action::Lesson)
                    title="a guided lesson through forgetting and its cures (key l)">"Lesson"</button>
                <button data-testid="present-open" on:click=move |_| keys::present(st, true)
                    title="large type for a projector (key p)">"Present"</button>
                <button data-testid="keys-open" on:click=move |_| keys::show_help(st, true)
                    title="every key of the page (key ?)">"Keys"</button>
            </nav>
            <Badge />
            <DeviceNote />
        </header>
        <Messages />
        <Interrupted />
        <main inert=behind>
            <lesson::Lesson />
            <controls::Controls />
            <dataset::Timeline />
            <results::Results />
            <gains::Gains />
            <attention::Attention />
            <div class="two">
                <dataset::DatasetBrowser />
                <div>
                    <upload::Upload />
                    <modality::AddModality />
                    <playground::Playground />
                </div>
            </div>
            <whatif::WhatIfPair />
            <race::Race />
            <compare::Compare />
        </main>
        <presenter::Presenter />
        <keys::Help />
        <footer inert=behind>
            <offline::OfflineStatus />
            "Images: " <a href="./OPENMOJI-LICENSE.md">"OpenMoji"</a> " (CC BY-SA 4.0); sketches: "
            <a href="./QUICKDRAW-LICENSE.md">"Quick, Draw!"</a> " (CC BY 4.0); spoken words: "
            <a href="./SPEECH-LICENSE.md">"OpenMoji names spoken by espeak-ng and flite"</a>
            " (CC BY-SA 4.0). Nothing you add leaves this page: "
            "runs, uploads and checkpoints are kept in this browser only "
            <span data-testid="saved" data-saved=move || st.saved.get()>
                {move || match st.saved.get() {
                    "kept" => "(all kept)",
                    "saving" => "(saving…)",
                    _ => "(the latest changes could not be saved)",
                }}
            </span>
            ". "
            <ClearData />
        </footer>
    }
    .into_any()
}

/// A run the last visit left training: go on from its last task boundary
/// (or start it again when no task had ended), or leave it stopped.
#[component]
fn Interrupted() -> impl IntoView {
    let st = expect_context::<AppState>();
    move || {
        st.interrupted.get().map(|i| {
            let (message, action) = match &i.checkpoint {
                Some((k, _)) => (
                    format!(
                        "“{}” was training task {} when the page was closed or reloaded; \
                         it can go on from the end of task {k}.",
                        i.label, i.task
                    ),
                    format!("Resume from the end of task {k}"),
                ),
                None => (
                    format!(
                        "“{}” was training task {} when the page was closed or reloaded, \
                         before any task had ended.",
                        i.label, i.task
                    ),
                    "Start it again".to_string(),
                ),
            };
            let go = {
                let i = i.clone();
                move |_| session::resume_interrupted(st, i.clone())
            };
            view! {
                <div class="message notice" data-testid="resume-offer">
                    <span>{message}</span>
                    <button data-testid="resume-interrupted" on:click=go prop:disabled=move || !st.ready.get()>{action}</button>
                    <button data-testid="leave-interrupted" on:click=move |_| st.interrupted.set(None)>"Leave it stopped"</button>
                </div>
            }
        })
    }
}

/// Deletes what the page keeps in this browser, after asking, and reloads.
#[component]
fn ClearData() -> impl IntoView {
    let st = expect_context::<AppState>();
    let clear = move |_| {
        let Some(window) = web_sys::window() else {
            return;
        };
        let asked = window.confirm_with_message(
            "Delete the runs, uploads and checkpoints this page keeps in this browser, and start afresh?",
        );
        if asked != Ok(true) {
            return;
        }
        leptos::task::spawn_local(async move {
            match store::clear_all().await {
                Ok(()) => {
                    let _ = window.location().reload();
                }
                Err(e) => {
                    st.error(format!("the saved data could not be deleted: {e}"));
                    store::changed(st);
                }
            }
        });
    };
    view! {
        <button class="small" data-testid="clear-data" on:click=clear
            title="delete every run, upload and checkpoint kept in this browser">"Clear saved data"</button>
    }
}

/// The browser asks before the page is left while a run trains (what it
/// learnt since the last task boundary would be lost).
fn warn_before_leaving(st: AppState) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::Closure;
    let Some(window) = web_sys::window() else {
        return;
    };
    let on_leave = Closure::<dyn FnMut(web_sys::BeforeUnloadEvent)>::new(
        move |ev: web_sys::BeforeUnloadEvent| {
            let training = matches!(
                st.run_state.get_untracked(),
                Some(crate::protocol::RunState::Running) | Some(crate::protocol::RunState::Paused)
            );
            if training && !store::clearing() {
                ev.prevent_default();
                ev.set_return_value("A run is training: leave the page?");
            }
        },
    );
    let _ =
        window.add_event_listener_with_callback("beforeunload", on_leave.as_ref().unchecked_ref());
    on_leave.forget();
}
