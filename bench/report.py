"""Writes BENCHMARKS.md (to stdout) from what bench/run.sh measured in OUT."""

import glob
import gzip
import json
import os
import statistics
import sys

out = sys.argv[1]


def load(name):
    with open(os.path.join(out, name)) as f:
        return json.load(f)


meta = load("meta.json")
threads = meta["threads"]
peak = {1: load("peak-1.json")["sgemm_gflops"], threads: load(f"peak-{threads}.json")["sgemm_gflops"]}
reps = range(1, meta["reps"] + 1)
single = [load(f"glibc-{r}.json") for r in reps]
parallel = [load(f"parallel-{r}.json") for r in reps]
simd = [load(f"simd-{r}.json") for r in reps]
fast = [load(f"fast-{r}.json") for r in reps]
torch = [load(f"torch-{r}.json") for r in reps]
flops = fast[0]["report"]["flops_per_step"]
batch = fast[0]["report"]["batch"]


def med(values):
    return statistics.median(values)


def spread(values):
    return f"{min(values):.2f}–{max(values):.2f}"


def goal(value, target, more_is_better=True):
    met = value >= target if more_is_better else value <= target
    return "met" if met else "not met"


t_ms = [t["median_step_ms"] for t in torch]


class Variant:
    """One build's rounds, against PyTorch's rounds of the same run."""

    def __init__(self, label, runs):
        self.label = label
        self.threads = runs[0]["threads"]
        self.ms = [b["report"]["median_step_ms"] for b in runs]
        self.ratio = [t / m for t, m in zip(t_ms, self.ms)]
        self.gflops = flops / (med(self.ms) / 1e3) / 1e9
        self.predict = med([b["report"]["predict_ms"] for b in runs])


variants = [
    Variant("glibc's malloc (`--no-default-features`)", single),
    Variant("**the default build** (mimalloc)", fast),
    Variant("the default + burn's rayon and SIMD kernels", parallel),
    Variant("the default + burn's SIMD kernels alone", simd),
]
default = variants[1]
f_ms = default.ms
gflops_torch = flops / (med(t_ms) / 1e3) / 1e9

p = print
p("# Benchmarks")
p()
p("Every figure below comes from one run of `bench/run.sh` (it writes this file);")
p("ratios are measured side by side in that run, alternating the programs round")
p(f"by round ({meta['reps']} rounds of {meta['steps']} timed steps, each after 20")
p("to warm up; a figure is the median of the rounds' medians).")
p()
p(f"* date: {meta['date']}; commit {meta['commit']}")
p(f"* machine: {meta['cpu']}, {meta['cores']} cores, Linux {meta['kernel']}")
p(f"* {meta['rustc']}, burn {meta['burn']} (its `flex` CPU backend), PyTorch {torch[0]['torch']} (CPU)")
if os.path.exists(os.path.join(out, "browser.json")):
    p(f"* browser: headless Chromium {load('browser.json')['chromium']} (Debian's), `bench/browser.mjs`")
r0 = fast[0]["report"]
m0 = fast[0]["config"]["model"]
p(
    f"* the model: the default run's ({r0['params']:,} parameters: d_model {m0['d_model']}, "
    f"{m0['layers']} layers a stream (the top one computing [CLS] alone), {m0['heads']} heads, d_ff {m0['d_ff']}, "
    f"{r0['image_size']}-px images in {m0['patch']}-px patches, {m0['tokenizer']['vocab']} hashed words; "
    f"{r0['classes']} classes), batch {batch}, Adam; the step is the run loop's: batching, "
    "forward, the loss, reading the loss and γ's two scores back, backward, Adam. "
    "PyTorch runs its copy in `bench/torch_step.py`, which checks that the parameter counts agree."
)
p(
    f"* FLOPs per step: {flops / 1e6:.1f} M, counted from the shapes "
    "(`palimpsest_core::run::bench::training_flops`: matrix products only, backward twice the forward)."
)
p()
p("## Training step, native CPU")
p()
p("| program | threads | ms / step | samples / s | GFLOP/s | share of sgemm peak | ÷ PyTorch (samples/s), rounds |")
p("|---|---|---|---|---|---|---|")
for v in variants:
    p(
        f"| Palimpsest, {v.label} | {v.threads} | {med(v.ms):.2f} | {batch / med(v.ms) * 1e3:.0f} | "
        f"{v.gflops:.1f} | {v.gflops / peak[v.threads]:.3f} | {med(v.ratio):.2f} ({spread(v.ratio)}) |"
    )
