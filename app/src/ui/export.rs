//! Charts and the matrix as files, for slides and papers: every chart as
//! PNG and SVG, the accuracy matrix as SVG, PNG and CSV, and a task
//! boundary as one slide-sized PNG with its caption. The SVGs are built
//! from the same data the page draws ([`super::charts::line_svg`],
//! [`matrix_svg`]); a PNG is its SVG drawn onto a canvas. Nothing leaves
//! the browser: the file is handed to its downloads.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::charts::{ChartSpec, line_svg, viridis};
use super::state::AppState;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The accuracy matrix as CSV: one row per task trained ("after task i"),
/// one column per task tested, scores as fractions (4 decimals); a row not
/// measured yet is left out.
pub fn matrix_csv(rows: &[Vec<f64>], tasks: usize) -> String {
    let n = tasks.max(rows.iter().map(Vec::len).max().unwrap_or(0));
    let mut out = String::from("after_task");
    for j in 1..=n {
        out.push_str(&format!(",T{j}"));
    }
    out.push('\n');
    for (i, row) in rows.iter().enumerate() {
        out.push_str(&(i + 1).to_string());
        for j in 0..n {
            match row.get(j) {
                Some(v) => out.push_str(&format!(",{v:.4}")),
                None => out.push(','),
            }
        }
        out.push('\n');
    }
    out
}

/// Side of one matrix cell in the SVG.
const CELL: f64 = 44.0;

/// The accuracy matrix as a standalone SVG (viridis, the value in each
/// cell, task labels); cells of `highlight` (row, column, 0-based) framed.
pub fn matrix_svg(rows: &[Vec<f64>], tasks: usize, highlight: &[(usize, usize)]) -> String {
    let n = tasks.max(rows.len()).max(1);
    let left = 74.0;
    let top = 40.0;
    let w = left + CELL * n as f64 + 10.0;
    let h = top + CELL * n as f64 + 10.0;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" \
         height=\"{h}\" font-family=\"system-ui, sans-serif\"><rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\
         <text x=\"{}\" y=\"14\" text-anchor=\"middle\" font-size=\"11\" fill=\"#5f6b7a\">tested on task →</text>\
         <text x=\"8\" y=\"{}\" font-size=\"11\" fill=\"#5f6b7a\">after</text>",
        left + CELL * n as f64 / 2.0,
        top - 6.0
    );
    for j in 0..n {
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#1d2430\">T{}</text>",
            left + CELL * (j as f64 + 0.5),
            top - 6.0,
            j + 1
        ));
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\" fill=\"#1d2430\">task {}</text>",
            left - 8.0,
            top + CELL * (j as f64 + 0.5) + 4.0,
            j + 1
        ));
    }
    for i in 0..n {
        for j in 0..n {
            let (x, y) = (left + CELL * j as f64, top + CELL * i as f64);
            match rows.get(i).and_then(|r| r.get(j)) {
                Some(&v) => out.push_str(&format!(
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"3\" fill=\"{}\"/>\
                     <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"13\" fill=\"{}\">{:.0}</text>",
                    CELL - 2.0,
                    CELL - 2.0,
                    viridis(v),
                    x + CELL / 2.0 - 1.0,
                    y + CELL / 2.0 + 4.0,
                    super::charts::ink_on(v, ("#ffffff", "#000000")),
                    v * 100.0
                )),
                None => out.push_str(&format!(
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"3\" fill=\"#eef1f4\"/>",
                    CELL - 2.0,
                    CELL - 2.0
                )),
            }
        }
    }
    for &(i, j) in highlight.iter().filter(|(i, j)| *i < n && *j < n) {
        out.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"3\" fill=\"none\" \
             stroke=\"#d55e00\" stroke-width=\"3\"/>",
            left + CELL * j as f64,
            top + CELL * i as f64,
            CELL - 2.0,
            CELL - 2.0
        ));
    }
    out.push_str("</svg>");
    out
}

/// Width and height an SVG built here declares.
fn svg_size(svg: &str) -> (f64, f64) {
    let attr = |name: &str| {
        let key = format!(" {name}=\"");
        svg.find(&key)
            .and_then(|i| {
                let rest = &svg[i + key.len()..];
                rest[..rest.find('"')?].parse::<f64>().ok()
            })
            .unwrap_or(400.0)
    };
    (attr("width"), attr("height"))
}

