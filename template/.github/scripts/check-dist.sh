#!/usr/bin/env bash
# check-dist.sh VERSION DIR [--attestations]
#
# Passes only when DIR holds exactly one sdist and at least one wheel of one
# project, all of VERSION, and (with --attestations) each one's
# <file>.publish.attestation: nothing else. The publish workflow runs it where
# the files are built and again where they are uploaded, since the job that
# uploads must not believe what it downloads.
set -euo pipefail
shopt -s nullglob

version="${1:?usage: check-dist.sh VERSION DIR [--attestations]}"
dir="${2:?usage: check-dist.sh VERSION DIR [--attestations]}"
attestations="${3:-}"

fail() {
  # %q: a file name cannot end the line or start a workflow command.
  printf '::error::%s:' "$1"
  shift
  printf ' %q' "$@"
  printf '\n'
  exit 1
}

files=("${dir}"/*)
sdists=("${dir}"/*-"${version}".tar.gz)
[ "${#sdists[@]}" -eq 1 ] \
  || fail "version ${version} needs exactly one sdist, found" "${files[@]##*/}"
sdist="${sdists[0]##*/}"
project="${sdist%-"${version}".tar.gz}"
wheels=("${dir}/${project}-${version}"-*.whl)
[ "${#wheels[@]}" -ge 1 ] \
  || fail "version ${version} has no wheel of ${project}, found" "${files[@]##*/}"

expected=$((1 + ${#wheels[@]}))
if [ "${attestations}" = "--attestations" ]; then
  for file in "${sdists[@]}" "${wheels[@]}"; do
    [ -f "${file}.publish.attestation" ] \
      || fail "no attestation for" "${file##*/}"
  done
  expected=$((expected * 2))
elif [ -n "${attestations}" ]; then
  fail "unknown option" "${attestations}"
fi
[ "${#files[@]}" -eq "${expected}" ] \
  || fail "${project} ${version}: only its sdist and wheels may be uploaded, found" "${files[@]##*/}"
echo "${project} ${version}: ${files[*]##*/}"
