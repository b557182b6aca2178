"""Time `copier copy --defaults` of this template against Copier's own start-up.

All are measured in the same run, alternating, so the figures compare on a
shared, noisy machine. Target: the copy within 0.2 s of `copier --version`.
The copy is timed from a plain folder holding the working tree (what the
template itself costs) and from this git repository with --vcs-ref=HEAD (what
a user pays, Copier's git clone included). Python's bytecode is compiled
first, as on a user's machine, so neither side pays for compiling Copier.
With --suite, also time the whole test suite (target: under 5 minutes).

    uv run python benchmarks/bench_copy.py [--runs N] [--suite]
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COPIER = Path(sys.executable).parent / "copier"
COPY = [str(COPIER), "copy", "--quiet", "--defaults", "--skip-tasks"]


def timed(args: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def working_tree(dst: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    for rel in filter(None, listed.split("\0")):
        if (REPO / rel).is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, dst / rel)
    return dst


def main() -> int:
    parser = argparse.ArgumentParser(description="Time copier copy of the template.")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--suite", action="store_true", help="time the test suite")
    options = parser.parse_args()

    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(sysconfig.get_paths()["purelib"], quiet=2, workers=0)

    startup: list[float] = []
    plain: list[float] = []
    cloned: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        tree = working_tree(Path(tmp) / "template")
        for i in range(options.runs):
            startup.append(timed([str(COPIER), "--version"]))
            plain.append(timed([*COPY, str(tree), f"{tmp}/plain{i}"]))
            cloned.append(timed([*COPY, "--vcs-ref=HEAD", str(REPO), f"{tmp}/git{i}"]))
    s, p, g = (statistics.median(x) for x in (startup, plain, cloned))
    print(f"copier --version                median {s:6.3f} s  (n={options.runs})")
    print(f"copy --defaults, plain folder   median {p:6.3f} s  (+{p - s:.3f} s)")
    print(f"copy --defaults, git --vcs-ref  median {g:6.3f} s  (+{g - s:.3f} s)")
    print("target: the copy within 0.200 s of start-up")

    if options.suite:
        wall = timed([sys.executable, "-m", "pytest", "-q", "-n", "auto"], cwd=REPO)
        print(f"full test suite (-n auto)       {wall:6.1f} s  (target < 300 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
