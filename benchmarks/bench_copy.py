"""Time `copier copy --defaults` of this template against Copier's own start-up.

All are measured in the same run, alternating, so the figures compare on a
shared, noisy machine. Target: the copy within 0.2 s of `copier --version`.
The copy is timed from a plain folder holding the working tree (what the
template itself costs) and from this git repository with --vcs-ref=HEAD (what
a user pays, Copier's git clone included), each next to the same copy of a
one-question template, which is Copier's own floor for that path. Python's
bytecode is compiled first, as on a user's machine, so neither side pays for
compiling Copier.
Beside them, the template as of its first release (commit 580fd9a, tagged
v0.1.0 in the tests): the copy time of each from a plain folder, as a ratio
(target: at most 1.10), and the default render's file count and lines.
With --suite, also time the whole test suite (target: under 5 minutes).

    uv run python benchmarks/bench_copy.py [--runs N] [--suite]
"""

from __future__ import annotations

import argparse
import compileall
import itertools
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from conftest import git_repository, working_tree_copy  # noqa: E402 - the tests' helpers

COPIER = Path(sys.executable).parent / "copier"
COPY = [str(COPIER), "copy", "--quiet", "--defaults", "--skip-tasks"]


def timed(args: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def trivial_template(dst: Path) -> Path:
    """A one-question, one-file template: what any copy costs in Copier."""
    dst.mkdir(parents=True)
    (dst / "copier.yml").write_text("name: {type: str, default: x}\n")
    (dst / "f.txt.jinja").write_text("{{ name }}\n")
    return dst


FIRST_RELEASE = "580fd9a8882e1c8b366d7a232e2dcb44ff9b4a25"
RATIO_TARGET = 1.10


def template_at(commit: str, dst: Path) -> Path:
    """The template's files at a commit, as a plain folder."""
    dst.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", commit], cwd=REPO, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dst)], input=archive, check=True)
    return dst


def size(project: Path) -> tuple[int, int]:
    """Files and lines of a rendered project (its .git aside)."""
    files = [p for p in project.rglob("*") if p.is_file() and ".git" not in p.parts]
    lines = sum(len(p.read_bytes().splitlines()) for p in files)
    return len(files), lines


def main() -> int:
    parser = argparse.ArgumentParser(description="Time copier copy of the template.")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--suite", action="store_true", help="time the test suite")
    options = parser.parse_args()

    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(sysconfig.get_paths()["purelib"], quiet=2, workers=0)

    runs: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        trivial = trivial_template(root / "trivial")
        trivial_git = git_repository(trivial, root / "trivial-git")
        cases = {
            "copier --version": [str(COPIER), "--version"],
            "trivial template, plain folder": [*COPY, str(trivial)],
            "this template, plain folder": [*COPY, str(working_tree_copy(root / "t"))],
            "first release, plain folder": [
                *COPY,
                str(template_at(FIRST_RELEASE, root / "first")),
            ],
            "trivial template, git --vcs-ref": [
                *COPY,
                "--vcs-ref=HEAD",
                str(trivial_git),
            ],
            "this template, git --vcs-ref": [*COPY, "--vcs-ref=HEAD", str(REPO)],
        }
        outputs = (root / f"out{n}" for n in itertools.count())
        rendered: dict[str, Path] = {}
        for _ in range(options.runs):
            for name, args in cases.items():
                dst = [] if name == "copier --version" else [next(outputs)]
                runs.setdefault(name, []).append(timed([*args, *map(str, dst)]))
                if dst:
                    rendered[name] = dst[0]
        sizes = {
            name: size(rendered[f"{name}, plain folder"])
            for name in ("this template", "first release")
        }
    medians = {name: statistics.median(times) for name, times in runs.items()}
    start = medians["copier --version"]
    for name, median in medians.items():
        extra = "" if name == "copier --version" else f"  (+{median - start:.3f} s)"
        print(f"{name:34s} median {median:6.3f} s{extra}")
    print(f"(n={options.runs}; target: this template within 0.200 s of start-up)")
    ratio = (
        medians["this template, plain folder"] / medians["first release, plain folder"]
    )
    print(f"copy time, this template / first release: {ratio:.2f}", end="")
    print(f"  (target <= {RATIO_TARGET:.2f})")
    for name, (files, lines) in sizes.items():
        print(f"default render, {name:14s} {files:3d} files {lines:6d} lines")

    if options.suite:
        wall = timed([sys.executable, "-m", "pytest", "-q", "-n", "auto"], cwd=REPO)
        print(f"full test suite (-n auto)       {wall:6.1f} s  (target < 300 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
