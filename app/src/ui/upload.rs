//! The user's own data: files picked, a folder, or dropped; images decoded
//! and resized by the browser, paired with captions by core's imagefolder
//! rules, then added to the stream as a new entity or relation class.

use std::collections::BTreeMap;

use leptos::prelude::*;
use palimpsest_core::data::IMAGE_SIZE;
use palimpsest_core::data::folder::{
    FileContent, HEADER_BYTES, ImportIssue, MAX_FILE_BYTES, MAX_SIDE, NO_CAPTION, ReadFile,
    admit_upload, check_image_header, escape, is_image_name, pair_files, too_few,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{CanvasRenderingContext2d, File, FileList, HtmlCanvasElement, ImageBitmap};

use super::session::send;
use super::state::{AppState, Pending};
use crate::png::png_url;
use crate::protocol::{Command, DatasetView, NewClass, RunState, UserSample};

/// Decodes an image file with the browser and resizes it to the model's
/// 32×32 RGB, transparency on white.
async fn decode(file: &File) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let promise = window
        .create_image_bitmap_with_blob(file)
        .map_err(|_| "not a readable image".to_string())?;
    let bitmap: ImageBitmap = JsFuture::from(promise)
        .await
        .map_err(|_| "not a readable image".to_string())?
        .dyn_into()
        .map_err(|_| "not a readable image".to_string())?;
    let (w, h) = (bitmap.width(), bitmap.height());
    if w == 0 || h == 0 {
        return Err("the image is empty".into());
    }
    if w > MAX_SIDE || h > MAX_SIDE {
        return Err(format!(
            "the image is {w}×{h} pixels; the largest side allowed is {MAX_SIDE}"
        ));
    }
    let side = IMAGE_SIZE as u32;
    let canvas: HtmlCanvasElement = window
        .document()
        .ok_or("no document")?
        .create_element("canvas")
        .map_err(|_| "no canvas")?
        .unchecked_into();
    canvas.set_width(side);
    canvas.set_height(side);
    let ctx: CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .ok_or("no 2d canvas")?
        .unchecked_into();
    ctx.set_fill_style_str("#ffffff");
    ctx.fill_rect(0.0, 0.0, f64::from(side), f64::from(side));
    ctx.draw_image_with_image_bitmap_and_dw_and_dh(
        &bitmap,
        0.0,
        0.0,
        f64::from(side),
        f64::from(side),
    )
    .map_err(|_| "the image could not be drawn".to_string())?;
    bitmap.close();
    let data = ctx
        .get_image_data(0.0, 0.0, f64::from(side), f64::from(side))
        .map_err(|_| "the image could not be read back".to_string())?
        .data();
    Ok(data.chunks(4).flat_map(|p| [p[0], p[1], p[2]]).collect())
}