/// A slide (1280×720) of the run after task `k`: the title, the matrix's
/// first `k` rows, the A_k/U_k chart up to `k`, and the caption.
pub fn slide_svg(title: &str, matrix: &str, chart: &ChartSpec, caption: &str) -> String {
    let (mw, mh) = svg_size(matrix);
    let chart = line_svg(chart, true);
    let (cw, ch) = svg_size(&chart);
    // each picture scaled to fit its half of the slide
    let fit = |w: f64, h: f64| (560.0 / w).min(500.0 / h);
    let (ms, cs) = (fit(mw, mh), fit(cw, ch));
    let inner = |svg: &str| {
        let start = svg.find('>').map_or(0, |i| i + 1);
        let end = svg.rfind("</svg>").unwrap_or(svg.len());
        svg[start..end].to_string()
    };
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1280 720\" width=\"1280\" height=\"720\" \
         font-family=\"system-ui, sans-serif\"><rect width=\"1280\" height=\"720\" fill=\"#ffffff\"/>\
         <text x=\"60\" y=\"70\" font-size=\"38\" font-weight=\"600\" fill=\"#14213d\">{}</text>\
         <g transform=\"translate(60 110) scale({ms:.3})\">{}</g>\
         <g transform=\"translate(660 110) scale({cs:.3})\">{}</g>\
         <text x=\"60\" y=\"675\" font-size=\"26\" fill=\"#1d2430\">{}</text></svg>",
        esc(title),
        inner(matrix),
        inner(&chart),
        esc(caption)
    )
}

/// Hands `blob` to the browser's downloads as `name`.
pub fn download_blob(name: &str, blob: &web_sys::Blob) -> Result<(), String> {
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(|_| "no object URL")?;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = doc
        .create_element("a")
        .map_err(|_| "no link")?
        .unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

fn text_blob(text: &str, mime: &str) -> Result<web_sys::Blob, String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)
        .map_err(|_| "could not create the file".to_string())
}

/// Hands `text` to the browser's downloads as `name`.
pub fn download_text(name: &str, mime: &str, text: &str) -> Result<(), String> {
    download_blob(name, &text_blob(text, mime)?)
}

/// Draws `svg` onto a canvas at twice its size and returns it as PNG.
pub async fn svg_to_png(svg: &str) -> Result<web_sys::Blob, String> {
    let (w, h) = svg_size(svg);
    let blob = text_blob(svg, "image/svg+xml")?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| "no object URL")?;
    let img = web_sys::HtmlImageElement::new().map_err(|_| "no image")?;
    let loaded = js_sys::Promise::new(&mut |resolve, reject| {
        img.set_onload(Some(&resolve));
        img.set_onerror(Some(&reject));
    });
    img.set_src(&url);
    let drawn = JsFuture::from(loaded).await;
    let _ = web_sys::Url::revoke_object_url(&url);
    drawn.map_err(|_| "the picture could not be drawn".to_string())?;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let canvas: web_sys::HtmlCanvasElement = doc
        .create_element("canvas")
        .map_err(|_| "no canvas")?
        .unchecked_into();
    let scale = 2.0;
    canvas.set_width((w * scale) as u32);
    canvas.set_height((h * scale) as u32);
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .ok_or("no 2d context")?
        .unchecked_into();
    ctx.scale(scale, scale)
        .map_err(|_| "the canvas refused to scale")?;
    ctx.draw_image_with_html_image_element(&img, 0.0, 0.0)
        .map_err(|_| "the picture could not be drawn")?;
    let done = js_sys::Promise::new(&mut |resolve, _| {
        let _ = canvas.to_blob(&resolve);
    });
    JsFuture::from(done)
        .await
        .ok()
        .and_then(|b| b.dyn_into::<web_sys::Blob>().ok())
        .ok_or_else(|| "the canvas gave no PNG".to_string())
}

/// Saves `svg` as `name`.png, reporting a failure on the page.
pub fn download_png(st: AppState, name: String, svg: String) {
    leptos::task::spawn_local(async move {
        let saved = match svg_to_png(&svg).await {
            Ok(blob) => download_blob(&format!("{name}.png"), &blob),
            Err(e) => Err(e),
        };
        if let Err(e) = saved {
            st.error(format!("{name}.png could not be saved: {e}"));
        }
    });
}

