"""Build one chapter as a book of its own, fast:
``python tools/build_one.py chapters/04_broadcasting.md``.

Copies the book's ``_config.yml`` and ``_ext/`` into ``_build/one/<chapter>/src``,
makes the chapter the root of a one-page table of contents, and runs the same
strict ``jupyter-book build`` as ``make book`` (every cell executed, warnings
are errors). Add ``--screenshot`` to save a full-page PNG of the result next to it.
The book test that proves a failing cell fails the build uses :func:`build_single`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_single(
    chapter: Path, workdir: Path, extra_cell: str | None = None
) -> subprocess.CompletedProcess:
    """Build ``chapter`` alone under ``workdir``; ``extra_cell`` appends one code cell first."""
    src = workdir / "src"
    if workdir.exists():
        shutil.rmtree(workdir)
    src.mkdir(parents=True)
    shutil.copy2(ROOT / "_config.yml", src / "_config.yml")
    shutil.copytree(ROOT / "_ext", src / "_ext")
    os.symlink(ROOT / "_vendor", src / "_vendor")
    # build-time math (_ext/page_speed.py) runs MathJax from the project's node_modules
    os.symlink(ROOT / "node_modules", src / "node_modules")
    text = chapter.read_text(encoding="utf-8")
    if extra_cell is not None:
        text += f"\n```{{code-cell}} ipython3\n{extra_cell}\n```\n"
    (src / "page.md").write_text(text, encoding="utf-8")
    (src / "_toc.yml").write_text("format: jb-book\nroot: page\n", encoding="utf-8")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0",
           "PYTHONHASHSEED": "0"}
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    return subprocess.run(
        [str(jupyter_book), "build", str(src), "--path-output", str(workdir),
         "--warningiserror", "--keep-going"],
        capture_output=True, text=True, env=env, timeout=1200,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapter", type=Path)
    parser.add_argument("--screenshot", action="store_true")
    args = parser.parse_args()
    chapter = args.chapter.resolve()
    workdir = ROOT / "_build" / "one" / chapter.stem
    result = build_single(chapter, workdir)
    print(result.stdout[-4000:])
    print(result.stderr[-4000:], file=sys.stderr)
    print(f"build_one: exit {result.returncode}; HTML in {workdir / '_build' / 'html'}")
    if result.returncode == 0 and args.screenshot:
        sys.path.insert(0, str(ROOT / "tests"))
        from browser import launch_chromium, serve_book

        png = workdir / f"{chapter.stem}.png"
        with serve_book(workdir / "_build" / "html") as base, launch_chromium() as browser:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.goto(f"{base}/page.html", wait_until="networkidle")
            page.wait_for_timeout(1000)
            page.screenshot(path=str(png), full_page=True)
        print(f"build_one: screenshot {png}")
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
