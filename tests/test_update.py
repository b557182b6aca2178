"""`copier update` from every released version of the template to the newest.

The test builds a git repository of the template with three tagged releases
that differ the way real ones do:

- v0.1.0 pins older action versions (the `previous` table of the shared action
  pins), names `verify_after_publish` `verify_release` and the publishing tool
  choice `uv` `uv-publish`, and its pyproject.toml ends before the pytest
  section (no pytest, coverage, ruff, mypy or task tables);
- v0.2.0 has today's names, with the entry in hooks/renamed_answers.yml that
  carries the old ones forward, and brings two of the four newer pins and the
  pytest section and the tables after it;
- v0.3.0 is the working tree as it is, with that entry: every newer pin.

A project made from an older tag, with its own edits committed, is then
updated with `copier update --trust --defaults`, as a user does.
"""

from __future__ import annotations

import atexit
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version
from ruamel.yaml import YAML

from conftest import (
    BASE_ANSWERS,
    GIT_IDENTITY,
    LOCAL_UV,
    REPO,
    action_pins,
    import_script,
    load_yaml,
    run,
    shared_data,
    tool,
    working_tree_copy,
)

# The `previous` table of ../shared/action-pins.toml, so that the test runs in
# a clone without the shared folder; test_previous_pins_match_shared_table
# cross-checks them when it is there.
PREVIOUS_PINS = {
    "actions/checkout": "d23441a48e516b6c34aea4fa41551a30e30af803 # v6.1.0",
    "actions/download-artifact": "37930b1c2abaa49bbe596cd826c3c89aef350131 # v7.0.0",
    "astral-sh/setup-uv": "c771a70e6277c0a99b617c7a806ffedaca235ff9 # v9.0.0",
    "actions/upload-artifact": "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0",
}
# v0.2.0 brings these two; v0.3.0 the other two.
PINNED_IN_0_2 = ("actions/checkout", "actions/upload-artifact")

OLD_QUESTION, NEW_QUESTION = "verify_release", "verify_after_publish"
OLD_VALUE, NEW_VALUE = "uv-publish", "uv"
RENAMES_0_2 = (
    "- version: 0.2.0\n"
    f"  questions: {{{OLD_QUESTION}: {NEW_QUESTION}}}\n"
    f"  values: {{publishing_tool: {{{OLD_VALUE}: {NEW_VALUE}}}}}\n"
)
PYTEST_SECTION = '\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'