/// Saves `svg` as `name`.svg, reporting a failure on the page.
pub fn download_svg(st: AppState, name: &str, svg: &str) {
    if let Err(e) = download_text(&format!("{name}.svg"), "image/svg+xml", svg) {
        st.error(format!("{name}.svg could not be saved: {e}"));
    }
}

/// PNG and SVG buttons under a chart.
#[component]
pub fn ChartExports(spec: Memo<ChartSpec>, name: &'static str) -> impl IntoView {
    let st = expect_context::<AppState>();
    let file = move || {
        format!(
            "palimpsest-{}",
            if name.is_empty() { "chart" } else { name }
        )
    };
    view! {
        <div class="exports">
            <button class="small" data-testid="export-png" title="save this chart as a PNG picture"
                on:click=move |_| download_png(st, file(), spec.with_untracked(|s| line_svg(s, true)))>"PNG"</button>
            <button class="small" data-testid="export-svg" title="save this chart as an SVG drawing"
                on:click=move |_| download_svg(st, &file(), &spec.with_untracked(|s| line_svg(s, true)))>"SVG"</button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::charts::Series;

    #[test]
    fn csv_has_a_row_per_task_trained_and_a_column_per_task() {
        let csv = matrix_csv(&[vec![0.91, 0.0, 0.0], vec![0.07, 0.88, 0.0]], 3);
        assert_eq!(
            csv,
            "after_task,T1,T2,T3\n1,0.9100,0.0000,0.0000\n2,0.0700,0.8800,0.0000\n"
        );
        assert_eq!(matrix_csv(&[], 2), "after_task,T1,T2\n");
    }

    #[test]
    fn matrix_svg_holds_each_cell_and_frames_the_highlights() {
        let svg = matrix_svg(&[vec![0.9, 0.1], vec![0.05, 0.8]], 2, &[(1, 0)]);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        for v in [">90<", ">10<", ">5<", ">80<"] {
            assert!(svg.contains(v), "{v} in {svg}");
        }
        assert_eq!(svg.matches("stroke=\"#d55e00\"").count(), 1);
        // a row not measured yet is drawn empty
        let partial = matrix_svg(&[vec![0.9, 0.1]], 2, &[]);
        assert_eq!(partial.matches("fill=\"#eef1f4\"").count(), 2);
        assert_eq!(svg_size(&svg), (74.0 + 88.0 + 10.0, 40.0 + 88.0 + 10.0));
    }

    #[test]
    fn a_slide_is_1280_by_720_and_holds_its_caption_escaped() {
        let chart = ChartSpec {
            series: vec![Series {
                name: "A_k".into(),
                color: "#0072B2",
                points: vec![(1.0, 0.9), (2.0, 0.5)],
                dashed: false,
            }],
            x_label: "after task k",
            y_label: "accuracy",
            y_range: Some((0.0, 1.0)),
            x_integer: true,
        };
        let m = matrix_svg(&[vec![0.9, 0.0], vec![0.1, 0.8]], 2, &[]);
        let slide = slide_svg(
            "After task 2",
            &m,
            &chart,
            "task 1 fell from 90 % to 10 % <forgetting>",
        );
        assert_eq!(svg_size(&slide), (1280.0, 720.0));
        assert!(slide.contains("task 1 fell from 90 % to 10 % &lt;forgetting&gt;"));
        assert_eq!(slide.matches("<svg").count(), 1, "the pictures are inlined");
        assert!(slide.contains(">A_k</text>"), "the chart's legend is drawn");
    }

    #[test]
    fn chart_svg_is_standalone_and_draws_each_series() {
        let spec = ChartSpec {
            series: vec![
                Series {
                    name: "training loss".into(),
                    color: "#009E73",
                    points: vec![(1.0, 2.0), (2.0, 1.0)],
                    dashed: false,
                },
                Series {
                    name: "g".into(),
                    color: "#CC79A7",
                    points: vec![],
                    dashed: true,
                },
            ],
            x_label: "step",
            y_label: "loss",
            y_range: None,
            x_integer: false,
        };
        let plain = line_svg(&spec, false);
        assert_eq!(plain.matches("<path").count(), 2);
        assert!(
            !plain.contains(">training loss</text>"),
            "no legend on the page"
        );
        let with = line_svg(&spec, true);
        assert!(with.contains(">g</text>"));
        assert!(svg_size(&with).1 > svg_size(&plain).1);
    }
}
