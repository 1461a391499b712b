//! Add a modality: the visitor draws (sketch pad) or says (microphone)
//! examples of classes the stream already has; they become one new task of
//! that modality, which the next run trains and measures against an expert.
//! Drawings go through the sketch pack's own rasteriser
//! (`core::data::sketch`), recordings through the speech pack's log-mel
//! code (`core::data::logmel`), so that they look like the bundled ones.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::html::Canvas;
use leptos::prelude::*;
use palimpsest_core::data::logmel::LogMel;
use palimpsest_core::data::modality::MIN_USER_SAMPLES;
use palimpsest_core::data::sketch::{self, Stroke};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::session::{busy, send};
use super::state::AppState;
use crate::png::png_url;
use crate::protocol::{Command, DatasetView, ModalSample};

/// The pad's side in CSS pixels (the strokes are scaled to the pack's frame).
const PAD: u32 = 240;
/// How long one recording lasts: a word and some silence around it.
pub const RECORD_MS: i32 = 1600;

#[derive(Debug, Clone, PartialEq)]
struct Kept {
    id: usize,
    modality: &'static str,
    class: String,
    pixels: Vec<u8>,
}

/// A grey picture (one byte a pixel) as the RGB a sample holds.
fn grey_to_rgb(grey: &[u8]) -> Vec<u8> {
    grey.iter().flat_map(|&v| [v; 3]).collect()
}

fn js_error(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

/// `ms` of the microphone's sound, mono, and its sample rate.
async fn record(ms: i32) -> Result<(Vec<f32>, u32), String> {
    let window = web_sys::window().ok_or("no window")?;
    let devices = window
        .navigator()
        .media_devices()
        .map_err(|_| "this browser gives no access to a microphone")?;
    let constraints = web_sys::MediaStreamConstraints::new();
    constraints.set_audio(&JsValue::TRUE);
    let asked = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(js_error)?;
    let stream: web_sys::MediaStream = JsFuture::from(asked)
        .await
        .map_err(|e| format!("the microphone is not available: {}", js_error(e)))?
        .unchecked_into();
    let ctx = web_sys::AudioContext::new().map_err(js_error)?;
    let rate = ctx.sample_rate() as u32;
    let source = ctx.create_media_stream_source(&stream).map_err(js_error)?;
    let node = ctx
        .create_script_processor_with_buffer_size_and_number_of_input_channels_and_number_of_output_channels(
            4096, 1, 1,
        )
        .map_err(js_error)?;
    let pcm = Rc::new(RefCell::new(Vec::<f32>::new()));
    let sink = pcm.clone();
    let on_audio = Closure::<dyn FnMut(web_sys::AudioProcessingEvent)>::new(
        move |ev: web_sys::AudioProcessingEvent| {
            if let Ok(buffer) = ev.input_buffer()
                && let Ok(samples) = buffer.get_channel_data(0)
            {
                sink.borrow_mut().extend_from_slice(&samples);
            }
        },
    );
    node.set_onaudioprocess(Some(on_audio.as_ref().unchecked_ref()));
    let connected = source
        .connect_with_audio_node(&node)
        .and_then(|_| node.connect_with_audio_node(&ctx.destination()));
    if connected.is_ok() {
        crate::adapter::sleep(ms).await;
    }
    node.set_onaudioprocess(None);
    let _ = source.disconnect();
    let _ = node.disconnect();
    for track in stream.get_tracks().iter() {
        if let Ok(t) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            t.stop();
        }
    }
    let _ = ctx.close();
    connected.map_err(js_error)?;
    drop(on_audio);
    let pcm = pcm.take();
    Ok((pcm, rate))
}

/// One line where the browser offers no microphone (no access on this
/// address, or none plugged in): the speech task needs one, the rest of the
/// page goes on without. Asking which devices exist needs no permission.
async fn microphone_note() -> Option<&'static str> {
    let navigator = web_sys::window()?.navigator();
    let devices = js_sys::Reflect::get(&navigator, &"mediaDevices".into()).ok()?;
    let method = |name: &str| {
        js_sys::Reflect::get(&devices, &name.into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    };
    let (Some(_), Some(list)) = (method("getUserMedia"), method("enumerateDevices")) else {
        return Some(
            "This browser gives no access to a microphone here (it needs https or localhost): \
             the speech task cannot be recorded; drawing works.",
        );
    };
    let listed = list
        .call0(&devices)
        .ok()?
        .dyn_into::<js_sys::Promise>()
        .ok()?;
    let found = JsFuture::from(listed).await.ok()?;
    let any = js_sys::Array::from(&found).iter().any(|d| {
        js_sys::Reflect::get(&d, &"kind".into())
            .ok()
            .and_then(|k| k.as_string())
            .is_some_and(|k| k == "audioinput")
    });
    (!any).then_some(
        "No microphone found: the speech task needs one (plug one in and record); drawing works.",
    )
}

