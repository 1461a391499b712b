//! Keys everywhere on the page, for a talk: no control needs a mouse.
//! Typing in a field is left alone.

use leptos::prelude::*;
use palimpsest_core::strategy::StrategyConfig;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::session::{self, busy};
use super::state::AppState;
use crate::protocol::RunState;

/// The strategies keys 1–4 choose.
pub const STRATEGY_KEYS: [&str; 4] = ["finetune", "replay", "ewc", "mspt"];

/// Every key and what it does, as the help overlay lists them.
pub const KEYS: [(&str, &str); 9] = [
    ("space", "start the run, pause it, or go on"),
    (
        "→",
        "next lesson step (and run it); without the lesson: the next task boundary",
    ),
    (
        "←",
        "previous lesson step; without the lesson: the previous task boundary",
    ),
    ("1 – 4", "choose fine-tuning, replay, EWC or MSPT"),
    ("r", "race the chosen strategies side by side"),
    ("l", "open or close the lesson"),
    ("p", "presenter mode (full screen, large type)"),
    ("?", "this list of keys"),
    ("Esc", "close this list, or leave presenter mode"),
];

/// What a key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    StartOrPause,
    Next,
    Prev,
    Strategy(usize),
    Race,
    Lesson,
    Present,
    Help,
    Escape,
}

/// The action of a key (`KeyboardEvent.key`), if it has one.
pub fn action(key: &str) -> Option<Action> {
    Some(match key {
        " " | "Spacebar" => Action::StartOrPause,
        "ArrowRight" => Action::Next,
        "ArrowLeft" => Action::Prev,
        "1" | "2" | "3" | "4" => Action::Strategy(key.parse::<usize>().ok()? - 1),
        "r" | "R" => Action::Race,
        "l" | "L" => Action::Lesson,
        "p" | "P" => Action::Present,
        "?" => Action::Help,
        "Escape" => Action::Escape,
        _ => return None,
    })
}

/// Full screen where the browser allows it (a refusal changes nothing:
/// presenter mode still fills the window).
fn full_screen(on: bool) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if on {
        if let Some(el) = doc.document_element() {
            let _ = el.request_fullscreen();
        }
    } else if doc.fullscreen_element().is_some() {
        // the page's own exit: its `fullscreenchange` may come after
        // presenter mode is opened again, and must not close it
        LEAVING.with(|l| l.set(true));
        doc.exit_fullscreen();
    }
}

thread_local! {
    /// Where the keyboard's focus was when presenter mode or the keys'
    /// list took it: it goes back there when they close.
    static FOCUS_BEFORE: std::cell::RefCell<Option<web_sys::HtmlElement>> =
        const { std::cell::RefCell::new(None) };
}

fn remember_focus() {
    let active = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    FOCUS_BEFORE.with(|f| *f.borrow_mut() = active);
}

/// The focus back where it was, once the page behind is no longer inert.
fn give_focus_back() {
    leptos::task::spawn_local(async {
        crate::adapter::sleep(0).await;
        if let Some(el) = FOCUS_BEFORE.with(|f| f.borrow_mut().take())
            && el.is_connected()
        {
            let _ = el.focus();
        }
    });
}

/// Opens or closes one of the two views that take the keyboard's focus
/// (`this`; `other` is the second): the focus is remembered when the first
/// of them opens and given back when the last closes.
fn take_focus(this: RwSignal<bool>, other: RwSignal<bool>, on: bool) {
    let was = this.get_untracked();
    let alone = !other.get_untracked();
    if on && !was && alone {
        remember_focus();
    }
    this.set(on);
    if was && !on && alone {
        give_focus_back();
    }
}

/// Opens or closes presenter mode.
pub fn present(st: AppState, on: bool) {
    take_focus(st.presenting, st.help, on);
    full_screen(on);
}

/// Opens or closes the list of keys.
pub fn show_help(st: AppState, on: bool) {
    take_focus(st.help, st.presenting, on);
}

/// The task boundary one step from the shown one (the scrubber).
fn scrub(st: AppState, forward: bool) {
    let Some(run) = st.shown_run() else {
        return;
    };
    let done = run.acc.len();
    if done == 0 {
        return;
    }
    let at = st.scrub.get_untracked().unwrap_or(done);
    let next = if forward {
        (at + 1).min(done)
    } else {
        at.saturating_sub(1).max(1)
    };
    st.scrub.set((next < done).then_some(next));
}

pub fn act(st: AppState, a: Action) {
    match a {
        Action::StartOrPause => match st.run_state.get_untracked() {
            Some(RunState::Running) => session::pause(),
            Some(RunState::Paused) => session::resume(),
            _ if st.ready.get_untracked() && st.dataset.get_untracked().is_some() => {
                session::start(st, session::configured(st))
            }
            _ => {}
        },
        Action::Next => match st.lesson.get_untracked() {
            Some(k) => super::lesson::go(st, k + 1),
            None => scrub(st, true),
        },
        Action::Prev => match st.lesson.get_untracked() {
            Some(k) => super::lesson::open(st, k.saturating_sub(1)),
            None => scrub(st, false),
        },
        Action::Strategy(i) => {
            if busy(st) {
                return st.notice("The strategy can change when the run is stopped or finished.");
            }
            if let Ok(s) = StrategyConfig::by_name(STRATEGY_KEYS[i]) {
                st.strategy.set(s);
            }
        }
        Action::Race => super::controls::race(st),
        Action::Lesson => match st.lesson.get_untracked() {
            Some(_) => st.lesson.set(None),
            None => super::lesson::open(st, 0),
        },
        Action::Present => present(st, !st.presenting.get_untracked()),
        Action::Help => show_help(st, !st.help.get_untracked()),
        Action::Escape => {
            if st.help.get_untracked() {
                show_help(st, false);
            } else if st.presenting.get_untracked() {
                present(st, false);
            }
        }
    }
}

