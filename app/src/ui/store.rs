//! What the page keeps in this browser's IndexedDB, so that a reload or a
//! closed tab loses nothing: the stream (bundled scenario and the classes
//! the user added), the runs and their records, the uploads waiting to
//! become a class, the settings, and the active run's checkpoint at its
//! latest task boundary. Written at once, or at most every [`THROTTLE_MS`]
//! while changes come fast, each time in one transaction, so what is stored
//! is always one consistent moment (a failed write — a full disk — leaves
//! the previous one whole).
//!
//! Nothing here leaves the browser.

use std::cell::RefCell;

use js_sys::{Array, Promise, Uint8Array};
use leptos::prelude::*;
use palimpsest_core::strategy::StrategyConfig;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DomException, IdbDatabase, IdbRequest, IdbTransaction, IdbTransactionMode};

use super::session;
use super::state::{AppState, Interrupted, Pending, RunView};
use crate::protocol::{Command, RunState};

const DB: &str = "palimpsest";
const STORE: &str = "saved";
/// What the stored page looks like; another value is not restored.
const FORMAT: u32 = 1;
/// Longest wait between a change and its write.
const THROTTLE_MS: i32 = 400;

/// The page as stored (the stream and the checkpoint under keys of their
/// own: they are large and change seldom).
#[derive(Debug, Serialize, Deserialize)]
struct Page {
    format: u32,
    runs: Vec<RunView>,
    shown: Option<usize>,
    active: Option<usize>,
    next_id: usize,
    strategy: StrategyConfig,
    epochs: usize,
    /// The learning rate (absent in what earlier versions kept: the
    /// stream's demo rate).
    #[serde(default)]
    lr: Option<f64>,
    pretrained: bool,
    /// The fusion stage (absent in what earlier versions kept: off).
    #[serde(default)]
    fusion: bool,
    queue: Vec<StrategyConfig>,
    pending: Vec<Pending>,
}

#[derive(Default)]
struct Writer {
    /// Writes are allowed (after the restore; not while clearing).
    on: bool,
    /// Everything stored was deleted; the page reloads.
    cleared: bool,
    busy: bool,
    dirty: bool,
    /// The stream's version and the checkpoint last written.
    stream_saved: Option<usize>,
    checkpoint_saved: Option<(usize, usize)>,
    /// A failed write was reported (until one succeeds again).
    reported: bool,
}

thread_local! {
    static WRITER: RefCell<Writer> = RefCell::new(Writer::default());
    static CONNECTION: RefCell<Option<IdbDatabase>> = const { RefCell::new(None) };
}

/// A DOMException as "Name: message" (just the name when it has no message).
fn dom(d: &DomException) -> String {
    match d.message() {
        m if m.trim().is_empty() => d.name(),
        m => format!("{}: {m}", d.name()),
    }
}

