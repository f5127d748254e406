"""The "download all notebooks" archive: what it holds, that every page offers it, that a
downloaded notebook explains where ``lib`` comes from, and (``make test-archive``) that the
README's first command installs it into a fresh venv where a chapter then executes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from conftest import ROOT, toc_files

pytestmark = pytest.mark.build

ARCHIVE = "notebooks/attention-masks-notebooks.zip"
FOLDER = "attention-masks-notebooks"
CHAPTER = "05_logical_and"
"""The chapter the slow test executes in the fresh environment (TensorFlow, Keras, lib, Altair)."""


def notebook_pages() -> list[str]:
    return [name for name in toc_files() if (ROOT / f"{name}.md").read_text(encoding="utf-8")
            .startswith("---\njupytext:")]


@pytest.fixture(scope="module")
def archive(built_html) -> zipfile.ZipFile:
    path = built_html / ARCHIVE
    assert path.is_file(), f"expected the notebook archive at {path}"
    with zipfile.ZipFile(path) as opened:
        yield opened


def readme_commands(text: str) -> list[str]:
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block, "the archive's README has no ```sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_archive_holds_every_notebook_the_wheel_and_the_pins(archive):
    names = set(archive.namelist())
    expected = {f"{FOLDER}/notebooks/{Path(page).name}.ipynb" for page in notebook_pages()}
    assert expected <= names, f"missing notebooks: {sorted(expected - names)}"
    wheels = [name for name in names if name.endswith(".whl")]
    assert len(wheels) == 1 and "/wheels/attention_masks_lib-" in wheels[0], wheels
    with zipfile.ZipFile(archive.open(wheels[0])) as wheel:
        modules = {Path(name).name for name in wheel.namelist() if name.startswith("lib/")}
    assert {path.name for path in (ROOT / "lib").glob("*.py")} <= modules
    constraints = archive.read(f"{FOLDER}/constraints.txt").decode()
    assert constraints == (ROOT / "constraints.txt").read_text(encoding="utf-8")
    requirements = archive.read(f"{FOLDER}/requirements.txt").decode().splitlines()
    assert f"./{wheels[0].split('/', 1)[1]}" in requirements
    assert not any(line.startswith("-e") for line in requirements)
    assert any(line.startswith("tensorflow-cpu") for line in requirements)
    assert any(line.startswith("jupyterlab") for line in requirements)


def test_archive_readme_has_two_commands(archive):
    commands = readme_commands(archive.read(f"{FOLDER}/README.md").decode())
    assert len(commands) == 2, commands
    assert "pip install -r requirements.txt -c constraints.txt" in commands[0]
    if (ROOT / "requirements-nodeps.txt").is_file():
        assert "pip install --no-deps -r requirements-nodeps.txt -c constraints.txt" in commands[0]
        assert archive.read(f"{FOLDER}/requirements-nodeps.txt").decode() == (
            ROOT / "requirements-nodeps.txt").read_text(encoding="utf-8")
    assert "jupyter lab notebooks" in commands[1]


def test_notebooks_have_no_outputs_and_a_guard_first(archive):
    baseurl = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["html"]["baseurl"]
    for page in notebook_pages():
        notebook = json.loads(archive.read(f"{FOLDER}/notebooks/{Path(page).name}.ipynb"))
        code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
        assert all(not cell.get("outputs") for cell in code), f"{page}: outputs stored"
        first = "".join(code[0]["source"])
        assert first.startswith("try:\n    import lib"), f"{page}: no guard in the first cell"
        assert baseurl + ARCHIVE in first
        folded = [cell for cell in code if "hide-input" in cell["metadata"].get("tags", [])]
        assert all(cell["metadata"].get("jupyter", {}).get("source_hidden") for cell in folded)


def test_the_guard_explains_a_missing_lib(archive, tmp_path):
    """Run a downloaded notebook's first cell where `import lib` fails: the error names the archive."""
    notebook = json.loads(archive.read(f"{FOLDER}/notebooks/{CHAPTER}.ipynb"))
    first = "".join(next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")["source"])
    script = tmp_path / "first_cell.py"
    script.write_text("import sys\nsys.modules['lib'] = None  # as if lib were not installed\n" + first)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: This notebook needs `lib`"), last
    assert ARCHIVE in last and "README" in last


def test_every_page_offers_the_archive(built_html):
    missing = []
    for page in toc_files():
        html = built_html / f"{page}.html"
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        links = [a["href"] for a in soup.select("a[href]") if a["href"].endswith(ARCHIVE)]
        if not links or not all((html.parent / link).resolve() == (built_html / ARCHIVE).resolve()
                                for link in links):
            missing.append(page)
    assert not missing, "pages whose download menu does not link the archive: " + ", ".join(missing)
    intro = BeautifulSoup((built_html / "intro.html").read_text(encoding="utf-8"), "html.parser")
    assert intro.select_one(f'article a[href="{ARCHIVE}"]'), "the intro's text should link the archive"


@pytest.mark.archive
@pytest.mark.timeout(1800)
def test_archive_installs_into_a_fresh_venv_and_a_chapter_runs(built_html, tmp_path):
    """Unzip, run the README's first command, check the second's program, execute one chapter."""
    with zipfile.ZipFile(built_html / ARCHIVE) as opened:
        opened.extractall(tmp_path)
    folder = tmp_path / FOLDER
    install, open_lab = readme_commands((folder / "README.md").read_text(encoding="utf-8"))
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH", "IPYTHONDIR")}
    env.update(PATH=os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                     if not p.startswith(str(ROOT))),
               JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
               IPYTHONDIR=str(tmp_path / "ipython"),
               TF_CPP_MIN_LOG_LEVEL="3", PIP_DISABLE_PIP_VERSION_CHECK="1")
    done = subprocess.run(["bash", "-c", install], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, f"{install}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    python = folder / ".venv" / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import lib, sys; print(lib.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert where.returncode == 0 and str(folder / ".venv") in where.stdout, where.stderr
    program = open_lab.split()[0]
    version = subprocess.run([program, "lab", "--version"], cwd=folder, env=env,
                             capture_output=True, text=True, timeout=300)
    assert version.returncode == 0, version.stderr
    executed = subprocess.run(
        [str(folder / ".venv" / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
         "--ExecutePreprocessor.timeout=900", "--output-dir", str(tmp_path / "executed"),
         f"notebooks/{CHAPTER}.ipynb"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=1500,
    )
    assert executed.returncode == 0, executed.stderr[-4000:]
    result = json.loads((tmp_path / "executed" / f"{CHAPTER}.ipynb").read_text(encoding="utf-8"))
    code = [cell for cell in result["cells"] if cell["cell_type"] == "code"]
    outputs = [output for cell in code for output in cell.get("outputs", [])]
    unexpected = [output["ename"] for cell in code for output in cell.get("outputs", [])
                  if output["output_type"] == "error"
                  and "raises-exception" not in cell["metadata"].get("tags", [])]
    assert not unexpected, f"errors outside the cells that show one on purpose: {unexpected}"
    assert all(cell.get("execution_count") for cell in code), "a cell did not run"
    first_text = "".join(next(o for o in outputs if o["output_type"] == "stream")["text"])
    assert "keras" in first_text and "tensorflow" in first_text   # setup_chapter's versions line
