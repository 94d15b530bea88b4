#!/usr/bin/env python3
"""Finishes the static bundle Trunk wrote, so it runs from any plain static host.

    finish_site.py DIST BASE [--routes FILE]   post-process DIST built for the base path BASE
    finish_site.py --list [--routes FILE]      print the static page routes, one a line

- The base path goes into index.html (the afe-base meta the app reads, the manifest link).
- The CSP allows exactly the page's inline scripts (Trunk's loader, the service-worker
  registration), by hash, instead of 'unsafe-inline'.
- Deep links must load without rewrite rules, so every static page route gets its own copy of
  the (tiny) index.html, and 404.html covers unknown paths on GitHub Pages.
- The service worker gets its precache list and a version derived from their content, so a
  new bundle installs a new worker.

The routes come from the app's typed routes module (STATIC_PAGES in app/src/routes.rs), so the
build and the router cannot disagree about which pages exist.
"""
import argparse
import base64
import hashlib
import json
import pathlib
import re
import sys

ROUTES_FILE = pathlib.Path(__file__).resolve().parent.parent / "app" / "src" / "routes.rs"
# `pub const STATIC_PAGES: [&str; N] = ["playground", ...];` Anchored on `const` so a doc
# comment naming the list cannot match; the type's own brackets come before the `=`, so the
# list is the first bracket after it.
STATIC_PAGES = re.compile(r"\bconst\s+STATIC_PAGES\b[^=]*=\s*\[([^\]]*)\]")
# A route becomes a folder name, so anything but a plain path segment is refused.
SEGMENT = re.compile(r"[A-Za-z0-9_-]+")


def static_pages(routes_file):
    """The route names of STATIC_PAGES in routes_file; SystemExit with the reason if none."""
    try:
        source = pathlib.Path(routes_file).read_text()
    except OSError as e:
        sys.exit(f"finish_site.py: cannot read the route list: {e}")
    found = STATIC_PAGES.search(source)
    if not found:
        sys.exit(f"finish_site.py: {routes_file} has no `STATIC_PAGES = [...]` route list")
    names = re.findall(r'"([^"]*)"', found.group(1))
    if not names:
        sys.exit(f"finish_site.py: STATIC_PAGES in {routes_file} is empty")
    bad = [n for n in names if not SEGMENT.fullmatch(n)]
    if bad:
        sys.exit(f"finish_site.py: STATIC_PAGES in {routes_file} holds names that are not path segments: {bad}")
    return names


def finish_index(dist, base, routes):
    index = dist / "index.html"
    html = index.read_text().replace('<meta name="afe-base" content="/"', f'<meta name="afe-base" content="{base}"')
    html = html.replace('href="/manifest.webmanifest"', f'href="{base}manifest.webmanifest"')
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in re.findall(r"<script[^>]*>(.*?)</script>", html, re.S)
    )
    html = html.replace("script-src 'self' 'wasm-unsafe-eval'", f"script-src 'self' 'wasm-unsafe-eval' {hashes}", 1)
    index.write_text(html)
    for route in routes:
        (dist / route).mkdir(exist_ok=True)
        (dist / route / "index.html").write_text(html)
    (dist / "404.html").write_text(html)


def precached(dist, path):
    rel = path.relative_to(dist)
    shell = path.suffix in {".js", ".wasm", ".css", ".svg", ".webmanifest", ".html"} and path.parent == dist
    # The engine is not precached: it downloads when the playground first needs it (and is
    # cached at run time then), so a first visit fetches only the explorer.
    return (
        (shell or rel.as_posix() in {"data/default.jsonl", "data/PROVENANCE.md"} or rel.parts[0] == "icons")
        and path.name not in {"sw.js", "404.html"}
        and not path.name.startswith("engine-worker")
    )


def finish_service_worker(dist):
    files = sorted(p.relative_to(dist).as_posix() for p in dist.rglob("*") if p.is_file() and precached(dist, p))
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode())
        digest.update((dist / name).read_bytes())
    sw = dist / "sw.js"
    sw.write_text(
        sw.read_text()
        .replace("__AFE_VERSION__", digest.hexdigest()[:16])
        .replace("__AFE_PRECACHE__", json.dumps(["./"] + files))
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dist", nargs="?", type=pathlib.Path)
    ap.add_argument("base", nargs="?", help="the public base path, with both slashes: / or /sub/path/")
    ap.add_argument("--routes", default=ROUTES_FILE, help="the Rust file declaring STATIC_PAGES")
    ap.add_argument("--list", action="store_true", help="only print the routes")
    args = ap.parse_args()
    routes = static_pages(args.routes)
    if args.list:
        print("\n".join(routes))
        return
    if args.dist is None or args.base is None:
        ap.error("DIST and BASE are required unless --list")
    finish_index(args.dist, args.base, routes)
    finish_service_worker(args.dist)


if __name__ == "__main__":
    main()
