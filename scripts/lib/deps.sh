# shellcheck shell=bash
# Debian 12 packages the whole project needs (build, tests, benchmarks, local stack).
#
# Source this file, then call:
#   bourse_ensure_packages              # everything in BOURSE_PACKAGES
#   bourse_ensure_packages pkg1 pkg2    # just these
# Missing packages are installed with apt-get (sudo only when not root); `apt-get update`
# runs only when something is missing, so a call with everything present costs one
# dpkg-query (a few tens of milliseconds).
#
# Installing mariadb-server normally starts a system MariaDB on 3306. We never use it
# (scripts/stack runs its own mariadbd under .stack/), so a temporary policy-rc.d asks
# the maintainer scripts not to start any service; if a system one starts anyway
# (e.g. a policy-rc.d already present), that is harmless.
#
# Can also be executed directly: `scripts/lib/deps.sh [pkg...]`.

# Compilers, build tools and -dev packages.
BOURSE_BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  librdkafka-dev libsoci-dev default-libmysqlclient-dev libfmt-dev
  catch2 libbenchmark-dev libcli11-dev libtomlplusplus-dev libjemalloc-dev
)
# What scripts/stack needs to run MariaDB and a Kafka broker locally.
BOURSE_STACK_PACKAGES=(
  mariadb-server mariadb-client kcat openjdk-17-jre-headless maven curl procps
)
# Only for scripts/fuzz (not part of BOURSE_PACKAGES): clang and its libFuzzer and
# sanitizer runtimes.
BOURSE_FUZZ_PACKAGES=(clang libclang-rt-14-dev)
# Everything.
BOURSE_PACKAGES=("${BOURSE_BUILD_PACKAGES[@]}" "${BOURSE_STACK_PACKAGES[@]}")

# Prints the names among "$@" that are not fully installed, one per line.
bourse_missing_packages() {
  local -A installed=()
  local name status
  # One dpkg-query for all names; unknown names only produce a message on stderr.
  while read -r name status; do
    [[ "$status" == "ii" ]] && installed["${name%%:*}"]=1
  done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null || true)
  for name in "$@"; do
    [[ -n "${installed[$name]:-}" ]] || printf '%s\n' "$name"
  done
}

bourse_ensure_packages() {
  local -a wanted=("$@")
  ((${#wanted[@]})) || wanted=("${BOURSE_PACKAGES[@]}")
  local -a missing=()
  mapfile -t missing < <(bourse_missing_packages "${wanted[@]}")
  ((${#missing[@]})) || return 0

  local -a sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "deps: missing packages (${missing[*]}) and not root and no sudo: install them first" >&2
      return 1
    fi
    sudo=(sudo)
  fi

  echo "deps: installing ${missing[*]}" >&2
  # Keep maintainer scripts from starting services (mariadb-server would start a system
  # MariaDB on 3306). Only if no policy-rc.d exists: never replace the machine's own.
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [[ ! -e "$policy" ]]; then
    if printf '#!/bin/sh\n# temporary, from bourse scripts/lib/deps.sh\nexit 101\n' \
        | "${sudo[@]}" tee "$policy" >/dev/null && "${sudo[@]}" chmod 755 "$policy"; then
      made_policy=1
    fi
  fi

  local rc=0
  {
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      --no-install-recommends -o Dpkg::Options::=--force-confdef \
      -o Dpkg::Options::=--force-confold "${missing[@]}"
  } >&2 || rc=$?

  if ((made_policy)); then "${sudo[@]}" rm -f "$policy" || true; fi
  if ((rc != 0)); then
    echo "deps: apt-get failed (exit $rc) installing: ${missing[*]}" >&2
    return "$rc"
  fi
  mapfile -t missing < <(bourse_missing_packages "${missing[@]}")
  if ((${#missing[@]})); then
    echo "deps: still missing after apt-get: ${missing[*]}" >&2
    return 1
  fi
  return 0
}

# Executed rather than sourced: ensure the given packages (default: all).
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  bourse_ensure_packages "$@"
fi
