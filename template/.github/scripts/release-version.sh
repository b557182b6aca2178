#!/usr/bin/env bash
# release-version.sh
#
# The one reading of the release tag, the first step of every release job:
# the run must be for a tag, and its name must be `v` followed by a
# normalized PEP 440 version without a local part (v1.2.3, v1.0.0rc1,
# v1.0.post1, v2.0.dev3, v1!2.0): exactly how the file names spell the
# version, and how PyPI keeps it. Writes `version=<the version>` to
# GITHUB_OUTPUT; later steps take that checked value, never the tag's text,
# which git lets hold `$`, `(`, `{` and other shell characters.
# A rehearsal (a workflow_dispatch run, on a branch that has no tag) names
# its version in REHEARSAL_VERSION, the run's input, checked the same way.
set -euo pipefail

fail() {
  # %q: a tag cannot end the line or start a workflow command.
  printf '::error::%s: %q\n' "$1" "$2"
  exit 1
}

ref="${GITHUB_REF:?GITHUB_REF is not set: run this in a GitHub Actions job}"
if [ "${GITHUB_EVENT_NAME:-}" = workflow_dispatch ]; then
  tag="v${REHEARSAL_VERSION:-}"
else
  [[ "${ref}" == refs/tags/* ]] || fail "a release runs for a tag, not" "${ref}"
  tag="${ref#refs/tags/}"
fi
number='(0|[1-9][0-9]*)'
normalized="^v([1-9][0-9]*!)?${number}(\.${number})*((a|b|rc)${number})?(\.post${number})?(\.dev${number})?$"
[[ "${tag}" =~ ${normalized} ]] \
  || fail "the tag must be v followed by a normalized PEP 440 version (v1.2.3, v1.0.0rc1, v1.0.post1), not" "${tag}"
version="${tag#v}"
echo "version=${version}" >> "${GITHUB_OUTPUT:?}"
if [ "${GITHUB_EVENT_NAME:-}" = workflow_dispatch ]; then
  printf 'Rehearsing version %s at %q (%s): nothing is uploaded\n' "${version}" "${ref}" "${GITHUB_SHA:-}"
else
  echo "Releasing version ${version} (tag ${tag})"
fi
