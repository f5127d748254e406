"""What readers wait for: ``make bench`` (not part of ``make test``) prints a table and writes
``bench/results.md``.

Measures, on this machine:

1. set-up time of a fresh virtual environment (``pip install -r requirements.txt -c
   constraints.txt`` into a new venv, from pip's cache);
2. full book build time (a fresh ``jupyter-book build`` into a temporary folder);
3. execution time of every notebook and its three slowest cells (nbclient, cell timing);
4. TensorFlow's import time, the floor every notebook pays (median of 3 fresh interpreters);
5. latency of an ipywidgets slider callback (chapter 2's padded-length slider: redraw and
   render the PNG a live notebook would send), median and 95th percentile over 50 moves;
6. weight of every built page with everything it loads, and the time from a kernel-free
   slider move to the redrawn chart in headless Chromium (median over 50 moves).

Targets: slider callback median <= 50 ms, kernel-free redraw <= 50 ms, build <= 180 s, no
page heavier than 2 MB. ``--quick`` skips 1 and 2 (the slow ones).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0",
       "PYTHONHASHSEED": "0"}
TARGETS = {"callback_ms": 50.0, "redraw_ms": 50.0, "build_s": 180.0, "page_mb": 2.0}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 ** 2:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{os.cpu_count()} cores ({cpu}){memory}, {platform.platform()}, "
            f"Python {platform.python_version()}")


def venv_setup() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", f"{tmp}/venv"], check=True)
        subprocess.run([f"{tmp}/venv/bin/python", "-m", "pip", "install", "--quiet", "-r",
                        "requirements.txt", "-c", "constraints.txt"], check=True, cwd=ROOT)
        return time.perf_counter() - start


def full_build() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT),
                        "--path-output", tmp], check=True, env=ENV, capture_output=True)
        return time.perf_counter() - start


def notebook_times() -> list[tuple[str, float, list[tuple[float, int, str]]]]:
    import jupytext
    import nbclient
    from sphinx_external_toc.parsing import parse_toc_yaml

    docs = list(parse_toc_yaml(ROOT / "_toc.yml"))      # the parser Jupyter Book uses, root first
    results = []
    for doc in docs:
        source = ROOT / f"{doc}.md"
        if "kernelspec:" not in source.read_text()[:800]:
            continue
        notebook = jupytext.read(source)
        start = time.perf_counter()
        client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                         resources={"metadata": {"path": str(ROOT)}},
                                         allow_errors=True)
        client.execute()  # the kernel inherits ENV (set in main)
        total = time.perf_counter() - start
        cells = []
        for index, cell in enumerate(notebook.cells):
            timing = cell.metadata.get("execution", {})
            if "shell.execute_reply" in timing and "iopub.execute_input" in timing:
                began = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
                ended = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
                first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                cells.append(((ended - began).total_seconds(), index, first[:60]))
        results.append((doc, total, sorted(cells, reverse=True)[:3]))
    return results


def tensorflow_import() -> float:
    times = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", "import time; t = time.perf_counter(); "
                              "import tensorflow; print(time.perf_counter() - t)"],
                             capture_output=True, text=True, env=ENV, check=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def slider_callback() -> tuple[list[float], list[float]]:
    """Chapter 2's live slider: pad, build the mask, draw, render the PNG the kernel sends.

    Returns (the 50 moves back and forth over S = 6..12, as a reader sweeps the slider;
    the first visits of each value alone, before LiveFigure's cache holds them).
    """
    import contextlib

    import matplotlib

    matplotlib.use("Agg")

    from lib.masks import padding_mask
    from lib.padding import pad_batch
    from lib.plots import plot_mask
    from lib.widgets import length_slider, live_figure

    ids = [[1, 3, 2, 7, 4, 5], [1, 3, 6]]

    def draw(padded_length):
        batch = pad_batch(ids, padded_length)
        return plot_mask(padding_mask(batch), title=f"padding mask (2, {padded_length})")

    sweep = [6 + abs((move % 12) - 6) for move in range(1, 51)]   # 7, ..., 12, 11, ..., 6, 7, ...
    with contextlib.redirect_stdout(io.StringIO()):
        panel = live_figure(draw, padded_length=length_slider("S", 6, 1, 12))
        times, first = [], []
        seen = {6}
        for value in sweep:
            start = time.perf_counter()
            panel.controls["padded_length"].value = value
            elapsed = (time.perf_counter() - start) * 1000
            times.append(elapsed)
            if value not in seen:
                first.append(elapsed)
                seen.add(value)
    return times, first


def page_weights() -> list[tuple[str, float, float]]:
    """(page, MB as stored, MB gzip-compressed as most web servers send it)."""
    import gzip

    from bs4 import BeautifulSoup

    weights = []
    for page in sorted(HTML.rglob("*.html")):
        if "_static" in page.parts:
            continue
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        total = page.stat().st_size
        compressed = len(gzip.compress(page.read_bytes()))
        seen = set()
        for tag, attribute in (("script", "src"), ("link", "href"), ("img", "src")):
            for element in soup.find_all(tag):
                value = element.get(attribute)
                if not value or value.startswith(("http", "data:", "#")):
                    continue
                if tag == "link" and "stylesheet" not in (element.get("rel") or []):
                    continue
                path = (page.parent / value.split("?")[0]).resolve()
                if path.is_file() and path not in seen:
                    seen.add(path)
                    total += path.stat().st_size
                    compressed += len(gzip.compress(path.read_bytes()))
        weights.append((str(page.relative_to(HTML)), total / 1024 ** 2, compressed / 1024 ** 2))
    return weights


def kernel_free_redraw() -> list[float]:
    sys.path.insert(0, str(ROOT / "tests"))
    from browser import launch_chromium, serve_book

    times = []
    with serve_book(HTML) as base, launch_chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/chapters/05_logical_and.html", wait_until="networkidle")
        page.wait_for_selector(".vega-explorer[data-rendered=true]")
        for move in range(50):
            value = 1 + move % 9
            elapsed = page.evaluate(
                """(value) => new Promise(resolve => {
                    const root = document.querySelector('.vega-explorer');
                    const svg = root.querySelector('svg');
                    const slider = root.querySelector('input[name=len1]');
                    const start = performance.now();
                    const observer = new MutationObserver(() => {
                        observer.disconnect(); resolve(performance.now() - start); });
                    observer.observe(svg, {subtree: true, childList: true, attributes: true});
                    slider.value = String(value);
                    slider.dispatchEvent(new Event('input', {bubbles: true}));
                    setTimeout(() => { observer.disconnect(); resolve(-1); }, 2000);
                })""",
                value if value != 3 else 10,
            )
            if elapsed >= 0:
                times.append(elapsed)
            page.wait_for_timeout(20)
    return times


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the venv set-up and full build")
    args = parser.parse_args()
    os.environ.update(ENV)
    if not (HTML / "index.html").is_file():
        print("bench: build the book first (make book)", file=sys.stderr)
        return 1
    lines = [
        "# What readers wait for: benchmark results",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` on: {machine()}.",
        "Numbers from a real run on this machine; yours will differ.",
        "",
        "| what | measured | target | met |",
        "| --- | --- | --- | --- |",
    ]

    def row(what, value, target="", met=""):
        lines.append(f"| {what} | {value} | {target} | {met} |")
        print(f"{what:<60} {value:>14} {target:>10} {met}")

    if not args.quick:
        row("fresh .venv set-up (pip, from cache)", f"{venv_setup():.0f} s")
        build = full_build()
        row("full book build (every notebook executed)", f"{build:.0f} s", "<= 180 s",
            "yes" if build <= TARGETS["build_s"] else "no")
    tf_import = tensorflow_import()
    row("TensorFlow import (median of 3)", f"{tf_import:.2f} s")
    callback, first = slider_callback()
    median = statistics.median(callback)
    row("ipywidgets slider callback, median of 50 moves (sweeping S back and forth)",
        f"{median:.1f} ms", "<= 50 ms", "yes" if median <= TARGETS["callback_ms"] else "no")
    row("ipywidgets slider callback, 95th percentile of the 50",
        f"{percentile(callback, 0.95):.1f} ms")
    cold = statistics.median(first)
    row(f"ipywidgets slider callback, first visit of a value (median of {len(first)}, no cache)",
        f"{cold:.1f} ms", "<= 50 ms", "yes" if cold <= TARGETS["callback_ms"] else "no")
    redraw = kernel_free_redraw()
    redraw_median = statistics.median(redraw) if redraw else float("nan")
    row(f"kernel-free slider to redrawn chart (Chromium), median of {len(redraw)}",
        f"{redraw_median:.1f} ms", "<= 50 ms",
        "yes" if redraw_median <= TARGETS["redraw_ms"] else "no")
    weights = page_weights()
    heaviest = max(weights, key=lambda item: item[1])
    row(f"heaviest page with everything it loads ({heaviest[0]}), as stored",
        f"{heaviest[1]:.2f} MB",
        "<= 2 MB", "yes" if heaviest[1] <= TARGETS["page_mb"] else "no")
    row("the same page gzip-compressed (as sent by most web servers)", f"{heaviest[2]:.2f} MB",
        "<= 2 MB", "yes" if heaviest[2] <= TARGETS["page_mb"] else "no")

    lines += ["", "## Notebook execution", "",
              "| notebook | seconds | three slowest cells (s: first line) |",
              "| --- | --- | --- |"]
    for doc, total, cells in notebook_times():
        slow = "; ".join(f"{t:.1f}: cell {i} `{text}`" for t, i, text in cells)
        lines.append(f"| {doc} | {total:.1f} | {slow} |")
        print(f"{doc:<40} {total:6.1f} s   {slow}")
    lines += ["", "## Page weights (page + scripts, stylesheets, images it loads)", "",
              "| page | MB as stored | MB gzip-compressed |", "| --- | --- | --- |"]
    lines += [f"| {name} | {mb:.2f} | {gz:.2f} |" for name, mb, gz in weights]
    (ROOT / "bench" / "results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"bench: wrote {ROOT / 'bench' / 'results.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
