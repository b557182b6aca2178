#!/usr/bin/env bash
# check-environment.sh ENVIRONMENT
#
# Reads the publishing environment's protection through GitHub's API (gh, with
# GH_TOKEN and GITHUB_REPOSITORY as a workflow sets them) and warns, one line
# each, when a release could reach PyPI without the gate docs/releasing.md
# describes: no such environment yet (the first release would create it
# unprotected), no required reviewers, administrators allowed to bypass, or
# no rule limiting deployments to the `v*` tags. Warnings, not failures: the
# release rehearsal runs before the environment is finished.
set -euo pipefail

environment="${1:?usage: check-environment.sh ENVIRONMENT}"
repository="${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set: run this in a GitHub Actions job}"
# Environment names hold letters, digits, '.', '-', '_' and spaces.
path="repos/${repository}/environments/${environment// /%20}"

warn() { printf '::warning::environment "%s": %s\n' "${environment}" "$1"; }

if ! found="$(gh api "${path}" 2>&1)"; then
  case "${found}" in
    *"Not Found"*) warn "does not exist: the first release would create it without reviewers; create it as docs/releasing.md says" ;;
    *) warn "could not be read (${found//$'\n'/ })" ;;
  esac
  exit 0
fi
reviewers="$(jq '[.protection_rules[]? | select(.type == "required_reviewers") | .reviewers[]?] | length' <<< "${found}")"
[ "${reviewers}" -gt 0 ] || warn "has no required reviewers: anyone who can push a v* tag publishes without approval"
[ "$(jq '.can_admins_bypass' <<< "${found}")" != true ] \
  || warn "lets administrators bypass its protection rules: turn off \"Allow administrators to bypass configured protection rules\""
if [ "$(jq '.deployment_branch_policy.custom_branch_policies == true' <<< "${found}")" = true ]; then
  tags="$(gh api "${path}/deployment-branch-policies" --jq '[.branch_policies[]? | select(.type == "tag" and .name == "v*")] | length')"
else
  tags=0
fi
[ "${tags}" -gt 0 ] || warn "has no deployment rule for the tags v*: any branch or tag may deploy to it"
echo "Checked the protection of environment \"${environment}\""
