//! The page: panels in the order a visitor meets them.

mod attention;
mod charts;
mod compare;
mod controls;
mod dataset;
mod drop;
mod link;
mod playground;
mod records;
mod results;
pub mod state;
mod upload;

use leptos::prelude::*;
use palimpsest_core::run::RunConfig;

use crate::protocol::{Command, DeviceChoice};
use state::AppState;

/// Epochs per task of the default demo: small enough that the whole stream
/// trains within a minute on a laptop's CPU in the browser.
pub const DEMO_EPOCHS: usize = 2;

/// Sizes of the browser's runs (the CLI's defaults are larger).
pub fn demo_sizes(c: &mut RunConfig) {
    c.entity.train_copies = 4;
    // a third of the CLI's scenes: the relation stream in about the
    // entity demo's time
    c.relation.train_per_class = 60;
}

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
                    <div class="message notice" data-testid="notice">
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
pub fn App() -> impl IntoView {
    let st = AppState::new();
    provide_context(st);
    let device = DeviceChoice::parse(url_param("device").as_deref());
    let fault = url_param("fault").and_then(|f| f.parse().ok());
    link::spawn(st, device, fault);
    link::send(&Command::Load {
        scenario: st.scenario.get_untracked(),
        seed: st.seed.get_untracked(),
    });
    view! {
        <header>
            <h1>"Palimpsest"</h1>
            <p class="tagline">"Watch a small image+text model learn a stream of tasks — and forget. Everything runs in this browser."</p>
            <Badge />
        </header>
        <Messages />
        <main>
            <controls::Controls />
            <dataset::Timeline />
            <results::Results />
            <attention::Attention />
            <div class="two">
                <dataset::DatasetBrowser />
                <div>
                    <upload::Upload />
                    <playground::Playground />
                </div>
            </div>
            <compare::Compare />
        </main>
        <footer>
            "Images: " <a href="./OPENMOJI-LICENSE.md">"OpenMoji"</a> " (CC BY-SA 4.0). Nothing you add leaves this page."
        </footer>
    }
}
