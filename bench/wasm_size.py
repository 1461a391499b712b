#!/usr/bin/env python3
"""What a wasm file's bytes are: its code attributed to the crates it came
from, by the function names of its `name` section (build with symbols kept:
bench/wasm_size.sh does), and its data. Prints a markdown table.

    bench/wasm_size.py FILE.wasm [BASE.wasm]

With BASE (e.g. the CPU worker beside the WebGPU worker), each crate's row
also gives its code in BASE and the difference: what FILE carries that BASE
does not.

A function is counted to the first crate its name names, reading the
implementing type of `<T as Trait>::f` before the trait and a generic's
type arguments after the standard library (`core::ptr::drop_in_place<
cubecl_ir::Scope>` is cubecl_ir's): a generic instantiated for another
crate's type goes to the crate whose code it mostly is by this rule of
thumb, not by a measurement. gzip (-9, as BENCHMARKS.md counts the
download) of a crate's row compresses that crate's function bodies alone:
the rows' figures add up to a little more than the code's gzip in this
crate-by-crate order, and to less than the code section's in the file,
where the crates' functions interleave and compress worse.
"""

import gzip
import os
import re
import sys
from collections import defaultdict

STD = {"core", "alloc", "std", "compiler_builtins", "dlmalloc", "hashbrown", "__rustc"}


def leb(buf, pos):
    """An unsigned LEB128 at pos: (value, next position)."""
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def name_str(buf, pos):
    n, pos = leb(buf, pos)
    return buf[pos : pos + n].decode("utf-8", "replace"), pos + n


def sections(buf):
    """(id, custom name or None, payload start, payload end) of each section."""
    if buf[:4] != b"\0asm":
        raise SystemExit("not a wasm module")
    pos = 8
    while pos < len(buf):
        sid = buf[pos]
        size, pos = leb(buf, pos + 1)
        end = pos + size
        name = None
        if sid == 0:
            name, _ = name_str(buf, pos)
        yield sid, name, pos, end
        pos = end


def skip_limits(buf, pos):
    """Past a table's or memory's limits: flags, minimum, maximum if flagged."""
    flags, pos = leb(buf, pos)
    _, pos = leb(buf, pos)
    if flags & 1:
        _, pos = leb(buf, pos)
    return pos


def imported_functions(buf, start):
    count, pos = leb(buf, start)
    funcs = 0
    for _ in range(count):
        _, pos = name_str(buf, pos)
        _, pos = name_str(buf, pos)
        kind = buf[pos]
        pos += 1
        if kind == 0:  # function: type index
            _, pos = leb(buf, pos)
            funcs += 1
        elif kind == 1:  # table: reftype, limits
            pos = skip_limits(buf, pos + 1)
        elif kind == 2:  # memory: limits
            pos = skip_limits(buf, pos)
        elif kind == 3:  # global: valtype, mutability
            pos += 2
        else:
            raise SystemExit(f"unknown import kind {kind}")
    return funcs


def function_names(buf, start, end):
    """The name section's function names, by function index."""
    _, pos = name_str(buf, start)
    names = {}
    while pos < end:
        sub = buf[pos]
        size, pos = leb(buf, pos + 1)
        if sub == 1:
            count, p = leb(buf, pos)
            for _ in range(count):
                idx, p = leb(buf, p)
                names[idx], p = name_str(buf, p)
        pos += size
    return names


def code_bodies(buf, start):
    count, pos = leb(buf, start)
    for _ in range(count):
        size, pos = leb(buf, pos)
        yield buf[pos : pos + size]
        pos += size


# the first segment of a path: a crate's name (or a type's, for `Vec<T>::f`)
IDENT = re.compile(r"(?<![A-Za-z0-9_:])([A-Za-z_][A-Za-z0-9_]*)::")
ESCAPES = {"$LT$": "<", "$GT$": ">", "$RF$": "&", "$BP$": "*", "$C$": ",", "$SP$": "@", "$LP$": "(", "$RP$": ")"}


def demangle(name):
    """Rust's legacy mangling (`_ZN…E`, what rustc gives by default) read
    back as a path; other names as they are."""
    if not name.startswith("_ZN"):
        return name
    pos, parts = 3, []
    while pos < len(name) and name[pos].isdigit():
        digits = re.match(r"\d+", name[pos:]).group()
        pos += len(digits)
        parts.append(name[pos : pos + int(digits)])
        pos += int(digits)
    text = "::".join(parts)
    text = re.sub(r"\$u([0-9a-f]+)\$", lambda m: chr(int(m.group(1), 16)), text)
    for esc, ch in ESCAPES.items():
        text = text.replace(esc, ch)
    text = text.replace("..", "::").replace("::_<", "::<")
    return text[1:] if text.startswith("_<") else text


V0_CRATE = re.compile(r"C(?:s[0-9A-Za-z]*_)?(\d+)([A-Za-z_][A-Za-z0-9_]*)")


def v0_crates(name):
    """The crates a v0-mangled name (`_R…`, the standard library's) names."""
    out = []
    for m in V0_CRATE.finditer(name):
        out.append(m.group(2)[: int(m.group(1))])
    return out


def crate_of(name):
    """The crate a function name is counted to."""
    if name.startswith("_R"):
        crates = v0_crates(name)
        lib = [c for c in crates if c not in STD]
        return (lib or crates or ["(other)"])[0].replace("___rustc", "__rustc")
    name = re.sub(r"::h[0-9a-f]{16}$", "", demangle(name))
    m = re.match(r"<(.*?) as ", name)
    order = [m.group(1), name] if m else [name]
    for text in order:
        for crate in IDENT.findall(text):
            if crate not in STD and crate[0].islower():
                return crate
    crates = IDENT.findall(name)
    if crates:
        return crates[0]
    return "(other)"


