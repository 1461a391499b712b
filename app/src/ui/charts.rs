//! Small SVG/HTML charts: line charts with axes and a legend, and the
//! accuracy-matrix heat-map. Colours are colour-blind safe (Okabe–Ito for
//! lines, viridis for the heat-map).

use leptos::prelude::*;

/// Okabe–Ito palette (without yellow, which is hard to see on white).
pub const PALETTE: [&str; 7] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub color: &'static str,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
}

const W: f64 = 380.0;
const H: f64 = 190.0;
const ML: f64 = 46.0;
const MR: f64 = 10.0;
const MT: f64 = 10.0;
const MB: f64 = 34.0;
/// Most points drawn per series; longer series are averaged in buckets.
const MAX_POINTS: usize = 300;

/// Averages `points` down to at most `MAX_POINTS`.
pub fn thin(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    if points.len() <= MAX_POINTS {
        return points.to_vec();
    }
    points
        .chunks(points.len().div_ceil(MAX_POINTS))
        .map(|c| {
            let n = c.len() as f64;
            (
                c.iter().map(|p| p.0).sum::<f64>() / n,
                c.iter().map(|p| p.1).sum::<f64>() / n,
            )
        })
        .collect()
}

/// About five round tick values covering `[lo, hi]`.
pub fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).abs().max(1e-12);
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= 6.0)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    // multiples of the step, rounded so 3 × 0.2 prints as 0.6
    (first..=last)
        .map(|i| ((i as f64 * step) * 1e9).round() / 1e9)
        .collect()
}

fn fmt_tick(v: f64) -> String {
    if v == v.round() && v.abs() < 1e6 {
        format!("{v:.0}")
    } else if v.abs() >= 0.1 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A line chart as data: what the page draws and what a chart export
/// writes come from the same [`line_svg`].
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    pub series: Vec<Series>,
    pub x_label: &'static str,
    pub y_label: &'static str,
    /// Fixed y range (e.g. accuracy 0–1); data range otherwise.
    pub y_range: Option<(f64, f64)>,
    /// Ticks on whole numbers only (task indices).
    pub x_integer: bool,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart as a standalone SVG document (every style an attribute, so it
/// looks the same inside the page and as a file). With `legend`, the series'
/// names are drawn under the plot (the page shows them as HTML instead).
pub fn line_svg(spec: &ChartSpec, legend: bool) -> String {
    let series: Vec<Series> = spec
        .series
        .iter()
        .map(|s| Series {
            points: thin(&s.points),
            ..s.clone()
        })
        .collect();
    let pts = || series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1) = pts().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
        (a.min(p.0), b.max(p.0))
    });
    let (mut y0, mut y1) = match spec.y_range {
        Some(r) => r,
        None => pts().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.1), b.max(p.1))
        }),
    };
    if !x0.is_finite() {
        (x0, x1) = (0.0, 1.0);
    }
    if !y0.is_finite() {
        (y0, y1) = (0.0, 1.0);
    }
    if x1 - x0 < 1e-9 {
        x1 = x0 + 1.0;
    }
    if y1 - y0 < 1e-9 {
        y1 = y0 + 1.0;
    }
    if spec.y_range.is_none() {
        let pad = (y1 - y0) * 0.05;
        y0 -= pad;
        y1 += pad;
    }
    let sx = |x: f64| ML + (x - x0) / (x1 - x0) * (W - ML - MR);
    let sy = |y: f64| H - MB - (y - y0) / (y1 - y0) * (H - MT - MB);
    let legend_rows = if legend { series.len() } else { 0 };
    let height = H + 14.0 * legend_rows as f64;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {height}\" \
         width=\"{W}\" height=\"{height}\" font-family=\"system-ui, sans-serif\">"
    );
    out.push_str(&format!(
        "<rect width=\"{W}\" height=\"{height}\" fill=\"#ffffff\"/>"
    ));
    for t in ticks(y0, y1) {
        let y = sy(t);
        out.push_str(&format!(
            "<line x1=\"{ML}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e5e9ee\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"9\" fill=\"#5f6b7a\">{}</text>",
            W - MR,
            ML - 4.0,
            y + 3.0,
            fmt_tick(t)
        ));
    }
    for t in ticks(x0, x1)
        .into_iter()
        .filter(|t| !spec.x_integer || t.fract() == 0.0)
    {
        let x = sx(t);
        out.push_str(&format!(
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{}\" y2=\"{}\" stroke=\"#7b8794\"/>\
             <text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"9\" fill=\"#5f6b7a\">{}</text>",
            H - MB,
            H - MB + 4.0,
            H - MB + 14.0,
            fmt_tick(t)
        ));
    }
    out.push_str(&format!(
        "<line x1=\"{ML}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#7b8794\"/>\
         <line x1=\"{ML}\" x2=\"{ML}\" y1=\"{MT}\" y2=\"{}\" stroke=\"#7b8794\"/>",
        W - MR,
        H - MB,
        H - MB,
        H - MB
    ));
    for s in &series {
        let d: String = s
            .points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!(
                    "{}{:.1},{:.1}",
                    if i == 0 { "M" } else { "L" },
                    sx(p.0),
                    sy(p.1)
                )
            })
            .collect();
        out.push_str(&format!(
            "<path d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>",
            s.color,
            if s.dashed {
                " stroke-dasharray=\"5 3\""
            } else {
                ""
            }
        ));
        if s.points.len() <= 24 {
            for p in &s.points {
                out.push_str(&format!(
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{}\"/>",
                    sx(p.0),
                    sy(p.1),
                    s.color
                ));
            }
        }
    }
    out.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#1d2430\">{}</text>\
         <text x=\"12\" y=\"{mid}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#1d2430\" \
         transform=\"rotate(-90 12 {mid})\">{}</text>",
        (ML + W - MR) / 2.0,
        H - 4.0,
        esc(spec.x_label),
        esc(spec.y_label),
        mid = (MT + H - MB) / 2.0
    ));
    if series.iter().all(|s| s.points.is_empty()) {
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#5f6b7a\">no data yet</text>",
            (ML + W - MR) / 2.0,
            (MT + H - MB) / 2.0
        ));
    }
    for (i, s) in series.iter().enumerate().take(legend_rows) {
        let y = H + 14.0 * i as f64 + 8.0;
        out.push_str(&format!(
            "<line x1=\"{ML}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"{}\" stroke-width=\"3\"{}/>\
             <text x=\"{}\" y=\"{:.1}\" font-size=\"10\" fill=\"#1d2430\">{}</text>",
            ML + 22.0,
            s.color,
            if s.dashed {
                " stroke-dasharray=\"5 3\""
            } else {
                ""
            },
            ML + 28.0,
            y + 3.5,
            esc(&s.name)
        ));
    }
    out.push_str("</svg>");
    out
}

