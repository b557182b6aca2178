# /// script
# requires-python = ">=3.11"
# dependencies = []
# ///
"""Check that the project still has what its release workflow relies on.

    uv run --script scripts/check_project.py

A `copier update` merges the template's new release into the project, and a
conflict resolved the wrong way (keeping only "mine") can drop something the
release needs, which would otherwise only show on release day. This fails,
with one line per problem saying what is wrong and how to fix it, when:

- a file still holds conflict markers, or an update left a `.rej` file;
- `[tool.verify-attestations]` in pyproject.toml is missing, or its
  repository, workflow or environment is not what `.copier-answers.yml` and
  docs/releasing.md say (the release's verification reads it);
- a job that docs/releasing.md lists is missing from the publish workflow,
  or a job there reads another's outputs without waiting for it (a `needs:`
  line kept from before the update);
- uv.lock does not match pyproject.toml (`uv lock --check --offline`; without
  uv the lock is not checked, and a line says so).

Standard library only, no network: it runs offline, in CI's lint job and as
a pre-commit hook. An adopted package's pyproject.toml is its own, so its
table is not checked (a line says so).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ANSWERS = ".copier-answers.yml"
RELEASING = Path("docs/releasing.md")
MARKERS = ("<<<<<<< ", ">>>>>>> ")
# The fix for something of the template's that a resolution dropped.
RECOPY = (
    "restore it with `copier recopy --trust --defaults`, then take your own "
    "lines back with `git restore -p`"
)


def answers(text: str) -> dict[str, str]:
    """The top-level scalars of Copier's answers file (it writes plain YAML:
    `key: value`, quoted when needed, long values folded onto indented lines)."""
    found: dict[str, str] = {}
    key = ""
    for line in text.splitlines():
        if line.startswith(" ") and key:
            found[key] += " " + line.strip()
        elif match := re.match(r"([A-Za-z_][A-Za-z0-9_]*): ?(.*)$", line):
            key, found[key] = match[1], match[2].strip()
    for key, value in found.items():
        if value.startswith("'") and value.endswith("'"):
            found[key] = value[1:-1].replace("''", "'")
        elif value.startswith('"') and value.endswith('"'):
            found[key] = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return found


def tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=False,
    )
    if listed.returncode == 0:
        return [Path(n) for n in sorted(set(listed.stdout.decode().split("\0"))) if n]
    return [p for p in Path().rglob("*") if p.is_file() and ".git" not in p.parts]


def conflicts(files: list[Path]) -> list[str]:
    rejected = [str(p) for p in files if p.suffix == ".rej"]
    marked = []
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        if all(any(line.startswith(m) for line in lines) for m in MARKERS):
            marked.append(str(path))
    problems = []
    if marked:
        problems.append(
            f"conflict markers remain in {', '.join(marked)}: keep the template's "
            "lines and yours, then remove the markers"
        )
    if rejected:
        problems.append(
            f"{', '.join(rejected)} left by an update: apply what each holds by "
            "hand, then delete it"
        )
    return problems


def publish_workflow(releasing: str) -> str | None:
    found = re.search(r"`\.github/workflows/([^`/]+)`", releasing)
    return found[1] if found else None


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


def release_problems(answered: dict[str, str], releasing: str) -> list[str]:
    workflow = publish_workflow(releasing)
    if workflow is None:
        return [f"{RELEASING} names no publish workflow: {RECOPY}"]
    path = Path(".github/workflows") / workflow
    if not path.is_file():
        return [f"{path} is missing: {RECOPY}"]
    defined = workflow_jobs(path.read_text(encoding="utf-8"))
    jobs = [job for job, _ in defined]
    problems = (
        [
            f"{path} has no `{job}` job, which {RELEASING} lists: {RECOPY}"
            for job in listed_jobs(releasing)
            if job not in jobs
        ]
        + [
            f"{path} defines the `{job}` job twice (a conflict kept both versions): "
            "keep the template's and carry your lines into it"
            for job in sorted({job for job in jobs if jobs.count(job) > 1})
        ]
        + [
            f"{path}: the `{job}` job reads `needs.{other}` but does not wait for "
            f"`{other}` (a `needs:` line kept from before the update?): give it the "
            "template's `needs:` line"
            for job, body in defined
            for other in unawaited(body)
        ]
    )
    if answered.get("adopt_existing") == "true":
        print(
            "check: pyproject.toml is the package's own (adopted), so its "
            "[tool.verify-attestations] is not checked"
        )
        return problems
    return problems + table_problems(answered, workflow)


def table_problems(answered: dict[str, str], workflow: str) -> list[str]:
    try:
        pyproject = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        return [f"pyproject.toml cannot be read ({error}): fix it"]
    table = pyproject.get("tool", {}).get("verify-attestations")
    if not isinstance(table, dict):
        return [
            (
                "pyproject.toml has no [tool.verify-attestations] table, which the "
                f"release's verification reads: {RECOPY}"
            )
        ]
    expected = {
        "repository": answered.get("github_repository"),
        "workflow": workflow,
        "environment": answered.get("environment"),
    }
    return [
        f"[tool.verify-attestations] {key} is {table.get(key)!r}, but "
        f"{ANSWERS if key != 'workflow' else RELEASING} says {want!r}: set it "
        f"to {want!r} (or change the answer with `copier update --data`)"
        for key, want in expected.items()
        if want is not None and table.get(key) != want
    ]


def lock_problems() -> list[str]:
    if not Path("uv.lock").is_file():
        return ["uv.lock is missing: run `uv lock` and commit it (CI installs from it)"]
    uv = shutil.which("uv")
    if uv is None:
        print("check: uv is not installed, so uv.lock was not checked (CI checks it)")
        return []
    checked = subprocess.run(
        [uv, "lock", "--check", "--offline", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    if checked.returncode == 0:
        return []
    # uv's error, which it may wrap onto more lines, ends at a blank line.
    said = checked.stderr.partition("error: ")[2].split("\n\n", 1)[0]
    reason = " ".join(said.split()) or "uv gave no reason"
    return [f"uv.lock is not current ({reason}): run `uv lock` and commit it"]


def main() -> int:
    files = tracked_files()
    problems = conflicts(files)
    try:
        answered = answers(Path(ANSWERS).read_text(encoding="utf-8"))
        releasing = RELEASING.read_text(encoding="utf-8")
    except OSError as error:
        problems.append(f"{error.filename} is missing: {RECOPY}")
        answered, releasing = {}, ""
    # A file with markers cannot be read for the rest; an adopted package
    # locks its dependencies its own way.
    if not problems:
        problems += release_problems(answered, releasing)
        if answered.get("adopt_existing") != "true":
            problems += lock_problems()
    for problem in problems:
        print(f"check: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