p(
    f"| PyTorch | {threads} | {med(t_ms):.2f} | {batch / med(t_ms) * 1e3:.0f} | {gflops_torch:.1f} | "
    f"{gflops_torch / peak[threads]:.3f} | 1 |"
)
p()
p(
    "The builds without rayon compute on one thread whatever the machine has; "
    "the share of the sgemm peak is against the peak on the threads each used."
)
p()
p(
    f"sgemm peak (PyTorch's float32 matrix product, best of 512–2048 squares): "
    f"{peak[1]:.0f} GFLOP/s on 1 thread, {peak[threads]:.0f} on {threads}."
)
p()
if os.path.exists(os.path.join(out, "profile.json")):
    prof = load("profile.json")
    step = med(f_ms)
    p("### Where the default build's step spends its time")
    p()
    p(
        "`perf record` on one `palimpsest bench` process of the default build (self time per symbol, "
        "`bench/step_profile.py` sums the symbols into kinds of work by name; the process's steps are most "
        "of its time, start-up and the timed predictions the rest); ms a step are the shares of the "
        "default build's median step above."
    )
    p()
    p("| work | share of the profile | ≈ ms a step |")
    p("|---|---|---|")
    kinds = sorted(prof["kinds"].items(), key=lambda kv: -kv[1])
    for name, share in kinds:
        p(f"| {name} | {share:.1f} % | {share / 100 * step:.2f} |")
    p()
    gemm = prof["kinds"].get("matrix products (gemm)", 0.0) / 100 * step
    target = med(t_ms) / 1.5
    p(
        f"At the goal of 1.5× PyTorch the step would take {target:.1f} ms; here the matrix products "
        f"take {gemm:.1f} ms of it and everything else {step - gemm:.1f} ms"
        + (
            ", more than the whole step at the goal: what stands in the way is burn's per-operation "
            "work around the products (each element-wise op a pass over memory into a new buffer, "
            "erf and exp one element at a time, the autodiff graph's bookkeeping), not the products."
            if step - gemm > target
            else "."
        )
        + " The symbols that took most:"
    )
    p()
    for t in prof["top"][:8]:
        p(f"* {t['percent']:.1f} % `{t['symbol']}` ({t['dso']})")
    p()
p("## Against the goals")
p()
p("| figure | goal | measured | |")
p("|---|---|---|---|")
p(
    f"| native training samples/s ÷ PyTorch, same threads ({threads}) | ≥ 1.5 | "
    f"{med(default.ratio):.2f} | {goal(med(default.ratio), 1.5)} |"
)
p(
    f"| training FLOP/s ÷ sgemm peak, same cores ({threads}) | ≥ 0.25 | "
    f"{default.gflops / peak[threads]:.3f} | {goal(default.gflops / peak[threads], 0.25)} |"
)
pred = default.predict
pred_t = med([t["predict_ms"] for t in torch])
p(
    f"| one prediction, native (browser: ≤ 5 ms) | — | {pred:.2f} ms (PyTorch {pred_t:.2f} ms) | |"
)
dist = "dist"
files = sorted(
    f
    for f in glob.glob(os.path.join(dist, "**", "*"), recursive=True)
    if os.path.isfile(f) and not f.endswith(".map")
)
sizes = []
for f in files:
    with open(f, "rb") as fh:
        raw = fh.read()
    sizes.append((os.path.relpath(f, dist), len(raw), len(gzip.compress(raw, 9, mtime=0))))
# The page starts one of the worker's two builds: the CPU-only one, or the
# WebGPU one where the browser has a hardware adapter (or ?device=webgpu).
gpu_worker = "palimpsest-worker-webgpu"
cpu_worker_files = ("palimpsest-worker.js", "palimpsest-worker_bg.wasm", "palimpsest-worker_loader.js")


