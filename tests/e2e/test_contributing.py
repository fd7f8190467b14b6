"""CONTRIBUTING.md's worked examples validate as written, and the pre-commit hooks run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import Project

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = re.findall(r"```turtle\n(.*?)```", (REPO / "CONTRIBUTING.md").read_text(), re.S)


def test_there_are_four_examples() -> None:
    assert len(EXAMPLES) == 4


def test_examples_validate_together(project: Project) -> None:
    for i, text in enumerate(EXAMPLES):
        project.write(f"data/ttl/examples/example-{i}.ttl", text)
    run = project.run("validate")
    assert run.code == 0, run.out + run.err
    assert "0 violation(s), 0 warning(s)" in run.err


@pytest.mark.parametrize("index", range(4))
def test_examples_are_canonical(project: Project, index: int) -> None:
    project.write("data/ttl/example.ttl", EXAMPLES[index])
    run = project.run("fmt", "--check", "data/ttl/example.ttl")
    assert run.code == 0, run.out


def test_precommit_hooks_run_on_a_valid_project(project: Project) -> None:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hooks = config["repos"][0]["hooks"]
    published = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert [h["entry"] for h in hooks] == [h["entry"] for h in published]
    import subprocess

    subprocess.run(["git", "init", "-q"], cwd=project.root, check=True)
    for hook in hooks:
        args = hook["entry"].split()[1:]
        if hook.get("pass_filenames", True):
            args.append("data/ttl/regions/BE.ttl")
        run = project.run(*args)
        assert run.code == 0, (hook["id"], run.out, run.err)
