#!/usr/bin/env python3
"""The docs check (issue 47), Python's standard library only.

1. Every relative link and #anchor in README.md, CONTRIBUTING.md,
   CHANGELOG.md and docs/*.md resolves: the file or folder exists, and an
   anchor names a heading of the target (GitHub's anchors: lower case,
   punctuation dropped, blanks to hyphens, -1, -2 ... for repeats).
2. README.md is at most 200 lines.
3. Every fenced ```sh block of README.md's "Quick start" section, of
   docs/cli.md and of docs/own-data.md runs: `bash -euo pipefail` in a
   fresh temporary folder (holding links to the checkout's docs/, data/,
   public/ and tests/, so that the documented paths work), with the CLI's
   folder first on PATH, under a time limit. A block whose first line is
   `# long: REASON` is skipped, and the reason printed.

The CLI is $PALIMPSEST_BIN, by default $CARGO_TARGET_DIR/release/palimpsest
(CARGO_TARGET_DIR defaulting to ~/.cache/palimpsest/target, as
scripts/test.sh has it). `--no-run` checks links and length only.
Exit status 1 when anything fails, with one line per problem.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_README_LINES = 200
BLOCK_TIMEOUT_S = 120
# (file, section heading or None for the whole file) whose sh blocks run
RUN_BLOCKS = [("README.md", "quick start"), ("docs/cli.md", None), ("docs/own-data.md", None)]
# what a block's folder links to, so that `docs/examples/...` and the like resolve
LINKED = ["docs", "data", "public", "tests"]

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
HTML_TAG = re.compile(r"<[^>]+>")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def lines_outside_code(text):
    """(line number, line) of every line outside fenced code blocks."""
    fence = None
    for no, line in enumerate(text.splitlines(), 1):
        m = FENCE.match(line)
        if fence is None:
            if m:
                fence = m.group(1)
                continue
            yield no, line
        elif m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not m.group(2):
            fence = None


def github_anchor(heading):
    """The anchor GitHub gives a heading's text (as github-slugger does)."""
    text = LINK.sub(lambda m: re.sub(r"^!?\[|\]\(.*$", "", m.group(0)), heading)
    text = HTML_TAG.sub("", text).replace("`", "")
    kept = []
    for c in text.lower():
        if c.isalnum() or c in "-_" or unicodedata.category(c).startswith("M"):
            kept.append(c)
        elif c == " ":
            kept.append("-")
    return "".join(kept)


def anchors(text):
    """Every heading's anchor in a markdown text, repeats numbered."""
    seen = {}
    out = set()
    for _, line in lines_outside_code(text):
        m = HEADING.match(line)
        if not m:
            continue
        base = github_anchor(m.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(text):
    """(line number, target) of every link and image outside code."""
    for no, line in lines_outside_code(text):
        m = REFERENCE.match(line)
        if m:
            yield no, m.group(1)
            continue
        for m in LINK.finditer(INLINE_CODE.sub("", line)):
            yield no, m.group(1)


def is_external(target):
    return re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) is not None


def check_links(path, root=ROOT):
    """Problems with the relative links and anchors of one markdown file."""
    problems = []
    text = read(path)
    rel = os.path.relpath(path, root)
    for no, target in links(text):
        if is_external(target):
            continue
        file_part, _, anchor = target.partition("#")
        dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
        if not os.path.exists(dest):
            problems.append(f"{rel}:{no}: link to {target}: {file_part} does not exist")
            continue
        if anchor:
            if not dest.endswith(".md") or os.path.isdir(dest):
                problems.append(f"{rel}:{no}: link to {target}: an anchor into a file that is not markdown")
            elif anchor not in anchors(read(dest)):
                problems.append(
                    f"{rel}:{no}: link to {target}: no heading of {os.path.relpath(dest, root)} has the anchor #{anchor}"
                )
    return problems


def check_length(path, limit=MAX_README_LINES):
    n = len(read(path).splitlines())
    if n > limit:
        return [f"{os.path.basename(path)} has {n} lines, more than {limit}"]
    return []


