"""Roll a template release out to many projects: `copier update` on each.

Takes local paths of repositories made from this template and runs
`copier update --defaults` in each (with --trust, which the template's
migrations need, when given), then reports one line per repository:

    updated    PATH  v0.1.0 -> v0.2.0
    up to date PATH  v0.2.0
    conflicts  PATH  v0.1.0 -> v0.2.0: .github/workflows/publish.yml
    skipped    PATH  dirty working tree: commit or stash first
    failed     PATH  <Copier's reason, one line>

A repository is skipped when it is not a git repository, has no
.copier-answers.yml, was made from another template, or has uncommitted
changes. Updated files are left uncommitted for review; a file with conflicts
holds Copier's inline markers and is unmerged in git's index. The exit status
is 1 when any repository has conflicts or failed, else 0.

    python hooks/rollout.py [--trust] [--vcs-ref REF] [--template SRC]...
                            [--jobs N] REPO...
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

TEMPLATE_NAME = "copier-pypi-attested"
ANSWERS_FILE = ".copier-answers.yml"
STATUSES = ("updated", "up to date", "conflicts", "skipped", "failed")


@dataclass(frozen=True)
class Outcome:
    """What happened to one repository."""

    repo: Path
    status: str  # one of STATUSES
    detail: str = ""
    files: tuple[str, ...] = ()

    def line(self) -> str:
        detail = self.detail + (f": {', '.join(self.files)}" if self.files else "")
        return f"{self.status:<10} {self.repo}  {detail}".rstrip()


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=False
    )


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no message"


def copier_error(output: str) -> str:
    """The line of Copier's output that says what went wrong."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    reasons = [line for line in lines if "Warning" not in line]
    return (reasons or lines or ["copier update failed"])[0]


def read_answers(repo: Path) -> dict[str, Any]:
    import yaml  # type: ignore[import-untyped]  # Copier depends on PyYAML

    loaded = yaml.safe_load((repo / ANSWERS_FILE).read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def same_source(recorded: str, wanted: Iterable[str]) -> bool:
    """Whether the answers' _src_path is one of the wanted template sources."""
    wanted = list(wanted)
    if not wanted:
        name = recorded.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1]
        return name.rsplit(":", 1)[-1] == TEMPLATE_NAME
    for source in wanted:
        if recorded == source:
            return True
        local = Path(source).expanduser()
        if local.exists() and Path(recorded).expanduser().resolve() == local.resolve():
            return True
    return False


def reason_to_skip(repo: Path, templates: Sequence[str]) -> str | None:
    """Why `repo` must not be updated, or None."""
    top = git(repo, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        return "not a git repository"
    if not (repo / ANSWERS_FILE).is_file():
        return f"not made from this template (no {ANSWERS_FILE})"
    try:
        source = str(read_answers(repo).get("_src_path", ""))
    except Exception as error:  # noqa: BLE001 - any unreadable file is reported
        return f"unreadable {ANSWERS_FILE}: {first_line(str(error))}"
    if not same_source(source, templates):
        return f"not made from this template (made from {source or 'unknown'})"
    status = git(repo, "status", "--porcelain")
    if status.returncode != 0:
        return f"git status failed: {first_line(status.stderr)}"
    if status.stdout.strip():
        return "dirty working tree: commit or stash first"
    return None


def conflicted_files(repo: Path) -> tuple[str, ...]:
    unmerged = git(repo, "ls-files", "--unmerged").stdout.splitlines()
    names = {line.split("\t", 1)[1] for line in unmerged if "\t" in line}
    listed = git(repo, "ls-files", "--others", "--exclude-standard").stdout
    names |= {name[: -len(".rej")] for name in listed.split() if name.endswith(".rej")}
    return tuple(sorted(names))


def update_repository(
    repo: Path,
    *,
    templates: Sequence[str] = (),
    vcs_ref: str | None = None,
    trust: bool = False,
) -> Outcome:
    """Run `copier update --defaults` in one repository and say how it went."""
    repo = Path(repo)
    skip = reason_to_skip(repo, templates)
    if skip:
        return Outcome(repo, "skipped", skip)
    before = str(read_answers(repo).get("_commit", "?"))
    command = [sys.executable, "-m", "copier", "update", "--defaults", "--quiet"]
    command += ["--conflict=inline", *(["--trust"] if trust else [])]
    command += [f"--vcs-ref={vcs_ref}"] if vcs_ref else []
    # Copier's own output and the migrations' notes stay out of the report.
    result = subprocess.run(
        command, cwd=repo, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        message = copier_error(result.stderr or result.stdout)
        if "--trust" in result.stderr and not trust:
            message += " (pass --trust)"
        return Outcome(repo, "failed", message)
    after = str(read_answers(repo).get("_commit", "?"))
    conflicts = conflicted_files(repo)
    if conflicts:
        return Outcome(repo, "conflicts", f"{before} -> {after}", conflicts)
    if not git(repo, "status", "--porcelain").stdout.strip():
        return Outcome(repo, "up to date", after)
    return Outcome(repo, "updated", f"{before} -> {after}")


def rollout(
    repos: Sequence[Path],
    *,
    templates: Sequence[str] = (),
    vcs_ref: str | None = None,
    trust: bool = False,
    jobs: int = 1,
) -> list[Outcome]:
    """Update every repository; one outcome each, in the order given."""
    work = partial(update_repository, templates=templates, vcs_ref=vcs_ref, trust=trust)
    if jobs <= 1 or len(repos) <= 1:
        return [work(repo) for repo in repos]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(work, repos))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run `copier update --defaults` in many repositories."
    )
    parser.add_argument("repos", nargs="+", type=Path, metavar="REPO")
    parser.add_argument(
        "--trust",
        action="store_true",
        help="allow the template's migrations and tasks (Copier's --trust)",
    )
    parser.add_argument("--vcs-ref", help="template version (default: latest tag)")
    parser.add_argument(
        "--template",
        action="append",
        default=[],
        help=(
            "only update repositories whose answers name this template source "
            f"(repeatable; default: any source named {TEMPLATE_NAME})"
        ),
    )
    parser.add_argument("--jobs", type=int, default=1, help="repositories at once")
    options = parser.parse_args(argv)
    outcomes = rollout(
        options.repos,
        templates=options.template,
        vcs_ref=options.vcs_ref,
        trust=options.trust,
        jobs=options.jobs,
    )
    for outcome in outcomes:
        print(outcome.line())
    counts = {s: sum(o.status == s for o in outcomes) for s in STATUSES}
    print(", ".join(f"{n} {s}" for s, n in counts.items() if n))
    return 1 if counts["conflicts"] or counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
