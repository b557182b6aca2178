"""The generated package: valid metadata, a working wheel, passing tests."""

from __future__ import annotations

import email
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from test_project_tooling import installed_distributions

from conftest import (
    LOCAL_UV,
    Builds,
    job_run_steps,
    load_toml,
    run,
    run_step,
    supported_pythons,
    tool,
)


def test_validate_pyproject_accepts_it(project: Path) -> None:
    run(tool("validate-pyproject"), project / "pyproject.toml")


def test_metadata_follows_the_answers(
    project: Path, combination: dict[str, str]
) -> None:
    pyproject = load_toml(project / "pyproject.toml")
    meta = pyproject["project"]
    assert meta["name"] == "acme-widget-tools"
    assert meta["license"] == "MIT"
    assert meta["license-files"] == ["LICENSE"]
    assert meta["requires-python"] == f">={combination['python_floor']}"
    assert meta["authors"] == [{"name": "Ada Lovelace", "email": "ada@example.com"}]
    assert meta["urls"]["Source"] == "https://github.com/acme-corp/widget-tools"
    versions = [c for c in meta["classifiers"] if c.count(".") == 1 and "::" in c]
    assert versions == [
        f"Programming Language :: Python :: {v}"
        for v in supported_pythons(combination["python_floor"])
    ]
    assert "pytest>=9" in pyproject["dependency-groups"]["test"]
    backend = pyproject["build-system"]["build-backend"]
    assert backend.split(".")[0] == combination["build_backend"]


@pytest.mark.parametrize("license_id", ["MIT", "Apache-2.0", "BSD-3-Clause", "ISC"])
def test_license_text_matches_the_expression(renders: Any, license_id: str) -> None:
    project = renders({"license": license_id})
    assert load_toml(project / "pyproject.toml")["project"]["license"] == license_id
    text = (project / "LICENSE").read_text()
    first = text.lstrip().splitlines()[0]
    assert {
        "MIT": "MIT License",
        "Apache-2.0": "Apache License",
        "BSD-3-Clause": "BSD 3-Clause License",
        "ISC": "ISC License",
    }[license_id] in first
    if license_id != "Apache-2.0":
        assert "Ada Lovelace" in text


def test_no_email_means_no_email_field(renders: Any) -> None:
    project = renders({"author_email": ""})
    assert load_toml(project / "pyproject.toml")["project"]["authors"] == [
        {"name": "Ada Lovelace"}
    ]


def wheel_of(checkout: Path) -> Path:
    (wheel,) = (checkout / "dist").glob("*.whl")
    return wheel


def test_wheel_carries_the_license_and_typing_marker(
    built_project: Path, builds: Builds
) -> None:
    with zipfile.ZipFile(wheel_of(builds(built_project))) as wheel:
        names = wheel.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        headers = email.message_from_bytes(wheel.read(metadata))
    assert "acme_widget_tools/py.typed" in names
    assert "acme_widget_tools/__init__.py" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert headers["License-Expression"] == "MIT"
    assert headers["Name"] == "acme-widget-tools"
    assert headers["Metadata-Version"] >= "2.4"


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_imports(
    built_project: Path, builds: Builds, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    run(tool("uv"), "venv", "--quiet", venv, env=LOCAL_UV)
    python = venv / "bin/python"
    run(
        tool("uv"),
        "pip",
        "install",
        "--quiet",
        "--python",
        python,
        wheel_of(builds(built_project)),
    )
    said = run(
        python,
        "-c",
        "import acme_widget_tools as m; print(m.__version__)",
        cwd=tmp_path,
    )
    assert said.stdout.strip() == "0.1.0"


@pytest.mark.slow
def test_projects_own_tests_pass_as_its_ci_runs_them(
    built_project: Path, builds: Builds, tmp_path: Path
) -> None:
    checkout = builds(built_project)
    # CI installs exactly uv.lock, which the copy task commits.
    if not (checkout / "uv.lock").exists():
        run(tool("uv"), "lock", "--quiet", cwd=checkout, env=LOCAL_UV)
    (step,) = job_run_steps(checkout / ".github/workflows/ci.yml", "test")
    venv = tmp_path / "venv"
    result = run_step(checkout, step, "main", {"UV_PROJECT_ENVIRONMENT": str(venv)})
    assert result.returncode == 0, f"{step.name}\n{result.stdout}\n{result.stderr}"
    assert " passed" in result.stdout
    # The project and its test group: no lint tool on every Python of the matrix.
    installed = installed_distributions(venv)
    assert {"pytest", "pytest-cov", "acme-widget-tools"} <= installed
    assert not installed & {"mypy", "ruff", "poethepoet", "prek"}, installed


def test_generated_python_passes_ruff_and_mypy_strict(project: Path) -> None:
    python_files = sorted(project.rglob("*.py"))
    # ruff's own default rules, as a maintainer running plain `ruff check`
    # sees them, and more.
    ruff_check = [tool("ruff"), "check", "--isolated"]
    run(*ruff_check, *python_files)
    run(*ruff_check, "--extend-select", "E,F,W,I,UP,B", *python_files)
    run(tool("ruff"), "format", "--isolated", "--check", *python_files)
    run(tool("mypy"), "--strict", "--no-incremental", project / "src")


@pytest.mark.parametrize(("floor", "refused"), [("3.10", True), ("3.11", False)])
def test_type_checker_and_linter_see_the_oldest_supported_python(
    renders: Any, tmp_path: Path, floor: str, refused: bool
) -> None:
    """tomllib is new in 3.11: a package for 3.10 may not import it."""
    project = tmp_path / "project"
    shutil.copytree(renders({"python_floor": floor}), project)
    (project / "src/acme_widget_tools/config.py").write_text(
        '"""Settings."""\n\nimport tomllib\n\n__all__ = ["tomllib"]\n'
    )
    checked = run(tool("mypy"), cwd=project, check=False)
    assert (checked.returncode == 1) == refused, checked.stdout
    if refused:
        assert 'named "tomllib"  [import-not-found]' in checked.stdout
    # Ruff's target, from requires-python, is the same floor.
    settings = run(tool("ruff"), "check", "--show-settings", cwd=project).stdout
    assert f"linter.unresolved_target_version = {floor}\n" in settings
