# /// script
# requires-python = ">=3.11"
# dependencies = []
# ///
"""Check that the project's release path is still the template's.

    uv run --script scripts/check_project.py [--fix]

A `copier update` merges the template's new release into the project, and a
conflict resolved the wrong way can break the release in ways no schema or
linter sees. So this compares every file, and every part of pyproject.toml,
that the template owns (OWNED_FILES, OWNED_KEYS below: what the release runs
and reads) with the template's own render for this project's answers at the
version `.copier-answers.yml` records, and fails on any difference, naming
the file and its first differing lines. `--fix` writes the template's version
of each differing file (no terminal needed).

A project that must change such a file declares it, with a reason, under
`project_owns` in `.copier-answers.yml` (docs/development.md says how): the
check then names it on every run instead of comparing it, and updates leave
it to the project.

The render needs Copier and the template: it is made once per template source,
version and answers, and kept in the user's cache (an update keeps the one
Copier makes of the new version, and the first check after it takes it).
When the template cannot be reached, one line says so and every other check
runs:

- conflict markers (any of `<<<<<<<`, `=======`, `>>>>>>>`, alone or not) in
  any file, and `.rej` files an update left;
- `[tool.verify-attestations]` and the version source in pyproject.toml
  against the answers and docs/releasing.md;
- every job docs/releasing.md lists is in the publish workflow once, no job
  reads another's outputs without waiting for it, every script it runs is
  there, and the project's CI, which it calls to test the release, can be
  called (`on: workflow_call`);
- uv.lock matches pyproject.toml (`uv lock --check --offline`).

Standard library only: Copier, when the render is not cached, comes from the
Python running this (if it has it) or from `uv run --with copier`.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ANSWERS = ".copier-answers.yml"
RELEASING = Path("docs/releasing.md")
# The template's files on the release path, as globs over its render: the
# publish workflow (named by docs/releasing.md), the scripts and hash-pinned
# requirements its jobs run, these scripts, and what shapes a setuptools sdist.
OWNED_FILES = (
    ".github/scripts/*",
    ".github/release-requirements/*",
    "scripts/*.py",
    "MANIFEST.in",
)
# The parts of pyproject.toml the release builds and verifies by (dotted keys;
# a backend's key is absent from the other backends' renders).
OWNED_KEYS = (
    "build-system",
    "project.name",
    "tool.verify-attestations",
    "tool.uv.build-backend",
    "tool.uv.cache-keys",
    "tool.hatch.build",
    "tool.hatch.version",
    "tool.setuptools",
    "tool.setuptools_scm",
)
# The version source: a static [project] version, or the tag's (dynamic).
VERSION_SOURCE = "project.version"
COPIER = "copier>=9.7.0"
# Where renders are kept, if not in the user's cache.
CACHE_VARIABLE = "COPIER_PYPI_ATTESTED_RENDERS"
FIX = (
    "fix: `uv run --script scripts/check_project.py --fix` writes the "
    "template's version of each file named, or declare it the project's under "
    "`project_owns` in .copier-answers.yml (docs/development.md)"
)
SHOWN_LINES = 6  # of a file's first difference
# A conflict marker line: Copier's and git's markers, and diff3's base marker.
MARKER = re.compile(r"^(?:<{7}|\|{7}|>{7})(?: .*)?$|^={7}$")
# Where `=======` underlines a heading.
PROSE = {".md", ".rst", ".txt"}


@dataclass(frozen=True)
class Answers:
    text: str
    scalars: dict[str, str]
    owns: dict[str, str]  # project_owns: path or "pyproject.toml:key" -> reason


def unquote(value: str) -> str:
    value = value.strip()
    if value.startswith("'") and value.endswith("'"):
        return value[1:-1].replace("''", "'")
    if value.startswith('"') and value.endswith('"'):
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def parse_answers(text: str) -> Answers:
    """The answers file as Copier writes it (plain YAML): top-level scalars,
    long values folded onto indented lines, and one mapping (project_owns)
    of `key: value` lines indented under it."""
    scalars: dict[str, str] = {}
    owns: dict[str, str] = {}
    key = entry = ""
    for line in text.splitlines():
        if match := re.match(r"([A-Za-z_][A-Za-z0-9_]*): ?(.*)$", line):
            key, scalars[key], entry = match[1], match[2].strip(), ""
        elif line.startswith(" ") and key == "project_owns":
            inner = re.match(r" {1,4}(\S.*?): (.*)$", line)
            if inner and not line.startswith(" " * 5):
                entry = unquote(inner[1])
                owns[entry] = inner[2].strip()
            elif entry:
                owns[entry] += " " + line.strip()
        elif line.startswith(" ") and key:
            scalars[key] += " " + line.strip()
    return Answers(
        text,
        {k: unquote(v) for k, v in scalars.items()},
        {k: unquote(v) for k, v in owns.items()},
    )


def tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=False,
    )
    if listed.returncode == 0:
        names = sorted(set(listed.stdout.decode().split("\0")))
        return [Path(n) for n in names if n and Path(n).is_file()]
    return [p for p in Path().rglob("*") if p.is_file() and ".git" not in p.parts]


def marker_lines(path: Path) -> list[int]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    return [
        number
        for number, line in enumerate(lines, 1)
        if MARKER.match(line) and not (path.suffix in PROSE and line == "=" * 7)
    ]


def conflicts(files: list[Path]) -> list[str]:
    problems = []
    for path in files:
        if found := marker_lines(path):
            where = ", ".join(map(str, found[:5]))
            problems.append(
                f"{path} has conflict markers (line {where}): resolve each "
                "conflict (see the update's advice for the file), then remove "
                "every marker line"
            )
    rejected = [str(p) for p in files if p.suffix == ".rej"]
    if rejected:
        problems.append(
            f"{', '.join(rejected)} left by an update: apply what each holds by "
            "hand, then delete it"
        )
    return problems


# --- The template's render, cached -------------------------------------------


def cache_root() -> Path:
    if chosen := os.environ.get(CACHE_VARIABLE):
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "copier-pypi-attested" / "renders"


def render_key(answers_text: str) -> str:
    """The answers file names the template, its version and every answer."""
    return hashlib.sha256(answers_text.encode()).hexdigest()[:32]


def template_source(answered: Answers) -> str:
    """`_src_path`, a relative local path taken from the project's root."""
    src = answered.scalars.get("_src_path", "")
    remote = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*(://|:[^/\\])|^git@", src)
    if src and not remote and not Path(src).is_absolute():
        return str(Path(src).resolve())
    return src


def unreachable(answered: Answers) -> str | None:
    """Why the template cannot be rendered here, before trying."""
    src = template_source(answered)
    if not src:
        return f"{ANSWERS} names no template source (_src_path)"
    if Path(src).is_absolute() and not Path(src).exists():
        return f"the template folder {src} is not on this machine"
    return None


def ahead_folder(project: Path) -> Path:
    """Where an update renders its new version ahead of its merge, for the
    project in `project` (hooks/render_ahead.py, then the after-update step)."""
    digest = hashlib.sha256(str(project.resolve()).encode()).hexdigest()[:32]
    return cache_root() / "ahead" / digest


def same_answers(one: Answers, other: Answers) -> bool:
    """The same answers, whatever template copy and version they name."""
    mine = {k: v for k, v in one.scalars.items() if not k.startswith("_")}
    theirs = {k: v for k, v in other.scalars.items() if not k.startswith("_")}
    return (mine, one.owns) == (theirs, other.owns)


def adopt_ahead(answered: Answers, project: Path, wait: float = 60.0) -> bool:
    """Cache the render made ahead of the update (its process waited for up
    to `wait` seconds) if it was made for exactly these answers."""
    import time

    ahead = ahead_folder(project)
    try:
        pid = int((ahead / "pid").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    deadline = time.monotonic() + wait
    # Done when it says so, or when its process is gone without saying so.
    while time.monotonic() < deadline and not (ahead / "done").exists():
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.02)
    made = ahead / "render"
    dst = cache_root() / render_key(answered.text)
    try:
        rendered = parse_answers((made / ANSWERS).read_text(encoding="utf-8"))
        if not same_answers(rendered, answered) or (dst / ANSWERS).is_file():
            return (dst / ANSWERS).is_file()
        made.rename(dst)
        return True
    except OSError:
        return False
    finally:
        shutil.rmtree(ahead, ignore_errors=True)


def render(src: str, ref: str, answers_file: Path, dst: Path) -> None:
    """Copier's render of `src` at `ref` (none: a template folder without
    git) for the answers in `answers_file`: what `copier copy` makes, without
    its tasks. Needs Copier importable."""
    import warnings

    import copier  # type: ignore[import-not-found,unused-ignore]
    import yaml  # type: ignore[import-untyped,unused-ignore]  # Copier's

    loaded = yaml.safe_load(answers_file.read_text(encoding="utf-8")) or {}
    data = {k: v for k, v in loaded.items() if not str(k).startswith("_")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a dirty local template, say
        copier.run_copy(
            src, str(dst), data=data, vcs_ref=ref or None, defaults=True, unsafe=True,
            skip_tasks=True, quiet=True, overwrite=True,
        )  # fmt: skip


def can_import_copier() -> bool:
    import importlib.util

    return importlib.util.find_spec("copier") is not None


def cached_render(answered: Answers, src: str | None = None) -> Path | str:
    """The render's folder, made if not cached; or why it could not be made.
    `src` renders from another copy of the same template at the same version
    (an update's local checkout); the cache key stays the answers'."""
    dst = cache_root() / render_key(answered.text)
    if (dst / ANSWERS).is_file() or (not src and adopt_ahead(answered, Path())):
        return dst
    reason = None if src else unreachable(answered)
    if reason:
        return reason
    source = src or template_source(answered)
    ref = "HEAD" if src else answered.scalars.get("_commit", "")
    dst.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dst.parent) as scratch:
        answers_file = Path(scratch) / "answers.yml"
        answers_file.write_text(answered.text, encoding="utf-8")
        made = Path(scratch) / "render"
        try:
            if can_import_copier():
                render(source, ref, answers_file, made)
            else:
                uv = shutil.which("uv")
                if uv is None:
                    return "neither Copier nor uv is installed here"
                run = [uv, "run", "--no-project", "--quiet", "--with", COPIER]
                args = [__file__, "--render", source, ref, str(answers_file), str(made)]
                done = subprocess.run(
                    [*run, "python", *args],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if done.returncode != 0:
                    said = done.stderr.strip().splitlines() or ["no reason given"]
                    return f"rendering it failed: {said[-1]}"
        except Exception as error:  # noqa: BLE001 - Copier raises many kinds
            return f"rendering it failed: {' '.join(str(error).split())[:200]}"
        if not (made / ANSWERS).is_file():
            return "rendering it made no answers file"
        try:
            made.rename(dst)
        except OSError:  # another run cached it meanwhile
            if not (dst / ANSWERS).is_file():
                raise
    return dst


# --- Comparing with the render ------------------------------------------------


def publish_workflow(releasing: str) -> str | None:
    found = re.search(r"`\.github/workflows/([^`/]+)`", releasing)
    return found[1] if found else None


def owned_files(rendered: Path) -> list[str]:
    """The render's files on the release path."""
    names = {
        str(p.relative_to(rendered))
        for pattern in OWNED_FILES
        for p in rendered.glob(pattern)
        if p.is_file()
    }
    releasing = rendered / RELEASING
    if releasing.is_file():
        workflow = publish_workflow(releasing.read_text(encoding="utf-8"))
        if workflow:
            names.add(f".github/workflows/{workflow}")
    return sorted(names)


def first_difference(theirs: list[str], ours: list[str]) -> list[str]:
    diff = list(difflib.unified_diff(theirs, ours, "template", "project", n=1))
    hunk = next((i for i, line in enumerate(diff) if line.startswith("@@")), 0)
    return [line.rstrip("\n") for line in diff[hunk : hunk + 1 + SHOWN_LINES]]


def file_problems(
    rendered: Path, names: list[str], root: Path = Path()
) -> tuple[list[str], list[str]]:
    """(problems, the files that differ) of the project in `root`."""
    problems, differing = [], []
    for name in names:
        ours = root / name
        if not ours.is_file():
            problems.append(f"{name}, a file of the release path, is missing")
            differing.append(name)
            continue
        theirs_bytes, ours_bytes = (rendered / name).read_bytes(), ours.read_bytes()
        if theirs_bytes == ours_bytes:
            continue
        differing.append(name)
        lines = first_difference(
            theirs_bytes.decode(errors="replace").splitlines(keepends=True),
            ours_bytes.decode(errors="replace").splitlines(keepends=True),
        )
        shown = "\n".join(f"    {line}" for line in lines)
        problems.append(f"{name} is not the template's; the first difference:\n{shown}")
    return problems, differing


def lookup(data: Any, dotted: str) -> Any:
    """The value at a dotted key of TOML tables, or None."""
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def version_source(pyproject: dict[str, Any]) -> str:
    project = pyproject.get("project", {})
    if "version" in project:
        return "a static version (`version = ...` in [project])"
    if "version" in project.get("dynamic", []):
        return 'the tag (`dynamic = ["version"]`)'
    return "no version"


def key_problems(
    rendered: Path, owns: dict[str, str], root: Path = Path()
) -> list[str]:
    theirs_file = rendered / "pyproject.toml"
    if not theirs_file.is_file():  # an adopted package's own
        return []
    try:
        ours = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        return [f"pyproject.toml cannot be read ({error}): fix it"]
    theirs = tomllib.loads(theirs_file.read_text(encoding="utf-8"))
    problems = []
    if f"pyproject.toml:{VERSION_SOURCE}" not in owns:
        want, have = version_source(theirs), version_source(ours)
        if want != have:
            problems.append(
                f"pyproject.toml takes its version from {have}, the template's "
                f"from {want} (version_source in {ANSWERS}): make it {want}"
            )
    for key in OWNED_KEYS:
        want, have = lookup(theirs, key), lookup(ours, key)
        if f"pyproject.toml:{key}" not in owns and want != have:
            problems.append(
                f"pyproject.toml's `{key}` is not the template's: it is "
                f"{have!r}, the template's is {want!r}: set it to the template's"
            )
    return problems


def template_problems(
    rendered: Path, answered: Answers, fix: bool
) -> tuple[list[str], int]:
    """Differences from the render, with the fix line; (problems, files)."""
    names = owned_files(rendered)
    for owned, reason in sorted(answered.owns.items()):
        print(f"check: owned by the project, not compared: {owned} ({reason})")
    compared = [n for n in names if n not in answered.owns]
    problems, differing = file_problems(rendered, compared)
    if fix and differing:
        for name in differing:
            Path(name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(rendered / name, name)
            print(f"check: wrote the template's {name}")
        problems, differing = file_problems(rendered, compared)
    if answered.scalars.get("adopt_existing") != "true":
        problems += key_problems(rendered, answered.owns)
    if problems:
        problems.append(FIX)
    return problems, len(compared)


# --- Checks that need no template ----------------------------------------------


def listed_jobs(releasing: str) -> list[str]:
    """The first column of the job table under "## The jobs" in releasing.md."""
    section = releasing.partition("\n## The jobs")[2].split("\n## ", 1)[0]
    return re.findall(r"^\| `([A-Za-z0-9_-]+)` \|", section, flags=re.MULTILINE)


def workflow_jobs(text: str) -> list[tuple[str, str]]:
    """Each job of a workflow (two-space indented keys under `jobs:`), with
    the text of its body."""
    body = re.split(r"^jobs:\s*$", text, maxsplit=1, flags=re.MULTILINE)
    if len(body) < 2:
        return []
    jobs = body[1]
    top = re.search(r"^[^\s#]", jobs, flags=re.MULTILINE)  # the next top-level key
    jobs = jobs[: top.start()] if top else jobs
    parts = re.split(r"^  ([A-Za-z0-9_-]+):", jobs, flags=re.MULTILINE)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def unawaited(body: str) -> list[str]:
    """The jobs whose outputs a job's body reads (`needs.<job>.`) but that its
    `needs:` (one name, a [list] or a block list) does not name."""
    needs = re.search(
        r"^    needs:[ \t]*(\[[^\]]*\]|[^\s#]*)((?:\n      - .*)*)", body, re.MULTILINE
    )
    named = set(re.findall(r"[A-Za-z0-9_-]+", needs[1] + needs[2])) if needs else set()
    read = re.findall(r"\bneeds\.([A-Za-z0-9_-]+)\.", body)
    return sorted(set(read) - named)


def referenced(workflow: Path) -> list[str]:
    """The scripts the publish workflow and its scripts run, by path (a file
    an update was told was deleted on purpose is not rendered again)."""
    texts = [workflow, *sorted(Path(".github/scripts").glob("*"))]
    found = re.findall(
        r"(?<![\w/.$-])((?:\.github/)?scripts/[\w.-]*[\w])",
        "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in texts),
    )
    return sorted(set(found))


def called_workflows(workflow: Path) -> list[str]:
    """This repository's own workflows that the publish workflow calls."""
    text = workflow.read_text(encoding="utf-8", errors="replace")
    pattern = r"^\s*uses:\s*['\"]?[$.]/(\.github/workflows/[\w.-]+)"
    return sorted(set(re.findall(pattern, text, flags=re.MULTILINE)))


def callable_workflow(path: Path) -> bool:
    """Whether a workflow's `on:` names `workflow_call`, which another
    workflow needs to call it (GitHub refuses the caller's run otherwise)."""
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    lines = [line.split("#", 1)[0] for line in text.splitlines()]
    on = re.search(
        r"^(?:on|\"on\"|'on'):(.*?)(?=^\S)",
        "\n".join(lines) + "\n.",
        flags=re.MULTILINE | re.DOTALL,
    )
    # As a key or a list item of `on:`, not a word in some input's description.
    event = r"(?:^\s*|[\[{,]\s*)['\"]?workflow_call['\"]?\s*(?::|[\]},]|$)"
    return bool(on and re.search(event, on[1], flags=re.MULTILINE))


def release_problems(answered: Answers, releasing: str) -> list[str]:
    workflow = publish_workflow(releasing)
    if workflow is None:
        return [f"{RELEASING} names no publish workflow: {FIX}"]
    path = Path(".github/workflows") / workflow
    if not path.is_file():
        return [f"{path} is missing: {FIX}"]
    defined = workflow_jobs(path.read_text(encoding="utf-8"))
    jobs = [job for job, _ in defined]
    problems = (
        [
            f"{path} has no `{job}` job, which {RELEASING} lists"
            for job in listed_jobs(releasing)
            if job not in jobs
        ]
        + [
            f"{path} defines the `{job}` job twice (a conflict kept both versions)"
            for job in sorted({job for job in jobs if jobs.count(job) > 1})
        ]
        + [
            f"{path}: the `{job}` job reads `needs.{other}` but does not wait for "
            f"`{other}` (a `needs:` line kept from before the update?)"
            for job, body in defined
            for other in unawaited(body)
        ]
    )
    problems += [
        f"{path} runs {name}, which is missing"
        for name in referenced(path)
        if name not in answered.owns and not Path(name).is_file()
    ]
    # The project's own CI is the release's test gate: the publish workflow
    # calls it, so it must stay callable (`on: workflow_call`).
    for name in called_workflows(path):
        if not Path(name).is_file():
            problems.append(f"{path} calls {name}, which is missing")
        elif not callable_workflow(Path(name)):
            problems.append(
                f"{name} has no `workflow_call` under `on:`, so {path} cannot "
                "call it to test the release: add `workflow_call:` back"
            )
    if answered.scalars.get("adopt_existing") == "true":
        print(
            "check: pyproject.toml is the package's own (adopted), so its "
            "[tool.verify-attestations] is not checked"
        )
        return problems
    return problems + table_problems(answered, workflow)


def table_problems(answered: Answers, workflow: str) -> list[str]:
    try:
        pyproject = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        return [f"pyproject.toml cannot be read ({error}): fix it"]
    problems = []
    if (
        answered.scalars.get("version_source") == "tag"
        and "version" in pyproject.get("project", {})
        and f"pyproject.toml:{VERSION_SOURCE}" not in answered.owns
    ):
        problems.append(
            "pyproject.toml has a static version, but version_source is `tag`: "
            "remove [project]'s `version = ...` line (the tag is the version)"
        )
    table = pyproject.get("tool", {}).get("verify-attestations")
    if not isinstance(table, dict):
        return [
            *problems,
            (
                "pyproject.toml has no [tool.verify-attestations] table, which "
                "the release's verification reads"
            ),
        ]
    expected = {
        "repository": answered.scalars.get("github_repository"),
        "workflow": workflow,
        "environment": answered.scalars.get("environment"),
    }
    return problems + [
        f"[tool.verify-attestations] {key} is {table.get(key)!r}, but "
        f"{ANSWERS if key != 'workflow' else RELEASING} says {want!r}: set it "
        f"to {want!r} (or change the answer with `copier update --data`)"
        for key, want in expected.items()
        if want is not None and table.get(key) != want
    ]


def lock_problems() -> tuple[list[str], str]:
    """(problems, what was checked)."""
    if not Path("uv.lock").is_file():
        return (
            ["uv.lock is missing: run `uv lock` and commit it (CI installs from it)"],
            "",
        )
    uv = shutil.which("uv")
    if uv is None:
        print("check: uv is not installed, so uv.lock was not checked (CI checks it)")
        return [], ""
    checked = subprocess.run(
        [uv, "lock", "--check", "--offline", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    if checked.returncode == 0:
        return [], ", uv.lock current"
    # uv's error, which it may wrap onto more lines, ends at a blank line.
    said = checked.stderr.partition("error: ")[2].split("\n\n", 1)[0]
    reason = " ".join(said.split()) or "uv gave no reason"
    return [f"uv.lock is not current ({reason}): run `uv lock` and commit it"], ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fix", action="store_true", help="write the template's differing files"
    )
    parser.add_argument("--render", nargs=4, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.render:  # in `uv run --with copier`, for cached_render
        src, ref, answers_file, dst = options.render
        try:
            render(src, ref, Path(answers_file), Path(dst))
        except Exception as error:  # noqa: BLE001 - one line, whatever it is
            print(" ".join(str(error).split())[:200], file=sys.stderr)
            return 1
        return 0

    files = tracked_files()
    problems = conflicts(files)
    try:
        answered = parse_answers(Path(ANSWERS).read_text(encoding="utf-8"))
        releasing = RELEASING.read_text(encoding="utf-8")
    except OSError as error:
        problems.append(f"{error.filename} is missing: {FIX}")
        answered, releasing = parse_answers(""), ""
    version = answered.scalars.get("_commit", "its source")
    summary = ""
    # A file with markers cannot be read for the rest.
    if not problems:
        rendered = cached_render(answered)
        if isinstance(rendered, Path):
            found, compared = template_problems(rendered, answered, options.fix)
            problems += found
            summary = (
                f"the release path is the template's at {version} ({compared} files)"
            )
        else:
            print(
                f"check: the template could not be rendered ({rendered}), so the "
                "release path was NOT compared with it; the other checks ran"
            )
            summary = "no conflict markers"
        problems += release_problems(answered, releasing)
        if answered.scalars.get("adopt_existing") != "true":
            found, checked = lock_problems()
            problems += found
            summary += checked
    for problem in problems:
        print(f"check: {problem}", file=sys.stderr)
    if not problems:
        print(f"check: passed: {summary}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