/// A line chart with axes; its legend as HTML under it. `title` names it
/// for a screen reader (and its exports).
#[component]
pub fn LineChart(
    #[prop(into)] series: Signal<Vec<Series>>,
    x_label: &'static str,
    y_label: &'static str,
    /// Fixed y range (e.g. accuracy 0–1); data range otherwise.
    #[prop(optional)]
    y_range: Option<(f64, f64)>,
    /// Ticks on whole numbers only (task indices).
    #[prop(optional)]
    x_integer: bool,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    let spec = Memo::new(move |_| ChartSpec {
        series: series.get(),
        x_label,
        y_label,
        y_range,
        x_integer,
    });
    let legend = move || {
        spec.with(|s| {
            s.series
                .iter()
                .map(|s| {
                    view! {
                        <span class="legend-item">
                            <span class="swatch" style=format!(
                                "border-top: 3px {} {}", if s.dashed { "dashed" } else { "solid" }, s.color
                            )></span>
                            {s.name.clone()}
                        </span>
                    }
                })
                .collect_view()
        })
    };
    let label = move || {
        spec.with(|s| {
            let names: Vec<&str> = s.series.iter().map(|x| x.name.as_str()).collect();
            format!(
                "chart of {} against {}: {}",
                s.y_label,
                s.x_label,
                names.join(", ")
            )
        })
    };
    view! {
        <div class="chart-box" data-testid=testid>
            <div class="chart" role="img" aria-label=label inner_html=move || spec.with(|s| line_svg(s, false))></div>
            <div class="legend">{legend}</div>
            <super::export::ChartExports spec=spec name=testid />
        </div>
    }
}

/// Viridis at `v` in [0, 1], as CSS.
pub fn viridis(v: f64) -> String {
    let c = viridis_rgb(v);
    format!("rgb({},{},{})", c[0], c[1], c[2])
}

/// WCAG's relative luminance of an sRGB colour, in [0, 1].
fn luminance(rgb: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2])
}

/// The ink that reads best on viridis at `v`, white or black (`(light,
/// dark)` gives the two as the caller writes them): whichever has the
/// higher contrast (WCAG's relative luminance), at least 4.58:1 on every
/// shade of the scale.
pub fn ink_on<'a>(v: f64, (light, dark): (&'a str, &'a str)) -> &'a str {
    let l = luminance(viridis_rgb(v));
    // contrast with white (1.05 / (l + 0.05)) against black ((l + 0.05) / 0.05)
    if 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 {
        light
    } else {
        dark
    }
}

fn viridis_rgb(v: f64) -> [u8; 3] {
    const STOPS: [(f64, [f64; 3]); 5] = [
        (0.0, [68.0, 1.0, 84.0]),
        (0.25, [59.0, 82.0, 139.0]),
        (0.5, [33.0, 145.0, 140.0]),
        (0.75, [94.0, 201.0, 98.0]),
        (1.0, [253.0, 231.0, 37.0]),
    ];
    let v = v.clamp(0.0, 1.0);
    let i = STOPS
        .windows(2)
        .position(|w| v <= w[1].0)
        .unwrap_or(STOPS.len() - 2);
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let t = (v - a.0) / (b.0 - a.0);
    [0, 1, 2].map(|k| (a.1[k] + (b.1[k] - a.1[k]) * t).round() as u8)
}

