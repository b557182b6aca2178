# /// script
# requires-python = ">=3.10"
# dependencies = ["copier>=9.7.0", "pyyaml>=6"]
# ///
"""Roll a template release out to many projects: `copier update` on each.

Runs `copier update --defaults` (with --trust, which the template's migrations
need, when given) in each repository, a bounded number at once, and reports
one line per repository, then a count of each status:

    updated    PATH  v0.1.0 -> v0.2.0
    up to date PATH  v0.2.0
    conflicts  PATH  v0.1.0 -> v0.2.0: .github/workflows/publish.yml
    skipped    PATH  dirty working tree: commit or stash first
    failed     PATH  <Copier's reason, one line>
    not this template PATH  made from SOURCE

The repositories are local clones named on the command line, listed in a file
(--repos-file, one path a line, relative to the file; `#` starts a comment),
or taken from a GitHub organization's repository listing saved as JSON
(--github-json, the shape of the REST API's "list organization repositories":
a list of objects with `name` and `clone_url`, `archived` ones skipped, as
one page, `gh api --paginate`'s pages or --slurp's list of them), each cloned
into --clones DIR/<name>, when its turn comes, unless already there.

A repository belongs to the template when its answers' `_src_path` names it:
the same URL (`gh:OWNER/NAME`, https and ssh forms alike), the same local
path, or a git clone of it under any name (the same first commit). --template
names it; by default it is the template this script is part of. One made
from another template is reported `not this template` (not counted as up to
date). A repository is skipped when it is not a git repository or has
uncommitted changes. One still holding conflicts from an earlier update (unmerged files,
`.rej` files or Copier's markers) is reported as conflicts and not updated
again. Updated files are left uncommitted for review; a file with conflicts
holds Copier's inline markers and is unmerged in git's index.

With --state FILE, each outcome is recorded as it arrives; run the same command
again after an interruption (Ctrl-C lets the updates in progress finish) and
the repositories whose outcome is final (updated, up to date, not this
template) are reported from the file, saying so, not redone; every other one
(skipped, conflicts, failed) is tried again, so a repository fixed since is
updated. --report FILE writes every outcome as JSON.

The exit status is 1 when any repository has conflicts or failed, 2 on a usage
error, 130 when interrupted, else 0. It needs only Copier (PEP 723 above):

    uv run --script commands/rollout.py [--trust] [--vcs-ref REF] [--template SRC]...
        [--jobs N] [--state FILE] [--report FILE]
        [--repos-file FILE] [--github-json FILE --clones DIR] [REPO...]

--audit updates nothing: for each repository it reports the template version
its answers record and whether its release path is the template's, comparing
it (as scripts/check_project.py does) with a render of the organization's
template (the first --template) at that version for its answers:

    template's PATH  v0.3.0
    owned      PATH  v0.3.0: owned .github/scripts/install-tools.sh (reason)
    changed    PATH  v0.3.0: changed .github/workflows/publish.yml
    other source PATH  v0.3.0: its answers name SRC; ...
    not audited PATH  <why>

A project's answers file is the project's to edit (it can name another
template, or declare files its own): inside the project, the check finds the
release path off what the answers say; the audit, from the organization's own
template, is the control. Its exit status is 1 when any repository changed
its release path, names another template source or could not be audited, 2
on a usage error, else 0 (files a project declares its own are listed, and
allowed).
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import re
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

# The template this script is part of: the default --template.
THIS_TEMPLATE = Path(__file__).resolve().parent.parent
ANSWERS_FILE = ".copier-answers.yml"
OTHER = "not this template"
STATUSES = ("updated", "up to date", "conflicts", "skipped", "failed", OTHER)
# --audit's statuses; the last three fail it.
AUDITED = ("template's", "owned", "changed", "other source", "not audited")
CHECK_SCRIPT = THIS_TEMPLATE / "template/scripts/check_project.py"
# Outcomes a resumed run reports from the state file; it tries the others
# (skipped, conflicts, failed) again.
FINAL = frozenset({"updated", "up to date", OTHER})
MARKERS = ("<<<<<<< before updating", ">>>>>>> after updating")
INTERRUPTED = 130


class UsageError(Exception):
    """Bad input: reported in one line, nothing is updated."""


@dataclass(frozen=True)
class Outcome:
    """What happened to one repository."""

    repo: Path
    status: str  # one of STATUSES
    detail: str = ""
    files: tuple[str, ...] = ()
    recorded: bool = False  # read from the --state file, not found this run

    def line(self) -> str:
        detail = self.detail + (f": {', '.join(self.files)}" if self.files else "")
        if self.recorded:
            detail += " (recorded in the --state file)"
        return f"{self.status:<10} {self.repo}  {detail}".rstrip()

    def as_json(self) -> dict[str, Any]:
        data = {**asdict(self), "repo": str(self.repo), "files": list(self.files)}
        del data["recorded"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        return cls(
            Path(data["repo"]),
            str(data["status"]),
            str(data.get("detail", "")),
            tuple(data.get("files", ())),
            recorded=True,
        )


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=False
    )


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no message"


def copier_error(output: str) -> str:
    """The line of Copier's output that says what went wrong: a traceback's
    exception, a failed migration's own last line, or Copier's message."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if any(line.startswith("Traceback (most recent call last)") for line in lines):
        return lines[-1]
    reasons = [
        line
        for line in lines
        if "Warning" not in line and not line.startswith("> Running task")
    ]
    for before, line in itertools.pairwise(reasons):
        if line.startswith("Task ") and "returned non-zero exit status" in line:
            return before
    return (reasons or lines or ["copier update failed"])[0]


