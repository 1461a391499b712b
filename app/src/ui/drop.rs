//! What a drop onto the upload zone holds: its files, with dropped folders
//! walked through the browser's File and Directory Entries API. Each file
//! keeps its path inside the drop ("kiwi/1.png"), so subfolders name classes
//! as they do for the folder picker.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DataTransfer, ErrorCallback, File, FileSystemDirectoryEntry, FileSystemEntry,
    FileSystemFileEntry,
};

/// The drop's entries. Taken while the drop event lasts: the browser empties
/// the item list once the handler returns.
pub fn entries(dt: &DataTransfer) -> Vec<FileSystemEntry> {
    let items = dt.items();
    (0..items.length())
        .filter_map(|i| items.get(i))
        .filter(|item| item.kind() == "file")
        .filter_map(|item| item.webkit_get_as_entry().ok().flatten())
        .collect()
}

/// Runs `start(resolve, reject)` and awaits what it resolves with.
async fn called_back(
    start: impl FnOnce(&js_sys::Function, &ErrorCallback) -> Result<(), JsValue>,
) -> Result<JsValue, JsValue> {
    let mut start = Some(start);
    let mut failed = None;
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        if let Some(start) = start.take()
            && let Err(e) = start(&resolve, reject.unchecked_ref())
        {
            failed = Some(e);
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    JsFuture::from(promise).await
}

/// Every file under `entries`, with its path in the drop, sorted by path;
/// and one message for each folder or file that could not be read.
pub async fn walk(entries: Vec<FileSystemEntry>) -> (Vec<(String, File)>, Vec<String>) {
    let mut todo = entries;
    let mut files = Vec::new();
    let mut problems = Vec::new();
    while let Some(entry) = todo.pop() {
        let path = entry.full_path().trim_start_matches('/').to_string();
        if entry.is_directory() {
            let reader = entry
                .unchecked_ref::<FileSystemDirectoryEntry>()
                .create_reader();
            // readEntries gives a folder in batches, then an empty one
            loop {
                let batch = called_back(|ok, err| {
                    reader.read_entries_with_callback_and_error_callback(ok, err)
                })
                .await;
                match batch {
                    Ok(list) => {
                        let list: js_sys::Array = list.unchecked_into();
                        if list.length() == 0 {
                            break;
                        }
                        todo.extend(list.iter().map(|e| e.unchecked_into::<FileSystemEntry>()));
                    }
                    Err(_) => {
                        problems.push(format!("{path}: the folder could not be read"));
                        break;
                    }
                }
            }
        } else if entry.is_file() {
            let file = called_back(|ok, err| {
                entry
                    .unchecked_ref::<FileSystemFileEntry>()
                    .file_with_callback_and_error_callback(ok, err);
                Ok(())
            })
            .await;
            match file {
                Ok(f) => files.push((path, f.unchecked_into::<File>())),
                Err(_) => problems.push(format!("{path}: the file could not be read")),
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    (files, problems)
}
