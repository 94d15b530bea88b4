#!/usr/bin/env python3
"""A plain static file server for dist/, like any static host: no rewrite rules.

Serves DIR under an optional sub-path prefix, with correct MIME types for wasm and GGUF,
HTTP Range requests (the engine streams models by range), and no caching so a rebuilt
bundle is always picked up. Usage: serve.py DIR PORT [PREFIX]
"""
import http.server
import os
import re
import sys

DIRECTORY, PORT = sys.argv[1], int(sys.argv[2])
PREFIX = "/" + sys.argv[3].strip("/") if len(sys.argv) > 3 and sys.argv[3].strip("/") else ""


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".jsonl": "application/x-ndjson",
        ".gguf": "application/octet-stream",
        ".md": "text/markdown; charset=utf-8",
        ".svg": "image/svg+xml",
        ".webmanifest": "application/manifest+json",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=DIRECTORY, **kwargs)

    def log_message(self, *args):
        if os.environ.get("AFE_SERVE_LOG"):
            super().log_message(*args)

    def end_headers(self):
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Expose-Headers", "Content-Length, Content-Range")
        super().end_headers()

    def translate_path(self, path):
        if PREFIX:
            if path != PREFIX and not path.startswith(PREFIX + "/"):
                return os.path.join(DIRECTORY, "__outside_prefix__")
            path = path[len(PREFIX):] or "/"
        return super().translate_path(path)

    def send_error(self, code, message=None, explain=None):
        # Like GitHub Pages and Netlify: unknown paths get the site's own 404.html.
        page = os.path.join(DIRECTORY, "404.html")
        if code != 404 or not os.path.isfile(page):
            return super().send_error(code, message, explain)
        body = open(page, "rb").read()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_head(self):
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        path = self.translate_path(self.path.split("?", 1)[0])
        if not match or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        start = int(match.group(1))
        end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
        if start >= size or start > end:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.end_headers()
            return None
        f = open(path, "rb")
        f.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self._range_left = end - start + 1
        return f

    def copyfile(self, source, outputfile):
        left = getattr(self, "_range_left", None)
        if left is None:
            return super().copyfile(source, outputfile)
        while left > 0:
            chunk = source.read(min(1 << 20, left))
            if not chunk:
                break
            outputfile.write(chunk)
            left -= len(chunk)


http.server.ThreadingHTTPServer.allow_reuse_address = True
with http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler) as server:
    print(f"serving {DIRECTORY} at http://127.0.0.1:{PORT}{PREFIX}/", flush=True)
    server.serve_forever()