# The sketch and speech packs are fetched only when a modality stream is
# chosen: a visit's totals leave them out, and a row of their own gives them.
def on_demand(name):
    return name.endswith(".pack")


def visit_total(skip):
    return sum(g for name, _, g in sizes if not skip(name) and not on_demand(name))


if sizes:
    for label, skip in [
        ("on the wasm CPU (no hardware WebGPU adapter)", lambda n: n.startswith(gpu_worker)),
        ("with a hardware WebGPU adapter", lambda n: n in cpu_worker_files),
    ]:
        total = visit_total(skip)
        p(
            f"| everything the page downloads, gzip, {label} | ≤ 3 MB | {total / 1e6:.2f} MB | "
            f"{goal(total / 1e6, 3.0, more_is_better=False)} |"
        )
    packs = [(name, g) for name, _, g in sizes if on_demand(name)]
    if packs:
        listed = ", ".join(f"`{name}` {g / 1e6:.2f} MB" for name, g in packs)
        p(f"| more, only once a modality stream is chosen (its packs), gzip | — | {listed} | |")
else:
    p("| everything the page downloads, gzip | ≤ 3 MB | dist/ was not built | |")
browser = load("browser.json") if os.path.exists(os.path.join(out, "browser.json")) else None
if browser:
    cpu = browser["cpu"]["report"]
    # rounds alternating the native step and the wasm CPU's (run.sh); a run
    # without them compares with the native rounds above
    paired = [
        (
            load(os.path.basename(f))["cpu"]["report"]["median_step_ms"],
            load("native-" + os.path.basename(f))["report"]["median_step_ms"],
        )
        for f in sorted(glob.glob(os.path.join(out, "wasm-*.json")))
    ]
    if paired:
        ratios = [n / w for w, n in paired]
        wasm_ratio = med(ratios)
        how = (
            f"{med([w for w, _ in paired]):.1f} ms a step against {med([n for _, n in paired]):.1f} natively; "
            f"{len(paired)} rounds alternating the two, {spread(ratios)}"
        )
    else:
        wasm_ratio = cpu["samples_per_s"] / (batch / med(f_ms) * 1e3)
        how = f"{cpu['median_step_ms']:.1f} ms a step"
    p(
        f"| wasm CPU training samples/s in Chromium ÷ native (the default build) | ≥ 0.5 | "
        f"{wasm_ratio:.2f} ({how}) | {goal(wasm_ratio, 0.5)} |"
    )
    gpu = browser.get("webgpu", {})
    if "report" in gpu:
        g = gpu["report"]
        p(
            f"| WebGPU ÷ wasm CPU, training samples/s ({gpu['backend']}) | reported | "
            f"{g['samples_per_s'] / cpu['samples_per_s']:.3g} ({g['median_step_ms']:.0f} ms a step"
            f"{'; SwiftShader emulates a GPU on the CPU' if 'swiftshader' in gpu['backend'].lower() else ''}) | |"
        )
    else:
        p(f"| WebGPU ÷ wasm CPU | reported | no WebGPU figure: {gpu.get('error', 'not run')} | |")
    p(
        f"| one prediction in the browser (wasm CPU) | ≤ 5 ms | {cpu['predict_ms']:.2f} ms | "
        f"{goal(cpu['predict_ms'], 5, more_is_better=False)} |"
    )
    p(
        f"| the default demo in headless Chromium, wasm CPU, Start to full matrix | ≤ 30 s | "
        f"{browser['demo_s']:.1f} s | {goal(browser['demo_s'], 30, more_is_better=False)} |"
    )
else:
    p("| browser figures (wasm ÷ native, WebGPU, prediction, demo) | | not measured: dist/ was not built | |")