def sh_blocks(text, section=None):
    """(line number, code) of the fenced sh blocks, within the section whose
    heading contains `section` (case-insensitive) when one is given."""
    blocks = []
    fence = None
    in_section = section is None
    level = 0
    for no, line in enumerate(text.splitlines(), 1):
        m = FENCE.match(line)
        if fence is None:
            h = HEADING.match(line)
            if h and section is not None:
                if section in h.group(2).lower():
                    in_section, level = True, len(h.group(1))
                elif in_section and len(h.group(1)) <= level:
                    in_section = False
            if m:
                fence = (m.group(1), m.group(2).lower(), no, [])
            continue
        if m and m.group(1)[0] == fence[0][0] and len(m.group(1)) >= len(fence[0]) and not m.group(2):
            if in_section and fence[1] in ("sh", "bash", "shell"):
                blocks.append((fence[2], "\n".join(fence[3]) + "\n"))
            fence = None
        else:
            fence[3].append(line)
    return blocks


def long_reason(code):
    """The reason of a block marked `# long: REASON` on its first line, else None."""
    first = code.lstrip("\n").splitlines()[0] if code.strip() else ""
    m = re.match(r"^\s*#\s*long:\s*(.*)$", first)
    if m is None:
        return None
    return m.group(1).strip() or "no reason given"


def default_bin():
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "palimpsest", "target"
    )
    return os.environ.get("PALIMPSEST_BIN") or os.path.join(target, "release", "palimpsest")


def run_block(code, bindir, root=ROOT, timeout=BLOCK_TIMEOUT_S):
    """Runs one block; returns (ok, seconds, output)."""
    with tempfile.TemporaryDirectory(prefix="palimpsest-docs-") as tmp:
        for name in LINKED:
            if os.path.exists(os.path.join(root, name)):
                os.symlink(os.path.join(root, name), os.path.join(tmp, name))
        script = os.path.join(tmp, ".block.sh")
        with open(script, "w", encoding="utf-8") as f:
            f.write(code)
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
        start = time.monotonic()
        proc = subprocess.Popen(
            ["bash", "-euo", "pipefail", script],
            cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            out, _ = proc.communicate(timeout=timeout)
            ok = proc.returncode == 0
            note = "" if ok else f"\n(exit status {proc.returncode})"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            ok, note = False, f"\n(stopped after {timeout} s: mark it `# long: REASON` or make it smaller)"
        return ok, time.monotonic() - start, out.decode("utf-8", "replace") + note


def tail(text, n=25):
    lines = text.rstrip("\n").splitlines()
    return "\n".join(("    " + l) for l in lines[-n:])


def run_documented(bindir, root=ROOT, which=RUN_BLOCKS, timeout=BLOCK_TIMEOUT_S, say=print):
    """Runs the sh blocks of `which` ((file, section) pairs); the problems."""
    problems = []
    for rel, section in which:
        for no, code in sh_blocks(read(os.path.join(root, rel)), section):
            where = f"{rel}:{no}"
            reason = long_reason(code)
            if reason is not None:
                say(f"  skipped {where} (long: {reason})")
                continue
            ok, secs, out = run_block(code, bindir, root=root, timeout=timeout)
            say(f"  {'ran' if ok else 'FAILED'} {where} in {secs:.1f} s")
            if not ok:
                problems.append(f"{where}: the block failed\n{tail(code)}\n  its output:\n{tail(out)}")
    return problems


def documents(root=ROOT):
    """The markdown files whose links are checked."""
    paths = [os.path.join(root, n) for n in ("README.md", "CONTRIBUTING.md", "CHANGELOG.md")]
    docs = os.path.join(root, "docs")
    if os.path.isdir(docs):
        paths += sorted(os.path.join(docs, n) for n in os.listdir(docs) if n.endswith(".md"))
    return [p for p in paths if os.path.exists(p)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-run", action="store_true", help="check links and length only")
    ap.add_argument("--timeout", type=int, default=BLOCK_TIMEOUT_S, help="seconds a block may take")
    args = ap.parse_args(argv)
    started = time.monotonic()
    problems = []
    paths = documents()
    for path in paths:
        problems += check_links(path)
    problems += check_length(os.path.join(ROOT, "README.md"))
    print(f"links and anchors of {len(paths)} files checked; README.md length checked")

    if not args.no_run:
        binary = default_bin()
        if not os.access(binary, os.X_OK):
            problems.append(
                f"no CLI at {binary}: build it (cargo build --release -p palimpsest-cli; "
                "scripts/test.sh builds it) or set PALIMPSEST_BIN"
            )
        else:
            print(f"running the documented commands with {binary}")
            problems += run_documented(os.path.dirname(os.path.abspath(binary)), timeout=args.timeout)

    sys.stdout.flush()
    for p in problems:
        print(f"docs check: {p}", file=sys.stderr)
    sys.stderr.flush()
    print(f"docs check: {len(problems)} problem(s), {time.monotonic() - started:.1f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
