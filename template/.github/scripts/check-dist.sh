#!/usr/bin/env bash
# check-dist.sh VERSION DIR [--sha256sums FILE] [--attestations] [--github-output FILE]
#
# Passes only when DIR holds exactly one sdist and at least one wheel of one
# project, all of VERSION, and (with --attestations) each one's
# <file>.publish.attestation: nothing else, not even a hidden file. Every
# name must be of the characters distributions' names use
# ([A-Za-z0-9._+!-]), so no name is ever more than text to the shell.
# With --sha256sums, the sdist and wheels must be exactly the files FILE lists
# (sha256sum's format: the rebuild job's list), each with its sha256.
# With --github-output, the name and sha256 of each sdist and wheel are
# appended to FILE as the step output `sha256sums`, in sha256sum's format:
# the build jobs vouch for their own files this way.
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

usage="usage: check-dist.sh VERSION DIR [--sha256sums FILE] [--attestations] [--github-output FILE]"
version="${1:?${usage}}"
dir="${2:?${usage}}"
shift 2
sums=""
attestations=""
output=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --sha256sums) sums="${2:?${usage}}"; shift 2 ;;
    --attestations) attestations=1; shift ;;
    --github-output) output="${2:?${usage}}"; shift 2 ;;
    *) fail "unknown option" "$1" ;;
  esac
done

name_pattern='^[A-Za-z0-9._+!-]+$'
[[ "${version}" =~ ${name_pattern} ]] || fail "not a version" "${version}"

# Every entry, hidden ones included; each must be a plain file with a plain name.
files=()
for path in "${dir}"/*; do
  [[ "${path##*/}" =~ ${name_pattern} ]] \
    || fail "not a distribution's name (only letters, digits and ._+!- are)" "${path##*/}"
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

# Each sdist and wheel with its sha256, in sha256sum's format, by name.
declare -A digest=()
lines=()
for file in "${sdists[@]}" "${wheels[@]}"; do
  name="${file##*/}"
  digest["${name}"]="$(sha256sum -- "${file}" | cut -d' ' -f1)"
  lines+=("${digest["${name}"]}  ${name}")
done
if [ -n "${sums}" ]; then
  # The rebuild's list: well-formed lines, every name once, and exactly the
  # files here with their bytes. Names are only ever compared as text.
  declare -A rebuilt=()
  while IFS= read -r line || [ -n "${line}" ]; do
    [[ "${line}" =~ ^([0-9a-f]{64})\ [\ *]([A-Za-z0-9._+!-]+)$ ]] \
      || fail "not a line of sha256sum's output in the rebuild's list" "${line}"
    [ -z "${rebuilt["${BASH_REMATCH[2]}"]:-}" ] \
      || fail "listed twice in the rebuild's list" "${BASH_REMATCH[2]}"
    rebuilt["${BASH_REMATCH[2]}"]="${BASH_REMATCH[1]}"
  done < "${sums}"
  for file in "${sdists[@]}" "${wheels[@]}"; do
    name="${file##*/}"
    [ -n "${rebuilt["${name}"]:-}" ] || fail "not in the rebuild's list" "${name}"
    [ "${digest["${name}"]}" = "${rebuilt["${name}"]}" ] \
      || fail "other bytes than the rebuild made (sha256:${digest["${name}"]}, rebuilt sha256:${rebuilt["${name}"]})" "${name}"
  done
  missing=()
  for name in "${!rebuilt[@]}"; do
    [ -n "${digest["${name}"]:-}" ] || missing+=("${name}")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | LC_ALL=C sort)
    fail "rebuilt but not here" "${missing[@]}"
  fi
fi
if [ -n "${output}" ]; then
  {
    echo "sha256sums<<EOF"
    printf '%s\n' "${lines[@]}" | LC_ALL=C sort -k2
    echo EOF
  } >> "${output}"
fi
echo "${project} ${version}: ${files[*]##*/}"
