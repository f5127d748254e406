"""Lighthouse (npm, pinned in package.json) on the built book, served with gzip on 127.0.0.1.

Shared by ``tests/test_page_speed.py`` (the load-independent audits, in ``make test``) and
``bench/run.py`` (every page, with the timings, in ``make bench``).

The book is served as a static host serves it: files as stored, text compressed with gzip
when the browser asks for it. Lighthouse drives Debian's Chromium (``CHROME_PATH``) with the
mobile profile (its default: a mid-range phone, simulated slow 4G). Chromium cannot reach
any other host: ``--host-resolver-rules`` resolves every name except 127.0.0.1 to nothing,
background networking is off, and Lighthouse's error reporting is off.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
COMPRESSIBLE = (".html", ".js", ".css", ".svg", ".json", ".txt", ".map", ".ttf")

CHROME_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


class _GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files; text gzip-compressed (level 6, as nginx and most CDNs) when accepted."""

    def log_message(self, format, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts and path.is_file() and path.suffix in COMPRESSIBLE):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=3600")
        self.end_headers()
        return _Body(body)


class _Body:
    def __init__(self, data: bytes):
        self.data = data

    def read(self, *args):
        data, self.data = self.data, b""
        return data

    def close(self):
        pass


@contextlib.contextmanager
def serve_gzip(root: Path) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 with gzip; yield the base URL."""
    handler = functools.partial(_GzipHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def available() -> str | None:
    """Why Lighthouse cannot run here, or None when it can."""
    if not LIGHTHOUSE.exists():
        return f"no {LIGHTHOUSE.relative_to(ROOT)} (npm ci installs it)"
    if not Path(os.environ.get("CHROME_PATH", "/usr/bin/chromium")).exists():
        return "no Chromium at $CHROME_PATH or /usr/bin/chromium"
    return None


def run(url: str, timeout: float = 600) -> dict:
    """The Lighthouse report (JSON, as a dict) of ``url``, mobile profile."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
        result = subprocess.run(
            [str(LIGHTHOUSE), url, "--output=json", f"--output-path={out}", "--quiet",
             f"--only-categories={','.join(CATEGORIES)}", "--no-enable-error-reporting",
             "--max-wait-for-load=90000", f"--chrome-flags={' '.join(CHROME_FLAGS)}"],
            capture_output=True, text=True, env=env, timeout=timeout, cwd=tmp,
        )
        if result.returncode != 0 or not out.is_file():
            raise RuntimeError(f"lighthouse failed on {url}: {result.stderr[-2000:]}")
        return json.loads(out.read_text(encoding="utf-8"))


def summary(report: dict) -> dict:
    """The numbers the book is held to, from one report."""
    audits = report["audits"]
    scores = {name: round(100 * (report["categories"][name]["score"] or 0)) for name in CATEGORIES}

    def failing(audit_id):
        audit = audits.get(audit_id, {})
        if audit.get("scoreDisplayMode") in ("notApplicable", "manual", "informative"):
            return []
        if audit.get("score") in (None, 1):
            return []
        items = (audit.get("details") or {}).get("items") or []
        return [item.get("url") or item.get("node", {}).get("snippet") or str(item)[:120]
                for item in items] or [audit.get("title", audit_id)]

    failed = {}
    for category in ("accessibility", "best-practices", "seo"):
        for ref in report["categories"][category]["auditRefs"]:
            if ref.get("weight", 0) > 0 and failing(ref["id"]):
                failed[ref["id"]] = failing(ref["id"])
    return {
        **scores,
        "lcp_s": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "fcp_s": audits["first-contentful-paint"]["numericValue"] / 1000,
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "total_bytes": audits["total-byte-weight"]["numericValue"],
        "render_blocking": failing("render-blocking-resources"),
        "offscreen_images": failing("offscreen-images"),
        "console_errors": [item.get("description", "")[:160] for item in
                           (audits.get("errors-in-console", {}).get("details") or {}).get("items", [])],
        "failed_audits": failed,
    }