/// Whether a control with this tag, `type` and `role` takes every key
/// itself (typing, a menu, a slider's or radio group's arrows).
pub fn takes_keys(tag: &str, kind: Option<&str>, role: Option<&str>) -> bool {
    match tag.to_ascii_lowercase().as_str() {
        "textarea" | "select" => true,
        // checkboxes, file pickers and buttons take space and Enter alone
        "input" => !matches!(
            kind.map(str::to_ascii_lowercase).as_deref(),
            Some("checkbox" | "file" | "button" | "submit" | "reset" | "image" | "color")
        ),
        _ => matches!(role, Some("textbox" | "slider" | "radiogroup" | "listbox")),
    }
}

/// Whether a focused control with this tag and role acts on space and
/// Enter itself (a button, a link, a checkbox, a sample to pick).
pub fn presses(tag: &str, kind: Option<&str>, role: Option<&str>) -> bool {
    matches!(
        tag.to_ascii_lowercase().as_str(),
        "button" | "a" | "summary" | "input"
    ) || kind.is_some_and(|k| k.eq_ignore_ascii_case("checkbox"))
        || matches!(role, Some("button" | "checkbox" | "tab" | "link"))
}

fn target(ev: &web_sys::KeyboardEvent) -> Option<web_sys::Element> {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
}

/// Whether a key went to something that takes typing or its own keys.
fn typing(ev: &web_sys::KeyboardEvent) -> bool {
    let Some(el) = target(ev) else {
        return false;
    };
    takes_keys(
        &el.tag_name(),
        el.get_attribute("type").as_deref(),
        el.get_attribute("role").as_deref(),
    ) || el.get_attribute("contenteditable").is_some()
}

/// Listens to the page's keys.
pub fn listen(st: AppState) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let on_key =
        Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(move |ev: web_sys::KeyboardEvent| {
            if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || typing(&ev) {
                return;
            }
            let key = ev.key();
            // space and Enter on a focused button (or checkbox, link, a
            // sample to pick) keep their own meaning
            let on_button = target(&ev).is_some_and(|el| {
                presses(
                    &el.tag_name(),
                    el.get_attribute("type").as_deref(),
                    el.get_attribute("role").as_deref(),
                )
            });
            if on_button && (key == " " || key == "Enter") {
                return;
            }
            if let Some(a) = action(&key) {
                ev.prevent_default();
                act(st, a);
            }
        });
    let _ = window.add_event_listener_with_callback("keydown", on_key.as_ref().unchecked_ref());
    on_key.forget();
    // leaving full screen with the browser's own key leaves presenter mode
    let doc = window.document();
    let on_change = Closure::<dyn FnMut()>::new(move || {
        let full = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.fullscreen_element())
            .is_some();
        let ours = !full && LEAVING.with(|l| l.replace(false));
        if !full && !ours && st.presenting.get_untracked() && FULL.with(|f| f.get()) {
            present(st, false);
        }
        FULL.with(|f| f.set(full));
    });
    if let Some(doc) = doc {
        let _ = doc.add_event_listener_with_callback(
            "fullscreenchange",
            on_change.as_ref().unchecked_ref(),
        );
    }
    on_change.forget();
}

thread_local! {
    /// Whether the page was in full screen at the last change.
    static FULL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Whether the page itself asked to leave full screen, and the browser
    /// has not said it left yet.
    static LEAVING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The overlay that lists the keys (`?`).
#[component]
pub fn Help() -> impl IntoView {
    let st = expect_context::<AppState>();
    // the list takes the keyboard's focus while it is open
    let close = NodeRef::<leptos::html::Button>::new();
    Effect::new(move || {
        if let Some(b) = close.get() {
            let _ = b.focus();
        }
    });
    view! {
        <Show when=move || st.help.get()>
            <div class="overlay" data-testid="help" role="dialog" aria-modal="true" aria-label="keys">
                <div class="overlay-box">
                    <h2>"Keys"</h2>
                    <table class="keys">
                        <tbody>
                            {KEYS.iter().map(|(k, what)| view! {
                                <tr><th><kbd>{*k}</kbd></th><td>{*what}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <button node_ref=close on:click=move |_| show_help(st, false)>"Close (Esc)"</button>
                </div>
            </div>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_key_has_an_action() {
        for k in [
            " ",
            "ArrowRight",
            "ArrowLeft",
            "1",
            "4",
            "r",
            "l",
            "p",
            "?",
            "Escape",
        ] {
            assert!(action(k).is_some(), "{k}");
        }
        assert_eq!(action("3"), Some(Action::Strategy(2)));
        assert_eq!(action("5"), None);
        assert_eq!(action("x"), None);
        assert_eq!(KEYS.len(), 9);
        // a checkbox leaves the page's letters to the page, a text field
        // and a slider keep every key
        assert!(!takes_keys("INPUT", Some("checkbox"), None));
        assert!(takes_keys("INPUT", Some("number"), None));
        assert!(takes_keys("INPUT", None, None));
        assert!(takes_keys("INPUT", Some("range"), None));
        assert!(takes_keys("SELECT", None, None));
        assert!(!takes_keys("BUTTON", None, None));
        assert!(presses("BUTTON", None, None));
        assert!(presses("FIGURE", None, Some("button")));
        assert!(!presses("DIV", None, None));
        for name in STRATEGY_KEYS {
            assert!(StrategyConfig::by_name(name).is_ok(), "{name}");
        }
    }
}
