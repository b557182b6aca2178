"""scripts/check_project.py: the release path is the template's render, and a
bad resolution of an update fails on the pull request, not on release day.

One locked git repository of a shared render per publisher; each case breaks
a copy of it the way an update's conflict resolution can, and runs the check
as CI does. The template's render is cached once per answers (the tests'
render cache, conftest's RENDER_CACHE), so only the first check renders.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import LOCAL_UV, TOOLS, Renders, git_repository, load_yaml, run, tool

CHECK = "scripts/check_project.py"
PUBLISH = ".github/workflows/publish.yml"
FIX_LINE = "check: fix: `uv run --script scripts/check_project.py --fix`"
# A tag-versioned render per publisher: every case, the version source's too.
TAG_VERSIONED = {"build_backend": "hatchling", "version_source": "tag"}


@pytest.fixture(scope="module", params=TOOLS)
def locked(
    request: pytest.FixtureRequest,
    renders: Renders,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    rendered = renders({**TAG_VERSIONED, "publishing_tool": request.param})
    project = git_repository(rendered, tmp_path_factory.mktemp("check") / "p")
    run(tool("uv"), "lock", "--quiet", cwd=project, env=LOCAL_UV)
    run("git", "add", "uv.lock", cwd=project)
    run("git", "commit", "--quiet", "-m", "lock", cwd=project)
    return project


@pytest.fixture
def project(locked: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(locked, tmp_path / "p", symlinks=True))


def check(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run(
        sys.executable, project / CHECK, *args, cwd=project,
        env={**LOCAL_UV, **(env or {})}, check=False,
    )  # fmt: skip


def edit(path: Path, pattern: str, new: str) -> None:
    """Replace the first line matching `pattern` (a regex) with `new`."""
    text = path.read_text(encoding="utf-8")
    edited, count = re.subn(pattern, new, text, count=1, flags=re.MULTILINE)
    assert count, f"{path.name} has no line matching {pattern!r}"
    path.write_text(edited, encoding="utf-8")


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as stream:
        stream.write(text)


def extra_job(p: Path) -> None:
    append(
        p / PUBLISH,
        "  sign-early:\n    runs-on: ubuntu-latest\n    permissions:\n"
        "      id-token: write\n    steps:\n      - run: echo signed\n",
    )


# Each change that takes the release path off the template's, alone, and the
# start of the line the check must print for it.
BROKEN: dict[str, tuple[Callable[[Path], object], str]] = {
    "a step's id removed": (
        lambda p: edit(p / PUBLISH, r"^ +id: [\w-]+\n", ""),
        f"check: {PUBLISH} is not the template's; the first difference:",
    ),
    "an extra job with id-token: write": (
        extra_job,
        f"check: {PUBLISH} is not the template's; the first difference:",
    ),
    "--require-hashes removed from a release script": (
        lambda p: edit(
            p / ".github/scripts/install-tools.sh", r" --require-hashes", ""
        ),
        "check: .github/scripts/install-tools.sh is not the template's",
    ),
    "a changed hash in a requirements file": (
        lambda p: edit(
            p / ".github/release-requirements/uv.txt",
            r"--hash=sha256:[0-9a-f]",
            "--hash=sha256:x",
        ),
        "check: .github/release-requirements/uv.txt is not the template's",
    ),
    "an edited verifier": (
        lambda p: append(p / "scripts/verify_attestations.py", "ALLOW = True\n"),
        "check: scripts/verify_attestations.py is not the template's",
    ),
    "a static version": (
        lambda p: edit(
            p / "pyproject.toml", r'^dynamic = \["version"\]$', 'version = "1.0.0"'
        ),
        "check: pyproject.toml takes its version from a static version",
    ),
    "a lone conflict marker in the CI workflow": (
        lambda p: edit(p / ".github/workflows/ci.yml", r"^jobs:$", "=======\njobs:"),
        "check: .github/workflows/ci.yml has conflict markers (line ",
    ),
    "the CI workflow no longer callable by the release": (
        lambda p: edit(p / ".github/workflows/ci.yml", r"^  workflow_call:\n", ""),
        "check: .github/workflows/ci.yml has no `workflow_call` under `on:`, so "
        f"{PUBLISH} cannot call it",
    ),
    "the CI workflow deleted": (
        lambda p: (p / ".github/workflows/ci.yml").unlink(),
        f"check: {PUBLISH} calls .github/workflows/ci.yml, which is missing",
    ),
    "the verification's table dropped": (
        lambda p: edit(
            p / "pyproject.toml", r"^\[tool\.verify-attestations\]$", "[tool.mine]"
        ),
        "check: pyproject.toml's `tool.verify-attestations` is not the template's",
    ),
}


def test_a_project_as_rendered_and_locked_passes_in_one_line(locked: Path) -> None:
    result = check(locked)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith(
        "check: passed: the release path is the template's at its source ("
    )
    assert result.stdout.endswith(" files), uv.lock current\n")
    assert result.stdout.count("\n") == 1


def test_the_projects_own_edits_keep_it_green(project: Path) -> None:
    (project / "README.md").write_text("# Ours\n", encoding="utf-8")
    edit(
        project / "pyproject.toml", r"^dependencies = \[\]$", 'dependencies = ["attrs"]'
    )
    run(tool("uv"), "lock", "--quiet", cwd=project, env=LOCAL_UV)
    module = next((project / "src").iterdir()) / "extra.py"
    module.write_text("VALUE = 1\n", encoding="utf-8")
    append(project / ".gitignore", ".idea/\n")
    append(project / ".github/workflows/ci.yml", "# our note\n")
    result = check(project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("check: passed: ")


@pytest.mark.parametrize("case", BROKEN)
def test_each_change_off_the_template_fails_naming_it(project: Path, case: str) -> None:
    breaks, expected = BROKEN[case]
    breaks(project)

    result = check(project)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "check: passed" not in result.stdout
    lines = result.stderr.splitlines()
    assert lines[0].startswith(expected), result.stderr
    if "is not the template's" in lines[0] and "`" not in lines[0]:
        # The first differing lines follow, then the fix.
        assert lines[1].startswith("    @@ "), result.stderr
        assert any(line.startswith(("    -", "    +")) for line in lines[2:8])
        assert lines[-1].startswith(FIX_LINE)


def test_fix_writes_the_templates_files_without_a_terminal(project: Path) -> None:
    for case in ("a step's id removed", "an edited verifier"):
        BROKEN[case][0](project)
    result = subprocess.run(
        [sys.executable, CHECK, "--fix"],
        cwd=project,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **LOCAL_UV},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [
        f"check: wrote the template's {PUBLISH}",
        "check: wrote the template's scripts/verify_attestations.py",
    ]
    assert run("git", "status", "--porcelain", cwd=project).stdout == ""


def own(project: Path, owned: dict[str, str]) -> None:
    lines = "".join(f"    {path}: {reason}\n" for path, reason in owned.items())
    append(project / ".copier-answers.yml", f"project_owns:\n{lines}")


def test_a_file_the_project_owns_is_named_not_compared(project: Path) -> None:
    reason = "our mirror, reviewed by the security team (ticket SEC-1)"
    own(project, {".github/scripts/install-tools.sh": reason})
    BROKEN["--require-hashes removed from a release script"][0](project)
    result = check(project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        f"check: owned by the project, not compared: "
        f".github/scripts/install-tools.sh ({reason})"
    )
    # Every other file is still compared.
    BROKEN["an edited verifier"][0](project)
    result = check(project)
    assert result.returncode == 1
    assert "scripts/verify_attestations.py is not the template's" in result.stderr


def test_an_owned_pyproject_key_is_named_not_compared(project: Path) -> None:
    own(project, {"pyproject.toml:project.version": "we tag by hand"})
    BROKEN["a static version"][0](project)
    result = check(project)
    assert "not compared: pyproject.toml:project.version (we tag by hand)" in (
        result.stdout
    )
    # Only the lock, which records the static version, is left to refresh.
    assert result.stderr.startswith("check: uv.lock is not current"), result.stderr
    assert result.stderr.count("\n") == 1


def test_without_the_template_one_line_says_so_and_the_rest_still_runs(
    project: Path, tmp_path: Path
) -> None:
    edit(project / ".copier-answers.yml", r"^_src_path: .*$", "_src_path: /nowhere/t")
    empty = {"COPIER_PYPI_ATTESTED_RENDERS": str(tmp_path / "empty-cache")}
    result = check(project, env=empty)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "check: the template could not be rendered (the template folder "
        "/nowhere/t is not on this machine), so the release path was NOT "
        "compared with it; the other checks ran",
        "check: passed: no conflict markers, uv.lock current",
    ]
    # Every check that needs no template still fails what it finds.
    BROKEN["a static version"][0](project)
    result = check(project, env=empty)
    assert result.returncode == 1
    assert "pyproject.toml has a static version, but version_source is `tag`" in (
        result.stderr
    )


def test_a_cached_render_is_used_without_the_template(
    project: Path, tmp_path: Path
) -> None:
    """The pre-commit hook renders once per answers: then it needs no
    template (here, moved away) and no Copier."""
    cache = {"COPIER_PYPI_ATTESTED_RENDERS": str(tmp_path / "cache")}
    assert check(project, env=cache).returncode == 0
    answers = load_yaml(project / ".copier-answers.yml")
    template = Path(answers["_src_path"])
    moved = template.with_name(template.name + "-away")
    template.rename(moved)
    try:
        BROKEN["an edited verifier"][0](project)
        result = check(project, env=cache)
    finally:
        moved.rename(template)
    assert "scripts/verify_attestations.py is not the template's" in result.stderr


def test_uv_run_script_renders_with_copier_from_uv(
    renders: Renders, tmp_path: Path
) -> None:
    """The command CI and the hook run: the script's environment has no
    Copier, so the render comes from `uv run --with copier`."""
    rendered = renders({**TAG_VERSIONED, "publishing_tool": "uv"})
    project = Path(shutil.copytree(rendered, tmp_path / "p"))
    BROKEN["an extra job with id-token: write"][0](project)
    result = run(
        tool("uv"), "run", "--script", CHECK, cwd=project,
        env={**LOCAL_UV, "COPIER_PYPI_ATTESTED_RENDERS": str(tmp_path / "c")},
        check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"check: {PUBLISH} is not the template's" in result.stderr
    assert "+      id-token: write" in result.stderr


@pytest.mark.parametrize(
    ("marker", "where"),
    [
        ("<<<<<<< before updating", ".gitignore"),
        (">>>>>>> after updating", "pyproject.toml"),
        ("=======", ".github/workflows/ci.yml"),
        ("|||||||", "src"),
    ],
)
def test_any_conflict_marker_alone_in_any_file_fails(
    project: Path, marker: str, where: str
) -> None:
    path = project / where
    if path.is_dir():
        path = next(path.iterdir()) / "__init__.py"
    append(path, f"{marker}\n")
    result = check(project)
    assert result.returncode == 1
    rel = path.relative_to(project)
    assert result.stderr.startswith(f"check: {rel} has conflict markers (line ")


@pytest.mark.parametrize(
    ("triggers", "accepted"),
    [
        ("on: [push, pull_request, workflow_call]\n", True),
        (
            "on:\n  workflow_dispatch:\n    inputs:\n      why:\n"
            "        description: not a workflow_call\n",
            False,
        ),
    ],
)
def test_ci_is_callable_only_with_the_event_itself(
    project: Path, triggers: str, accepted: bool
) -> None:
    ci = project / ".github/workflows/ci.yml"
    text = ci.read_text(encoding="utf-8")
    start, end = text.index("\non:\n") + 1, text.index("\npermissions:")
    ci.write_text(text[:start] + triggers + text[end:], encoding="utf-8")
    result = check(project)
    assert (result.returncode == 0) is accepted, result.stderr
    assert ("has no `workflow_call` under `on:`" in result.stderr) is not accepted


def test_a_heading_underline_in_prose_is_not_a_marker(project: Path) -> None:
    append(project / "README.md", "\nChanges\n=======\n")
    assert check(project).returncode == 0


def test_a_rej_file_fails(project: Path) -> None:
    (project / "ci.yml.rej").write_text("@@ -1 +1 @@\n")
    result = check(project)
    assert result.stderr.startswith(
        "check: ci.yml.rej left by an update: apply what each holds by hand"
    )


def test_every_job_releasing_md_lists_is_checked_offline(
    project: Path, tmp_path: Path
) -> None:
    """Without the template, the jobs docs/releasing.md lists are still
    looked for: every one renamed away is named."""
    text = (project / "docs/releasing.md").read_text()
    jobs = re.findall(r"^\| `([a-z-]+)` \|", text, flags=re.MULTILINE)
    assert set(jobs) <= set(load_yaml(project / PUBLISH)["jobs"])
    for job in jobs:
        edit(project / PUBLISH, rf"^  {job}:$", f"  {job}-mine:")
    edit(project / ".copier-answers.yml", r"^_src_path: .*$", "_src_path: /nowhere/t")
    result = check(project, env={"COPIER_PYPI_ATTESTED_RENDERS": str(tmp_path)})
    assert re.findall(r"has no `([a-z-]+)` job", result.stderr) == jobs


def test_without_uv_the_lock_is_not_checked_and_it_says_so(locked: Path) -> None:
    path = os.pathsep.join(
        p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "uv").exists()
    )
    result = check(locked, env={"PATH": path})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        "check: uv is not installed, so uv.lock was not checked (CI checks it)"
    )


def test_an_adopted_package_has_no_table_to_check(renders: Renders) -> None:
    project = renders({"adopt_existing": True})
    assert not (project / "pyproject.toml").exists()
    result = check(project)
    assert result.returncode == 0, result.stderr
    assert "pyproject.toml is the package's own (adopted)" in result.stdout
    assert "check: passed: the release path is the template's" in result.stdout


def test_a_deleted_release_script_is_named_with_or_without_the_template(
    project: Path, tmp_path: Path
) -> None:
    """Copier does not render again a file deleted since the last update, so
    the workflow's own references are checked too, template or not."""
    script = sorted((project / ".github/scripts").iterdir())[0]
    script.unlink()
    name = script.relative_to(project)
    result = check(project)
    assert result.stderr.startswith(
        f"check: {name}, a file of the release path, is missing\n"
    )
    assert f"check: {PUBLISH} runs {name}, which is missing\n" in result.stderr
    edit(project / ".copier-answers.yml", r"^_src_path: .*$", "_src_path: /nowhere/t")
    alone = check(project, env={"COPIER_PYPI_ATTESTED_RENDERS": str(tmp_path)})
    assert alone.returncode == 1
    assert alone.stderr == f"check: {PUBLISH} runs {name}, which is missing\n"