fn js_err(e: JsValue) -> String {
    e.dyn_ref::<DomException>()
        .map(dom)
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

/// Waits for a request's success; its error (a DOMException) otherwise.
async fn request(req: &IdbRequest) -> Result<JsValue, String> {
    let promise = Promise::new(&mut |resolve, reject| {
        req.set_onsuccess(Some(resolve.unchecked_ref()));
        req.set_onerror(Some(reject.unchecked_ref()));
    });
    match JsFuture::from(promise).await {
        Ok(_) => req.result().map_err(js_err),
        Err(_) => Err(req
            .error()
            .ok()
            .flatten()
            .map(|d| dom(&d))
            .unwrap_or_else(|| "the request failed".into())),
    }
}

/// Why a write failed: the browser's storage for the page is full, or
/// something else (named).
enum WriteError {
    Full(String),
    Other(String),
}

/// Waits until a transaction commits.
async fn committed(tx: &IdbTransaction) -> Result<(), WriteError> {
    let promise = Promise::new(&mut |resolve, reject| {
        tx.set_oncomplete(Some(resolve.unchecked_ref()));
        tx.set_onerror(Some(reject.unchecked_ref()));
        tx.set_onabort(Some(reject.unchecked_ref()));
    });
    if JsFuture::from(promise).await.is_ok() {
        return Ok(());
    }
    Err(match tx.error() {
        Some(d) if d.name() == "QuotaExceededError" => WriteError::Full(dom(&d)),
        Some(d) => WriteError::Other(dom(&d)),
        None => WriteError::Other("the write was aborted".into()),
    })
}

fn factory() -> Result<web_sys::IdbFactory, String> {
    web_sys::window()
        .ok_or("no window")?
        .indexed_db()
        .map_err(js_err)?
        .ok_or_else(|| "this browser offers no IndexedDB".into())
}

async fn open() -> Result<IdbDatabase, String> {
    if let Some(db) = CONNECTION.with(|c| c.borrow().clone()) {
        return Ok(db);
    }
    let req = factory()?.open_with_u32(DB, 1).map_err(js_err)?;
    let for_upgrade = req.clone();
    let upgrade = Closure::once(move |_: web_sys::Event| {
        if let Ok(db) = for_upgrade.result() {
            let db: IdbDatabase = db.unchecked_into();
            if !db.object_store_names().contains(STORE) {
                let _ = db.create_object_store(STORE);
            }
        }
    });
    req.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let db: IdbDatabase = request(&req).await?.unchecked_into();
    drop(upgrade);
    CONNECTION.with(|c| *c.borrow_mut() = Some(db.clone()));
    Ok(db)
}

/// What a reload finds: the stored page, stream and checkpoint.
pub struct Saved {
    page: Page,
    stream: Vec<Command>,
    checkpoint: Option<(usize, usize, Uint8Array)>,
}

/// Reads what an earlier visit stored. `Ok(None)`: nothing stored.
/// `Err`: stored data that cannot be used (said why).
pub async fn read() -> Result<Option<Saved>, String> {
    let db = open().await?;
    let tx = db.transaction_with_str(STORE).map_err(js_err)?;
    let store = tx.object_store(STORE).map_err(js_err)?;
    let get = |key: &str| store.get(&JsValue::from_str(key)).map_err(js_err);
    let (page, stream, checkpoint) = (get("page")?, get("stream")?, get("checkpoint")?);
    let page = request(&page).await?;
    let Some(page) = page.as_string() else {
        return Ok(None);
    };
    let page: Page = match serde_json::from_str(&page) {
        Ok(p) => p,
        Err(e) => return Err(format!("the saved page is unreadable ({e})")),
    };
    if page.format != FORMAT {
        return Err(format!(
            "it was saved by another version of the page (format {})",
            page.format
        ));
    }
    let stream = match request(&stream).await?.as_string() {
        Some(s) => {
            serde_json::from_str(&s).map_err(|e| format!("the saved stream is unreadable ({e})"))?
        }
        None => Vec::new(),
    };
    let checkpoint = request(&checkpoint).await?;
    let checkpoint = checkpoint.dyn_ref::<Array>().and_then(|a| {
        let run = a.get(0).as_f64()? as usize;
        let done = a.get(1).as_f64()? as usize;
        let bytes = a.get(2).dyn_into::<Uint8Array>().ok()?;
        Some((run, done, bytes))
    });
    Ok(Some(Saved {
        page,
        stream,
        checkpoint,
    }))
}

/// What a restore leaves to do.
pub struct Restored {
    /// A run that was training, offered to go on.
    pub interrupted: Option<Interrupted>,
    /// The active run finished: its model comes back from its checkpoint at
    /// the end of its last task (run, k, bytes), for the playground and for
    /// classes added later.
    pub finished: Option<(usize, usize, Uint8Array)>,
}

/// Puts what was read back into the page and the worker. The stream's
/// commands go to the worker in their order (a page with no stored stream
/// loads the default).
pub fn restore(st: AppState, saved: Saved) -> Restored {
    let Saved {
        page,
        stream,
        checkpoint,
    } = saved;
    for cmd in &stream {
        if let Command::Load { scenario, seed } = cmd {
            st.scenario.set(scenario.clone());
            st.seed.set(*seed);
        }
        session::send(cmd);
    }
    st.strategy.set(page.strategy);
    st.epochs.set(page.epochs);
    if let Some(lr) = page.lr {
        st.lr.set(lr);
    }
    st.pretrained.set(page.pretrained);
    st.fusion.set(page.fusion);
    st.queue.set(page.queue);
    let last_id = page
        .runs
        .iter()
        .map(|r| r.id)
        .chain(page.pending.iter().map(|p| p.id))
        .max()
        .unwrap_or(0);
    st.next_id.set(page.next_id.max(last_id + 1));
    st.pending.set(page.pending);
    let mut runs = page.runs;
    let mut interrupted = None;
    for v in &mut runs {
        if matches!(v.state, Some(RunState::Running) | Some(RunState::Paused)) {
            v.state = Some(RunState::Stopped);
            if Some(v.id) == page.active && v.config.is_some() {
                let k = checkpoint
                    .as_ref()
                    .filter(|c| c.0 == v.id)
                    .map(|c| (c.1, c.2.clone()));
                interrupted = Some(Interrupted {
                    run: v.id,
                    label: v.label.clone(),
                    task: v.task.max(1),
                    checkpoint: k,
                });
            }
        }
    }
    let finished = runs
        .iter()
        .find(|v| Some(v.id) == page.active && v.state == Some(RunState::Finished))
        .and_then(|v| {
            checkpoint
                .clone()
                .filter(|c| c.0 == v.id && c.1 == v.acc.len())
        });
    st.runs.set(runs);
    st.shown.set(page.shown);
    st.active.set(page.active);
    if page.active.is_some() {
        st.run_state.set(Some(RunState::Stopped));
    }
    Restored {
        interrupted,
        finished,
    }
}

fn snapshot(st: AppState) -> Page {
    Page {
        format: FORMAT,
        runs: st.runs.get_untracked(),
        shown: st.shown.get_untracked(),
        active: st.active.get_untracked(),
        next_id: st.next_id.get_untracked(),
        strategy: st.strategy.get_untracked(),
        epochs: st.epochs.get_untracked(),
        lr: Some(st.lr.get_untracked()),
        pretrained: st.pretrained.get_untracked(),
        fusion: st.fusion.get_untracked(),
        queue: st.queue.get_untracked(),
        pending: st.pending.get_untracked(),
    }
}

/// Every change to what [`snapshot`] takes is written (once [`keep`] has
/// started): the signals it reads, and the stream (which `dataset` follows).
pub fn watch(st: AppState) {
    Effect::new(move |_| {
        st.runs.track();
        st.pending.track();
        st.strategy.track();
        st.epochs.track();
        st.lr.track();
        st.pretrained.track();
        st.fusion.track();
        st.queue.track();
        st.shown.track();
        st.active.track();
        st.dataset.track();
        st.checkpoint_at.track();
        changed(st);
    });
}

/// Writes the page now (and the stream and the checkpoint where they
/// changed since the last write), in one transaction.
async fn write(st: AppState) -> Result<(), WriteError> {
    let db = open().await.map_err(WriteError::Other)?;
    let page = serde_json::to_string(&snapshot(st)).expect("the page serialises");
    let (stream_version, stream) = session::history();
    let checkpoint = session::checkpoint();
    let (stream_saved, checkpoint_saved) =
        WRITER.with(|w| (w.borrow().stream_saved, w.borrow().checkpoint_saved));
    let other = |e: JsValue| WriteError::Other(js_err(e));
    let tx = db
        .transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)
        .map_err(other)?;
    let store = tx.object_store(STORE).map_err(other)?;
    store
        .put_with_key(&JsValue::from_str(&page), &"page".into())
        .map_err(other)?;
    if stream_saved != Some(stream_version) {
        let text = serde_json::to_string(&stream).expect("commands serialise");
        store
            .put_with_key(&JsValue::from_str(&text), &"stream".into())
            .map_err(other)?;
    }
    let checkpoint_key = checkpoint.as_ref().map(|c| (c.0, c.1));
    if checkpoint_key != checkpoint_saved {
        match &checkpoint {
            Some((run, done, bytes)) => {
                let value = Array::of3(&(*run as f64).into(), &(*done as f64).into(), bytes);
                store
                    .put_with_key(&value, &"checkpoint".into())
                    .map_err(other)?;
            }
            None => {
                store.delete(&"checkpoint".into()).map_err(other)?;
            }
        }
    }
    committed(&tx).await?;
    WRITER.with(|w| {
        let mut w = w.borrow_mut();
        w.stream_saved = Some(stream_version);
        w.checkpoint_saved = checkpoint_key;
    });
    Ok(())
}