p()
if sizes:
    p("## What the page downloads")
    p()
    p("| file | bytes | gzip -9 |")
    p("|---|---|---|")
    for name, raw, gz in sorted(sizes, key=lambda x: -x[2]):
        p(f"| `{name}` | {raw:,} | {gz:,} |")
    p(f"| all | {sum(r for _, r, _ in sizes):,} | {sum(g for _, _, g in sizes):,} |")
    p()
    p(
        "A visit downloads one of the worker's two builds: `palimpsest-worker` (CPU only) or, "
        "where the browser has a hardware WebGPU adapter or the page is opened with "
        "`?device=webgpu`, `palimpsest-worker-webgpu` (CPU and WebGPU). Both totals above "
        "leave the other build out, and the packs (`*.pack`), which the worker fetches only for "
        "a modality stream; the licence files are counted though the page does not load them."
    )
    p()
    gz_of = {name: g for name, _, g in sizes}
    cpu_wasm = gz_of.get("palimpsest-worker_bg.wasm", 0)
    extra = gz_of.get(f"{gpu_worker}_bg.wasm", 0) - cpu_wasm
    page = gz_of.get("palimpsest-app_bg.wasm", 0)
    if extra > 0 and os.path.exists(os.path.join(out, "wasm-size.md")):
        p("### What the WebGPU worker carries beyond the CPU worker")
        p()
        p(
            f"The WebGPU worker's wasm is {extra / 1e6:.2f} MB gzip more than the CPU worker's: burn's "
            "WebGPU backend and the generic code it instantiates. With the page's wasm "
            f"({page / 1e6:.2f} MB) that is {(extra + page) / 1e6:.2f} MB, which leaves "
            f"{max(0, 3e6 - extra - page) / 1e6:.2f} MB of the goal's 3 MB for everything the CPU worker "
            f"also carries ({cpu_wasm / 1e6:.2f} MB: the app's "
            "own code, burn's CPU backend it falls back on, the bundled pack and the weights). "
            "`bench/wasm_size.sh` builds both workers with their symbols kept and counts each function's "
            "code to its crate (cargo's output, before wasm-bindgen trims it: a little more than the "
            "files above; a generic function counts to the crate whose type it is instantiated for, "
            "by the rule in `bench/wasm_size.py`):"
        )
        p()
        with open(os.path.join(out, "wasm-size.md")) as f:
            p(f.read().rstrip())
        p()
        p(
            "cubecl writes each kernel in Rust at run time and compiles it to WGSL in the browser the "
            "first time it is launched (then keeps the pipeline), so what travels is its compiler "
            "(front end, IR, optimiser) with the kernels' Rust, rather than finished shaders; the "
            "kernel families the model never reaches are already left out by the linker (the line "
            "above the crates' table). None of burn-wgpu 0.22's features (autotune, fusion, persistence, "
            "template, exclusive-memory-only) leaves the compiler out."
        )
        p()
p("## How cost grows")
p()
p(
    f"The default build, {meta['steps'] // 2} timed steps each, one "
    "process per row (peak memory is the process's). ×time and ×FLOPs are against the first row: "
    "where ×time outgrows ×FLOPs, cost grows faster than the arithmetic."
)
p()
p("| change | parameters | classes | batch | MFLOP / step | ms / step | samples / s | GFLOP/s | peak MiB | ×FLOPs | ×time |")
p("|---|---|---|---|---|---|---|---|---|---|---|")
rows = ["base", "width-128", "width-256", "depth-4", "depth-8", "batch-64", "batch-128", "tasks-3", "tasks-5"]
labels = {
    "base": "default",
    "width-128": "d_model 128, d_ff 256",
    "width-256": "d_model 256, d_ff 512",
    "depth-4": "4 layers a stream",
    "depth-8": "8 layers a stream",
    "batch-64": "batch 64",
    "batch-128": "batch 128",
    "tasks-3": "classifier of 3 tasks",
    "tasks-5": "classifier of 5 tasks",
}
base = load("scale-base.json")["report"]
for row in rows:
    b = load(f"scale-{row}.json")
    r = b["report"]
    p(
        f"| {labels[row]} | {r['params']:,} | {r['classes']} | {r['batch']} | "
        f"{r['flops_per_step'] / 1e6:.0f} | {r['median_step_ms']:.2f} | {r['samples_per_s']:.0f} | "
        f"{r['gflops']:.1f} | {b['peak_rss_mib']:.0f} | "
        f"{r['flops_per_step'] / base['flops_per_step']:.2f} | {r['median_step_ms'] / base['median_step_ms']:.2f} |"
    )