/// The accuracy matrix R[i][j]: rows fill in as tasks are evaluated.
#[component]
pub fn Heatmap(
    #[prop(into)] rows: Signal<Vec<Vec<f64>>>,
    #[prop(into)] tasks: Signal<usize>,
    #[prop(optional)] testid: &'static str,
    #[prop(optional)] small: bool,
    /// Cells (row, column, 0-based) framed: the ones a lesson step reads.
    #[prop(optional, into)]
    highlight: Option<Signal<Vec<(usize, usize)>>>,
) -> impl IntoView {
    let grid = move || {
        let rows = rows.get();
        let marked = highlight.map(|h| h.get()).unwrap_or_default();
        let n = tasks.get().max(rows.len());
        let mut cells = Vec::new();
        cells.push(view! { <div class="corner">"after ↓ / on →"</div> }.into_any());
        for j in 0..n {
            cells.push(view! { <div class="head">{format!("T{}", j + 1)}</div> }.into_any());
        }
        for i in 0..n {
            cells.push(view! { <div class="head">{format!("T{}", i + 1)}</div> }.into_any());
            for j in 0..n {
                let cell = match rows.get(i).and_then(|r| r.get(j)) {
                    Some(&v) => {
                        let style = format!(
                            "background:{};color:{}",
                            viridis(v),
                            ink_on(v, ("#fff", "#000"))
                        );
                        let title = format!(
                            "after task {}, on task {}: {:.1}% accuracy",
                            i + 1,
                            j + 1,
                            v * 100.0
                        );
                        view! {
                            <div class="cell" class:marked=marked.contains(&(i, j))
                                data-value=format!("{v:.4}") style=style title=title>
                                {format!("{:.0}", v * 100.0)}
                            </div>
                        }
                        .into_any()
                    }
                    None => view! { <div class="cell empty"></div> }.into_any(),
                };
                cells.push(cell);
            }
        }
        let style = format!(
            "grid-template-columns: {} repeat({n}, 1fr)",
            if small { "2.2em" } else { "6.5em" }
        );
        // the same numbers as a table, for a screen reader (the grid is
        // hidden from it)
        let table = view! {
            <div class="sr-only"><table>
                <caption>"Accuracy (%) after each task (rows) on each task (columns)"</caption>
                <thead><tr><th scope="col">"after task"</th>
                    {(1..=n).map(|j| view! { <th scope="col">{format!("on task {j}")}</th> }).collect_view()}
                </tr></thead>
                <tbody>
                    {rows.iter().enumerate().map(|(i, r)| view! {
                        <tr><th scope="row">{(i + 1).to_string()}</th>
                            {r.iter().map(|v| view! { <td>{format!("{:.0}", v * 100.0)}</td> }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table></div>
        };
        view! {
            <div class="heatmap" class:small=small style=style aria-hidden="true">{cells}</div>
            {table}
        }
    };
    view! { <div data-testid=testid class="heatmap-box">{grid}</div> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(ticks(0.0, 1.0), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(ticks(1.0, 5.0), [1.0, 2.0, 3.0, 4.0, 5.0]);
        let t = ticks(0.37, 2.91);
        assert!(t.first().unwrap() >= &0.37 && t.last().unwrap() <= &2.91);
        assert!(t.len() >= 3);
    }

    #[test]
    fn thinning_keeps_short_series_and_averages_long_ones() {
        let short: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 1.0)).collect();
        assert_eq!(thin(&short), short);
        let long: Vec<(f64, f64)> = (0..1000).map(|i| (i as f64, 2.0)).collect();
        let t = thin(&long);
        assert!(t.len() <= MAX_POINTS);
        assert!(t.iter().all(|p| p.1 == 2.0));
    }

    #[test]
    fn viridis_ends() {
        assert_eq!(viridis(0.0), "rgb(68,1,84)");
        assert_eq!(viridis(1.0), "rgb(253,231,37)");
        assert_eq!(viridis(7.0), viridis(1.0));
    }

    #[test]
    fn the_ink_on_every_shade_reads_at_wcag_aa() {
        for i in 0..=1000 {
            let v = f64::from(i) / 1000.0;
            let l = luminance(viridis_rgb(v));
            let ink = if ink_on(v, ("w", "b")) == "w" {
                1.0
            } else {
                0.0
            };
            let ratio = (l.max(ink) + 0.05) / (l.min(ink) + 0.05);
            assert!(ratio >= 4.5, "{v}: {ratio}");
        }
        // the luminance at its ends, by hand; the dark end takes white ink,
        // the light end black
        assert_eq!(luminance([255, 255, 255]), 1.0);
        assert_eq!(luminance([0, 0, 0]), 0.0);
        assert!((luminance([128, 128, 128]) - 0.2158605).abs() < 1e-6);
        assert_eq!(ink_on(0.0, ("w", "b")), "w");
        assert_eq!(ink_on(1.0, ("w", "b")), "b");
    }
}