async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Something the page keeps changed: it is written now, or — while changes
/// come fast (a run training) — at most [`THROTTLE_MS`] after the last write.
pub fn changed(st: AppState) {
    // None: not keeping (yet); Some(start): whether no write loop runs
    let start = WRITER.with(|w| {
        let mut w = w.borrow_mut();
        w.on.then(|| {
            w.dirty = true;
            !std::mem::replace(&mut w.busy, true)
        })
    });
    let Some(start) = start else {
        return;
    };
    if st.saved.get_untracked() == "kept" {
        st.saved.set("saving");
    }
    if start {
        leptos::task::spawn_local(write_loop(st));
    }
}

async fn write_loop(st: AppState) {
    loop {
        let go = WRITER.with(|w| {
            let mut w = w.borrow_mut();
            w.dirty = false;
            w.on
        });
        if !go {
            break;
        }
        let result = write(st).await;
        let first = WRITER.with(|w| {
            let mut w = w.borrow_mut();
            let first = !w.reported;
            w.reported = result.is_err();
            first
        });
        match &result {
            Ok(()) => {}
            Err(WriteError::Full(e)) if first => st.error(format!(
                "This browser's storage for the page is full ({e}): the latest state of \
                 the runs was not saved; what was saved before is kept whole. Training \
                 goes on. “Clear saved data” or the browser's settings free the space."
            )),
            Err(WriteError::Other(e)) if first => st.error(format!(
                "The page could not save its state in this browser ({e}); what was saved \
                 before is kept. Training goes on."
            )),
            Err(_) => {}
        }
        if !WRITER.with(|w| w.borrow().dirty && w.borrow().on) {
            st.saved
                .set(if result.is_ok() { "kept" } else { "not saved" });
            break;
        }
        sleep(THROTTLE_MS).await;
    }
    WRITER.with(|w| w.borrow_mut().busy = false);
}

