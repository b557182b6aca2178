"""What the release's files hold: one sdist shape for every backend, and wheels
that check-wheel-contents accepts.

The sdist carries what a downstream packager needs to build and test the
package (pyproject.toml, README, LICENSE, src/ and tests/), and no CI, lock,
template-answer, documentation or release files, whichever backend builds it
and whatever git tracks (setuptools-scm would add every tracked file).
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

import pytest

from conftest import BUILT, RELEASE_TAG, Builds, representative, run, tool

pytestmark = pytest.mark.slow

PACKAGE = [
    "LICENSE",
    "README.md",
    "pyproject.toml",
    "src/acme_widget_tools/__init__.py",
    "src/acme_widget_tools/py.typed",
    "tests/test_acme_widget_tools.py",
]
# The backends' own files beside the project's: the core metadata (every
# backend), setuptools' egg-info and setup.cfg, the .gitignore hatchling always
# adds, and the pyproject.toml uv_build keeps as it was before normalizing it.
BACKEND_METADATA = ("PKG-INFO", "setup.cfg", ".gitignore", "pyproject.toml.orig")

# Each backend, and each that can take the version from the tag taking it
# (setuptools-scm would list every file git tracks): the builds the other
# slow tests share.
SHAPES = [(answers, RELEASE_TAG) for answers in BUILT]


def release(builds: Builds, renders: Any, answers: dict[str, str], tag: str) -> Path:
    return builds(renders(answers), tag) / "dist"


def project_files(sdist: Path) -> list[str]:
    """The sdist's files below its top folder, less the backend's metadata."""
    with tarfile.open(sdist) as archive:
        names = [m.name.partition("/")[2] for m in archive if m.isfile()]
    return sorted(
        name
        for name in names
        if name not in BACKEND_METADATA and ".egg-info/" not in name
    )


def test_every_backend_ships_the_same_sdist(builds: Builds, renders: Any) -> None:
    listed = {}
    for answers, tag in SHAPES:
        (sdist,) = release(builds, renders, answers, tag).glob("*.tar.gz")
        listed[repr(answers)] = project_files(sdist)
    assert listed == dict.fromkeys(listed, PACKAGE)


def test_hatchling_sdist_is_no_larger_than_twice_uv_builds(
    builds: Builds, renders: Any
) -> None:
    sizes = {}
    for backend in ("uv_build", "hatchling"):
        answers = representative(build_backend=backend)
        dist = release(builds, renders, answers, RELEASE_TAG)
        (sdist,) = dist.glob("*.tar.gz")
        sizes[backend] = sdist.stat().st_size
    assert sizes["hatchling"] <= 2 * sizes["uv_build"], sizes


@pytest.mark.parametrize(("answers", "tag"), SHAPES, ids=lambda v: str(v))
def test_wheels_pass_check_wheel_contents(
    builds: Builds, renders: Any, answers: dict[str, str], tag: str
) -> None:
    wheels = sorted(release(builds, renders, answers, tag).glob("*.whl"))
    assert wheels
    result = run(tool("check-wheel-contents"), *wheels, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": OK") == len(wheels), result.stdout
