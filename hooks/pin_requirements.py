"""Make the hash-pinned requirements files of the generated publish workflow.

Every package a release job installs is pinned by version and sha256 in
template/.github/release-requirements/, and installed with hashes required.
This command makes those files from what the template declares:

- uv.txt, twine.txt, sign.txt: `tool_versions` in copier.yml (uv, twine,
  pypi-attestations);
- verify.txt: the PEP 723 dependencies of the verification script;
- build-constraints.txt, one per backend: `build_requires` in copier.yml,
  with the backend's `vcs_requires` (hatch-vcs, setuptools-scm);

each resolved with `uv pip compile --generate-hashes --universal` as of
copier.yml's `resolution_cutoff`. Each file records its inputs in its header,
so `--check` (and the test suite) tells, offline, when a file is stale.
The files hold no index address (uv writes none without --emit-index-url).

    uv run python hooks/pin_requirements.py [--check]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml  # type: ignore[import-untyped]  # Copier depends on PyYAML

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template"
OUTPUT = TEMPLATE / ".github" / "release-requirements"
COMMAND = "uv run python hooks/pin_requirements.py"
# The oldest Python a generated project may use: the files hold markers for
# every newer one (the runner's Python is newer).
OLDEST_PYTHON = "3.10"
PEP723 = re.compile(r"^# /// script$\n(?P<body>(?:^#(?: .*)?$\n)+?)^# ///$", re.M)
INPUTS = "# From: "
CUTOFF = "# Resolved as of: "


class PinError(Exception):
    """A one-line reason the files could not be made."""


@dataclass(frozen=True)
class Pinned:
    """One requirements file and what it is made from."""

    path: Path
    inputs: tuple[str, ...]
    purpose: str


def load_facts() -> dict[str, object]:
    config = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))
    return {
        name: value.get("default")
        for name, value in config.items()
        if not name.startswith("_") and isinstance(value, dict)
    }


def script_dependencies() -> tuple[str, ...]:
    """The PEP 723 `dependencies` of the generated verification script."""
    (script,) = sorted((TEMPLATE / "scripts").glob("verify_attestations.py*"))
    found = PEP723.search(script.read_text(encoding="utf-8"))
    if found is None:
        raise PinError(f"{script} has no PEP 723 script block")
    body = "".join(
        line[2:] if line.startswith("# ") else line[1:]
        for line in found["body"].splitlines(keepends=True)
    )
    return tuple(tomllib.loads(body)["dependencies"])


def build_constraints_name(backend: str) -> str:
    """The template file that renders build-constraints.txt for one backend."""
    return f"{{% if build_backend == '{backend}' %}}build-constraints.txt{{% endif %}}"


def declared() -> tuple[list[Pinned], str]:
    """Every requirements file the template ships, and the resolution cutoff."""
    facts = load_facts()
    tools = facts["tool_versions"]
    backends = facts["build_requires"]
    # A backend's pins serve both version sources: with the version from the
    # tag, its VCS plugin is built with it.
    plugins = facts["vcs_requires"]
    assert isinstance(tools, dict) and isinstance(backends, dict)
    assert isinstance(plugins, dict)
    files = [
        Pinned(OUTPUT / "uv.txt", (f"uv=={tools['uv']}",), "uv, in every release job"),
        Pinned(
            OUTPUT / "twine.txt",
            (f"twine=={tools['twine']}",),
            "twine, which checks the metadata in the build job",
        ),
        Pinned(
            OUTPUT / "sign.txt",
            (f"pypi-attestations=={tools['pypi-attestations']}",),
            "pypi-attestations, which signs in the publish job",
        ),
        Pinned(
            OUTPUT / "verify.txt",
            script_dependencies(),
            "the dependencies of scripts/verify_attestations.py",
        ),
    ]
    files += [
        Pinned(
            OUTPUT / build_constraints_name(backend),
            (
                str(requirement),
                *([str(plugins[backend])] if backend in plugins else []),
            ),
            f"the {backend} build backend, for `uv build --build-constraints`",
        )
        for backend, requirement in backends.items()
    ]
    return files, str(facts["resolution_cutoff"])


def header(pinned: Pinned, cutoff: str) -> str:
    return (
        f"# Hash-pinned: {pinned.purpose}.\n"
        "# Made by copier-pypi-attested's `hooks/pin_requirements.py`, the same in\n"
        "# every project; `copier update` replaces it. Install it with hashes\n"
        "# required (pip or uv: --require-hashes --no-deps).\n"
        f"{INPUTS}{'; '.join(pinned.inputs)}\n"
        f"{CUTOFF}{cutoff}\n"
    )


def recorded(path: Path) -> tuple[tuple[str, ...], str] | None:
    """The inputs and cutoff a file says it was made from, if it exists."""
    if not path.is_file():
        return None
    inputs: tuple[str, ...] = ()
    cutoff = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(INPUTS):
            inputs = tuple(line.removeprefix(INPUTS).split("; "))
        elif line.startswith(CUTOFF):
            cutoff = line.removeprefix(CUTOFF)
    return inputs, cutoff


def stale() -> list[str]:
    """Why each stale file is stale (empty when every file is current)."""
    files, cutoff = declared()
    reasons = []
    for pinned in files:
        found = recorded(pinned.path)
        name = pinned.path.name
        if found is None:
            reasons.append(f"{name} is missing")
        elif found != (pinned.inputs, cutoff):
            reasons.append(
                f"{name} was made from {'; '.join(found[0])} as of {found[1]}, "
                f"the template declares {'; '.join(pinned.inputs)} as of {cutoff}"
            )
    return reasons


def compile_hashes(inputs: Sequence[str], cutoff: str) -> str:
    result = subprocess.run(
        [
            "uv",
            "pip",
            "compile",
            "--quiet",
            "--generate-hashes",
            "--universal",
            "--no-header",
            f"--python-version={OLDEST_PYTHON}",
            f"--exclude-newer={cutoff}",
            "-",
        ],
        input="\n".join(inputs) + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or ["uv pip compile failed"]
        raise PinError(" ".join(line.strip() for line in lines[:3]))
    if "://" in result.stdout:
        raise PinError("uv wrote an address into the requirements; refusing")
    return result.stdout.replace("# via -r -", "# via the template")


def write_all() -> list[Path]:
    files, cutoff = declared()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for pinned in files:
        pinned.path.write_text(
            header(pinned, cutoff) + compile_hashes(pinned.inputs, cutoff),
            encoding="utf-8",
        )
    return [pinned.path for pinned in files]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Make the hash-pinned requirements of the publish workflow."
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="only say whether the files match what the template declares",
    )
    options = parser.parse_args(argv)
    try:
        if options.check:
            reasons = stale()
            for reason in reasons:
                print(f"pin_requirements: stale: {reason}", file=sys.stderr)
            if reasons:
                print(f"pin_requirements: run `{COMMAND}`", file=sys.stderr)
            return 1 if reasons else 0
        for path in write_all():
            print(f"pin_requirements: wrote {path.relative_to(ROOT)}")
    except (PinError, OSError, KeyError, yaml.YAMLError) as error:
        print(f"pin_requirements: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
