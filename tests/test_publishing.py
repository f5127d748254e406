"""The publishing workflow passes actionlint (offline), runs the README's commands and deploys
``_build/html`` to GitHub Pages; ``_config.yml`` names the site's canonical address."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = Path(sys.executable).parent / "actionlint"


def actionlint(*paths: Path) -> subprocess.CompletedProcess:
    if not ACTIONLINT.is_file():
        pytest.fail(f"expected actionlint in {ACTIONLINT.parent} (requirements.txt installs it)")
    return subprocess.run([str(ACTIONLINT), "-no-color", *map(str, paths)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_there_is_a_publishing_workflow():
    assert WORKFLOWS, "expected a workflow in .github/workflows"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_actionlint(path):
    result = actionlint(path)
    assert result.returncode == 0, f"actionlint on {path.name}:\n{result.stdout}{result.stderr}"


def test_actionlint_catches_a_broken_workflow(tmp_path):
    """The linter really runs: a job that needs a job that does not exist is an error."""
    broken = tmp_path / "broken.yml"
    workflow = yaml.safe_load(WORKFLOWS[0].read_text(encoding="utf-8"))
    deploy = next(job for job in workflow["jobs"].values() if "needs" in job)
    deploy["needs"] = "no-such-job"
    broken.write_text(yaml.safe_dump(workflow), encoding="utf-8")
    result = actionlint(broken)
    assert result.returncode != 0 and "no-such-job" in result.stdout


def test_workflow_builds_tests_and_deploys_the_html():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8"))
    commands = "\n".join(step.get("run", "") for step in steps(workflow))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in ("make book", "make test"):
        assert command in readme
    assert "make book" in commands, "the workflow must build with the README's `make book`"
    assert ".ci/run" in commands, "the workflow must test with .ci/run (the README's `make test`)"
    uses = {step.get("uses", "").split("@")[0]: step for step in steps(workflow)}
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "_build/html"
    assert "actions/deploy-pages" in uses
    deploy = next(job for job in workflow["jobs"].values()
                  if any(step.get("uses", "").startswith("actions/deploy-pages") for step in job["steps"]))
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"


def test_config_names_the_canonical_address():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    baseurl = config["html"]["baseurl"]
    parsed = urlparse(baseurl)
    assert parsed.scheme == "https" and parsed.netloc and baseurl.endswith("/"), baseurl


@pytest.mark.build
def test_pages_carry_the_canonical_address(built_html):
    baseurl = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["html"]["baseurl"]
    page = (built_html / "chapters" / "05_logical_and.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{baseurl}chapters/05_logical_and.html"' in page
