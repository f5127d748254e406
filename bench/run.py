"""What readers and authors wait for: ``make bench`` (not part of ``make test``) prints a table
and writes ``bench/results.md`` from a real run on this machine, every target marked met or not.

Measures, each section with the machine's load average beside it (2-core machines shared by
several builds give noisy timings; re-run on a quiet machine for numbers to quote):

1. set-up time of a fresh virtual environment (skipped with ``--skip-setup``);
2. the clean build (a copy of the book built into a temporary folder with an empty execution
   cache, notebooks executed in parallel) against the sum of the notebooks' own execution
   times (each executed alone, one after another, in the same run): target <= 0.65;
3. rebuilding after editing one chapter's code, and after editing only its prose, against the
   clean build: target <= 0.3;
4. TensorFlow's import time, the floor every notebook pays;
5. the ipywidgets slider callback of chapter 2 (redraw and PNG): the first visit of each value
   (the headline, target <= 50 ms) and a cached revisit beside it;
6. the time from a kernel-free slider move to the redrawn chart in Chromium (target <= 50 ms);
7. every page's weight with everything it loads, as stored (target <= 1.5 MB);
8. Lighthouse 12 (mobile profile, served with gzip on 127.0.0.1) on every page: performance
   >= 90, LCP <= 2.5 s, CLS <= 0.1, accessibility, best practices and SEO = 100.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0", "PYTHONHASHSEED": "0"}
TARGETS = {"callback_ms": 50.0, "redraw_ms": 50.0, "build_ratio": 0.65, "rebuild_ratio": 0.3,
           "page_mb": 1.5, "performance": 90, "lcp_s": 2.5, "cls": 0.1}
sys.path.insert(0, str(ROOT / "tests"))


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
    return f"{os.cpu_count()} cores ({cpu}){memory}, {platform.platform()}, Python {platform.python_version()}"


def venv_setup() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", f"{tmp}/venv"], check=True)
        subprocess.run([f"{tmp}/venv/bin/python", "-m", "pip", "install", "--quiet", "-r",
                        "requirements.txt", "-c", "constraints.txt"], check=True, cwd=ROOT)
        return time.perf_counter() - start


def load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def copy_book(target: Path) -> Path:
    """A copy of the book's sources (not .venv, _build, node_modules) to build and edit."""
    skip = {".venv", "_build", "node_modules", ".git", ".pytest_cache", ".hypothesis", "_vendor"}
    src = target / "src"
    shutil.copytree(ROOT, src, ignore=lambda folder, names: [n for n in names if n in skip
                                                             and Path(folder) == ROOT])
    for linked in ("_vendor", "node_modules"):
        os.symlink(ROOT / linked, src / linked)
    return src


def build(src: Path) -> float:
    env = {**ENV, "IPYTHONDIR": str(src / ".ipython")}
    start = time.perf_counter()
    result = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(src),
                             "--warningiserror", "--keep-going"], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-3000:] + result.stderr[-3000:])
    return time.perf_counter() - start


def builds() -> dict:
    """Clean build of a copy, then a rebuild after a code edit and after a prose edit."""
    with tempfile.TemporaryDirectory() as tmp:
        src = copy_book(Path(tmp))
        found = {"clean_load": load()}
        found["clean_s"] = build(src)
        chapter = src / "chapters" / "03_embedding_mask.md"
        text = chapter.read_text(encoding="utf-8")
        chapter.write_text(text + "\n```{code-cell} ipython3\n1 + 1\n```\n", encoding="utf-8")
        found["code_edit_s"] = build(src)
        chapter.write_text(text + "\nOne more sentence of prose.\n", encoding="utf-8")
        found["prose_edit_s"] = build(src)
        found["rebuild_load"] = load()
        return found


def notebook_times() -> list[tuple[str, float, list[tuple[float, int, str]]]]:
    import jupytext
    import nbclient
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    docs = [toc["root"]] + [c["file"] for part in toc.get("parts", []) for c in part["chapters"]]
    results = []
    for doc in docs:
        source = ROOT / f"{doc}.md"
        if "kernelspec:" not in source.read_text()[:800]:
            continue
        notebook = jupytext.read(source)
        start = time.perf_counter()
        client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                         resources={"metadata": {"path": str(source.parent)}},
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


