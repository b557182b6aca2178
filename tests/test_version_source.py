"""version_source: a static version in pyproject.toml, or the release's tag.

With `tag`, hatch-vcs (hatchling) or setuptools-scm (setuptools) gives the
version. The build job, the rebuild job and the verification script's
`rebuild` mode must all build the tag's version with the same files, and a
commit between tags must build a development version that no job releases.
"""

from __future__ import annotations

import shutil
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
from test_build_job import (
    GUARD,
    compare,
    distributions,
    rebuild_on_another_runner,
    step,
)
from test_update import (
    NEWEST,
    answers,
    assert_no_conflicts,
    assert_refused_writing_nothing,
    commit_all,
    copy_project,
    snapshot,
    update,
)
from test_update import releases as releases  # the session fixture

from conftest import (
    LOCAL_UV,
    REPO,
    TAG_VERSION_BACKENDS,
    Builds,
    Job,
    copier_config,
    job_run_steps,
    load_toml,
    render,
    representative,
    run,
    run_step,
)

TAG = "v1.2.3"
SDIST = "acme_widget_tools-1.2.3.tar.gz"
WHEEL = "acme_widget_tools-1.2.3-py3-none-any.whl"


def vcs_requires() -> dict[str, str]:
    return dict(copier_config()["vcs_requires"]["default"])


# --- Rendered files (cheap) -----------------------------------------------------


@pytest.mark.parametrize("backend", TAG_VERSION_BACKENDS)
def test_tag_answer_makes_the_version_dynamic_and_pins_the_plugin(
    renders: Any, backend: str
) -> None:
    project = renders({"build_backend": backend, "version_source": "tag"})
    pyproject = load_toml(project / "pyproject.toml")
    assert "version" not in pyproject["project"]
    assert pyproject["project"]["dynamic"] == ["version"]
    plugin = vcs_requires()[backend]
    assert pyproject["build-system"]["requires"][1] == plugin
    # The release build installs only what build-constraints.txt pins by hash.
    name = plugin.split(">")[0]
    pins = (project / ".github/release-requirements/build-constraints.txt").read_text()
    assert f"\n{name}==" in pins
    build = step(project, "Build the sdist")
    assert build.script == 'bash .github/scripts/build-dist.sh "${VERSION}"'
    assert build.env == {"VERSION": "${{ steps.version.outputs.version }}"}
    script = (project / ".github/scripts/build-dist.sh").read_text()
    assert 'export SETUPTOOLS_SCM_PRETEND_VERSION="$1"' in script


@pytest.mark.parametrize("backend", TAG_VERSION_BACKENDS)
def test_pyproject_answer_keeps_a_static_version(renders: Any, backend: str) -> None:
    project = renders({"build_backend": backend})
    pyproject = load_toml(project / "pyproject.toml")
    assert pyproject["project"]["version"] == "0.1.0"
    assert "dynamic" not in pyproject["project"]
    assert pyproject["build-system"]["requires"] == [
        copier_config()["build_requires"]["default"][backend]
    ]
    assert (
        step(project, "Build the sdist").script == "bash .github/scripts/build-dist.sh"
    )


def test_uv_build_cannot_take_the_version_from_the_tag(
    template_src: Path, tmp_path: Path
) -> None:
    dst = tmp_path / "out"
    with pytest.raises(ValueError, match="version_source") as refused:
        render(
            template_src, dst, {"build_backend": "uv_build", "version_source": "tag"}
        )
    message = str(refused.value).partition(": ")[2].strip()
    assert message == (
        "A version from the tag needs a backend with dynamic versions: hatchling "
        "(hatch-vcs) or setuptools (setuptools-scm); uv_build has none."
    )
    assert not dst.exists()


@pytest.mark.parametrize("trigger", ["release", "tag"])
def test_releasing_doc_gives_the_one_step_release(renders: Any, trigger: str) -> None:
    project = renders(
        {
            "build_backend": "hatchling",
            "version_source": "tag",
            "release_trigger": trigger,
        }
    )
    doc = (project / "docs/releasing.md").read_text()
    each = doc[doc.index("## Each release") : doc.index("## The jobs")]
    assert "The tag is the version: nothing to edit or merge first." in each
    assert "Set `version`" not in each
    first = (
        "1. Publish a GitHub release whose tag is `v`"
        if trigger == "release"
        else "`git tag v1.2.3 && git push origin v1.2.3` releases 1.2.3."
    )
    assert first in each


