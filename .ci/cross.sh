#!/usr/bin/env bash
# CI step: type-check ferrio for the kqueue systems, which no machine here can run.
#
# For every target below: `cargo check --all-targets --all-features` with `-D warnings`, once
# with the target's own backend (kqueue) and once with the poll(2) backend forced
# (`--cfg ferrio_force_poll`), so both compile wherever they may be chosen.
#
# rustup has only the host's standard library, so std is built from source (`-Zbuild-std`)
# with Debian's rustc-web toolchain and its std sources (rust-web-src), which this script
# installs when missing. The rustup toolchain first on PATH is left alone.
#
# Targets whose std cannot be checked this way are left out (see TARGETS below).
#
# Usage: bash .ci/cross.sh            (from anywhere; checks the clone the script is in)
# Env:   XTARGETS="t1 t2"    check only these targets
#        SKIP_INSTALL=1      do not apt-get anything
#        SKIP_FORCED_POLL=1  skip the forced poll(2) pass
#        XT_TARGET_DIR=dir   where build artifacts go (default: outside the clone, kept warm)
#        STEP_TIMEOUT=secs   limit for one install or check step (default 900)
#
# Timings on the project's 2-core machine: see the comment at the end of this file.
set -euo pipefail

CRATE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$CRATE_DIR"

# Checked on every run. Every one of these has EVFILT_USER and builds std from rust-web-src.
TARGETS="x86_64-apple-darwin aarch64-apple-darwin x86_64-apple-ios x86_64-unknown-freebsd
x86_64-unknown-netbsd x86_64-unknown-openbsd x86_64-unknown-dragonfly"
# Left out:
#   (none so far)
XTARGETS=${XTARGETS:-$TARGETS}
STEP_TIMEOUT=${STEP_TIMEOUT:-900}
XT_TARGET_DIR=${XT_TARGET_DIR:-${HOME:-/root}/.cache/ferrio-ci/xtarget}

step() {
  echo "=== $*"
  local start=$SECONDS
  timeout --kill-after=30 "$STEP_TIMEOUT" "$@"
  echo "    ($((SECONDS - start)) s)"
}

# ---------------------------------------------------------------------------- install ---
# rustc-web, cargo-web and rust-web-src (Debian bookworm-security) put a newer rustc and cargo
# in /usr/bin and the std sources in /usr/lib/rustlib/src/rust.
if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  need=()
  for p in rustc-web cargo-web rust-web-src; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    # Other jobs on the machine may hold the dpkg lock for a while: wait for it.
    step apt-get -o DPkg::Lock::Timeout=300 update -qq
    step apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${need[@]}"
  fi
fi

# ------------------------------------------------------------------ type-checks ---
# Debian's cargo takes -Z flags as they are; its rustc needs RUSTC_BOOTSTRAP=1 for the ones
# build-std passes. RUSTC is set so that cargo does not pick rustup's rustc from PATH, which
# has no std sources.
xcheck() {
  local dir=$1 flags=$2 target=$3
  step env RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
    CARGO_TARGET_DIR="$dir" RUSTFLAGS="$flags" \
    /usr/bin/cargo check -q -Zbuild-std --target "$target" --all-targets --all-features
}

total=$SECONDS
for t in $XTARGETS; do
  # Separate target directories: a change of RUSTFLAGS rebuilds std, so the two passes would
  # otherwise evict each other's std on every run.
  xcheck "$XT_TARGET_DIR/native" "-D warnings" "$t"
  if [ "${SKIP_FORCED_POLL:-0}" != 1 ]; then
    xcheck "$XT_TARGET_DIR/forced-poll" "-D warnings --cfg ferrio_force_poll" "$t"
  fi
done
echo "=== cross type-checks passed ($((SECONDS - total)) s)"

# Timings (2 cores, shared): see report.
