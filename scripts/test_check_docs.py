"""Unit tests of scripts/check_docs.py (run: python3 -m unittest scripts/test_check_docs.py)."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_docs  # noqa: E402


class Tree:
    """A temporary folder of files given as {relative path: text}."""

    def __init__(self, files):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name
        for rel, text in files.items():
            path = os.path.join(self.root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)

    def path(self, rel):
        return os.path.join(self.root, rel)

    def links(self, rel):
        return check_docs.check_links(self.path(rel), root=self.root)


class Anchors(unittest.TestCase):
    def test_github_anchors(self):
        a = check_docs.github_anchor
        self.assertEqual(a("Quick start"), "quick-start")
        self.assertEqual(a("The CLI: `palimpsest run`"), "the-cli-palimpsest-run")
        self.assertEqual(a("A_k, U_k and BWT (forgetting)"), "a_k-u_k-and-bwt-forgetting")
        self.assertEqual(a("MSPT — its parts"), "mspt--its-parts")
        self.assertEqual(a("[Links](x.md) in a heading"), "links-in-a-heading")

    def test_repeated_headings_are_numbered_and_code_is_not_a_heading(self):
        text = "# Notes\n\n## Notes\n\n```sh\n# not a heading\n```\n"
        self.assertEqual(check_docs.anchors(text), {"notes", "notes-1"})


class Links(unittest.TestCase):
    def test_good_link_and_anchor(self):
        t = Tree({
            "README.md": "See [the guide](docs/guide.md#two-steps) and [here](#intro).\n\n## Intro\n",
            "docs/guide.md": "# Guide\n\n## Two steps\n\n[back](../README.md#intro)\n",
        })
        self.assertEqual(t.links("README.md"), [])
        self.assertEqual(t.links("docs/guide.md"), [])

    def test_broken_link(self):
        t = Tree({"README.md": "Read [this](docs/missing.md).\n"})
        problems = t.links("README.md")
        self.assertEqual(len(problems), 1)
        self.assertIn("README.md:1", problems[0])
        self.assertIn("docs/missing.md does not exist", problems[0])

    def test_broken_anchor(self):
        t = Tree({
            "README.md": "[a](docs/guide.md#three-steps) [b](#nowhere)\n\n# Title\n",
            "docs/guide.md": "# Guide\n\n## Two steps\n",
        })
        problems = t.links("README.md")
        self.assertEqual(len(problems), 2)
        self.assertIn("#three-steps", problems[0])
        self.assertIn("#nowhere", problems[1])

    def test_external_links_and_code_are_not_checked(self):
        t = Tree({
            "README.md": "[web](https://example.org/x.md) `[code](nope.md)`\n\n```\n[x](nope.md)\n```\n",
        })
        self.assertEqual(t.links("README.md"), [])


class Length(unittest.TestCase):
    def test_line_limit(self):
        t = Tree({"short.md": "line\n" * 200, "long.md": "line\n" * 201})
        self.assertEqual(check_docs.check_length(t.path("short.md")), [])
        problems = check_docs.check_length(t.path("long.md"))
        self.assertEqual(len(problems), 1)
        self.assertIn("201 lines", problems[0])


class Blocks(unittest.TestCase):
    README = (
        "# Title\n\n```sh\nexit 1  # not in the quick start: never run\n```\n\n"
        "## Quick start\n\n"
        "```sh\n# long: serves the app until stopped\nsleep 1000\n```\n\n"
        "### From the command line\n\n```sh\ntool hello > out.txt\ngrep -q hello out.txt\n```\n\n"
        "```python\nraise SystemExit(1)\n```\n\n"
        "## Next\n\n```sh\nexit 1\n```\n"
    )

    def setUp(self):
        self.tree = Tree({"README.md": self.README})
        self.bindir = self.tree.path("bin")
        os.makedirs(self.bindir)
        tool = os.path.join(self.bindir, "tool")
        with open(tool, "w") as f:
            f.write("#!/bin/sh\necho \"$@\"\n")
        os.chmod(tool, 0o755)

    def test_section_blocks_and_long_marker(self):
        blocks = check_docs.sh_blocks(self.README, "quick start")
        self.assertEqual([no for no, _ in blocks], [9, 16])
        self.assertEqual(check_docs.long_reason(blocks[0][1]), "serves the app until stopped")
        self.assertIsNone(check_docs.long_reason(blocks[1][1]))

    def test_a_long_block_is_skipped_with_its_reason_and_the_rest_runs(self):
        said = []
        problems = check_docs.run_documented(
            self.bindir, root=self.tree.root, which=[("README.md", "quick start")], timeout=20, say=said.append
        )
        self.assertEqual(problems, [])
        self.assertIn("  skipped README.md:9 (long: serves the app until stopped)", said)
        self.assertTrue(any(s.startswith("  ran README.md:16") for s in said), said)

    def test_a_failing_block_is_a_problem(self):
        problems = check_docs.run_documented(
            self.bindir, root=self.tree.root, which=[("README.md", "next")], timeout=20, say=lambda s: None
        )
        self.assertEqual(len(problems), 1)
        self.assertIn("README.md:27", problems[0])

    def test_a_block_over_its_time_is_stopped(self):
        t = Tree({"doc.md": "```sh\nsleep 30\n```\n"})
        problems = check_docs.run_documented(
            self.bindir, root=t.root, which=[("doc.md", None)], timeout=1, say=lambda s: None
        )
        self.assertEqual(len(problems), 1)
        self.assertIn("stopped after 1 s", problems[0])


if __name__ == "__main__":
    unittest.main()