def slider_callback() -> tuple[list[float], list[float], list[float]]:
    """Chapter 2's live slider: pad, build the mask, draw, render the PNG the kernel sends.

    Returns (the 50 moves back and forth over S = 6..12, as a reader sweeps the slider;
    the first visits of each value alone, before LiveFigure's cache holds them; the revisits).
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

    sweep = [6 + abs((move % 12) - 6) for move in range(1, 51)]   # 7, 8, ..., 12, 11, ..., 6, 7, ...
    with contextlib.redirect_stdout(io.StringIO()):
        panel = live_figure(draw, padded_length=length_slider("S", 6, 1, 12))
        times, first, cached = [], [], []
        seen = {6}
        for value in sweep:
            start = time.perf_counter()
            panel.controls["padded_length"].value = value
            elapsed = (time.perf_counter() - start) * 1000
            times.append(elapsed)
            if value not in seen:
                first.append(elapsed)
                seen.add(value)
            else:
                cached.append(elapsed)
    return times, first, cached


def page_weights() -> list[tuple[str, float, float]]:
    """(page, MB as stored, MB gzip-compressed) with everything each page loads."""
    from pageweight import pages, weight

    return [(str(p.relative_to(HTML)), *weight(p, HTML)) for p in pages(HTML)
            if "Refresh" not in p.read_text(encoding="utf-8")[:2000]]


def lighthouse_all() -> list[tuple[str, dict]]:
    import lighthouse
    from pageweight import pages

    reason = lighthouse.available()
    if reason:
        print(f"bench: Lighthouse skipped: {reason}", file=sys.stderr)
        return []
    found = []
    with lighthouse.serve_gzip(HTML) as base:
        for page in pages(HTML):
            name = str(page.relative_to(HTML))
            if "Refresh" in page.read_text(encoding="utf-8")[:2000]:
                continue   # index.html only redirects to intro.html
            found.append((name, lighthouse.summary(lighthouse.run(f"{base}/{name}"))))
            print(f"lighthouse {name}: {found[-1][1]['performance']}", flush=True)
    return found


def kernel_free_redraw() -> list[float]:
    from browser import launch_chromium, serve_book

    times = []
    with serve_book(HTML) as base, launch_chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/chapters/05_logical_and.html", wait_until="networkidle")
        page.locator(".vega-explorer").first.scroll_into_view_if_needed()   # it draws only then
        page.wait_for_selector(".vega-explorer[data-rendered=true]")
        low, high = page.evaluate(
            "() => { const s = document.querySelector('.vega-explorer input[type=range]');"
            " return [Number(s.min), Number(s.max)]; }")
        for move in range(50):
            value = low + (move + 1) % (high - low + 1)
            elapsed = page.evaluate(
                """(value) => new Promise(resolve => {
                    const root = document.querySelector('.vega-explorer');
                    const svg = root.querySelector('svg');
                    const slider = root.querySelector('input[type=range]');
                    const start = performance.now();
                    const observer = new MutationObserver(() => {
                        observer.disconnect(); resolve(performance.now() - start); });
                    observer.observe(svg, {subtree: true, childList: true, attributes: true});
                    slider.value = String(value);
                    slider.dispatchEvent(new Event('input', {bubbles: true}));
                    setTimeout(() => { observer.disconnect(); resolve(-1); }, 2000);
                })""",
                value,
            )
            if elapsed >= 0:
                times.append(elapsed)
            page.wait_for_timeout(20)
    return times


def yes(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-setup", action="store_true", help="skip the fresh .venv set-up")
    parser.add_argument("--quick", action="store_true", help="skip set-up, builds and notebook times")
    args = parser.parse_args()
    os.environ.update(ENV)
    os.environ.setdefault("IPYTHONDIR", str(ROOT / ".ipython"))
    if not (HTML / "index.html").is_file():
        print("bench: build the book first (make book)", file=sys.stderr)
        return 1
    lines = [
        "# What readers and authors wait for: benchmark results",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` on: {machine()}.",
        f"Load average (1, 5, 15 min) at the start: {load()[5:]}. Numbers from a real run on this",
        "machine; on a machine shared with other builds the timings (build ratios, slider, Lighthouse",
        "performance and LCP) are noisy: re-run `make bench` on a quiet machine before quoting them.",
        "",
        "## Targets",
        "",
        "| what | measured | target | |",
        "| --- | --- | --- | --- |",
    ]
    details: list[str] = []

    def row(what, value, target="", met=""):
        lines.append(f"| {what} | {value} | {target} | {met} |")
        print(f"{what:<70} {value:>16} {target:>10} {met}", flush=True)

    def write():
        (ROOT / "bench" / "results.md").write_text("\n".join(lines + details) + "\n", encoding="utf-8")

    if not args.quick and not args.skip_setup:
        row("fresh .venv set-up (pip, from cache)", f"{venv_setup():.0f} s")
    if not args.quick:
        found = builds()
        row(f"clean build, notebooks in parallel ({found['clean_load']})", f"{found['clean_s']:.0f} s")
        notebooks = notebook_times()
        total = sum(t for _, t, _ in notebooks)
        # the build starts the longest notebooks first (_ext/execution_cache.py): these times are
        # its estimates on a machine that has not built the book yet
        (ROOT / "bench" / "notebook_seconds.json").write_text(
            json.dumps({doc: round(t, 1) for doc, t, _ in notebooks}, indent=1) + "\n", encoding="utf-8")
        row(f"sum of the notebooks' own execution times, one after another ({load()})", f"{total:.0f} s")
        ratio = found["clean_s"] / total
        row("clean build / sum of notebook times", f"{ratio:.2f}", f"<= {TARGETS['build_ratio']}",
            yes(ratio <= TARGETS["build_ratio"]))
        for kind in ("code", "prose"):
            seconds = found[f"{kind}_edit_s"]
            ratio = seconds / found["clean_s"]
            row(f"rebuild after editing one chapter's {kind} ({seconds:.0f} s) / clean build "
                f"({found['rebuild_load']})", f"{ratio:.2f}", f"<= {TARGETS['rebuild_ratio']}",
                yes(ratio <= TARGETS["rebuild_ratio"]))
        details += ["", "## Notebook execution (each alone, one after another)", "",
                    "| notebook | seconds | three slowest cells (s: first line) |", "| --- | --- | --- |"]
        for doc, seconds, cells in notebooks:
            slow = "; ".join(f"{t:.1f}: cell {i} `{text}`" for t, i, text in cells)
            details.append(f"| {doc} | {seconds:.1f} | {slow} |")
        write()
    row("TensorFlow import (median of 3)", f"{tensorflow_import():.2f} s")
    callback, first, cached = slider_callback()
    cold = statistics.median(first)
    row(f"ipywidgets slider, first visit of a value, median of {len(first)} ({load()})", f"{cold:.1f} ms",
        f"<= {TARGETS['callback_ms']:.0f} ms", yes(cold <= TARGETS["callback_ms"]))
    row(f"ipywidgets slider, revisit from the cache, median of {len(cached)}",
        f"{statistics.median(cached):.2f} ms")
    redraw = kernel_free_redraw()
    redraw_median = statistics.median(redraw) if redraw else float("nan")
    row(f"kernel-free slider to redrawn chart (Chromium), median of {len(redraw)}",
        f"{redraw_median:.1f} ms", f"<= {TARGETS['redraw_ms']:.0f} ms", yes(redraw_median <= TARGETS["redraw_ms"]))
    weights = page_weights()
    over = [name for name, mb, _ in weights if mb > TARGETS["page_mb"]]
    heaviest = max(weights, key=lambda item: item[1])
    row(f"heaviest page with what it loads, as stored ({heaviest[0]})", f"{heaviest[1]:.2f} MB",
        f"<= {TARGETS['page_mb']} MB", yes(not over))
    row("pages over 1.5 MB as stored", ", ".join(over) or "none")
    details += ["", "## Page weights (page + scripts, stylesheets, images, icon font it loads)", "",
                "| page | MB as stored | MB gzip-compressed | <= 1.5 MB |", "| --- | --- | --- | --- |"]
    details += [f"| {name} | {mb:.2f} | {gz:.2f} | {yes(mb <= TARGETS['page_mb'])} |" for name, mb, gz in weights]
    write()
    start_load = load()
    reports = lighthouse_all()
    if reports:
        def worst(key, best=max):
            return best(reports, key=lambda item: item[1][key])

        slowest = worst("lcp_s")
        lowest = worst("performance", best=min)
        shifting = worst("cls")
        row(f"Lighthouse performance, lowest of {len(reports)} pages ({lowest[0]}; {start_load})",
            str(lowest[1]["performance"]), f">= {TARGETS['performance']}",
            yes(lowest[1]["performance"] >= TARGETS["performance"]))
        row(f"Lighthouse LCP, slowest page ({slowest[0]})", f"{slowest[1]['lcp_s']:.1f} s",
            f"<= {TARGETS['lcp_s']} s", yes(slowest[1]["lcp_s"] <= TARGETS["lcp_s"]))
        row(f"Lighthouse CLS, largest ({shifting[0]})", f"{shifting[1]['cls']:.3f}",
            f"<= {TARGETS['cls']}", yes(shifting[1]["cls"] <= TARGETS["cls"]))
        for category in ("accessibility", "best-practices", "seo"):
            low = worst(category, best=min)
            row(f"Lighthouse {category}, lowest ({low[0]})", str(low[1][category]), "100",
                yes(low[1][category] == 100))
        details += ["", f"## Lighthouse 12.2.3, mobile, every page ({start_load} at the start, {load()} at the end)",
                    "", "| page | performance | FCP s | LCP s | CLS | accessibility | best practices | SEO "
                    "| transferred MB | failing audits |",
                    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for name, found in reports:
            failing = ", ".join(sorted(found["failed_audits"])) or "none"
            details.append(
                f"| {name} | {found['performance']} | {found['fcp_s']:.1f} | {found['lcp_s']:.1f} | "
                f"{found['cls']:.3f} | {found['accessibility']} | {found['best-practices']} | {found['seo']} | "
                f"{found['total_bytes'] / 1e6:.2f} | {failing} |")
    lines.append("")
    lines.append(f"Load average at the end: {load()[5:]}.")
    write()
    print(f"bench: wrote {ROOT / 'bench' / 'results.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