/// Starts keeping the page: from now on every change is written.
pub fn keep(st: AppState) {
    WRITER.with(|w| w.borrow_mut().on = true);
    changed(st);
}

/// Deletes everything stored and starts the page afresh. When the deletion
/// fails, the page goes on keeping its state as before.
pub async fn clear_all() -> Result<(), String> {
    let set = |on: bool| {
        WRITER.with(|w| {
            let mut w = w.borrow_mut();
            w.on = on;
            w.cleared = !on;
        })
    };
    set(false);
    if let Some(db) = CONNECTION.with(|c| c.borrow_mut().take()) {
        db.close();
    }
    let result = delete().await;
    if result.is_err() {
        // the next write opens the database again and writes everything
        WRITER.with(|w| {
            let mut w = w.borrow_mut();
            w.stream_saved = None;
            w.checkpoint_saved = None;
        });
        set(true);
    }
    result
}

async fn delete() -> Result<(), String> {
    let req = factory()?.delete_database(DB).map_err(js_err)?;
    let blocked = Closure::once(move |_: web_sys::Event| {
        web_sys::console::warn_1(
            &"deleting the saved data waits for other tabs of the page".into(),
        );
    });
    req.set_onblocked(Some(blocked.as_ref().unchecked_ref()));
    request(&req).await?;
    drop(blocked);
    Ok(())
}

/// Whether the page is being cleared (no prompt before it reloads).
pub fn clearing() -> bool {
    WRITER.with(|w| w.borrow().cleared)
}
