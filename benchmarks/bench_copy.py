"""Time `copier copy --defaults` of this template against Copier's own start-up.

All are measured in the same run, alternating, so the figures compare on a
shared, noisy machine. Target: the copy within 0.2 s of `copier --version`.
The copy is timed from a plain folder holding the working tree (what the
template itself costs) and from this git repository with --vcs-ref=HEAD (what
a user pays, Copier's git clone included), each next to the same copy of a
one-question template, which is Copier's own floor for that path. Python's
bytecode is compiled first, as on a user's machine, so neither side pays for
compiling Copier.
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
            "trivial template, git --vcs-ref": [
                *COPY,
                "--vcs-ref=HEAD",
                str(trivial_git),
            ],
            "this template, git --vcs-ref": [*COPY, "--vcs-ref=HEAD", str(REPO)],
        }
        outputs = (root / f"out{n}" for n in itertools.count())
        for _ in range(options.runs):
            for name, args in cases.items():
                dst = [] if name == "copier --version" else [str(next(outputs))]
                runs.setdefault(name, []).append(timed([*args, *dst]))
    medians = {name: statistics.median(times) for name, times in runs.items()}
    start = medians["copier --version"]
    for name, median in medians.items():
        extra = "" if name == "copier --version" else f"  (+{median - start:.3f} s)"
        print(f"{name:34s} median {median:6.3f} s{extra}")
    print(f"(n={options.runs}; target: this template within 0.200 s of start-up)")

    if options.suite:
        wall = timed([sys.executable, "-m", "pytest", "-q", "-n", "auto"], cwd=REPO)
        print(f"full test suite (-n auto)       {wall:6.1f} s  (target < 300 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
