"""Make the hash-pinned requirements files of the generated publish workflow.

Every package a release job installs is pinned by version and sha256 in
template/.github/release-requirements/, and installed with hashes required.
This command makes those files from what the template declares:

- uv.txt, twine.txt: `tool_versions` in copier.yml (uv, twine);
- verify.txt: `tool_versions`' pypi-attestations, which signs, and the PEP 723
  dependencies of the verification script;
- build-constraints.txt, one per backend: `build_requires` in copier.yml,
  with the backend's `vcs_requires` (hatch-vcs, setuptools-scm);

each resolved with `uv pip compile --generate-hashes --universal` as of
copier.yml's `resolution_cutoff`. Each file records its inputs in its header.
`--check` resolves every file again the same way and compares the whole
file, each version and each hash, naming the first line that differs.
The files hold no index address (uv writes none without --emit-index-url).

    uv run python maintainers/pin_requirements.py [--check [--dir DIR]]
"""

from __future__ import annotations

import argparse
import functools
import re
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml  # type: ignore[import-untyped]  # Copier depends on PyYAML

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template"
OUTPUT = TEMPLATE / ".github" / "release-requirements"
COMMAND = "uv run python maintainers/pin_requirements.py"
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
        # One environment signs and verifies in the publish job: one
        # resolution, so that the signing tool is the pinned one.
        Pinned(
            OUTPUT / "verify.txt",
            (
                f"pypi-attestations=={tools['pypi-attestations']}",
                *script_dependencies(),
            ),
            "pypi-attestations, which signs in the publish job, and the "
            "dependencies of scripts/verify_attestations.py",
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
        "# Made by copier-pypi-attested's `maintainers/pin_requirements.py`,\n"
        "# the same in every project; `copier update` replaces it. Install it\n"
        "# with hashes required (pip or uv: --require-hashes --no-deps).\n"
        f"{INPUTS}{'; '.join(pinned.inputs)}\n"
        f"{CUTOFF}{cutoff}\n"
    )


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
            # Resolving needs no interpreter of that version: never fetch one.
            "--no-python-downloads",
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


@functools.cache
def resolved() -> dict[str, str]:
    """Every file's name and the text it must have, resolved now (in parallel:
    each resolution waits mostly on the index)."""
    files, cutoff = declared()
    with ThreadPoolExecutor() as pool:
        bodies = pool.map(lambda p: compile_hashes(p.inputs, cutoff), files)
        return {
            pinned.path.name: header(pinned, cutoff) + body
            for pinned, body in zip(files, bodies, strict=True)
        }


def mismatches(output: Path = OUTPUT) -> list[str]:
    """Where each file in `output` differs from what resolving gives now."""
    found = []
    for name, expected in resolved().items():
        path = output / name
        try:
            actual = path.read_text(encoding="utf-8")
        except OSError:
            found.append(f"{path}: missing")
            continue
        want, have = expected.splitlines(), actual.splitlines()
        for number, (line, wanted) in enumerate(zip(have, want, strict=False), 1):
            if line != wanted:
                found.append(
                    f"{path}:{number}: {line.strip()!r}, expected {wanted.strip()!r}"
                )
                break
        else:
            if len(have) != len(want):
                number = min(len(have), len(want)) + 1
                found.append(
                    f"{path}:{number}: {len(have)} lines, expected {len(want)}"
                )
    return found


def write_all() -> list[Path]:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for name, text in resolved().items():
        (OUTPUT / name).write_text(text, encoding="utf-8")
    return [OUTPUT / name for name in resolved()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Make the hash-pinned requirements of the publish workflow."
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="resolve again and say whether every file matches, line by line",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=OUTPUT,
        help="the folder --check reads (default: the template's)",
    )
    options = parser.parse_args(argv)
    try:
        if options.check:
            reasons = mismatches(options.dir)
            for reason in reasons:
                print(f"pin_requirements: {reason} (fix: `{COMMAND}`)", file=sys.stderr)
            return 1 if reasons else 0
        for path in write_all():
            print(f"pin_requirements: wrote {path.relative_to(ROOT)}")
    except (PinError, OSError, KeyError, yaml.YAMLError) as error:
        print(f"pin_requirements: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
