"""Copier migration, after every update: say what is left, and refresh uv.lock.

Copier runs this in the updated project once the new version is merged in
(the "after" stage of `_migrations`: Copier's `_tasks` run before the merge,
when the conflicts are not known yet). It prints:

- the files the merge left conflicted (Copier's inline markers, unmerged in
  git's index) or rejected (`.rej` files), by name, each with the resolution
  that gives a valid file; `.gitignore`, a list of patterns, is resolved
  here by keeping both sides (the template's lines, then the project's);
- whether `uv lock` ran (it also writes the lock of a project from a release
  that had none), or the one command to run instead (no uv, `--skip-tasks`,
  offline); an adopted package's pyproject.toml is its own, so it is not
  locked;
- the by-hand steps of each template release crossed, from CHANGELOG.md's
  "Upgrading" sections (and its conflict notes when there are conflicts);
- the commands still to run.

With no conflicts and nothing to do by hand, one line. Whatever it cannot do
is printed as something left to do. It fails the update only before all
that, with `--defaults True`: a recorded answer the new version refused,
which Copier replaced by its default without a word, undoes the update
(hooks/check_answers.py, run here to spare every update a process).

    python after_update.py --changelog FILE --from VERSION --to VERSION
        [--skip-tasks BOOL] [--adopted BOOL] [--template DIR]
        [--answers-file FILE --data JSON --defaults BOOL]
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from packaging.version import InvalidVersion, Version  # Copier depends on it

# The rollout command lists an update's conflicts the same way; the hook that
# renders ahead imports the template's scripts the same way.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "commands"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_answers
from render_ahead import import_script
from rollout import conflicted_files

CHECK = "uv run --script scripts/check_project.py"
# Copier's inline conflict: the project's lines, then the template's.
CONFLICT = re.compile(
    r"^<{7} before updating\n(.*?)^={7}\n(.*?)^>{7} after updating\n",
    re.MULTILINE | re.DOTALL,
)
# Files whose conflicts need no judgment: both sides' lines are kept.
UNION = (".gitignore",)
# CHANGELOG.md's Upgrading items: 3 is what to do by hand, 4 about conflicts.
BY_HAND, CONFLICTS = "3", "4"


@dataclass(frozen=True)
class Upgrading:
    """One "### Upgrading" section of a release crossed."""

    release: str  # "0.2.0" or "Unreleased"
    items: dict[str, str]  # item number -> its text, on one line


def sections(text: str, level: str) -> list[tuple[str, str]]:
    """(heading, body) of each heading of `level` ("##", "###") in `text`."""
    parts = re.split(rf"^{level} (.+)$", text, flags=re.MULTILINE)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def numbered_items(body: str) -> dict[str, str]:
    """A Markdown list "1. ...", "2. ..." as number -> text on one line; a body
    that is no list is item "3" (it is all there is to do)."""
    items = re.split(r"^(\d+)\. ", body.strip(), flags=re.MULTILINE)
    if len(items) == 1:
        return {BY_HAND: " ".join(body.split())} if body.strip() else {}
    return {
        n: " ".join(t.split()) for n, t in zip(items[1::2], items[2::2], strict=True)
    }


def release_version(heading: str) -> Version | None:
    try:
        return Version(heading.split()[0])
    except (InvalidVersion, IndexError):
        return None


def unreleased(heading: str) -> bool:
    """`## Unreleased`, or `## 0.3.0 (unreleased)`: not tagged yet."""
    return "unreleased" in heading.lower()


def upgrading_steps(changelog: str, since: Version, until: Version) -> list[Upgrading]:
    """The Upgrading sections of the releases after `since` up to `until`,
    oldest first. A release not tagged yet counts when `until` is newer than
    every tagged release the CHANGELOG names (a template updated to its
    development head, which Copier versions as the last tag's post-release)."""
    releases = sections(changelog, "##")
    versions = [release_version(heading) for heading, _ in releases]
    tagged = [
        v
        for (h, _), v in zip(releases, versions, strict=True)
        if v and not unreleased(h)
    ]
    newest = max(tagged, default=None)
    crossed: list[Upgrading] = []
    for (heading, body), version in zip(releases, versions, strict=True):
        if unreleased(heading):
            if (newest and until <= newest) or (version and since >= version):
                continue
        elif version is None or not since < version <= until:
            continue
        for title, text in sections(body, "###"):
            if title.startswith("Upgrading"):
                crossed.append(Upgrading(heading.split()[0], numbered_items(text)))
    return sorted(crossed, key=lambda u: release_version(u.release) or until)


def the_check(template: Path | None) -> ModuleType | None:
    """The template's scripts/check_project.py, which knows the release path."""
    script = template and template / "template/scripts/check_project.py"
    if not (script and script.is_file()):
        return None
    try:
        return import_script(script)
    except Exception:  # noqa: BLE001 - an update never fails on it
        return None


def keep_both(path: Path) -> bool:
    """Resolve every conflict in `path` with the template's lines, then the
    project's not among them; staged, as resolved. False if it cannot."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False

    def both(conflict: re.Match[str]) -> str:
        theirs = conflict[2].splitlines(keepends=True)
        ours = conflict[1].splitlines(keepends=True)
        return "".join(theirs + [line for line in ours if line not in theirs])

    resolved = CONFLICT.sub(both, text)
    if re.search(r"^(<{7}|={7}|>{7})", resolved, flags=re.MULTILINE):
        return False
    path.write_text(resolved, encoding="utf-8")
    added = subprocess.run(["git", "add", "--", str(path)], capture_output=True)
    return added.returncode == 0


def advice(name: str, check: ModuleType | None) -> str:
    """How to resolve the conflicts in `name` into a valid file."""
    release_path = check is not None and (
        any(fnmatch.fnmatch(name, glob) for glob in check.OWNED_FILES)
        or name == f".github/workflows/{publish_workflow(check)}"
    )
    if release_path:
        return (
            "take the template's side (the project check compares this file "
            "with the template's); a change that must stay is declared under "
            "project_owns (docs/development.md)"
        )
    if name == "pyproject.toml":
        return (
            "keep your lines and the template's, each key once (TOML refuses a "
            "key given twice): the template's value in its tables, yours in your own"
        )
    if name.endswith((".yml", ".yaml", ".toml", ".json", ".json5")):
        return (
            "start from the template's side and carry your own lines into it "
            "(keeping both sides repeats keys)"
        )
    return "keep the template's lines and yours"


def publish_workflow(check: ModuleType) -> str | None:
    try:
        return check.publish_workflow(  # type: ignore[no-any-return]
            Path("docs/releasing.md").read_text(encoding="utf-8")
        )
    except OSError:
        return None


def is_nothing(text: str) -> bool:
    words = re.sub(r"^[A-Za-z ]+:\s*", "", text).strip().lower()
    return not words or words.startswith("nothing")


def lock(skip_tasks: bool, adopted: bool, conflicts: Sequence[str]) -> str | None:
    """Run `uv lock`; None when it ran or is not the template's to run, else
    the one line saying what to run."""
    if adopted or not Path("pyproject.toml").is_file():
        return None  # the template wrote no pyproject.toml: nothing it changed
    if "pyproject.toml" in conflicts:
        return "run `uv lock` once pyproject.toml is resolved"
    if skip_tasks:
        return "run `uv lock` (tasks were skipped)"
    uv = shutil.which("uv")
    if uv is None:
        return "run `uv lock` (uv is not installed here)"
    locked = subprocess.run(
        [uv, "lock", "--quiet"], capture_output=True, text=True, check=False
    )
    if locked.returncode != 0:
        # uv's error, which it may wrap onto more lines, ends at a blank line.
        said = locked.stderr.partition("error: ")[2].split("\n\n", 1)[0]
        return (
            f"run `uv lock` (it failed here: {' '.join(said.split()) or 'no reason'})"
        )
    return None


def report(
    conflicts: Sequence[str],
    lock_todo: str | None,
    steps: Sequence[Upgrading],
    advised: dict[str, str] | None = None,
) -> list[str]:
    """What the project is left with, as lines; one line when nothing is."""
    wanted = (BY_HAND, CONFLICTS) if conflicts else (BY_HAND,)
    todo: dict[str, list[str]] = {}
    for step in steps:
        for n in wanted:
            if n in step.items and not is_nothing(step.items[n]):
                todo.setdefault(step.release, []).append(step.items[n])
    if not (conflicts or lock_todo or todo):
        return [
            "update: no conflicts, uv.lock is current, nothing to do by hand: "
            "review `git diff` and commit"
        ]
    lines = []
    if conflicts:
        lines.append(f"update: resolve the conflicts in {', '.join(conflicts)}")
        for name, how in (advised or {}).items():
            lines += textwrap.wrap(
                f"{name}: {how}", 79, initial_indent="- ", subsequent_indent="  "
            )
    if lock_todo:
        lines.append(f"update: {lock_todo}")
    for release, texts in todo.items():
        lines.append(f"update: CHANGELOG.md, upgrading to {release}:")
        for text in texts:
            lines += textwrap.wrap(
                text, 79, initial_indent="- ", subsequent_indent="  "
            )
    lines.append(
        "update: then "
        + ("resolve, " if conflicts else "")
        + ("run `uv lock`, " if lock_todo else "")
        + f"run `{CHECK}` and commit"
    )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changelog", type=Path, required=True)
    parser.add_argument("--from", dest="since", required=True)
    parser.add_argument("--to", dest="until", required=True)
    parser.add_argument("--skip-tasks", default="False")
    parser.add_argument("--adopted", default="False")
    parser.add_argument(
        "--template", type=Path, help="the template's checkout at the new version"
    )
    parser.add_argument("--answers-file", type=Path)
    parser.add_argument("--data", default="{}", help="the answers given, as JSON")
    parser.add_argument("--defaults", default="False")
    options = parser.parse_args(argv)
    if options.defaults.lower() == "true" and options.answers_file and options.template:
        refused = check_answers.main(
            [
                str(options.answers_file),
                f"--template={options.template}",
                f"--data={options.data}",
                f"--from={options.since}",
                f"--to={options.until}",
                "--after",
            ]
        )
        if refused:
            return refused
    try:
        since, until = Version(options.since), Version(options.until)
        changelog = options.changelog.read_text(encoding="utf-8")
    except (InvalidVersion, OSError) as error:
        print(f"update: no upgrading steps shown ({error})")
        changelog, since, until = "", Version("0"), Version("0")
    check = the_check(options.template)
    conflicts = conflicted_files(Path.cwd())
    merged = [n for n in conflicts if n in UNION and keep_both(Path(n))]
    conflicts = tuple(n for n in conflicts if n not in merged)
    lock_todo = lock(
        options.skip_tasks.lower() == "true",
        options.adopted.lower() == "true",
        conflicts,
    )
    for name in merged:
        print(f"update: {name}: kept both sides of its conflicts (a list of patterns)")
    steps = upgrading_steps(changelog, since, until)
    advised = {name: advice(name, check) for name in conflicts}
    for line in report(conflicts, lock_todo, steps, advised):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
