//! The page's one line about its offline copy. The service worker
//! (`public/sw.js`, registered by `app/boot.js`) keeps the site in the
//! browser's cache after one visit; here the page asks it which version it
//! keeps, says so at the foot of the page, and says in one notice when a new
//! version has replaced the one kept.

use js_sys::{Object, Promise, Reflect};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::state::AppState;

/// Where the page stands with its offline copy.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Offline {
    /// The service worker is installing (the first visit) or not heard yet.
    Keeping,
    /// This version is kept.
    Kept(String),
    /// No offline copy, and why.
    None(String),
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn text(v: &JsValue, key: &str) -> String {
    get(v, key).as_string().unwrap_or_default()
}

/// What a new version's service worker says when it takes over: the
/// notice, when it replaced an older version's copy.
pub fn replaced_notice(version: &str, replaced: &[String]) -> Option<String> {
    if replaced.is_empty() {
        return None;
    }
    Some(format!(
        "A new version of the page ({version}) replaced the copy kept for offline use ({}): \
         reload the page to use it.",
        replaced.join(", ")
    ))
}

/// Asks the active service worker which version it keeps (it answers with
/// a `status` message).
fn ask(container: JsValue) {
    leptos::task::spawn_local(async move {
        let Ok(ready) = get(&container, "ready").dyn_into::<Promise>() else {
            return;
        };
        let Ok(registration) = JsFuture::from(ready).await else {
            return;
        };
        let active = get(&registration, "active");
        let Ok(post) = get(&active, "postMessage").dyn_into::<js_sys::Function>() else {
            return;
        };
        let msg = Object::new();
        let _ = Reflect::set(&msg, &"type".into(), &"status".into());
        let _ = post.call1(&active, &msg);
    });
}

fn listen(st: AppState, line: RwSignal<Offline>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let container = get(&window.navigator(), "serviceWorker");
    if container.is_undefined() || container.is_null() {
        line.set(Offline::None(
            "this browser keeps no offline copy here (service workers are off: a private \
             window, or an address that is neither https nor localhost)"
                .into(),
        ));
        return;
    }
    let asked = container.clone();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let data = ev.data();
            match text(&data, "type").as_str() {
                "activated" => {
                    let version = text(&data, "version");
                    let replaced: Vec<String> = js_sys::Array::from(&get(&data, "replaced"))
                        .iter()
                        .filter_map(|v| v.as_string())
                        .collect();
                    if let Some(n) = replaced_notice(&version, &replaced) {
                        st.notice(n);
                    }
                    line.set(Offline::Kept(version));
                }
                "status" => line.set(Offline::Kept(text(&data, "version"))),
                _ => {}
            }
        });
    if let Ok(target) = container.clone().dyn_into::<web_sys::EventTarget>() {
        let _ =
            target.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
    }
    on_message.forget();
    if let Ok(start) = get(&container, "startMessages").dyn_into::<js_sys::Function>() {
        let _ = start.call0(&container);
    }
    // boot.js says when the browser refused to register it
    let on_refused =
        Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |ev: web_sys::CustomEvent| {
            let why = ev.detail().as_string().unwrap_or_default();
            line.set(Offline::None(format!(
                "the browser refused to keep an offline copy ({why})"
            )));
        });
    let _ = window.add_event_listener_with_callback(
        "palimpsest-offline",
        on_refused.as_ref().unchecked_ref(),
    );
    on_refused.forget();
    ask(asked);
}

/// The line at the foot of the page (`offline`; `data-version` is the
/// version kept, once it is).
#[component]
pub fn OfflineStatus() -> impl IntoView {
    let st = expect_context::<AppState>();
    let line = RwSignal::new(Offline::Keeping);
    listen(st, line);
    let version = move || match line.get() {
        Offline::Kept(v) => Some(v),
        _ => None,
    };
    let said = move || match line.get() {
        Offline::Keeping => "Keeping a copy of the page for offline use…".to_string(),
        Offline::Kept(v) => format!("Works offline: this version ({v}) is kept in this browser."),
        Offline::None(why) => format!("No offline copy: {why}."),
    };
    view! {
        <p class="offline" data-testid="offline" data-version=version>{said}</p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_version_is_said_only_when_it_replaced_one() {
        assert_eq!(replaced_notice("abc", &[]), None);
        let n = replaced_notice("abc", &["def".to_string()]).unwrap();
        assert!(
            n.contains("(abc)") && n.contains("(def)") && n.contains("reload"),
            "{n}"
        );
    }
}