def drop_tables_from_pytest_on(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert PYTEST_SECTION in text, (
        f"{path.name} no longer contains {PYTEST_SECTION!r}: update this test's "
        "model of the older release"
    )
    path.write_text(text[: text.index(PYTEST_SECTION)] + "\n", encoding="utf-8")


TAGS = ("v0.1.0", "v0.2.0", "v0.3.0")
NEWEST = TAGS[-1]
# What a user answered when copying each older tag (in its own names).
OLD_ANSWERS: dict[str, dict[str, Any]] = {
    "v0.1.0": {"publishing_tool": OLD_VALUE, OLD_QUESTION: False},
    "v0.2.0": {"publishing_tool": NEW_VALUE, NEW_QUESTION: False},
}
CONFLICT_MARKERS = ("<<<<<<< before updating", ">>>>>>> after updating")


# --- Building the template's releases -------------------------------------------


def git(cwd: Path, *args: str) -> str:
    return run("git", *args, cwd=cwd, env=GIT_IDENTITY).stdout


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (
        f"{path.name} no longer contains {old!r}: update this test's model of "
        "the older release"
    )
    path.write_text(text.replace(old, new), encoding="utf-8")


def edit_copier_yml(
    template: Path, pins: Mapping[str, str], *, old_names: bool = False
) -> None:
    """Give copier.yml older pins, the older environment validator and, for
    v0.1.0, the older names."""
    yaml = YAML(typ="rt")
    yaml.width = 4096
    path = template / "copier.yml"
    config = yaml.load(path.read_text(encoding="utf-8"))
    for action, pin in pins.items():
        assert action in config["action_pins"]["default"], action
        config["action_pins"]["default"][action] = pin
    # Before 0.3.0, the publishing environment could be named `rehearsal`.
    validator = str(config["environment"]["validator"])
    start = validator.index("{% elif environment | lower == rehearsal_environment")
    end = validator.index("{% endif %}")
    config["environment"]["validator"] = validator[:start] + validator[end:]
    if old_names:
        choices = config["publishing_tool"]["choices"]
        (label,) = [k for k, v in choices.items() if v == NEW_VALUE]
        choices[label] = OLD_VALUE
        position = list(config).index(NEW_QUESTION)
        config.insert(position, OLD_QUESTION, config.pop(NEW_QUESTION))
    with path.open("w", encoding="utf-8") as stream:
        yaml.dump(config, stream)
    if old_names:
        renamed = 0
        for file in (template / "template").rglob("*"):
            if file.is_file() and NEW_QUESTION in file.read_text(encoding="utf-8"):
                replace_once(file, NEW_QUESTION, OLD_QUESTION)
                renamed += 1
        assert renamed, f"no template file uses {NEW_QUESTION}"


def commit_and_tag(repo: Path, tag: str) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", f"Release {tag}")
    git(repo, "tag", tag)


def build_releases(dst: Path) -> Path:
    """A git repository of the template with the tags v0.1.0, v0.2.0, v0.3.0."""
    repo = working_tree_copy(dst)
    git(repo, "init", "--quiet", "--initial-branch=main")
    current = action_pins()
    table = repo / "hooks/renamed_answers.yml"
    newest_copier_yml = (repo / "copier.yml").read_text(encoding="utf-8")
    newest_table = table.read_text(encoding="utf-8")
    newest_template = {
        p: p.read_bytes() for p in (repo / "template").rglob("*") if p.is_file()
    }

    # v0.1.0
    edit_copier_yml(repo, PREVIOUS_PINS, old_names=True)
    drop_tables_from_pytest_on(repo / "template/pyproject.toml.jinja")
    commit_and_tag(repo, "v0.1.0")

    # v0.2.0: today's names and the migration, the pytest section, two pins.
    for path, content in newest_template.items():
        path.write_bytes(content)
    (repo / "copier.yml").write_text(newest_copier_yml, encoding="utf-8")
    table.write_text(newest_table.rstrip().removesuffix("[]") + RENAMES_0_2, "utf-8")
    edit_copier_yml(
        repo, {a: p for a, p in PREVIOUS_PINS.items() if a not in PINNED_IN_0_2}
    )
    commit_and_tag(repo, "v0.2.0")

    # v0.3.0: the working tree, every current pin.
    (repo / "copier.yml").write_text(newest_copier_yml, encoding="utf-8")
    commit_and_tag(repo, "v0.3.0")
    assert action_pins() == current
    return repo


@pytest.fixture(scope="session")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_releases(tmp_path_factory.mktemp("releases") / "template")


# --- A user's project ------------------------------------------------------------


def copier(
    *args: str | Path, cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return run(tool("copier"), *args, cwd=cwd, env=GIT_IDENTITY, check=check)


def data_args(answers: Mapping[str, Any]) -> list[str]:
    args: list[str] = []
    for key, value in answers.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        args += ["--data", f"{key}={text}"]
    return args


# Each copy made so far, by template, tag and answers, as the copy left it.
_COPIES: dict[str, Path] = {}


def copy_project(
    template: Path, dst: Path, tag: str, answers: Mapping[str, Any] | None = None
) -> Path:
    """`copier copy` at a tag; the template's task makes the first commit.
    Copier runs once per template, tag and answers; later calls get a copy of
    its result (git repository included)."""
    data = {**BASE_ANSWERS, **(answers or {})}
    key = repr((str(template), tag, sorted(data.items())))
    if key not in _COPIES:
        made = Path(tempfile.mkdtemp(prefix="copied-")) / "project"
        atexit.register(shutil.rmtree, made.parent, ignore_errors=True)
        copier(
            "copy",
            "--trust",
            "--defaults",
            "--quiet",
            f"--vcs-ref={tag}",
            *data_args(data),
            template,
            made,
        )
        assert git(made, "status", "--porcelain") == "", "the copy task did not commit"
        _COPIES[key] = made
    shutil.copytree(_COPIES[key], dst, symlinks=True)
    return dst


def update(
    project: Path, *extra: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return copier("update", "--trust", "--defaults", *extra, cwd=project, check=check)


def commit_all(project: Path, message: str) -> None:
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", message)


def answers(project: Path) -> dict[str, Any]:
    return dict(load_yaml(project / ".copier-answers.yml"))


def snapshot(project: Path) -> dict[str, str]:
    return {
        str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(project.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(project).parts
    }


def all_pins(project: Path) -> set[str]:
    """Every `uses:` value of every workflow."""
    found: set[str] = set()
    for workflow in (project / ".github/workflows").glob("*.yml"):
        found |= set(re.findall(r"uses:\s*(\S+ # \S+)", workflow.read_text()))
    return found


DEPENDENCY = "attrs>=24"
CLASSIFIER = "Development Status :: 4 - Beta"
CI_STEP = "\n      - name: Type-check\n        run: uv run --with mypy mypy src\n"
README = "# Widget tools\n\nOur own words about widgets, not the template's.\n"
IGNORED = ".idea/\n"  # appended to .gitignore, as most projects do


def make_user_edits(project: Path) -> None:
    """What a user does after copying: dependency, classifier, CI step,
    README, an ignored folder."""
    pyproject = project / "pyproject.toml"
    replace_once(pyproject, "dependencies = []", f'dependencies = ["{DEPENDENCY}"]')
    replace_once(
        pyproject,
        '  "Programming Language :: Python :: 3 :: Only",\n',
        f'  "{CLASSIFIER}",\n  "Programming Language :: Python :: 3 :: Only",\n',
    )
    replace_once(
        project / ".github/workflows/ci.yml",
        "        run: uv run --group test pytest\n",
        "        run: uv run --group test pytest\n" + CI_STEP,
    )
    (project / "README.md").write_text(README, encoding="utf-8")
    with (project / ".gitignore").open("a", encoding="utf-8") as stream:
        stream.write(IGNORED)
    commit_all(project, "Our own edits")


def assert_user_edits_kept(project: Path) -> None:
    project_table = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert project_table["dependencies"] == [DEPENDENCY]
    assert CLASSIFIER in project_table["classifiers"]
    steps = load_yaml(project / ".github/workflows/ci.yml")["jobs"]["test"]["steps"]
    assert [s["name"] for s in steps][-1] == "Type-check"
    assert (project / "README.md").read_text(encoding="utf-8") == README
    assert (project / ".gitignore").read_text(encoding="utf-8").endswith(IGNORED)


def assert_no_conflicts(project: Path) -> None:
    assert git(project, "ls-files", "--unmerged") == ""
    assert not list(project.rglob("*.rej"))
    for path in project.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not any(m in text for m in CONFLICT_MARKERS), path


# --- The tests ----------------------------------------------------------------------


def test_previous_pins_match_shared_table() -> None:
    path = shared_data("action-pins.toml")
    previous = tomllib.loads(path.read_text())["previous"]
    assert {
        name: f"{entry['sha']} # {entry['version']}" for name, entry in previous.items()
    } == PREVIOUS_PINS
    assert set(PREVIOUS_PINS) <= set(action_pins())


def test_releases_differ_as_intended(releases: Path, tmp_path: Path) -> None:
    """The older tag renders older pins: the update below has something to do."""
    old = copy_project(releases, tmp_path / "old", "v0.1.0", OLD_ANSWERS["v0.1.0"])
    assert all_pins(old) >= {f"{a}@{p}" for a, p in PREVIOUS_PINS.items()}
    assert "uv publish" in (old / ".github/workflows/publish.yml").read_text()
    assert answers(old)[OLD_QUESTION] is False


@pytest.mark.parametrize("tag", TAGS[:-1])
def test_update_to_newest_keeps_edits_and_brings_pins(
    releases: Path, tmp_path: Path, tag: str
) -> None:
    project = copy_project(releases, tmp_path / "pkg", tag, OLD_ANSWERS[tag])
    make_user_edits(project)

    result = update(project)

    assert_no_conflicts(project)
    # Only answers given to the update are asked ahead (Copier, imported).
    assert "check_answers.py" not in result.stdout + result.stderr
    assert "migrate_answers.py" in result.stderr  # the migrations were shown
    recorded = answers(project)
    assert recorded["_commit"] == NEWEST
    # New pins arrive everywhere, no old one is left.
    current = {f"{a}@{p}" for a, p in action_pins().items()}
    pins = all_pins(project)
    assert pins <= current, pins - current
    assert {f"{a}@{p}" for a, p in PREVIOUS_PINS.items()}.isdisjoint(pins)
    # The template's own change to pyproject.toml arrives beside the user's.
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests"]
    assert_user_edits_kept(project)
    # The renamed question and value kept the user's answers.
    assert recorded[NEW_QUESTION] is False
    assert OLD_QUESTION not in recorded
    assert recorded["publishing_tool"] == NEW_VALUE
    publish = load_yaml(project / ".github/workflows/publish.yml")
    assert "verify-release" not in publish["jobs"]
    assert any(
        "uv publish" in str(step.get("run", ""))
        for step in publish["jobs"]["publish"]["steps"]
    )

    # Once committed, updating again changes nothing.
    commit_all(project, f"Update to {NEWEST}")
    before = snapshot(project)
    update(project)
    assert git(project, "status", "--porcelain") == ""
    assert snapshot(project) == before


def test_edit_on_lines_the_template_changed_is_an_inline_conflict(
    releases: Path, tmp_path: Path
) -> None:
    project = copy_project(releases, tmp_path / "pkg", "v0.1.0")
    publish = project / ".github/workflows/publish.yml"
    ours = "actions/checkout@0123456789abcdef0123456789abcdef01234567 # v6.9.9"
    replace_once(publish, f"actions/checkout@{PREVIOUS_PINS['actions/checkout']}", ours)
    replace_once(project / "README.md", "## Development", "## Hacking")
    commit_all(project, "Pin checkout ourselves")

    update(project)

    text = publish.read_text()
    assert all(marker in text for marker in CONFLICT_MARKERS), text
    before, theirs = text.split("=======", 1)
    assert ours in before
    assert f"actions/checkout@{action_pins()['actions/checkout']}" in theirs
    unmerged = git(project, "ls-files", "--unmerged").split("\n")
    assert {line.split("\t")[-1] for line in unmerged if line} == {
        ".github/workflows/publish.yml"
    }
    # Everything else merged: the other pins of publish.yml and ci.yml arrived.
    ci = (project / ".github/workflows/ci.yml").read_text()
    assert not any(marker in ci for marker in CONFLICT_MARKERS)
    assert (
        f"actions/download-artifact@{action_pins()['actions/download-artifact']}"
        in text
    )
    assert "## Hacking" in (project / "README.md").read_text()
    assert answers(project)["_commit"] == NEWEST


def test_a_file_the_project_owns_is_left_to_it_by_updates(
    releases: Path, tmp_path: Path
) -> None:
    """Declared under project_owns, a file of the release path is neither
    merged nor compared: the project's own pin survives the release's."""
    project = copy_project(releases, tmp_path / "pkg", "v0.2.0", OLD_ANSWERS["v0.2.0"])
    publish = project / ".github/workflows/publish.yml"
    theirs = f"actions/download-artifact@{PREVIOUS_PINS['actions/download-artifact']}"
    replace_once(publish, theirs, "actions/download-artifact@" + "0" * 40 + " # v9")
    reason = "we pin our downloads ourselves"
    with (project / ".copier-answers.yml").open("a", encoding="utf-8") as stream:
        stream.write(f"project_owns:\n    .github/workflows/publish.yml: {reason}\n")
    commit_all(project, "Our own publish workflow")
    ours = publish.read_text(encoding="utf-8")

    update(project)

    assert_no_conflicts(project)
    assert publish.read_text(encoding="utf-8") == ours
    assert answers(project)["project_owns"] == {".github/workflows/publish.yml": reason}
    ci = (project / ".github/workflows/ci.yml").read_text(encoding="utf-8")
    assert f"astral-sh/setup-uv@{action_pins()['astral-sh/setup-uv']}" in ci
    # The update started the check's render beside its merge; the check
    # takes it instead of rendering again.
    check = import_script(project / "scripts/check_project.py")
    assert (check.ahead_folder(project) / "pid").is_file()
    checked = project_check(project)
    assert not check.ahead_folder(project).exists()
    text = (project / ".copier-answers.yml").read_text(encoding="utf-8")
    assert (check.cache_root() / check.render_key(text)).is_dir()
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.splitlines()[0] == (
        "check: owned by the project, not compared: "
        f".github/workflows/publish.yml ({reason})"
    )


def test_dirty_working_tree_is_refused_and_nothing_changes(
    releases: Path, tmp_path: Path
) -> None:
    project = copy_project(releases, tmp_path / "pkg", "v0.1.0")
    (project / "README.md").write_text(README, encoding="utf-8")
    before = snapshot(project)
    status = git(project, "status", "--porcelain")

    result = update(project, check=False)

    assert result.returncode != 0
    assert "Destination repository is dirty; cannot continue." in result.stderr
    assert snapshot(project) == before
    assert git(project, "status", "--porcelain") == status
    assert answers(project)["_commit"] == "v0.1.0"


def assert_refused_writing_nothing(
    result: subprocess.CompletedProcess[str], project: Path, before: dict[str, str]
) -> str:
    """The update failed with one line of ours, and left the project as it
    was; that line."""
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    refusals = [
        line for line in result.stderr.splitlines() if line.startswith("check_")
    ]
    assert len(refusals) == 1, result.stderr
    assert refusals[0].endswith(" (nothing was changed)")
    assert snapshot(project) == before
    assert git(project, "status", "--porcelain") == ""
    return refusals[0]


def test_a_refused_answer_stops_the_update_in_one_line_writing_nothing(
    releases: Path, tmp_path: Path
) -> None:
    """The answers an update is given (-d) go through the new version's
    questions before any migration writes: a project from 0.1.0 whose owner
    was guessed, which migrate_answers rewrites on every update, shows that
    nothing is. (A validator's refusal: test_version_source.py.)"""
    project = copy_project(releases, tmp_path / "pkg", "v0.1.0")
    assert answers(project)["github_owner"] != "acme-corp"  # to be carried forward
    before = snapshot(project)

    result = update(project, "--quiet", "--data=publishing_tool=twine", check=False)

    refusal = assert_refused_writing_nothing(result, project, before)
    # Older Copiers say only "Invalid choice": the line names the answer.
    assert refusal.startswith("check_answers: Invalid choice"), refusal
    assert "publishing_tool" in refusal


def test_a_recorded_answer_the_new_version_refuses_is_never_replaced_silently(
    releases: Path, tmp_path: Path
) -> None:
    """An environment named `rehearsal` was accepted before 0.3.0; Copier
    drops it as invalid and, with --defaults, records `pypi` instead: another
    publishing environment, unannounced. The update is undone, in one line."""
    project = copy_project(releases, tmp_path / "pkg", "v0.1.0")
    replace_once(
        project / ".copier-answers.yml", "environment: pypi", "environment: rehearsal"
    )
    commit_all(project, "Publish from the environment named rehearsal")
    before = snapshot(project)

    result = update(project, "--quiet", check=False)

    refusal = assert_refused_writing_nothing(result, project, before)
    assert refusal.startswith(
        "check_answers: Validation error for question 'environment': "
    ), refusal
    assert "(the recorded environment=rehearsal, " in refusal


@pytest.mark.parametrize(
    ("answers_text", "data", "reason"),
    [
        ("- a\n- list\n", '{"environment": "x"}', "is not a mapping of answers"),
        ("_commit: v0.1.0\n", '["environment"]', "--data is not a JSON object"),
        ("_commit: v0.1.0\n", "{environment", "Expecting property name"),
    ],
)
def test_answer_check_reads_bad_input_in_one_line(
    tmp_path: Path, answers_text: str, data: str, reason: str
) -> None:
    answers_file = tmp_path / ".copier-answers.yml"
    answers_file.write_text(answers_text)
    result = run(
        sys.executable,
        REPO / "hooks/check_answers.py",
        answers_file,
        f"--template={REPO}",
        f"--data={data}",
        cwd=tmp_path,
        check=False,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith("check_answers: ")
    assert reason in result.stderr
    assert result.stderr.count("\n") == 1


# --- The real releases of this repository -------------------------------------------


# Files this version adds to every new project, which an update must bring.
NEW_FILES = (
    ".pre-commit-config.yaml",
    "docs/development.md",
    "docs/releasing.md",
    "SECURITY.md",
)

# Before this repository had tags, users copied main as of these commits,
# which CHANGELOG.md describes as 0.1.0 and 0.2.0. The tests tag them so in a
# clone.
UNTAGGED_RELEASES = {
    "v0.1.0": "580fd9a8882e1c8b366d7a232e2dcb44ff9b4a25",
    "v0.2.0": "a1af9ab89f8164ae6215f8f79f04f0591ca174ea",
}


def version_key(tag: str) -> tuple[int, ...]:
    return tuple(map(int, re.findall(r"\d+", tag)))


def released_tags() -> dict[str, str]:
    """Every release users may have copied: tag -> commit, oldest first."""
    listed = run(
        "git",
        "tag",
        "--list",
        "v*",
        "--format=%(refname:short) %(objectname)",
        cwd=REPO,
        check=False,
    ).stdout
    tags = {**UNTAGGED_RELEASES, **dict(line.split() for line in listed.splitlines())}
    return dict(sorted(tags.items(), key=lambda item: version_key(item[0])))


def template_with_releases(dst: Path) -> tuple[Path, str]:
    """A clone of this repository with every release tagged and the working
    tree committed on top as the next release; (clone, that release's tag)."""
    run("git", "clone", "--quiet", "--no-hardlinks", REPO, dst)
    for tag, commit in released_tags().items():
        if git(dst, "cat-file", "-t", commit).strip() != "commit":
            pytest.skip(f"commit {commit} of release {tag} is not in this clone")
        git(dst, "tag", "--force", tag, commit)
    git(dst, "rm", "-r", "--quiet", "--cached", ".")
    for path in list(dst.iterdir()):
        if path.name != ".git":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    working_tree_copy(dst)
    *_, latest = released_tags()
    major, minor = version_key(latest)[:2]
    newest = f"v{major}.{minor + 1}.0"
    commit_and_tag(dst, newest)
    return dst, newest


# Lines of the template's that a user also edited, per release and
# publisher: the end of pyproject.toml (the first release's last table), the
# publish job's name, or CI's triggers, beside lines a later release changed.
RENAMED_JOB = (
    ".github/workflows/publish.yml",
    "    name: Publish to PyPI\n",
    "    name: Publish to PyPI (reviewed)\n",
)
WEEKLY_CI = (
    ".github/workflows/ci.yml",
    "  workflow_dispatch:\n",
    '  workflow_dispatch:\n  schedule:\n    - cron: "0 6 * * 1"\n',
)
TEMPLATE_LINE_EDITS = {
    ("v0.1.0", "pypa-action"): [
        (
            "pyproject.toml",
            'testpaths = ["tests"]\n',
            'testpaths = ["tests"]\naddopts = "-q"\n',
        )
    ],
    ("v0.1.0", "uv"): [RENAMED_JOB],
    ("v0.2.0", "pypa-action"): [RENAMED_JOB, WEEKLY_CI],
    ("v0.2.0", "uv"): [RENAMED_JOB],
}
# What the check says first for each resolution of that conflict that is not
# the template's, per edited file.
OFF_THE_TEMPLATE = {
    "pyproject.toml": {
        "mine": "pyproject.toml has no [tool.verify-attestations] table",
        "both": "pyproject.toml cannot be read",
    },
    ".github/workflows/publish.yml": {
        "mine": ".github/workflows/publish.yml is not the template's",
        "both": ".github/workflows/publish.yml is not the template's",
    },
    # The release calls CI since 0.3.0 ("both" keeps both triggers: valid).
    ".github/workflows/ci.yml": {
        "mine": ".github/workflows/ci.yml has no `workflow_call` under `on:`",
    },
}


RESOLUTIONS = {"mine": r"\1", "theirs": r"\2", "both": r"\1\2"}


def resolve(path: Path, resolution: str) -> None:
    """Resolve every conflict of Copier's inline markers as a user may: keep
    "mine" (the lines before updating), "theirs" (the template's) or "both"."""
    conflict = re.compile(
        r"^<<<<<<< before updating\n(.*?)^=======\n(.*?)^>>>>>>> after updating\n",
        re.MULTILINE | re.DOTALL,
    )
    text = path.read_text(encoding="utf-8")
    path.write_text(conflict.sub(RESOLUTIONS[resolution], text), encoding="utf-8")


def project_check(project: Path) -> subprocess.CompletedProcess[str]:
    script = project / "scripts/check_project.py"
    return run(sys.executable, script, cwd=project, env=LOCAL_UV, check=False)


@pytest.mark.parametrize("tag", list(released_tags()))
@pytest.mark.parametrize("publishing_tool", ["pypa-action", "uv"])
def test_every_real_release_updates_to_the_working_tree(
    tag: str, publishing_tool: str, tmp_path: Path
) -> None:
    """A project made from each release, with its own edits and one on a line
    the template changed, updates to the working tree, says what is left,
    keeps its lock current, and gets everything new."""
    template, newest = template_with_releases(tmp_path / "template")
    # An owner the repository does not name, as the first release accepted:
    # the update keeps the repository, and the migration the owner agree.
    owner = "acme" if tag == "v0.1.0" else "acme-corp"
    project = copy_project(
        template,
        tmp_path / "pkg",
        tag,
        {"publishing_tool": publishing_tool, "github_owner": owner},
    )
    make_user_edits(project)
    edits = TEMPLATE_LINE_EDITS[tag, publishing_tool]
    for edited, theirs, ours in edits:
        replace_once(project / edited, theirs, ours)
    commit_all(project, "Our own lines in files of the template's")
    edited_files = {edited for edited, _, _ in edits}

    said = update(project).stdout

    # What is left is said: each conflicted file, the releases' by-hand
    # steps, the commands to run.
    unmerged = git(project, "ls-files", "--unmerged").splitlines()
    assert {line.split("\t")[1] for line in unmerged} == edited_files, said
    listed = ", ".join(sorted(edited_files))
    assert f"update: resolve the conflicts in {listed}\n" in said
    for edited in edited_files:
        assert f"\n- {edited}: " in said
    # The Upgrading sections of exactly the releases crossed.
    crossed = re.findall(r"^update: CHANGELOG\.md, upgrading to (\S+):$", said, re.M)
    assert crossed == [v for v in ("0.2.0", "0.3.0") if f"v{v}" > tag], said
    assert "Move any tool table of your own" in " ".join(said.split())
    assert "run `uv run --script scripts/check_project.py` and commit" in said
    uv = tool("uv")
    if "pyproject.toml" in edited_files:
        # No lock can be made from a conflicted pyproject.toml: it says so.
        assert "update: run `uv lock` once pyproject.toml is resolved\n" in said
    else:
        # The task brought the lock up to date with the new pyproject.toml.
        run(uv, "lock", "--check", "--offline", cwd=project, env=LOCAL_UV)

    # "Keep mine" drops what the release added around our line, "keep both"
    # leaves the old lines beside the new: the check fails, naming the cause.
    # (Each file alone: any other conflicted file takes the template's side.)
    conflicted = {name: (project / name).read_text() for name in edited_files}
    for edited in sorted(edited_files):
        for resolution, cause in OFF_THE_TEMPLATE[edited].items():
            for name in edited_files:
                resolve(project / name, resolution if name == edited else "theirs")
            checked = project_check(project)
            assert checked.returncode == 1, resolution
            assert f"check: {cause}" in checked.stderr, (resolution, checked.stderr)
            for name, text in conflicted.items():
                (project / name).write_text(text, encoding="utf-8")
    # The template's side, and the commands the update named, pass it.
    for edited in edited_files:
        resolve(project / edited, "theirs")
        git(project, "add", edited)
    run(uv, "lock", "--quiet", cwd=project, env=LOCAL_UV)
    run(uv, "lock", "--check", "--offline", cwd=project, env=LOCAL_UV)
    checked = project_check(project)
    assert checked.returncode == 0, checked.stderr

    assert_no_conflicts(project)
    recorded = answers(project)
    assert recorded["_commit"] == newest
    assert recorded["github_repository"] == BASE_ANSWERS["github_repository"]
    assert recorded["github_owner"] == "acme-corp"
    current = {f"{a}@{p}" for a, p in action_pins().items()}
    assert all_pins(project) <= current
    assert_user_edits_kept(project)
    for new in NEW_FILES:
        assert (project / new).is_file(), f"the update did not bring {new}"
    # What this version renders arrived whole: a fresh copy of it, with the
    # same answers and edits, is what the update made.
    fresh = copy_project(
        template, tmp_path / "fresh", newest, {"publishing_tool": publishing_tool}
    )
    make_user_edits(fresh)
    run(tool("uv"), "lock", "--quiet", cwd=fresh, env=LOCAL_UV)
    # Their own files (src/, tests/, README.md, LICENSE) are never rewritten.
    # uv.lock is current (checked above), but `uv lock` keeps the versions an
    # older lock chose where they still fit, so it need not be the fresh one.
    owned = ("src/", "tests/", "uv.lock")
    assert snapshot(project) == {
        name: digest
        for name, digest in snapshot(fresh).items()
        if not name.startswith(owned)
    } | {
        name: digest
        for name, digest in snapshot(project).items()
        if name == ".copier-answers.yml" or name.startswith(owned)
    }


# --- The migration script on its own ------------------------------------------------


def test_migration_is_idempotent_and_bounded_by_versions(tmp_path: Path) -> None:
    table = tmp_path / "renamed.yml"
    table.write_text(
        RENAMES_0_2 + "- version: 0.5.0\n  values: {publishing_tool: {uv: uv-v2}}\n"
    )
    answers_file = tmp_path / ".copier-answers.yml"
    original = (
        "# Changes here will be overwritten by Copier; do not edit by hand.\n"
        "_commit: v0.1.0\n"
        f"{OLD_QUESTION}: false\npublishing_tool: {OLD_VALUE}\n"
    )
    answers_file.write_text(original)
    script = REPO / "hooks/migrate_answers.py"

    def migrate(since: str, until: str) -> str:
        args = (answers_file, f"--from={since}", f"--to={until}", f"--table={table}")
        run("python3", script, *args)
        return answers_file.read_text()

    first = migrate("0.1.0", "0.3.0")
    assert first.startswith("# Changes here")
    migrated = YAML(typ="safe").load(first)
    assert migrated == {
        "_commit": "v0.1.0",
        NEW_QUESTION: False,
        "publishing_tool": "uv",
    }
    assert migrate("0.1.0", "0.3.0") == first  # a second run changes nothing
    assert migrate("0.2.0", "0.4.0") == first  # 0.2.0's renames are not applied again
    answers_file.write_text(original)
    assert migrate("0.2.0", "0.3.0") == original  # nothing due in that range


# --- pyproject.toml is laid out for merges -----------------------------------------

# What a later release does to pyproject.toml: a new table where the template
# adds them (under the banner that opens its tables) and a new pin.
BANNER_END = "# " + "-" * 77 + "\n{%- if version_source == 'tag' %}"
NEW_TABLE = '\n[tool.check-wheel-contents]\nignore = ["W002"]\n'
OLD_PIN, NEW_PIN = '"pytest>=9"', '"pytest>=9.1"'
# And a tool at the end of `lint`, the template's group just above `dev`.
LINT_END = '  { include-group = "test" },\n]\n'
NEW_TOOL = '  "codespell>=2.4",\n'
# What the project adds to its development environment, with uv.
DEV_ADDITION = "hypothesis>=6"

# The project's own lines, each edited: (the line as rendered, as edited).
OWN_EDITS = (
    ('version = "0.1.0"', 'version = "0.2.0"'),
    ('description = "Widgets, attested."', 'description = "Our widgets."'),
    (
        '  { name = "Ada Lovelace", email = "ada@example.com" },',
        '  { name = "Ada Lovelace", email = "ada@example.com" },\n'
        '  { name = "Grace Hopper" },',
    ),
    ('readme = "README.md"', 'readme = "README.md"\nkeywords = ["widgets"]'),
    (
        '  "Programming Language :: Python :: 3 :: Only",',
        f'  "{CLASSIFIER}",\n  "Programming Language :: Python :: 3 :: Only",',
    ),
    ("dependencies = []", f'dependencies = ["{DEPENDENCY}"]'),
    (
        'Issues = "https://github.com/acme-corp/widget-tools/issues"',
        'Issues = "https://github.com/acme-corp/widget-tools/issues"\n'
        'Documentation = "https://widgets.example.com"',
    ),
    (
        "# The project's own groups go here, above the template's.",
        "# The project's own groups go here, above the template's.\n"
        'docs = ["mkdocs>=1.6"]',
    ),
    (
        "# The project's own tool settings go here, above the template's tables.",
        "# The project's own tool settings go here, above the template's tables.\n"
        '\n[tool.codespell]\nskip = "*.lock"',
    ),
)


@pytest.fixture(scope="module")
def next_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working tree as v1.0.0, and v1.1.0: a new table and a new pin."""
    repo = working_tree_copy(tmp_path_factory.mktemp("next") / "template")
    git(repo, "init", "--quiet", "--initial-branch=main")
    commit_and_tag(repo, "v1.0.0")
    pyproject = repo / "template/pyproject.toml.jinja"
    replace_once(pyproject, BANNER_END, BANNER_END.replace("\n", NEW_TABLE, 1))
    replace_once(pyproject, OLD_PIN, NEW_PIN)
    replace_once(pyproject, LINT_END, LINT_END.replace("]", NEW_TOOL + "]"))
    commit_and_tag(repo, "v1.1.0")
    return repo


@pytest.mark.parametrize("backend", ["uv_build", "hatchling", "setuptools"])
def test_own_pyproject_lines_never_conflict_with_a_release(
    next_release: Path, tmp_path: Path, backend: str
) -> None:
    project = tmp_path / "pkg"
    copier(
        "copy", "--trust", "--defaults", "--quiet", "--skip-tasks",
        "--vcs-ref=v1.0.0", *data_args({**BASE_ANSWERS, "build_backend": backend}),
        next_release, project,
    )  # fmt: skip
    git(project, "init", "--quiet", "--initial-branch=main")
    commit_all(project, "Start")
    pyproject = project / "pyproject.toml"
    for old, new in OWN_EDITS:
        replace_once(pyproject, old, new)
    # And a table of their own at the end, where many add one.
    with pyproject.open("a", encoding="utf-8") as stream:
        stream.write('\n[tool.typos]\ndefault.extend-words = { widgt = "widgt" }\n')
    # uv writes a development dependency where it writes it (no lock here).
    run(tool("uv"), "add", "--frozen", "--dev", DEV_ADDITION, cwd=project, env=LOCAL_UV)
    commit_all(project, "Our own pyproject lines")
    ours = pyproject.read_text(encoding="utf-8")

    result = update(project, "--skip-tasks")

    # Without tasks, Copier's message names what they would have done.
    said = " ".join((result.stdout + result.stderr).split())
    assert "Tasks were skipped (--skip-tasks): run `uv lock`" in said
    assert "then `uv run --script scripts/check_project.py`" in said
    assert "update: run `uv lock` (tasks were skipped)" in said
    assert_no_conflicts(project)
    merged = pyproject.read_text(encoding="utf-8")
    # Every line of ours is there, and what the release brought.
    brought = merged.replace(NEW_PIN, OLD_PIN).replace(NEW_TOOL, "", 1)
    assert brought.replace(NEW_TABLE, "\n", 1) == ours
    data = tomllib.loads(merged)
    assert DEV_ADDITION in data["dependency-groups"]["dev"]
    assert NEW_TOOL.strip(' ",\n') in data["dependency-groups"]["lint"]
    assert data["tool"]["check-wheel-contents"] == {"ignore": ["W002"]}
    assert data["dependency-groups"]["test"][0] == NEW_PIN.strip('"')
    assert data["dependency-groups"]["docs"] == ["mkdocs>=1.6"]
    assert data["project"]["dependencies"] == [DEPENDENCY]


# The commit users copied as 0.2.0, whose `dev` group was the template's and
# held the verifier's dependencies; tagged below the working tree's release.
SECOND_RELEASE = ("v0.1.5", "a1af9ab")


@pytest.mark.slow
def test_a_dev_dependency_added_before_the_layout_survives_the_update(
    tmp_path: Path,
) -> None:
    """`uv add --dev` in a project of 0.2.0, then the update that takes the
    verifier's group out and hands `dev` to the project: no conflict."""
    template, newest = template_with_releases(tmp_path / "template")
    tag, commit = SECOND_RELEASE
    if git(template, "cat-file", "-t", commit).strip() != "commit":
        pytest.skip(f"commit {commit} is not in this clone")
    git(template, "tag", tag, commit)
    project = copy_project(template, tmp_path / "pkg", tag)
    run(tool("uv"), "add", "--frozen", "--dev", DEV_ADDITION, cwd=project, env=LOCAL_UV)
    commit_all(project, "A development dependency of our own")

    update(project, "--skip-tasks")

    assert_no_conflicts(project)
    groups = tomllib.loads((project / "pyproject.toml").read_text())[
        "dependency-groups"
    ]
    assert DEV_ADDITION in groups["dev"]
    assert "scripts" not in groups
    assert answers(project)["_commit"] == newest


def test_projects_own_readme_links_to_the_template_pages_only(renders: Any) -> None:
    """README.md is never updated, so it holds no fact a release may change:
    no command, check, job or permission, only links to the template's pages."""
    project = renders()
    readme = (project / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)]+)\)", readme)
    assert links == ["docs/development.md", "docs/releasing.md", "SECURITY.md"]
    assert all((project / link).is_file() for link in links)
    for fact in ("uv run", "poe", "prek", "OIDC", "token", "job", ".yml", "CI"):
        assert fact not in readme, fact


# --- What an update says is left (hooks/after_update.py) ----------------------------

CHANGELOG = """# Changelog

## Unreleased

### Upgrading

1. Arrives by itself: a table.
2. Renamed: nothing.
3. By hand: set the new secret.
4. Conflicts: keep both.

## 0.3.0 (2026-01-02)

### Upgrading

1. Arrives by itself: pins.
2. Nothing.
3. By hand: nothing.
4. Nothing.

## 0.2.0 (2026-01-01)

### Added

- Something.

### Upgrading

1. Pins.
2. Nothing.
3. By hand: rename the environment on PyPI.
4. Conflicts are likely in publish.yml.

## 0.1.0

### Upgrading

Nothing: this is the first release.
"""


def after_update(
    project: Path, since: str, until: str, *extra: str, path: str | None = None
) -> list[str]:
    changelog = project.parent / "CHANGELOG.md"
    changelog.write_text(CHANGELOG, encoding="utf-8")
    script = REPO / "hooks/after_update.py"
    args = (f"--changelog={changelog}", f"--from={since}", f"--to={until}", *extra)
    env = {"PATH": path} if path is not None else None
    return run(sys.executable, script, *args, cwd=project, env=env).stdout.splitlines()


@pytest.fixture
def clean_project(tmp_path: Path) -> Path:
    """A committed project without pyproject.toml: `uv lock` has nothing to do."""
    project = tmp_path / "pkg"
    project.mkdir()
    (project / "a.txt").write_text("a\n")
    git(project, "init", "--quiet")
    commit_all(project, "Start")
    return project


def test_nothing_left_is_one_line(clean_project: Path) -> None:
    assert after_update(clean_project, "0.2.0", "0.3.0") == [
        "update: no conflicts, uv.lock is current, nothing to do by hand: review "
        "`git diff` and commit"
    ]


def test_steps_of_exactly_the_releases_crossed(clean_project: Path) -> None:
    (clean_project / "a.txt").write_text(
        "<<<<<<< before updating\nx\n=======\ny\n>>>>>>> after updating\n"
    )
    (clean_project / "b.txt.rej").write_text("@@\n")
    (clean_project / "pyproject.toml").write_text('[project]\nname = "a"\n')
    lines = after_update(clean_project, "0.1.0", "0.3.0", "--skip-tasks=True")
    assert lines == [
        "update: resolve the conflicts in a.txt, b.txt",
        "- a.txt: keep the template's lines and yours",
        "- b.txt: keep the template's lines and yours",
        "update: run `uv lock` (tasks were skipped)",
        "update: CHANGELOG.md, upgrading to 0.2.0:",
        "- By hand: rename the environment on PyPI.",
        "- Conflicts are likely in publish.yml.",
        "update: then resolve, run `uv lock`, run `uv run --script "
        "scripts/check_project.py` and commit",
    ]
    # Past every release the CHANGELOG names: its Unreleased entry too.
    (clean_project / "a.txt").write_text("a\n")
    (clean_project / "b.txt.rej").unlink()
    (clean_project / "pyproject.toml").unlink()
    assert after_update(clean_project, "0.3.0", "0.4.0") == [
        "update: CHANGELOG.md, upgrading to Unreleased:",
        "- By hand: set the new secret.",
        "update: then run `uv run --script scripts/check_project.py` and commit",
    ]


CONFLICTED = "<<<<<<< before updating\n{}=======\n{}>>>>>>> after updating\n"


def test_each_conflicted_file_gets_the_resolution_that_keeps_it_valid(
    clean_project: Path,
) -> None:
    """The release path: the template's side; YAML: the template's, with
    your lines carried in; .gitignore, a list of patterns: both, done here."""
    files = {
        ".github/scripts/build-dist.sh": ("uv build --mine\n", "uv build\n"),
        ".github/workflows/ci.yml": ("  mine: 1\n", "  theirs: 1\n"),
        ".gitignore": (".idea/\n", ".coverage\nhtmlcov/\n"),
    }
    for name in files:
        (clean_project / name).parent.mkdir(parents=True, exist_ok=True)
        (clean_project / name).write_text("before\n")
    commit_all(clean_project, "Before the update")
    for name, (ours, theirs) in files.items():
        (clean_project / name).write_text("before\n" + CONFLICTED.format(ours, theirs))

    lines = after_update(clean_project, "0.2.0", "0.3.0", f"--template={REPO}")
    said = " ".join(" ".join(lines).split())

    assert said.startswith(
        "update: .gitignore: kept both sides of its conflicts (a list of patterns) "
        "update: resolve the conflicts in .github/scripts/build-dist.sh, "
        ".github/workflows/ci.yml "
        "- .github/scripts/build-dist.sh: take the template's side (the project "
        "check compares this file with the template's); a change that must stay "
        "is declared under project_owns (docs/development.md) "
        "- .github/workflows/ci.yml: start from the template's side and carry "
        "your own lines into it (keeping both sides repeats keys) "
    ), said
    assert (clean_project / ".gitignore").read_text() == (
        "before\n.coverage\nhtmlcov/\n.idea/\n"
    )
    assert git(clean_project, "diff", "--cached", "--name-only") == ".gitignore\n"


def test_without_uv_it_names_the_command(clean_project: Path, tmp_path: Path) -> None:
    (clean_project / "pyproject.toml").write_text('[project]\nname = "a"\n')
    commit_all(clean_project, "A project")
    git_only = tmp_path / "bin"
    git_only.mkdir()
    (git_only / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    lines = after_update(clean_project, "0.2.0", "0.3.0", path=str(git_only))
    assert lines[0] == "update: run `uv lock` (uv is not installed here)"


def test_a_release_not_tagged_yet_counts_past_the_last_tag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`## 0.4.0 (unreleased)`: Copier versions the template's development
    head as the last tag's post-release, which crosses it; a project already
    past 0.4.0, or updated to a tag, does not."""
    changelog = CHANGELOG.replace("## Unreleased", "## 0.4.0 (unreleased)")
    monkeypatch.syspath_prepend(str(REPO / "hooks"))  # its sibling, rollout.py
    steps = import_script(REPO / "hooks/after_update.py").upgrading_steps
    crossed = {
        (since, until): [
            s.release for s in steps(changelog, *map(Version, (since, until)))
        ]
        for since, until in (
            ("0.2.0", "0.3.0.post5.dev0+g1234567"),
            ("0.3.0", "0.3.0.post5.dev0+g1234567"),
            ("0.1.0", "0.3.0"),
            ("0.4.0", "0.4.0.post1.dev0"),
        )
    }
    assert crossed == {
        ("0.2.0", "0.3.0.post5.dev0+g1234567"): ["0.3.0", "0.4.0"],
        ("0.3.0", "0.3.0.post5.dev0+g1234567"): ["0.4.0"],
        ("0.1.0", "0.3.0"): ["0.2.0", "0.3.0"],
        ("0.4.0", "0.4.0.post1.dev0"): [],
    }
