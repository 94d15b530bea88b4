"""Tests for finish_site.py: python3 tools/finish_site_test.py (./x check runs it)."""
import base64
import hashlib
import json
import pathlib
import subprocess
import sys
import tempfile
import unittest

import finish_site as afe_site  # tools/ is on sys.path: run as a script from anywhere

CONTRACT = 'pub const STATIC_PAGES: [&str; 4] = ["playground", "stats", "about", "compare"];\n'
INDEX = """<html><head><meta name="afe-base" content="/" />
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'" />
<link rel="manifest" href="/manifest.webmanifest" /><script>boot()</script></head></html>
"""


class Routes(unittest.TestCase):
    def routes_file(self, text):
        f = tempfile.NamedTemporaryFile("w", suffix=".rs", delete=False)
        f.write(text)
        f.close()
        self.addCleanup(pathlib.Path(f.name).unlink)
        return f.name

    def test_reads_the_contract_line_among_other_code(self):
        path = self.routes_file("//! Routes; see [`STATIC_PAGES`].\npub enum Page { Explorer = 1 }\n" + CONTRACT + "pub fn x() -> [u8; 2] { [1, 2] }\n")
        self.assertEqual(afe_site.static_pages(path), ["playground", "stats", "about", "compare"])

    def test_a_list_over_several_lines(self):
        path = self.routes_file('pub const STATIC_PAGES: [&str; 2] = [\n    "stats",\n    "about",\n];\n')
        self.assertEqual(afe_site.static_pages(path), ["stats", "about"])

    def test_missing_empty_unreadable_or_unsafe_lists_fail_with_the_reason(self):
        cases = {
            "pub const OTHER: [&str; 1] = [\"a\"];\n": "no `STATIC_PAGES",
            "pub const STATIC_PAGES: [&str; 0] = [];\n": "is empty",
            'pub const STATIC_PAGES: [&str; 1] = ["../etc"];\n': "not path segments",
        }
        for text, reason in cases.items():
            with self.assertRaises(SystemExit) as e:
                afe_site.static_pages(self.routes_file(text))
            self.assertIn(reason, str(e.exception.code))
        with self.assertRaises(SystemExit) as e:
            afe_site.static_pages("/nonexistent/routes.rs")
        self.assertIn("cannot read", str(e.exception.code))

    def test_cli_list_and_failure_status(self):
        script = pathlib.Path(afe_site.__file__)
        out = subprocess.run([sys.executable, script, "--list", "--routes", self.routes_file(CONTRACT)], capture_output=True, text=True)
        self.assertEqual((out.returncode, out.stdout), (0, "playground\nstats\nabout\ncompare\n"))
        out = subprocess.run([sys.executable, script, "--list", "--routes", self.routes_file("")], capture_output=True, text=True)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("STATIC_PAGES", out.stderr)


class Finish(unittest.TestCase):
    def test_a_bundle_under_a_sub_path(self):
        with tempfile.TemporaryDirectory() as d:
            dist = pathlib.Path(d)
            (dist / "index.html").write_text(INDEX)
            (dist / "sw.js").write_text("const VERSION = '__AFE_VERSION__';\nconst PRECACHE = __AFE_PRECACHE__;\n")
            for name in ["app.js", "app_bg.wasm", "engine-worker.js", "data/default.jsonl", "data/other.jsonl", "icons/a.svg"]:
                (dist / name).parent.mkdir(exist_ok=True)
                (dist / name).write_text(name)
            afe_site.finish_index(dist, "/sub/", ["stats", "about"])
            afe_site.finish_service_worker(dist)

            html = (dist / "index.html").read_text()
            self.assertIn('<meta name="afe-base" content="/sub/"', html)
            self.assertIn('href="/sub/manifest.webmanifest"', html)
            boot_hash = "'sha256-" + base64.b64encode(hashlib.sha256(b"boot()").digest()).decode() + "'"
            self.assertIn(f"script-src 'self' 'wasm-unsafe-eval' {boot_hash};", html)
            for copy in ["stats/index.html", "about/index.html", "404.html"]:
                self.assertEqual((dist / copy).read_text(), html)
            sw = (dist / "sw.js").read_text()
            precache = json.loads(sw.split("const PRECACHE = ")[1].rstrip(";\n"))
            self.assertEqual(precache, ["./", "app.js", "app_bg.wasm", "data/default.jsonl", "icons/a.svg", "index.html"])
            self.assertNotIn("__AFE_VERSION__", sw)


if __name__ == "__main__":
    unittest.main()