def measure(path):
    with open(path, "rb") as f:
        buf = f.read()
    imports = 0
    names = {}
    code = []
    data = b""
    custom = 0
    for sid, cname, start, end in sections(buf):
        if sid == 2:
            imports = imported_functions(buf, start)
        elif sid == 10:
            code = list(code_bodies(buf, start))
        elif sid == 11:
            data += buf[start:end]
        elif sid == 0:
            if cname == "name":
                names = function_names(buf, start, end)
            custom += end - start
    by_crate = defaultdict(list)
    for i, body in enumerate(code):
        by_crate[crate_of(names.get(imports + i, ""))].append(body)
    stripped = len(buf) - custom
    return {
        "path": path,
        "bytes": len(buf),
        "stripped": stripped,
        "named": len(names),
        "functions": len(code),
        "code": sum(len(b) for b in code),
        "data": data,
        "crates": {c: b"".join(bs) for c, bs in by_crate.items()},
        "counts": {c: len(bs) for c, bs in by_crate.items()},
    }


# Kinds of code in burn's WebGPU backend, by crate name (bench/run.sh's
# BENCHMARKS.md reads these rows).
FAMILIES = [
    ("cubecl's kernel compiler: front end, IR, optimiser", r"^(cubecl_core|cubecl_std|cubecl_ir|cubecl_opt|cubecl_macros|pliron|combine|rustc_apfloat|downcast_rs)$"),
    ("cubek's kernels (matrix products, reductions, …)", r"^cubek"),
    ("burn's ops on cubecl (burn_cubecl)", r"^burn_cubecl"),
    ("the launch path: cubecl's runtime and server, cubecl_wgpu, wgpu", r"^(cubecl|cubecl_runtime|cubecl_server|cubecl_wgpu|cubecl_common|cubecl_zspace|cubecl_environment|wgpu|wgpu_types|wgpu_core|naga)$"),
]


def gz(raw):
    return len(gzip.compress(raw, 9, mtime=0))


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    m = measure(sys.argv[1])
    base = measure(sys.argv[2]) if len(sys.argv) == 3 else None
    if m["named"] == 0:
        raise SystemExit(f"{m['path']} has no function names: build it with symbols kept")
    name = os.path.basename(m["path"])
    print(
        f"`{name}`: {m['bytes']:,} bytes, {m['stripped']:,} without its "
        f"custom sections (names, producers); {m['functions']:,} functions, code {m['code']:,} bytes "
        f"({gz(b''.join(m['crates'].values())):,} gzip), data {len(m['data']):,} bytes "
        f"({gz(m['data']):,} gzip)."
    )
    print()
    head = "| crate | functions | code bytes | gzip |"
    rule = "|---|---|---|---|"
    if base:
        base_name = os.path.basename(base["path"])
        only = [c for c in m["crates"] if c not in base["crates"]]
        raw = b"".join(m["crates"][c] for c in only)
        print(
            f"Against `{base_name}` (code {base['code']:,} bytes, "
            f"{gz(b''.join(base['crates'].values())):,} gzip; data {len(base['data']):,} bytes, "
            f"{gz(base['data']):,} gzip): {len(only)} crates only here, "
            f"{sum(m['counts'][c] for c in only):,} functions, {len(raw):,} code bytes, "
            f"{gz(raw):,} gzip together."
        )
        print()
        print("| kind of code | crates | code bytes | gzip together |")
        print("|---|---|---|---|")
        for label, pat in FAMILIES:
            crates = sorted(c for c in m["crates"] if re.search(pat, c))
            raw = b"".join(m["crates"][c] for c in crates)
            print(f"| {label} | {len(crates)} | {len(raw):,} | {gz(raw):,} |")
        print()
        kernels = ["cubek_attention", "cubek_convolution", "cubek_interpolate", "cubek_pool",
                   "cubek_quant", "cubek_random", "cubek_reduce", "cubek_matmul"]
        absent = [c for c in kernels if c not in m["crates"]]
        present = [f"{c} {len(m['crates'][c]):,}" for c in kernels if c in m["crates"]]
        print(
            "burn-cubecl builds every cubek kernel family; the linker keeps those the model's "
            f"ops reach. No code here from: {', '.join(absent) or 'none'}; code bytes from: "
            f"{', '.join(present) or 'none'}."
        )
        print()
        head += f" code in `{base_name}` | difference |"
        rule += "---|---|"
    print(head)
    print(rule)
    rows = sorted(m["crates"].items(), key=lambda kv: -len(kv[1]))
    shown = rows[:20]
    rest = rows[20:]
    for crate, raw in shown:
        line = f"| {crate} | {m['counts'][crate]:,} | {len(raw):,} | {gz(raw):,} |"
        if base:
            other = len(base["crates"].get(crate, b""))
            line += f" {other:,} | {len(raw) - other:+,} |"
        print(line)
    if rest:
        raw = b"".join(r for _, r in rest)
        line = f"| {len(rest)} more crates | {sum(m['counts'][c] for c, _ in rest):,} | {len(raw):,} | {gz(raw):,} |"
        if base:
            other = sum(len(base["crates"].get(c, b"")) for c, _ in rest)
            line += f" {other:,} | {len(raw) - other:+,} |"
        print(line)


if __name__ == "__main__":
    main()