def read_answers(repo: Path) -> dict[str, Any]:
    import yaml  # type: ignore[import-untyped]  # Copier depends on PyYAML

    loaded = yaml.safe_load((repo / ANSWERS_FILE).read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def url_identity(source: str) -> str | None:
    """host/owner/name of a git URL or Copier's gh:/gl: shorthand, lowercased."""
    source = source.strip().rstrip("/").removesuffix(".git")
    for short, host in (("gh:", "github.com"), ("gl:", "gitlab.com")):
        if source.startswith(short):
            return f"{host}/{source[len(short) :]}".lower()
    found = re.match(r"^(?:[a-z+]+://)?(?:[^@/]+@)?([^/:]+)[:/](.+)$", source)
    if found and ("://" in source or "@" in source):
        return f"{found[1]}/{found[2]}".lower()
    return None


def identities(source: str) -> set[str]:
    """What names a template source: its URL, or a local clone's path, first
    commit and origin URL (so that clones under any name are the same)."""
    url = url_identity(source)
    if url:
        return {url}
    path = Path(source).expanduser()
    if not path.is_dir():
        return {source}
    found = {str(path.resolve())}
    roots = git(path, "rev-list", "--max-parents=0", "HEAD")
    found |= {f"commit {sha}" for sha in roots.stdout.split()}
    origin = git(path, "remote", "get-url", "origin").stdout.strip()
    if origin:
        found |= identities(origin)
    return found


def same_source(recorded: str, wanted: Iterable[str]) -> bool:
    """Whether the answers' _src_path names one of the wanted templates."""
    mine = identities(recorded)
    return any(mine & identities(source) for source in wanted)


def conflicted_files(repo: Path) -> tuple[str, ...]:
    """Files an update left unresolved: unmerged, `.rej`, or holding markers."""
    unmerged = git(repo, "ls-files", "--unmerged").stdout.splitlines()
    names = {line.split("\t", 1)[1] for line in unmerged if "\t" in line}
    listed = git(repo, "ls-files", "--others", "--exclude-standard").stdout
    names |= {name[: -len(".rej")] for name in listed.split() if name.endswith(".rej")}
    # Markers in a changed file: conflicts staged (`git add`) but not resolved.
    changed = git(repo, "diff", "HEAD", "--name-only", "-z").stdout
    for name in filter(None, changed.split("\0")):
        path = repo / name
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            if all(marker in text for marker in MARKERS):
                names.add(name)
    return tuple(sorted(names))


def reason_not_to_update(repo: Path, templates: Sequence[str]) -> Outcome | None:
    """The outcome for a repository that must not be updated, or None."""
    if not repo.is_dir():
        return Outcome(repo, "skipped", "not a directory")
    top = git(repo, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        return Outcome(repo, "skipped", "not a git repository")
    if not (repo / ANSWERS_FILE).is_file():
        return Outcome(repo, OTHER, f"no {ANSWERS_FILE}")
    try:
        answers = read_answers(repo)
    except Exception as error:  # noqa: BLE001 - any unreadable file is reported
        detail = f"unreadable {ANSWERS_FILE}: {first_line(str(error))}"
        return Outcome(repo, "skipped", detail)
    source = str(answers.get("_src_path", ""))
    if not same_source(source, templates or [str(THIS_TEMPLATE)]):
        return Outcome(repo, OTHER, f"made from {source or 'an unknown source'}")
    status = git(repo, "status", "--porcelain")
    if status.returncode != 0:
        return Outcome(
            repo, "skipped", f"git status failed: {first_line(status.stderr)}"
        )
    if not status.stdout.strip():
        return None
    conflicts = conflicted_files(repo)
    if conflicts:
        detail = f"unresolved from an earlier update to {answers.get('_commit', '?')}"
        return Outcome(repo, "conflicts", detail, conflicts)
    return Outcome(repo, "skipped", "dirty working tree: commit or stash first")


def update_repository(
    repo: Path,
    *,
    templates: Sequence[str] = (),
    vcs_ref: str | None = None,
    trust: bool = False,
) -> Outcome:
    """Run `copier update --defaults` in one repository and say how it went."""
    repo = Path(repo)
    refused = reason_not_to_update(repo, templates)
    if refused:
        return refused
    before = str(read_answers(repo).get("_commit", "?"))
    command = [sys.executable, "-m", "copier", "update", "--defaults", "--quiet"]
    command += ["--conflict=inline", *(["--trust"] if trust else [])]
    command += [f"--vcs-ref={vcs_ref}"] if vcs_ref else []
    # Copier's own output and the migrations' notes stay out of the report. Its
    # own session keeps a Ctrl-C from killing it halfway through a repository.
    result = subprocess.run(
        command,
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        start_new_session=True,
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


# --- Which repositories -----------------------------------------------------------


def repos_from_file(path: Path) -> list[Path]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [path.parent / Path(line).expanduser() for line in lines if line]


def json_documents(text: str) -> list[Any]:
    """Every JSON document in `text`, one after another."""
    decoder = json.JSONDecoder()
    documents, position = [], 0
    while text[position:].strip():
        position += len(text[position:]) - len(text[position:].lstrip())
        document, position = decoder.raw_decode(text, position)
        documents.append(document)
    return documents


@dataclass(frozen=True)
class ToClone:
    """A listed repository with no local clone yet: cloned when its turn comes."""

    path: Path
    url: str

    def clone(self) -> Outcome | None:
        """Clone it; an outcome only when that failed."""
        cloned = subprocess.run(
            ["git", "clone", "--quiet", self.url, str(self.path)],
            capture_output=True,
            text=True,
            check=False,
            start_new_session=True,
        )
        if cloned.returncode == 0:
            return None
        return Outcome(
            self.path, "failed", f"git clone failed: {first_line(cloned.stderr)}"
        )


# What to do with one repository: update it (cloning it first), or report it.
Item = Path | ToClone | Outcome


def repos_from_github_listing(listing: Path, clones: Path) -> list[Item]:
    """An organization's repositories, as clones in `clones`; an outcome
    instead for one that cannot be updated (archived, nothing to clone)."""
    try:
        pages = json_documents(listing.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read {listing} as JSON: {error}") from None
    # One page, `gh api --paginate`'s pages one after another, or --slurp's
    # list of pages.
    entries: list[Any] = []
    for page in pages:
        if isinstance(page, list) and page and all(isinstance(p, list) for p in page):
            entries += [entry for each in page for entry in each]
        else:
            entries += page if isinstance(page, list) else [page]
    if not all(isinstance(e, dict) and isinstance(e.get("name"), str) for e in entries):
        raise UsageError(
            f"{listing} is not a repository listing: expected a JSON list of "
            "objects with a name, as GitHub's API returns"
        )
    found: list[Item] = []
    for entry in entries:
        name = entry["name"]
        if not name or name in (".", "..") or "/" in name or "\\" in name:
            raise UsageError(f"{listing}: {name!r} is not a repository name")
        clone = clones / name
        if entry.get("archived"):
            found.append(Outcome(clone, "skipped", "archived on GitHub"))
        elif clone.exists():
            found.append(clone)
        elif not entry.get("clone_url"):
            found.append(Outcome(clone, "failed", "not cloned and no clone_url"))
        else:
            found.append(ToClone(clone, str(entry["clone_url"])))
    return found


# --- Running, resuming, reporting ---------------------------------------------


def key(repo: Path) -> str:
    """A repository as the state file knows it: named relative or absolute,
    through a link or not, it is the same repository."""
    return str(repo.resolve())


class State:
    """Outcomes recorded as they arrive, in a JSON file rewritten atomically."""

    def __init__(self, path: Path | None, target: str) -> None:
        self.path = path
        self.target = target
        self.done: dict[str, Outcome] = {}
        self._lock = threading.Lock()
        if path is None or not path.exists():
            return
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            recorded = [Outcome.from_json(o) for o in data["outcomes"]]
            recorded_target = data["target"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise UsageError(f"{path} is not a rollout state file: {error}") from None
        if recorded_target != target:
            raise UsageError(
                f"{path} records a rollout to {recorded_target}, not {target}: "
                "use another --state file"
            )
        self.done = {key(o.repo): o for o in recorded if o.status in FINAL}

    def record(self, outcome: Outcome) -> None:
        with self._lock:
            self.done[key(outcome.repo)] = outcome
            if self.path is None:
                return
            data = {
                "target": self.target,
                "outcomes": [o.as_json() for o in self.done.values()],
            }
            partial_file = self.path.with_name(self.path.name + ".tmp")
            partial_file.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
            partial_file.replace(self.path)


def rollout(
    repos: Sequence[Item],
    *,
    templates: Sequence[str] = (),
    vcs_ref: str | None = None,
    trust: bool = False,
    jobs: int = 1,
    state: State | None = None,
    stop: threading.Event | None = None,
) -> list[Outcome]:
    """Update every repository not already done; the outcomes in the order
    given. Once `stop` is set no repository is started; those running finish."""
    state = state or State(None, vcs_ref or "latest")
    stop = stop or threading.Event()
    work = partial(update_repository, templates=templates, vcs_ref=vcs_ref, trust=trust)

    def one(item: Item) -> Outcome | None:
        if isinstance(item, Outcome):
            state.record(item)
            return item
        path = item.path if isinstance(item, ToClone) else item
        if key(path) in state.done:
            return replace(state.done[key(path)], repo=path)
        if stop.is_set():
            return None
        failed = item.clone() if isinstance(item, ToClone) else None
        outcome = failed or work(path)
        state.record(outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(one, repos))
    return [outcome for outcome in results if outcome is not None]


# --- The audit ---------------------------------------------------------------------


def import_check() -> ModuleType:
    """scripts/check_project.py of this template: what the release path is,
    and how it is compared."""
    spec = importlib.util.spec_from_file_location("check_project", CHECK_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def audit_repository(repo: Path, template: str, check: ModuleType) -> Outcome:
    """The template version `repo` records, and whether its release path is
    a render of `template` at that version for its answers."""
    repo = Path(repo)
    answers_file = repo / ANSWERS_FILE
    if not answers_file.is_file():
        why = "not a directory" if not repo.is_dir() else f"no {ANSWERS_FILE}"
        return Outcome(repo, "not audited", why)
    try:
        answered = check.parse_answers(answers_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        return Outcome(repo, "not audited", f"unreadable {ANSWERS_FILE}: {error}")
    version = answered.scalars.get("_commit")
    if not version:
        return Outcome(repo, "not audited", f"{ANSWERS_FILE} records no _commit")
    with tempfile.TemporaryDirectory() as scratch:
        rendered = Path(scratch) / "render"
        try:
            check.render(template, version, answers_file, rendered)
        except Exception as error:  # noqa: BLE001 - Copier's errors, in one line
            why = f"cannot render {template} at {version}: {first_line(str(error))}"
            return Outcome(repo, "not audited", why)
        compared = [n for n in check.owned_files(rendered) if n not in answered.owns]
        _, changed = check.file_problems(rendered, compared, repo)
        if answered.scalars.get("adopt_existing") != "true" and check.key_problems(
            rendered, answered.owns, repo
        ):
            changed.append("pyproject.toml")
    notes = [f"changed {', '.join(changed)}"] if changed else []
    notes += [f"owned {path} ({why})" for path, why in sorted(answered.owns.items())]
    source = answered.scalars.get("_src_path", "")
    if not same_source(source, [template]):
        status = "other source"
        notes.insert(0, f"its answers name {source or 'no source'}")
    else:
        status = "changed" if changed else "owned" if answered.owns else "template's"
    return Outcome(repo, status, version + (f": {'; '.join(notes)}" if notes else ""))


def audit(repos: Sequence[Item], template: str) -> list[Outcome]:
    """One at a time: Copier renders in the process's working directory."""
    check = import_check()
    outcomes: list[Outcome] = []
    for item in repos:
        if isinstance(item, Outcome):
            outcomes.append(item)
        elif isinstance(item, ToClone):
            failed = item.clone()
            outcomes.append(failed or audit_repository(item.path, template, check))
        else:
            outcomes.append(audit_repository(item, template, check))
    return outcomes


def summary(outcomes: Sequence[Outcome]) -> str:
    statuses = dict.fromkeys([*STATUSES, *AUDITED])
    counts = {s: sum(o.status == s for o in outcomes) for s in statuses}
    return ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no repositories"


def report(
    outcomes: Sequence[Outcome],
    target: str,
    complete: bool,
    statuses: Sequence[str] = STATUSES,
) -> str:
    data = {
        "target": target,
        "complete": complete,
        "counts": {s: sum(o.status == s for o in outcomes) for s in statuses},
        "outcomes": [o.as_json() for o in outcomes],
    }
    return json.dumps(data, indent=2) + "\n"


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run `copier update --defaults` in many repositories."
    )
    parser.add_argument("repos", nargs="*", type=Path, metavar="REPO")
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
            "the template: its URL, gh:OWNER/NAME or a local clone (repeatable; "
            f"default: the template this script is in, {THIS_TEMPLATE})"
        ),
    )
    parser.add_argument("--jobs", type=int, default=1, help="repositories at once")
    parser.add_argument(
        "--repos-file", type=Path, help="a file listing repository paths"
    )
    parser.add_argument(
        "--github-json",
        type=Path,
        help="a GitHub organization's repository listing, saved as JSON",
    )
    parser.add_argument(
        "--clones", type=Path, help="where the listed repositories are cloned"
    )
    parser.add_argument(
        "--state", type=Path, help="record outcomes here and resume from them"
    )
    parser.add_argument("--report", type=Path, help="write the outcomes as JSON")
    parser.add_argument(
        "--audit",
        action="store_true",
        help="update nothing: report each release path against the template",
    )
    options = parser.parse_intermixed_args(argv)
    if options.jobs < 1:
        parser.error("--jobs must be at least 1")
    if bool(options.github_json) != bool(options.clones):
        parser.error("--github-json and --clones go together")
    if not (options.repos or options.repos_file or options.github_json):
        parser.error("name repositories, --repos-file or --github-json")
    return options


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(argv)
    target = options.vcs_ref or "latest"
    stop = threading.Event()

    def interrupt(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        print(
            "interrupted: finishing the repositories in progress (again to abort them)",
            file=sys.stderr,
        )

    try:
        state = State(options.state, target)
        repos: list[Item] = list(options.repos)
        if options.repos_file:
            repos += repos_from_file(options.repos_file)
        if options.github_json:
            options.clones.mkdir(parents=True, exist_ok=True)
            repos += repos_from_github_listing(options.github_json, options.clones)
    except (UsageError, OSError) as error:
        print(f"rollout: {error}", file=sys.stderr)
        return 2
    if options.audit:
        template = options.template[0] if options.template else str(THIS_TEMPLATE)
        outcomes = audit(repos, template)
        for outcome in outcomes:
            print(outcome.line())
        print(summary(outcomes))
        if options.report:
            written = report(outcomes, target, True, AUDITED)
            options.report.write_text(written, "utf-8")
        return 1 if any(o.status in AUDITED[2:] for o in outcomes) else 0
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    outcomes = rollout(
        repos,
        templates=options.template,
        vcs_ref=options.vcs_ref,
        trust=options.trust,
        jobs=options.jobs,
        state=state,
        stop=stop,
    )
    for outcome in outcomes:
        print(outcome.line())
    print(summary(outcomes))
    complete = len(outcomes) == len(repos)
    if options.report:
        options.report.write_text(report(outcomes, target, complete), "utf-8")
    if not complete:
        left = len(repos) - len(outcomes)
        resume = " again with the same --state" if options.state else ""
        print(f"rollout: interrupted, {left} not started: run{resume}", file=sys.stderr)
        return INTERRUPTED
    return 1 if any(o.status in ("conflicts", "failed") for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
