//! One training worker as the page talks to it: starts it, posts messages
//! (queued until the worker says it is alive), and hands everything it
//! sends back to one handler. It knows nothing of the page's state: the
//! session ([`super::session`]) owns the page's worker and a race
//! ([`super::race`]) one per lane.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};

use crate::protocol::{Command, DeviceChoice, Reply, read_checkpoint_message};

/// The loaders Trunk writes for the two builds of the worker (relative: any
/// static host): CPU only, and CPU plus WebGPU. The WebGPU build is more than
/// twice the download, so the page starts it only where it can be used.
pub const WORKER_URL: &str = "./palimpsest-worker_loader.js";
pub const WEBGPU_WORKER_URL: &str = "./palimpsest-worker-webgpu_loader.js";

/// What a worker sent.
pub enum Incoming {
    Reply(Reply),
    /// A run's checkpoint at a task boundary: (run, tasks done, bytes).
    Checkpoint(usize, usize, js_sys::Uint8Array),
    /// The worker died (an uncaught error); the message says why.
    Failed(String),
    /// A message that is not one of [`Reply`]'s (said why).
    Unreadable(String),
}

#[derive(Default)]
struct Inner {
    worker: Option<Worker>,
    alive: bool,
    /// Messages posted before the worker said it is alive.
    queue: Vec<JsValue>,
    /// Terminated: nothing more is posted, and what it still sends is dropped.
    closed: bool,
}

/// A handle on one worker; clones share it.
#[derive(Clone, Default)]
pub struct WorkerLink(Rc<RefCell<Inner>>);

impl WorkerLink {
    /// A link whose worker is not started yet: messages wait in its queue.
    pub fn new() -> WorkerLink {
        WorkerLink::default()
    }

    /// Starts the worker at `url`; `on` gets everything it sends (but the
    /// "alive" reply, which flushes the queue).
    pub fn start(&self, url: &str, on: impl Fn(Incoming) + 'static) -> Result<(), String> {
        let worker = Worker::new_with_options(url, &web_sys::WorkerOptions::new())
            .map_err(|e| format!("the training worker could not start: {e:?}"))?;
        let on = Rc::new(on);
        let me = self.clone();
        let handler = on.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            if me.0.borrow().closed {
                return;
            }
            let data = ev.data();
            if let Some((run, done, bytes)) = read_checkpoint_message(&data) {
                return handler(Incoming::Checkpoint(run, done, bytes));
            }
            let Some(text) = data.as_string() else {
                return;
            };
            let t0 = js_sys::Date::now();
            match serde_json::from_str::<Reply>(&text) {
                Ok(Reply::Alive) => me.flush(),
                Ok(reply) => handler(Incoming::Reply(reply)),
                Err(e) => handler(Incoming::Unreadable(e.to_string())),
            }
            let ms = js_sys::Date::now() - t0;
            if ms > 50.0 {
                let kind = text.get(..40).unwrap_or(&text);
                web_sys::console::warn_1(
                    &format!("slow reply ({ms:.0} ms, {} bytes): {kind}", text.len()).into(),
                );
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let me = self.clone();
        let on_error =
            Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |ev: web_sys::ErrorEvent| {
                ev.prevent_default();
                if !me.0.borrow().closed {
                    on(Incoming::Failed(ev.message()));
                }
            });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        self.0.borrow_mut().worker = Some(worker);
        Ok(())
    }

    /// The worker's URL for a device choice: the WebGPU build where it is
    /// asked for or (Auto) where the browser has a hardware adapter.
    pub async fn url_for(device: DeviceChoice) -> &'static str {
        match device {
            DeviceChoice::Cpu => WORKER_URL,
            DeviceChoice::Webgpu => WEBGPU_WORKER_URL,
            DeviceChoice::Auto => {
                if crate::adapter::probe().await.is_some_and(|a| !a.software) {
                    WEBGPU_WORKER_URL
                } else {
                    WORKER_URL
                }
            }
        }
    }

    fn flush(&self) {
        let (worker, queued) = {
            let mut inner = self.0.borrow_mut();
            inner.alive = true;
            (inner.worker.clone(), std::mem::take(&mut inner.queue))
        };
        if let Some(w) = worker {
            for msg in queued {
                let _ = w.post_message(&msg);
            }
        }
    }

    /// Posts a message, or queues it until the worker is alive.
    pub fn post(&self, msg: JsValue) {
        let mut inner = self.0.borrow_mut();
        if inner.closed {
            return;
        }
        match (&inner.worker, inner.alive) {
            (Some(w), true) => {
                let _ = w.post_message(&msg);
            }
            _ => inner.queue.push(msg),
        }
    }

    pub fn send(&self, cmd: &Command) {
        self.post(JsValue::from_str(&cmd.to_json()));
    }

    /// Whether `other` is a handle on this same worker.
    pub fn is(&self, other: &WorkerLink) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// Whether the worker has said it is alive.
    pub fn is_alive(&self) -> bool {
        self.0.borrow().alive
    }

    /// Stops the worker; what it still sends is dropped.
    pub fn terminate(&self) {
        let mut inner = self.0.borrow_mut();
        inner.closed = true;
        inner.queue.clear();
        if let Some(w) = inner.worker.take() {
            w.terminate();
        }
    }
}
