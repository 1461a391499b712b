"""Unit tests of the bench's evidence scripts (bench/wasm_size.py,
bench/step_profile.py, bench/pack_codecs.py): `python3 -m unittest discover -s bench -p 'test_*.py'`
(scripts/test.sh runs them)."""

import gzip
import importlib.util
import os
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


wasm_size = load("wasm_size")
step_profile = load("step_profile")
pack_codecs = load("pack_codecs")


def leb(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def string(s):
    raw = s.encode()
    return leb(len(raw)) + raw


def section(sid, payload):
    return bytes([sid]) + leb(len(payload)) + payload


def module(bodies, names, imports=0, data=b"", other_imports=()):
    """A wasm module with `imports` imported functions (and `other_imports`,
    raw import entries of other kinds, before them), then functions of the
    given bodies (raw bytes), named by `names` (function index → name)."""
    types = section(1, leb(1) + b"\x60\x00\x00")  # one type: () -> ()
    entries = list(other_imports) + [string("env") + string(f"f{i}") + b"\x00" + leb(0) for i in range(imports)]
    imp = leb(len(entries)) + b"".join(entries)
    funcs = section(3, leb(len(bodies)) + b"".join(leb(0) for _ in bodies))
    code = section(10, leb(len(bodies)) + b"".join(leb(len(b)) + b for b in bodies))
    datasec = section(11, data) if data else b""
    fnames = leb(len(names)) + b"".join(leb(i) + string(n) for i, n in sorted(names.items()))
    name = section(0, string("name") + bytes([1]) + leb(len(fnames)) + fnames)
    return b"\0asm\x01\0\0\0" + types + section(2, imp) + funcs + code + datasec + name


class WasmSize(unittest.TestCase):
    def test_demangles_rusts_legacy_names(self):
        self.assertEqual(
            wasm_size.demangle(
                "_ZN74_$LT$pliron..location..Location$u20$as$u20$pliron..irbuild..StableHash$GT$"
                "11stable_hash17h6b8511ceddb6c3d2E"
            ),
            "<pliron::location::Location as pliron::irbuild::StableHash>::stable_hash::h6b8511ceddb6c3d2",
        )
        self.assertEqual(wasm_size.demangle("memcpy"), "memcpy")

    def test_counts_a_function_to_its_crate(self):
        cases = {
            "_ZN9burn_flex3ops6binary9binary_op17h0123456789abcdefE": "burn_flex",
            # the implementing type before the trait
            "_ZN55_$LT$cubecl_ir..Scope$u20$as$u20$core..clone..Clone$GT$5clone17h0123456789abcdefE": "cubecl_ir",
            # a generic of the standard library goes to its type argument's crate
            "_ZN4core3ptr44drop_in_place$LT$cubecl_ir..scope..Scope$GT$17h0123456789abcdefE": "cubecl_ir",
            "_ZN4core3fmt5write17h0123456789abcdefE": "core",
            # the standard library's v0 names
            "_RNvNtCsebHcaeoSrxy_3std9panicking15panic_with_hook": "std",
            "_RNvMs0_NtCsjqx8TIyZbP9_8dlmalloc8dlmallocINtB5_8DlmallocE6malloc": "dlmalloc",
            "__wasm_call_ctors": "(other)",
        }
        for name, crate in cases.items():
            self.assertEqual(wasm_size.crate_of(name), crate, name)

    def test_measures_a_module(self):
        bodies = [b"\x00\x0b", b"\x00\x01\x01\x0b", b"\x00\x01\x0b"]
        names = {
            2: "_ZN9burn_flex1a17h0123456789abcdefE",
            3: "_ZN9burn_flex1b17h0123456789abcdefE",
            4: "_ZN9cubecl_ir1c17h0123456789abcdefE",
        }
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.wasm")
            with open(path, "wb") as f:
                f.write(module(bodies, names, imports=2, data=b"\x00" * 7))
            m = wasm_size.measure(path)
        self.assertEqual(m["functions"], 3)
        self.assertEqual(m["named"], 3)
        self.assertEqual(m["code"], 2 + 4 + 3)
        self.assertEqual(len(m["data"]), 7)
        self.assertEqual(m["crates"]["burn_flex"], bodies[0] + bodies[1])
        self.assertEqual(m["crates"]["cubecl_ir"], bodies[2])
        self.assertEqual(m["counts"], {"burn_flex": 2, "cubecl_ir": 1})

    def test_skips_imported_memories_tables_and_globals(self):
        others = [
            string("env") + string("memory") + b"\x02" + leb(1) + leb(17) + leb(300),  # limits with a maximum
            string("env") + string("table") + b"\x01\x70" + leb(0) + leb(4),  # funcref, no maximum
            string("env") + string("g") + b"\x03\x7f\x00",  # an i32 constant
        ]
        names = {1: "_ZN9burn_flex1a17h0123456789abcdefE"}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.wasm")
            with open(path, "wb") as f:
                f.write(module([b"\x00\x0b"], names, imports=1, other_imports=others))
            m = wasm_size.measure(path)
        # one imported function: the defined one is function 1
        self.assertEqual(m["counts"], {"burn_flex": 1})

    def test_rejects_what_is_not_wasm(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "x.wasm")
            with open(path, "wb") as f:
                f.write(b"not wasm at all")
            with self.assertRaises(SystemExit):
                wasm_size.measure(path)


class Profile(unittest.TestCase):
    LINES = [
        "    16.78%  palimpsest         [.] gemm_f32::microkernel::fma::f32::x2x6     -      -",
        "     6.43%  libc.so.6          [.] __memmove_avx_unaligned_erms              -      -",
        "     4.17%  palimpsest         [.] libm::math::erff::erff                    -      -",
        "     2.75%  [kernel.kallsyms]  [k] clear_page_erms                           -      -",
        "     2.00%  palimpsest         [.] burn_flex::ops::binary::binary_op         -      -",
        "     1.00%  palimpsest         [.] palimpsest_core::run::step                -      -",
        "     0.50%  palimpsest         [.] burn_autodiff::graph::Step::step          -      -",
        "     0.25%  palimpsest         [.] mystery                                   -      -",
        "",
        "# a comment line",
    ]

    def test_sums_symbols_into_kinds(self):
        s = step_profile.summarise(self.LINES)
        k = s["kinds"]
        self.assertAlmostEqual(k["matrix products (gemm)"], 16.78)
        self.assertAlmostEqual(k["memory copies and fills"], 6.43)
        self.assertAlmostEqual(k["erf and exp (GELU, softmax)"], 4.17)
        self.assertAlmostEqual(k["allocation and page faults"], 2.75)
        self.assertAlmostEqual(k["burn flex's element-wise ops and reductions"], 2.0)
        # palimpsest_core:: holds "core::", yet it is ours
        self.assertAlmostEqual(k["Palimpsest's own code"], 1.0)
        self.assertAlmostEqual(k["bookkeeping (autodiff graph, dispatch, shapes, Vec/Arc/hash maps)"], 0.5)
        self.assertAlmostEqual(k["other"], 0.25)
        self.assertAlmostEqual(s["total"], sum(k.values()))
        self.assertEqual(s["top"][0]["symbol"], "gemm_f32::microkernel::fma::f32::x2x6")
        self.assertEqual(s["top"][0]["dso"], "palimpsest")

    def test_refuses_an_empty_report(self):
        with self.assertRaises(ValueError):
            step_profile.summarise(["# nothing", ""])


class PackCodecs(unittest.TestCase):
    def test_sizes_each_codec(self):
        raw = bytes(range(256)) * 64
        s = pack_codecs.sizes(raw)
        self.assertEqual(s["bytes"], len(raw))
        for codec in ("gzip", "bzip2", "xz"):
            self.assertLess(s[codec], len(raw) // 4, codec)
        self.assertEqual(s["gzip"], len(gzip.compress(raw, 9, mtime=0)))


if __name__ == "__main__":
    unittest.main()
