"""`make lab` gives readers working sliders: JupyterLab from .venv, a chapter run as a notebook
in headless Chromium, an ipywidgets slider moved, and the figure redrawn by the live kernel.

Each chapter gets its own JupyterLab, with its own config, data, runtime, settings and
workspaces folders under the test's tmp_path: nothing from ~/.jupyter (a saved workspace that
reopens an earlier notebook, user settings) leaks in, and nothing is left behind.

Why the waits are what they are (2026-11-30): JupyterLab's toolbar execution indicator says
``data-status="idle"`` before the notebook has any kernel (its model starts at "idle"), so
waiting for it let "Run All" be clicked while the session was still starting; the notebook then
asked for a kernel itself, a "Select Kernel" dialog came up and no cell ran. The test waits for
the session instead (``window.jupyterapp``, exposed with ``--LabApp.expose_app_in_browser``),
and for every code cell's execution count after "Run All". JupyterLab 4.6 draws cells outside
the viewport lazily (windowingMode "contentVisibility"), so the slider panel is scrolled into
view, as a reader would, before it is looked at.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import jupytext
import pytest

from conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.live, pytest.mark.timeout(900)]

# A walk chapter's live figure, and the playground's.
LIVE_CHAPTERS = ["chapters/02_padding.md", "chapters/12_playground.md"]

# The notebook's state, read from JupyterLab's application object. "ready": the session has a
# connected, idle kernel. A dialog (e.g. "Select Kernel") is reported instead of waited out.
KERNEL_STATE = """() => {
  const dialog = document.querySelector('.jp-Dialog');
  if (dialog) return 'dialog: ' + dialog.innerText.replace(/\\s+/g, ' ').slice(0, 200);
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const session = panel && panel.sessionContext;
  const kernel = session && session.session && session.session.kernel;
  if (!kernel || !session.isReady) return '';
  return kernel.connectionStatus === 'connected' && kernel.status === 'idle' ? 'ready' : '';
}"""

# After "Run All": done once the kernel is idle and every code cell has an execution count;
# "error" names the first cell with an error output not tagged raises-exception (a chapter's
# deliberate errors are; Run All stops at any other).
RUN_STATE = """() => {
  const dialog = document.querySelector('.jp-Dialog');
  if (dialog) return 'dialog: ' + dialog.innerText.replace(/\\s+/g, ' ').slice(0, 200);
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = panel.content.model.cells;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code' || (cell.getMetadata('tags') || []).includes('raises-exception')) continue;
    for (let j = 0; j < cell.outputs.length; j++) {
      const output = cell.outputs.get(j);
      if (output.type === 'error') return 'error in cell ' + i + ': ' + JSON.stringify(output.toJSON()).slice(0, 600);
    }
  }
  if (!kernel || kernel.status !== 'idle') return '';
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type === 'code' && cell.sharedModel.getSource().trim() && !cell.executionCount) return '';
  }
  return 'done';
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _api(base: str, token: str, path: str, method: str = "GET"):
    request = urllib.request.Request(f"{base}{path}", method=method,
                                     headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


@pytest.fixture
def lab(tmp_path, request):
    """A fresh JupyterLab on 127.0.0.1 serving one chapter as .ipynb (converted by jupytext);
    every Jupyter folder it reads or writes is under tmp_path. Its kernels are shut down at
    the end, and the test fails if one left its connection file behind."""
    chapter = ROOT / request.param
    root, state = tmp_path / "notebooks", tmp_path / "jupyter"
    root.mkdir()
    folders = {name: state / name for name in ("config", "data", "runtime", "settings", "user-settings",
                                               "workspaces")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    # the news toast ("Would you like to get notified...?") asks about a request to another host
    (folders["settings"] / "overrides.json").write_text(json.dumps(
        {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}))
    jupytext.write(jupytext.read(chapter), root / f"{chapter.stem}.ipynb", fmt="ipynb")
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(folders["config"]), "JUPYTER_DATA_DIR": str(folders["data"]),
        "JUPYTER_RUNTIME_DIR": str(folders["runtime"]),
        "JUPYTERLAB_SETTINGS_DIR": str(folders["user-settings"]),
        "JUPYTERLAB_WORKSPACES_DIR": str(folders["workspaces"]),
        "IPYTHONDIR": str(ROOT / ".ipython"),  # the kernel profile `make lab` uses
        "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0",
    }
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_CONFIG_PATH", None)
    log_path = tmp_path / "lab.log"
    log = open(log_path, "w")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "jupyter-lab"), "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            f"--LabApp.app_settings_dir={folders['settings']}",
            f"--LabApp.user_settings_dir={folders['user-settings']}",
            f"--LabApp.workspaces_dir={folders['workspaces']}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.news_url=", "--ServerApp.open_browser=False", "--allow-root",
            "--LabApp.extension_manager=readonly",
        ],
        stdout=log, stderr=subprocess.STDOUT, cwd=root, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                _api(base, token, "/api/status")
                break
            except OSError:
                if time.time() > deadline or process.poll() is not None:
                    pytest.fail("JupyterLab did not start:\n" + log_path.read_text()[-3000:])
                time.sleep(0.5)
        yield base, token, root, tmp_path
        for kernel in _api(base, token, "/api/kernels"):
            _api(base, token, f"/api/kernels/{kernel['id']}", method="DELETE")
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
    left = sorted(p.name for p in folders["runtime"].glob("kernel-*.json"))
    assert not left, f"kernels left running (connection files): {left}"


