#!/usr/bin/env bash
# check-dist.sh VERSION DIR [--sha256sums FILE] [--attestations]
#
# Passes only when DIR holds exactly one sdist and at least one wheel of one
# project, all of VERSION, and (with --attestations) each one's
# <file>.publish.attestation: nothing else, not even a hidden file. With
# --sha256sums, the sdist and wheels must be exactly the files FILE lists
# (sha256sum's format: what the compare job compared), each with its sha256.
# The publish workflow runs it where the files are built, and again in the
# publish job before anything is signed, attested or uploaded: the job that
# holds the token must not believe what it downloads.
set -euo pipefail
shopt -s nullglob dotglob

fail() {
  # %q: a file name cannot end the line or start a workflow command.
  printf '::error::%s:' "$1"
  shift
  printf ' %q' "$@"
  printf '\n'
  exit 1
}

usage="usage: check-dist.sh VERSION DIR [--sha256sums FILE] [--attestations]"
version="${1:?${usage}}"
dir="${2:?${usage}}"
shift 2
sums=""
attestations=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --sha256sums) sums="${2:?${usage}}"; shift 2 ;;
    --attestations) attestations=1; shift ;;
    *) fail "unknown option" "$1" ;;
  esac
done

# A local version (a development build's +g<commit>) is never a release:
# PyPI refuses it.
[[ "${version}" != *+* ]] || fail "not a release version" "${version}"

# Every entry, hidden ones included; each must be a plain file.
files=()
for path in "${dir}"/*; do
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
if [ -n "${attestations}" ]; then
  for file in "${sdists[@]}" "${wheels[@]}"; do
    [ -f "${file}.publish.attestation" ] \
      || fail "no attestation for" "${file##*/}"
  done
  expected=$((expected * 2))
fi
[ "${#files[@]}" -eq "${expected}" ] \
  || fail "${project} ${version}: only its sdist and wheels may be uploaded, found" "${files[@]##*/}"
if [ -n "${sums}" ]; then
  # What the compare job compared, by name; every name listed once.
  declare -A compared=()
  while IFS= read -r line || [ -n "${line}" ]; do
    [[ "${line}" =~ ^([0-9a-f]{64})\ [\ *]([^/]+)$ ]] \
      || fail "not a line of sha256sum's output in the compared list" "${line}"
    [ -z "${compared["${BASH_REMATCH[2]}"]:-}" ] \
      || fail "listed twice in the compared list" "${BASH_REMATCH[2]}"
    compared["${BASH_REMATCH[2]}"]="${BASH_REMATCH[1]}"
  done < "${sums}"
  for file in "${sdists[@]}" "${wheels[@]}"; do
    name="${file##*/}"
    [ -n "${compared["${name}"]:-}" ] || fail "not compared with the rebuild" "${name}"
    digest="$(sha256sum "${file}" | cut -d' ' -f1)"
    [ "${digest}" = "${compared["${name}"]}" ] \
      || fail "other bytes than the compare job compared (sha256:${digest}, compared sha256:${compared["${name}"]})" "${name}"
    unset "compared[${name}]"
  done
  [ "${#compared[@]}" -eq 0 ] || fail "compared but not downloaded" "${!compared[@]}"
fi
echo "${project} ${version}: ${files[*]##*/}"