/// A picked file's path: inside the chosen folder, or just its name.
fn path_of(file: &File) -> String {
    let rel = js_sys::Reflect::get(file, &"webkitRelativePath".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    if rel.is_empty() { file.name() } else { rel }
}

/// The file's first [`HEADER_BYTES`] (all of it when shorter).
async fn head(file: &File) -> Result<Vec<u8>, String> {
    let end = file.size().min(HEADER_BYTES as f64);
    let part = file
        .slice_with_f64_and_f64(0.0, end)
        .map_err(|_| "could not be read".to_string())?;
    let buf = JsFuture::from(part.array_buffer())
        .await
        .map_err(|_| "could not be read".to_string())?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

async fn read(path: String, file: File) -> ReadFile {
    let too_big = (file.size() > MAX_FILE_BYTES as f64).then(|| {
        format!(
            "the file is {:.1} MB, larger than the {} MB limit",
            file.size() / 1e6,
            MAX_FILE_BYTES / (1024 * 1024)
        )
    });
    let content = if is_image_name(&path) {
        FileContent::Image(match too_big {
            Some(e) => Err(e),
            // the pixel size from the header first: a small file can
            // declare a picture that would take gigabytes to decode
            None => match head(&file).await.and_then(|h| check_image_header(&h)) {
                Ok(_) => decode(&file).await,
                Err(e) => Err(e),
            },
        })
    } else if let Some(e) = too_big {
        FileContent::Unread(e)
    } else {
        match JsFuture::from(file.array_buffer()).await {
            Ok(buf) => FileContent::Bytes(js_sys::Uint8Array::new(&buf).to_vec()),
            Err(_) => FileContent::Unread("could not be read".into()),
        }
    };
    ReadFile { path, content }
}

/// One image for the playground, decoded like an upload.
pub async fn read_one(file: File) -> Result<Vec<u8>, String> {
    let name = file.name();
    match read(name.clone(), file).await.content {
        FileContent::Image(r) => r.map_err(|e| format!("{name}: {e}")),
        FileContent::Bytes(_) => Err(format!("{name}: not an image file")),
        FileContent::Unread(e) => Err(format!("{name}: {e}")),
    }
}

/// Reads every file (with its path: a folder in it names a class), pairs
/// images with captions, and adds the pairs to the pending list; every
/// problem becomes one error naming its file.
pub async fn take_files(st: AppState, files: Vec<(String, File)>) {
    let sizes: Vec<(String, u64)> = files
        .iter()
        .map(|(p, f)| (p.clone(), f.size() as u64))
        .collect();
    let (taken, refused) = admit_upload(&sizes);
    if let Some(message) = refused {
        st.error(message);
    }
    let mut read_files = Vec::with_capacity(taken);
    for (path, f) in files.into_iter().take(taken) {
        read_files.push(read(path, f).await);
    }
    let (pairs, issues) = pair_files(&read_files);
    for (problem, message) in grouped(&issues) {
        if problem == NO_CAPTION {
            st.notice(message);
        } else {
            st.error(message);
        }
    }
    let added: Vec<Pending> = pairs
        .into_iter()
        .map(|pair| Pending {
            id: st.id(),
            thumb: png_url(Some(&pair.image[..])),
            pair,
        })
        .collect();
    st.pending.update(|p| p.extend(added));
}

/// One message per kind of problem, naming every file it concerns: a
/// hundred images without captions are one line, not a hundred. With its
/// problem, in the order problems first came.
fn grouped(issues: &[ImportIssue]) -> Vec<(String, String)> {
    let mut groups: Vec<(String, Vec<&ImportIssue>)> = Vec::new();
    for issue in issues {
        match groups.iter_mut().find(|g| g.0 == issue.problem) {
            Some(g) => g.1.push(issue),
            None => groups.push((issue.problem.clone(), vec![issue])),
        }
    }
    groups
        .into_iter()
        .map(|(problem, list)| {
            let message = match list[..] {
                [one] => one.to_string(),
                _ => format!(
                    "{} files — {}: {}",
                    list.len(),
                    escape(&problem),
                    list.iter()
                        .map(|i| escape(&i.file).into_owned())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            (problem, message)
        })
        .collect()
}

/// The files of an input or a drop.
pub(super) fn list(files: Option<FileList>) -> Vec<File> {
    let Some(files) = files else {
        return Vec::new();
    };
    (0..files.length()).filter_map(|i| files.get(i)).collect()
}

/// Turns the pending pairs into classes: all of them under `name`, or, with
/// no name, one class per label their folders or metadata give. A class
/// with too few images is left out with the import's message (the second
/// value); none left, or a name the stream (`existing`) has, is an error and
/// the pairs stay pending.
pub fn classes_from(
    pending: &[Pending],
    name: &str,
    existing: &[String],
) -> Result<(Vec<NewClass>, Vec<String>), String> {
    if pending.is_empty() {
        return Err("upload image–caption pairs first".into());
    }
    let sample = |p: &Pending| UserSample {
        image: p.pair.image.clone(),
        text: p.pair.text.clone(),
    };
    let mut by_label: BTreeMap<String, Vec<UserSample>> = BTreeMap::new();
    if !name.trim().is_empty() {
        by_label.insert(
            name.trim().to_string(),
            pending.iter().map(sample).collect(),
        );
    } else {
        for p in pending {
            let Some(label) = &p.pair.label else {
                return Err(format!(
                    "{} has no class: type a name for the new class",
                    p.pair.file
                ));
            };
            by_label.entry(label.clone()).or_default().push(sample(p));
        }
    }
    let mut problems = Vec::new();
    let mut classes = Vec::new();
    for (name, samples) in by_label {
        if let Some(p) = existing.iter().find(|c| c.eq_ignore_ascii_case(&name)) {
            return Err(format!(
                "a class named \"{p}\" is already in the stream: type another name"
            ));
        }
        match too_few(&name, samples.len()) {
            Some(problem) => problems.push(problem),
            None => classes.push(NewClass { name, samples }),
        }
    }
    if classes.is_empty() {
        return Err(problems.join("; "));
    }
    Ok((classes, problems))
}

#[component]
pub fn Upload() -> impl IntoView {
    let st = expect_context::<AppState>();
    let name = RwSignal::new(String::new());
    let dragging = RwSignal::new(false);
    // `webkitdirectory` (choose a whole folder) is not a standard attribute
    let folder = NodeRef::<leptos::html::Input>::new();
    Effect::new(move || {
        if let Some(el) = folder.get() {
            let _ = el.set_attribute("webkitdirectory", "");
        }
    });
    let on_files = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let files = list(input.files())
            .into_iter()
            .map(|f| (path_of(&f), f))
            .collect();
        input.set_value("");
        leptos::task::spawn_local(take_files(st, files));
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        let Some(dt) = ev.data_transfer() else {
            return;
        };
        // dropped folders are walked; the entries must be taken right now
        let entries = super::drop::entries(&dt);
        let files = list(dt.files());
        leptos::task::spawn_local(async move {
            let files = if entries.is_empty() {
                files.into_iter().map(|f| (f.name(), f)).collect()
            } else {
                let (files, problems) = super::drop::walk(entries).await;
                for p in problems {
                    st.error(p);
                }
                files
            };
            take_files(st, files).await;
        });
    };
    let kind = move || {
        if st.scenario.get() == "relation" {
            "relation"
        } else {
            "entity"
        }
    };
    let add = move |_| {
        let existing: Vec<String> = st
            .dataset
            .with_untracked(|d| d.as_ref().map(DatasetView::class_names))
            .unwrap_or_default();
        match classes_from(
            &st.pending.get_untracked(),
            &name.get_untracked(),
            &existing,
        ) {
            Ok((classes, problems)) => {
                for p in problems {
                    st.error(p);
                }
                let names: Vec<String> = classes.iter().map(|c| c.name.clone()).collect();
                let trains = matches!(
                    st.run_state.get_untracked(),
                    Some(RunState::Finished) | Some(RunState::Running) | Some(RunState::Paused)
                );
                send(&Command::AddClasses { classes });
                st.pending.set(Vec::new());
                name.set(String::new());
                st.notice(format!(
                    "Added {} as a new task{}",
                    names.join(", "),
                    if trains {
                        ": the run goes on to train it."
                    } else {
                        ": press Start to train the stream."
                    }
                ));
            }
            Err(e) => st.error(e),
        }
    };
    let pending = move || {
        st.pending
            .get()
            .into_iter()
            .map(|p| {
                let id = p.id;
                view! {
                    <figure class="thumb pending">
                        <img src=p.thumb.clone() alt="" width="64" height="64" />
                        <figcaption>
                            {p.pair.text.clone().unwrap_or_else(|| "(no caption)".into())}
                            <br />
                            <span class="muted">{p.pair.file.clone()}</span>
                        </figcaption>
                        <button class="small" title="remove this pair"
                            on:click=move |_| st.pending.update(|v| v.retain(|x| x.id != id))>"×"</button>
                    </figure>
                }
            })
            .collect_view()
    };
    view! {
        <section class="panel">
            <h2>"Your own data"</h2>
            <div class="dropzone" class:dragging=move || dragging.get()
                on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop>
                <p>
                    "Drop images with captions, or folders of them, here — a caption is a .txt file of the same name, or a row of "
                    <code>"metadata.jsonl"</code> " / " <code>"metadata.csv"</code>
                    " (file_name, text, label). Or choose: "
                </p>
                <label class="file">
                    "files… "
                    <input data-testid="upload" type="file" multiple
                        accept="image/*,.txt,.jsonl,.csv" on:change=on_files />
                </label>
                <label class="file">
                    " a folder (one subfolder per class)… "
                    <input data-testid="upload-folder" type="file" multiple node_ref=folder on:change=on_files />
                </label>
                <p class="muted">"Everything stays in this browser."</p>
            </div>
            <div class="grid">{pending}</div>
            <div class="row">
                <label>
                    {move || format!("New {} class name ", kind())}
                    <input type="text" data-testid="class-name" placeholder="e.g. kiwi"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <button data-testid="add-class" on:click=add
                    prop:disabled=move || st.pending.get().is_empty() || !st.ready.get()>
                    {move || format!("Add as a new {} class", kind())}
                </button>
                <span class="muted">{move || format!("{} pair(s) ready", st.pending.get().len())}</span>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palimpsest_core::data::folder::Pair;

    fn pending(label: &str, n: usize) -> Vec<Pending> {
        (0..n)
            .map(|i| Pending {
                id: i,
                pair: Pair {
                    file: format!("{label}/{i}.png"),
                    image: vec![0; 3],
                    text: Some(format!("a {label}")),
                    label: Some(label.to_string()),
                },
                thumb: String::new(),
            })
            .collect()
    }

    #[test]
    fn problems_of_one_kind_are_one_message_naming_every_file() {
        let issue = |file: &str, problem: &str| ImportIssue {
            file: file.into(),
            problem: problem.into(),
        };
        let issues = [
            issue("a/1.png", NO_CAPTION),
            issue("b.png", "not a readable image"),
            issue("a/2.png", NO_CAPTION),
            issue("a/3\n.png", NO_CAPTION),
        ];
        let g = grouped(&issues);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].0, NO_CAPTION);
        assert_eq!(
            g[0].1,
            format!("3 files — {NO_CAPTION}: a/1.png, a/2.png, a/3\\n.png")
        );
        assert_eq!(g[1].1, "b.png: not a readable image");
    }

    #[test]
    fn a_class_too_small_is_left_out_by_name_and_the_rest_is_added() {
        let mut p = pending("kiwi", 3);
        p.extend(pending("solo", 1));
        let (classes, problems) = classes_from(&p, "", &[]).unwrap();
        assert_eq!(classes.len(), 1);
        assert_eq!(classes[0].name, "kiwi");
        assert_eq!(classes[0].samples.len(), 3);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("class \"solo\" has 1 usable image(s) and is left out"));
    }

    #[test]
    fn nothing_to_add_or_a_name_taken_is_an_error() {
        let err = classes_from(&pending("solo", 1), "", &[]).unwrap_err();
        assert!(err.contains("class \"solo\" has 1"), "{err}");
        let err = classes_from(&pending("kiwi", 2), "", &["Kiwi".into()]).unwrap_err();
        assert!(err.contains("\"Kiwi\" is already in the stream"), "{err}");
        let err = classes_from(&pending("x", 2), "kiwi", &["kiwi".into()]).unwrap_err();
        assert!(err.contains("already in the stream"), "{err}");
        assert!(classes_from(&[], "kiwi", &[]).is_err());
        // a typed name takes every pair, whatever their folders
        let mut p = pending("a", 1);
        p.extend(pending("b", 1));
        let (classes, problems) = classes_from(&p, "both", &[]).unwrap();
        assert_eq!((classes.len(), classes[0].samples.len()), (1, 2));
        assert!(problems.is_empty());
    }
}