# --- The tag's version, built three times (one build per backend) ----------------


def verify_rebuild(checkout: Path, dist: Path) -> list[str]:
    """The verification script's `rebuild` of the local files from the commit
    (fetched alone, without its tags), as a consumer runs it."""
    commit = run("git", "rev-parse", "HEAD", cwd=checkout).stdout.strip()
    result = run(
        sys.executable,
        checkout / "scripts/verify_attestations.py",
        "rebuild",
        "--dist",
        dist,
        "--commit",
        commit,
        "--source",
        checkout,
        "--pyproject",
        checkout / "pyproject.toml",
        "--offline",
        env=LOCAL_UV,
        check=False,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return result.stdout.splitlines()


@pytest.mark.slow
@pytest.mark.parametrize("backend", TAG_VERSION_BACKENDS)
def test_build_rebuild_and_verifier_agree_on_the_tags_version(
    renders: Any, builds: Builds, backend: str, tmp_path: Path
) -> None:
    project = renders(representative(build_backend=backend, version_source="tag"))
    built = builds.job(project, TAG)
    job = rebuild_on_another_runner(builds, project, tmp_path, TAG)
    assert [f.name for f in distributions(built.workdir / "dist")] == [WHEEL, SDIST]
    assert [f.name for f in distributions(job.workdir / "dist")] == [WHEEL, SDIST]
    compared = compare(built, job, tmp_path)
    assert compared.returncode == 0, compared.stdout
    assert f"  {WHEEL}\n" in compared.stdout and f"  {SDIST}\n" in compared.stdout

    lines = verify_rebuild(built.workdir, built.workdir / "dist")
    for name in (WHEEL, SDIST):
        assert any(line.startswith(f"reproduced {name}: sha256:") for line in lines)


@pytest.mark.slow
def test_a_commit_between_tags_builds_a_development_version_never_released(
    renders: Any, builds: Builds, tmp_path: Path
) -> None:
    released = builds(
        renders(representative(build_backend="hatchling", version_source="tag")), TAG
    )
    checkout = tmp_path / "next"
    run("git", "clone", "--quiet", released, checkout)
    (checkout / "NEWS.md").write_text("A change after 1.2.3.\n")
    run("git", "add", "NEWS.md", cwd=checkout)
    run("git", "commit", "--quiet", "-m", "after the release", cwd=checkout)
    # CI's build job: the project's own build, resolved as of the cutoff.
    ci = job_run_steps(checkout / ".github/workflows/ci.yml", "build")
    (build,) = [s for s in ci if s.script.startswith("uv build")]
    result = run_step(checkout, build, "main")
    assert result.returncode == 0, result.stderr
    (sdist,) = (checkout / "dist").glob("*.tar.gz")
    version = sdist.name.removeprefix("acme_widget_tools-").removesuffix(".tar.gz")
    assert version.startswith("1.2.4.dev1+g"), version
    # Neither the tag before it nor its own version is a release: the tag
    # names other files, and a local version is no tag's version.
    job = Job(checkout, tmp_path / "temp", TAG)
    job.run(step(checkout, "Read the release version"))
    refused = job.run(step(checkout, GUARD))
    assert refused.returncode == 1, refused.stdout
    assert refused.stdout.startswith("::error::version 1.2.3 needs exactly one sdist")
    job.ref_name = f"v{version}"
    refused = job.run(step(checkout, "Read the release version"))
    assert refused.returncode == 1, refused.stdout
    assert refused.stdout.startswith("::error::the tag must be v followed by")


@pytest.mark.slow
@pytest.mark.parametrize("backend", TAG_VERSION_BACKENDS)
def test_githubs_source_archive_of_a_release_builds_the_tags_version(
    renders: Any, builds: Builds, backend: str, tmp_path: Path
) -> None:
    """A source archive has no .git: git writes the commit and the tag into
    .git_archival.txt (export-subst), where the version plugin reads them."""
    project = renders(representative(build_backend=backend, version_source="tag"))
    released = builds(project, TAG)
    archive = tmp_path / "source.tar"
    run("git", "archive", f"--output={archive}", TAG, cwd=released)
    source = tmp_path / "source"
    with tarfile.open(archive) as opened:
        opened.extractall(source, filter="data")
    assert not (source / ".git").exists()
    archival = (source / ".git_archival.txt").read_text(encoding="utf-8")
    assert f"describe-name: {TAG}\n" in archival
    # As CI's build job builds, from the archive as a packager has it.
    ci = job_run_steps(released / ".github/workflows/ci.yml", "build")
    (build,) = [s for s in ci if s.script.startswith("uv build")]
    result = run_step(source, build, "main")
    assert result.returncode == 0, result.stderr
    assert [f.name for f in distributions(source / "dist")] == [WHEEL, SDIST]


# --- Switching on `copier update` ------------------------------------------------


def switch(project: Path, version_source: str) -> None:
    update(project, f"--data=version_source={version_source}")
    assert_no_conflicts(project)
    commit_all(project, f"Take the version from {version_source}")


@pytest.mark.slow
def test_switching_to_the_tag_on_update_builds_the_tags_version(
    template_repo: Path, tmp_path: Path
) -> None:
    project = copy_project(
        template_repo, tmp_path / "made", "HEAD", {"build_backend": "hatchling"}
    )
    pyproject = project / "pyproject.toml"
    # Released twice already: a dependency, and the version bumped.
    edited = pyproject.read_text().replace(
        "dependencies = []", 'dependencies = ["attrs>=23"]'
    )
    pyproject.write_text(edited.replace('version = "0.1.0"', 'version = "1.9.0"'))
    run("git", "commit", "--quiet", "--all", "-m", "release 1.9.0", cwd=project)

    # The migration hands the bumped line back: no conflict on it.
    switch(project, "tag")
    data = load_toml(pyproject)
    assert data["project"]["dependencies"] == ["attrs>=23"]
    assert data["project"]["dynamic"] == ["version"]
    assert "version" not in data["project"]
    run("git", "tag", "v2.0.0", cwd=project)
    job = Job(project, tmp_path / "temp", "v2.0.0")
    job.run_all(job_run_steps(project / ".github/workflows/publish.yml", "build"))
    assert [f.name for f in distributions(project / "dist")] == [
        "acme_widget_tools-2.0.0-py3-none-any.whl",
        "acme_widget_tools-2.0.0.tar.gz",
    ]

    # uv_build alone is a valid answer, but not while the tag is the version:
    # Copier would replace the recorded `tag` by its default, a static
    # version, without a word. The update is undone, in one line.
    shutil.rmtree(project / "dist")
    before = snapshot(project)
    result = update(project, "--quiet", "--data=build_backend=uv_build", check=False)
    refusal = assert_refused_writing_nothing(result, project, before)
    assert refusal.startswith(
        "check_answers: Validation error for question 'version_source': "
    ), refusal
    assert "(the recorded version_source=tag, " in refusal

    # And back: a static version again, the user's edit kept.
    switch(project, "pyproject")
    data = load_toml(pyproject)
    assert data["project"]["version"] == "0.1.0"
    assert "dynamic" not in data["project"]
    assert data["project"]["dependencies"] == ["attrs>=23"]
    assert "hatch-vcs" not in str(data["build-system"]["requires"])


def test_switch_migration_refuses_unreadable_answers_in_one_line(
    tmp_path: Path,
) -> None:
    answers_file = tmp_path / ".copier-answers.yml"
    answers_file.write_text("- not\n- a mapping\n")
    result = run(
        sys.executable,
        REPO / "hooks/switch_version_source.py",
        answers_file,
        "tag",
        cwd=tmp_path,
        check=False,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"switch_version_source: {answers_file} is not a mapping of answers\n"
    )


def test_switching_a_uv_build_project_to_the_tag_is_refused_writing_nothing(
    releases: Path, tmp_path: Path
) -> None:
    """Refused before any migration writes: one line, and `git status` as
    clean as before (the static version, bumped, is not handed back)."""
    project = copy_project(releases, tmp_path / "made", NEWEST)
    assert answers(project)["github_owner"] != "acme-corp"  # to be carried forward
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"0.1.0"', '"1.9.0"', 1))
    commit_all(project, "release 1.9.0")

    result = update(project, "--quiet", "--data=version_source=tag", check=False)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    refusal = [line for line in result.stderr.splitlines() if line.startswith("check_")]
    assert refusal == [
        "check_answers: Validation error for question 'version_source': A version "
        "from the tag needs a backend with dynamic versions: hatchling (hatch-vcs) "
        "or setuptools (setuptools-scm); uv_build has none. (nothing was changed)"
    ]
    assert run("git", "status", "--porcelain", cwd=project).stdout == ""
    assert 'version = "1.9.0"' in pyproject.read_text()