@pytest.mark.parametrize("lab", LIVE_CHAPTERS, indirect=True)
def test_slider_redraws_the_figure_in_jupyterlab(browser, lab):
    base, token, root, tmp_path = lab
    name = next(root.glob("*.ipynb")).stem
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    outside = []
    local = urlparse(base).netloc

    def route(route_, request):
        parsed = urlparse(request.url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.netloc != local:
            outside.append(request.url)
            return route_.abort()
        return route_.continue_()

    context.route("**/*", route)
    page = context.new_page()
    try:
        page.goto(f"{base}/lab/tree/{name}.ipynb?token={token}", wait_until="domcontentloaded")
        page.locator(".jp-Notebook").first.wait_for(timeout=120_000)
        # Run All only once the session has a connected, idle kernel (see the module docstring)
        state = page.wait_for_function(KERNEL_STATE, timeout=180_000).json_value()
        assert state == "ready", f"before Run All: {state}"
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        state = page.wait_for_function(RUN_STATE, timeout=480_000, polling=500).json_value()
        assert state == "done", f"after Run All: {state}"

        panel = page.locator(".widget-vbox:has(.widget-slider)").last
        panel.wait_for(state="attached", timeout=60_000)
        panel.scroll_into_view_if_needed(timeout=60_000)
        image = panel.locator(".jp-OutputArea-output img").last
        image.wait_for(timeout=60_000)
        before = image.get_attribute("src")

        # one step right: a longer S changes the figure in both chapters (a shorter one may not:
        # the playground raises S to its longest sentence)
        handle = panel.locator(".widget-slider").first.locator(".noUi-handle").first
        handle.focus()
        page.keyboard.press("ArrowRight")
        handle.dispatch_event("mouseup")
        page.wait_for_function(
            "([el, old]) => { const img = el.querySelector('.jp-OutputArea-output img');"
            " return img && img.getAttribute('src') !== old; }",
            arg=[panel.element_handle(), before], timeout=120_000,
        )
        after = panel.locator(".jp-OutputArea-output img").last.get_attribute("src")
        assert after != before, "the figure did not change after the slider moved"
    finally:
        page.screenshot(path=str(tmp_path / f"{name}.png"))
        context.close()
    assert not outside, f"JupyterLab requested other hosts: {outside}"