p()
p("## Changes that moved a figure")
p()
p("Each measured by this script before and after (the earlier figures are from its run at the commit named).")
p()
p(
    "* **mimalloc** (the CLI's allocator): a step frees activations just above glibc's mmap "
    "threshold, which glibc hands back to the kernel and faults in again the next step. Measured "
    "in every run: the first two rows of the table above."
)
p(
    "* **one matrix product per modality in the classifier** (instead of one per task's chunk "
    "of outputs): at 08b7a1c the classifier of 3 tasks took ×1.28 the time of 1 task's at the "
    "same arithmetic, 5 tasks ×1.24 (this script's scaling rows there); the rows above show it now. Task 1's numbers are bit-for-bit "
    "the same; later tasks sum the chunks' gradients in another order (records re-blessed)."
)
p(
    "* **a stream's top layer for [CLS] alone** (93bf62b): only [CLS] leaves a stream, so its top "
    "layer sends [CLS] alone through its output map, the residual, the feed-forward half and the "
    "final norm; the attention maps stay whole. The values are the same up to rounding (records "
    "re-blessed, the pretrained weights re-made). On a 2-core Intel Xeon, this script's run at "
    "bf9e8b5 (2026-12-05) gave 19.98 ms a step for the default build, 10.39 ms for PyTorch's "
    "copy and 19.7 s for the default demo; its run at 861659a (2026-12-06 06:31 UTC, after the "
    "change) 15.63 ms, 10.08 ms and 15.9 s. PyTorch's copy computes the top layer the same way, "
    "so the ratio between them measures the same model as before."
)
page_now = next((f"; this run: {g / 1e6:.2f} MB" for name, _, g in sizes if name == "palimpsest-app_bg.wasm"), "")
p(
    "* **the page built for size** (the `page` profile: opt-level \"s\", its dependencies too; "
    "the worker keeps the release profile): at 6aa00b1 (this script's run of 2026-12-06 06:10 UTC) "
    f"the page's wasm was 0.81 MB gzip{page_now}."
)
p(
    "* **the download**: at 1010aee (this script's run of 2026-12-03) every visit downloaded 6.58 MB "
    "gzip, 5.84 MB of it the one worker (burn's CPU and WebGPU backends, the pack, the weights "
    "as f32). Three changes since: the worker in two builds, the CPU-only one (no wgpu) for "
    "visitors without a hardware WebGPU adapter; the pretrained weights stored as f16 "
    "(1.1 → 0.58 MB, read back as f32); the page's and the WebGPU worker's wasm stripped of "
    "symbols (the page's wasm 0.72 → 0.63 MB gzip). The rows above give both "
    "visits now."
)
gpu_now = next(
    (f"; this run: {raw:,} bytes, {g / 1e6:.2f} MB gzip" for name, raw, g in sizes
     if name == "palimpsest-worker-webgpu_bg.wasm"),
    "",
)
p(
    "* **the WebGPU worker's kernels built for size** (Cargo.toml: opt-level \"z\" for cubecl's "
    "front end and standard library, cubek's kernels, the compiler that turns them into WGSL "
    "(cubecl-opt, pliron), burn-cubecl and burn-wgpu). cubecl defines and compiles a kernel the "
    "first time it is launched with a given key and keeps the pipeline, so this code runs once a "
    "kernel, and it is most of the WebGPU build; the launch path (cubecl-runtime, cubecl-server, "
    "cubecl-wgpu, wgpu) keeps opt-level 3, and only the WebGPU worker builds any of these crates. "
    "At 861659a (this script's run of 2026-12-06 06:31 UTC) the WebGPU worker's wasm was "
    f"30,747,531 bytes, 5.41 MB gzip{gpu_now}. The step on SwiftShader did not slow down: "
    "bench/browser.mjs on the two builds in alternated rounds (2026-12-06, a 2-core AMD EPYC) "
    "gave 12,706 and 12,645 ms a step with these crates built for size, 14,685 and 12,895 ms "
    "without. SwiftShader runs the kernels on the CPU, so its step is mostly the kernels' time; "
    "what a real GPU's launch overhead does was not measured (no GPU here)."
)
p()
p("## Tried, not kept")
p()
p(
    "* **wasm-opt** (Binaryen 132 from npm; `bench/wasm_opt.sh` measures it on dist/'s wasm files): "
    "it cuts 12–34 % of the raw bytes (the WebGPU worker 30.7 → 20.3 MB), but the gzip download grows. At c2d4201 (2026-12-06, "
    "gzip -9 by the gzip command): the CPU worker 2,107,522 bytes as built, 2,170,212 after "
    "`-Oz`, 2,174,955 after `-O3`; the WebGPU worker 5,428,736 as built, 5,488,212 after `-Oz`; the page 637,294 as built, "
    "667,017 after `-Oz`. "
    "wasm-opt took 85 s a level on the CPU worker and 260 s on the WebGPU worker. The CPU worker "
    "after `-O3` did not train faster in Chromium either (35.1 and 34.8 ms a step against 35.0 "
    "and 36.3 ms as built, bench/browser.mjs in alternated rounds), so index.html builds with "
    "wasm-opt off."
)
p()
simd_only = variants[3]
p(
    "* **burn's rayon and SIMD CPU kernels** (the third and fourth rows): in this run the step with "
    f"both took {med(variants[2].ms) / med(f_ms):.2f}× the default build's time on {variants[2].threads} "
    f"threads, with SIMD alone {med(simd_only.ms) / med(f_ms):.2f}× "
    f"(rounds {spread([m / d for m, d in zip(simd_only.ms, f_ms)])}). "
    + (
        "SIMD alone moves the step by less than a tenth here, and it moves every run's low bits "
        "too (its kernels round differently: a run's losses differ from about the 7th digit; the "
        "records, RESULTS.md and the shipped weights were made without), so the default build "
        "leaves both off; "
        if 0.9 < med(simd_only.ms) / med(f_ms) < 1.1
        else "SIMD alone differs from the default build by a tenth or more in this run: worth a closer look; "
    )
    + "the browser's worker uses SIMD (wasm has no other fast path)."
)
if os.path.exists(os.path.join(out, "pack-codecs.json")):
    codecs = load("pack-codecs.json")
    p(
        "* **the packs and the weights in a stronger codec than gzip** (measured, not built: "
        "`bench/pack_codecs.py`, Python's bzip2 and xz). Stored so, a file travels as it is and the "
        "worker would need the codec's decoder in its wasm, so the saving is at most gzip's size "
        "less the best codec's:"
    )
    p()
    p("  | file | bytes | gzip -9 | bzip2 -9 | xz -9e | at most saved |")
    p("  |---|---|---|---|---|---|")
    at_most = {name: c["gzip"] - min(c["bzip2"], c["xz"]) for name, c in codecs.items()}
    for name, c in codecs.items():
        p(f"  | `{name}` | {c['bytes']:,} | {c['gzip']:,} | {c['bzip2']:,} | {c['xz']:,} | {at_most[name]:,} |")
    p()
    # what dist/ has no file of is compiled into the worker: every visit downloads it
    served = {name for name, _, _ in sizes}
    every_visit = [n for n in codecs if n not in served]
    saved = sum(at_most[n] for n in every_visit)
    p(
        f"  What every visit downloads inside the worker ({', '.join(f'`{n}`' for n in every_visit)}) "
        f"would shrink by at most {saved / 1e6:.2f} MB, before the decoder's code: not enough to bring the "
        "WebGPU visit under 3 MB (above), and the CPU visit is under it already. The speech pack, "
        "fetched only for the modality stream, is where a codec would save most."
    )
    p()
p("## Re-running")
p()
p("```")
p("bench/run.sh                  # everything above, and this file")
p("REPS=1 STEPS=50 bench/run.sh  # a quick look")
p("palimpsest bench --help       # one configuration, any run setting by --set")
p("bench/wasm_opt.sh             # what wasm-opt would do to the download (dist/ built first)")
p("bench/wasm_size.sh            # the WebGPU worker's wasm by crate, against the CPU worker's")
p("```")