/// The log-mel picture of a recording, as a sample's pixels.
fn spoken(pcm: &[f32], rate: u32) -> Result<Vec<u8>, String> {
    let grey = LogMel::new(rate)?.pixels(pcm)?;
    Ok(grey_to_rgb(&grey))
}

#[component]
pub fn AddModality() -> impl IntoView {
    let st = expect_context::<AppState>();
    let modality = RwSignal::new("sketch");
    let mic_note = RwSignal::new(None::<&'static str>);
    leptos::task::spawn_local(async move { mic_note.set(microphone_note().await) });
    let class = RwSignal::new(String::new());
    let kept = RwSignal::new(Vec::<Kept>::new());
    let next = StoredValue::new(0usize);
    let strokes = StoredValue::new(Vec::<Stroke>::new());
    let pen_down = StoredValue::new(false);
    let inked = RwSignal::new(false);
    let recording = RwSignal::new(false);
    let last_recording = RwSignal::new(None::<Vec<u8>>);
    let pad = NodeRef::<Canvas>::new();

    let names = Memo::new(move |_| {
        st.dataset
            .with(|d| d.as_ref().map(DatasetView::class_names))
            .unwrap_or_default()
    });
    // a class of the stream stays chosen; a new stream picks its first
    Effect::new(move |_| {
        let n = names.get();
        if !n.contains(&class.get_untracked()) {
            class.set(n.first().cloned().unwrap_or_default());
        }
        kept.update(|k| k.retain(|x| n.contains(&x.class)));
    });

    let ctx2d = move || -> Option<web_sys::CanvasRenderingContext2d> {
        pad.get()?.get_context("2d").ok()??.dyn_into().ok()
    };
    let clear_pad = move || {
        strokes.set_value(Vec::new());
        inked.set(false);
        if let Some(c) = ctx2d() {
            c.set_fill_style_str("#fff");
            c.fill_rect(0.0, 0.0, f64::from(PAD), f64::from(PAD));
        }
    };
    Effect::new(move |_| {
        if pad.get().is_some() {
            clear_pad();
        }
    });
    let point = |ev: &web_sys::PointerEvent| (f64::from(ev.offset_x()), f64::from(ev.offset_y()));
    let on_down = move |ev: web_sys::PointerEvent| {
        ev.prevent_default();
        if let Some(el) = pad.get() {
            let _ = el.set_pointer_capture(ev.pointer_id());
        }
        pen_down.set_value(true);
        strokes.update_value(|s| s.push(vec![point(&ev)]));
    };
    let on_move = move |ev: web_sys::PointerEvent| {
        if !pen_down.get_value() {
            return;
        }
        let p = point(&ev);
        let from = strokes.with_value(|s| s.last().and_then(|l| l.last().copied()));
        strokes.update_value(|s| {
            if let Some(l) = s.last_mut() {
                l.push(p);
            }
        });
        if let (Some(c), Some(a)) = (ctx2d(), from) {
            c.set_stroke_style_str("#111");
            c.set_line_width(4.0);
            c.set_line_cap("round");
            c.begin_path();
            c.move_to(a.0, a.1);
            c.line_to(p.0, p.1);
            c.stroke();
            inked.set(true);
        }
    };
    let on_up = move |_| pen_down.set_value(false);

    let keep = move |m: &'static str, pixels: Vec<u8>| {
        let id = next.get_value();
        next.set_value(id + 1);
        kept.update(|k| {
            k.push(Kept {
                id,
                modality: m,
                class: class.get_untracked(),
                pixels,
            })
        });
    };
    let keep_drawing = move |_| {
        let drawn = strokes.with_value(|s| sketch::pixels(s));
        match drawn {
            Ok(px) => {
                keep("sketch", px);
                clear_pad();
            }
            Err(e) => st.error(e.to_string()),
        }
    };
    let do_record = move |_| {
        if recording.get_untracked() {
            return;
        }
        recording.set(true);
        leptos::task::spawn_local(async move {
            let got = record(RECORD_MS)
                .await
                .and_then(|(pcm, rate)| spoken(&pcm, rate));
            recording.set(false);
            match got {
                Ok(px) => {
                    last_recording.set(Some(px.clone()));
                    keep("speech", px);
                }
                Err(e) => st.error(format!("the recording: {e}")),
            }
        });
    };
    let ask = move |_| {
        let m = modality.get_untracked();
        let pixels = if m == "sketch" {
            strokes
                .with_value(|s| sketch::pixels(s))
                .map_err(|e| e.to_string())
        } else {
            last_recording
                .get_untracked()
                .ok_or_else(|| "record a word first".to_string())
        };
        match pixels {
            Ok(px) => {
                st.prediction.set(None);
                send(&Command::Predict {
                    sample: None,
                    image: None,
                    text: None,
                    other: Some((m.to_string(), px)),
                });
            }
            Err(e) => st.error(e),
        }
    };

    let mine = move || {
        let m = modality.get();
        kept.with(|k| {
            k.iter()
                .filter(|x| x.modality == m)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    // per class of the chosen modality: how many, and whether enough
    let counts = move || {
        let mut out: Vec<(String, usize)> = Vec::new();
        for x in mine() {
            match out.iter_mut().find(|(c, _)| *c == x.class) {
                Some((_, n)) => *n += 1,
                None => out.push((x.class.clone(), 1)),
            }
        }
        out
    };
    let ready = move || {
        let c = counts();
        !c.is_empty() && c.iter().all(|(_, n)| *n >= MIN_USER_SAMPLES)
    };
    let add = move |_| {
        let m = modality.get_untracked();
        let samples: Vec<ModalSample> = mine()
            .into_iter()
            .map(|x| ModalSample {
                class: x.class,
                pixels: x.pixels,
            })
            .collect();
        send(&Command::AddModality {
            modality: m.to_string(),
            samples,
        });
        kept.update(|k| k.retain(|x| x.modality != m));
    };
    let summary = move || {
        let c = counts();
        if c.is_empty() {
            return format!(
                "Nothing yet: give at least {MIN_USER_SAMPLES} for each class you choose."
            );
        }
        c.iter()
            .map(|(name, n)| format!("{name}: {n}"))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let thumbs = move || {
        mine()
            .into_iter()
            .map(|x| {
                let id = x.id;
                view! {
                    <figure class="thumb kept-sample" data-class=x.class.clone()>
                        <img src=png_url(Some(&x.pixels[..])) width="40" height="40" alt="" />
                        <figcaption>{x.class.clone()}</figcaption>
                        <button class="small" title="remove"
                            on:click=move |_| kept.update(|k| k.retain(|y| y.id != id))>"×"</button>
                    </figure>
                }
            })
            .collect_view()
    };
    let options = move || {
        names
            .get()
            .into_iter()
            .map(|n| {
                let v = n.clone();
                view! { <option value=v.clone() selected=move || class.get() == v>{n}</option> }
            })
            .collect_view()
    };
    view! {
        <section class="panel" data-testid="modality-panel">
            <h2>"Add a modality"</h2>
            <p class="muted">
                "Draw or say examples of classes the stream already has. They become one new task of that modality: the next run learns it with an encoder of its own, and the relative gains show what the other modalities kept."
            </p>
            <div class="row">
                <label>"Modality "
                    <select data-testid="modality-kind"
                        on:change=move |ev| modality.set(if event_target_value(&ev) == "speech" { "speech" } else { "sketch" })>
                        <option value="sketch" selected=move || modality.get() == "sketch">"sketch (draw)"</option>
                        <option value="speech" selected=move || modality.get() == "speech">"speech (microphone)"</option>
                    </select>
                </label>
                <label>"Class "
                    <select data-testid="modality-class" on:change=move |ev| class.set(event_target_value(&ev))>
                        {options}
                    </select>
                </label>
            </div>
            <Show when=move || modality.get() == "sketch">
                <div class="row">
                    <canvas node_ref=pad data-testid="sketch-pad" class="sketch-pad"
                        width=PAD.to_string() height=PAD.to_string()
                        on:pointerdown=on_down on:pointermove=on_move
                        on:pointerup=on_up on:pointercancel=on_up></canvas>
                    <div class="column">
                        <button data-testid="keep-drawing" on:click=keep_drawing
                            prop:disabled=move || !inked.get() || class.get().is_empty()>"Keep this drawing"</button>
                        <button on:click=move |_| clear_pad() prop:disabled=move || !inked.get()>"Clear the pad"</button>
                        <button data-testid="predict-drawing" on:click=ask
                            prop:disabled=move || !inked.get() || st.attention.get().is_none()
                            title="the current model's five most probable classes for this drawing (in “Ask the model”)">"Ask the model"</button>
                    </div>
                </div>
            </Show>
            <Show when=move || modality.get() == "speech">
                <div class="row">
                    <button data-testid="record" on:click=do_record
                        prop:disabled=move || recording.get() || class.get().is_empty()>
                        {move || if recording.get() { "Recording…".to_string() } else { format!("Record a word ({:.1} s)", f64::from(RECORD_MS) / 1000.0) }}
                    </button>
                    <button data-testid="predict-recording" on:click=ask
                        prop:disabled=move || last_recording.get().is_none() || st.attention.get().is_none()
                        title="the current model's five most probable classes for the last recording">"Ask the model"</button>
                    <span class="muted">"Say the class's name; the page hears the microphone only while it records, and nothing leaves it."</span>
                </div>
                {move || mic_note.get().map(|n| view! { <p class="muted" data-testid="mic-note">{n}</p> })}
            </Show>
            <div class="thumbs">{thumbs}</div>
            <p class="muted" data-testid="modality-counts">{summary}</p>
            <button data-testid="add-modality" class="primary" on:click=add
                prop:disabled=move || !ready() || busy(st)>
                {move || format!("Add as a new {} task", modality.get())}
            </button>
        </section>
    }
}
