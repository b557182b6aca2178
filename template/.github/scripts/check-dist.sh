#!/usr/bin/env bash
# check-dist.sh VERSION DIR [--attestations]
#
# Passes only when DIR holds exactly one sdist and at least one wheel of one
# project, all of VERSION, and (with --attestations) each one's
# <file>.publish.attestation: nothing else. The publish workflow runs it where
# the files are built and again where they are uploaded, since the job that
# uploads must not believe what it downloads.
set -euo pipefail
shopt -s nullglob dotglob

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

# A local version (a development build's +g<commit>) is never a release:
# PyPI refuses it.
[[ "${version}" != *+* ]] || fail "not a release version" "${version}"

# Every entry, hidden ones included, but the .gitignore uv writes where it
# builds (the artifact leaves it out); each must be a plain file.
files=()
for path in "${dir}"/*; do
  [ "${path##*/}" = .gitignore ] && continue
  { [ -f "${path}" ] && [ ! -L "${path}" ]; } || fail "not a plain file" "${path##*/}"
  files+=("${path}")
done

sdists=("${dir}"/*-"${version}".tar.gz)
[ "${#sdists[@]}" -eq 1 ] \
  || fail "version ${version} needs exactly one sdist (the tag, less its v, must spell the version as the file names do), found" "${files[@]##*/}"
sdist="${sdists[0]##*/}"
project="${sdist%-"${version}".tar.gz}"
[[ "${project}" =~ ^[a-z0-9_]+$ ]] \
  || fail "not a normalized project name in the sdist's name" "${sdist}"
wheels=()
for path in "${dir}/${project}-${version}"-*.whl; do
  # name-version(-build)?-python-abi-platform.whl, and a zip archive
  tags="${path##*/"${project}-${version}"-}"
  [[ "${tags}" =~ ^([0-9][A-Za-z0-9_]*-)?[A-Za-z0-9_.]+-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+\.whl$ ]] \
    || fail "not a wheel's file name" "${path##*/}"
  [ "$(head -c 4 "${path}" | od -An -tx1 | tr -d ' \n')" = 504b0304 ] \
    || fail "not a zip archive" "${path##*/}"
  wheels+=("${path}")
done
[ "${#wheels[@]}" -ge 1 ] \
  || fail "version ${version} has no wheel of ${project}, found" "${files[@]##*/}"
[ "$(head -c 2 "${sdists[0]}" | od -An -tx1 | tr -d ' \n')" = 1f8b ] \
  || fail "not a gzip archive" "${sdist}"

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
