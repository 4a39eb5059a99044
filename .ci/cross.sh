#!/usr/bin/env bash
# CI step: type-check and lint ferrio for the kqueue systems, which no machine here can run,
# and for Android (epoll like Linux, but its own std modules and libc items).
#
# For every target below: `cargo clippy --all-targets --all-features` with `-D warnings` (for
# rustc and clippy), once with the target's own backend (kqueue) and once with the poll(2)
# backend forced (`--cfg ferrio_force_poll`), so both compile wherever they may be chosen.
#
# rustup has only the host's standard library, so std is built from source (`-Zbuild-std`)
# with Debian's rustc-web toolchain, its std sources (rust-web-src) and its clippy
# (rust-web-clippy), which this script installs when missing. The rustup toolchain first on
# PATH is left alone: only this script's commands put /usr/bin first.
#
# Targets whose std cannot be checked this way are left out (see TARGETS below).
#
# Usage: bash .ci/cross.sh            (from anywhere; checks the clone the script is in)
# Env:   XTARGETS="t1 t2"    check only these targets
#        SKIP_INSTALL=1      do not apt-get anything
#        SKIP_FORCED_POLL=1  skip the forced poll(2) pass
#        POLL_TARGETS="t1 t2" targets that also get the forced poll(2) pass
#        XT_TARGET_DIR=dir   where build artifacts go (default: outside the clone, kept warm)
#        STEP_TIMEOUT=secs   limit for one install or check step (default 900)
#
# Timings on the project's 2-core machine (shared with other jobs, load ~5): warm (artifacts
# in XT_TARGET_DIR, the usual case on a machine that ran it before) ~15 s for all steps; cold
# 7 min on a quiet machine and up to ~18 min on a loaded one, nearly all of it building std
# from source, once per target and pass (30-100 s each), plus ~25 s of apt-get on a machine
# without the packages. SKIP_FORCED_POLL=1 saves two of those std builds.
set -euo pipefail

CRATE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$CRATE_DIR"

# Checked on every run. Every kqueue one has EVFILT_USER; all build std from rust-web-src.
# i686-unknown-freebsd stands for the 32-bit systems (32-bit time_t, intptr_t and c_long).
TARGETS="x86_64-apple-darwin aarch64-apple-darwin x86_64-apple-ios x86_64-unknown-freebsd
i686-unknown-freebsd x86_64-unknown-netbsd x86_64-unknown-openbsd x86_64-unknown-dragonfly
aarch64-linux-android"
# Every target tried builds its std this way, so none is left out. tvOS, visionOS and
# watchOS (tier 3, same Apple code paths as macOS and iOS) are not checked.
XTARGETS=${XTARGETS:-$TARGETS}
# The forced poll(2) pass is the same portable code everywhere; one Apple and one BSD target
# catch what differs between them (libc types, missing pipe2/accept4) at a quarter of the cost.
POLL_TARGETS=${POLL_TARGETS:-"x86_64-apple-darwin x86_64-unknown-netbsd"}
STEP_TIMEOUT=${STEP_TIMEOUT:-900}
XT_TARGET_DIR=${XT_TARGET_DIR:-${HOME:-/root}/.cache/ferrio-ci/xtarget}

# step LABEL COMMAND...: runs COMMAND under the time limit and reports how long it took.
step() {
  local label=$1 start=$SECONDS
  shift
  echo "=== $label"
  local rc=0
  timeout --kill-after=30 "$STEP_TIMEOUT" "$@" || rc=$?
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "    timed out after $STEP_TIMEOUT s"
  fi
  echo "    ($((SECONDS - start)) s, exit $rc)"
  return "$rc"
}

# ---------------------------------------------------------------------------- install ---
# rustc-web, cargo-web, rust-web-clippy and rust-web-src (Debian bookworm-security) put a
# newer rustc, cargo and clippy in /usr/bin and the std sources in /usr/lib/rustlib/src/rust.
if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  need=()
  for p in rustc-web cargo-web rust-web-src rust-web-clippy; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    # Other jobs on the machine may hold the dpkg lock for a while: wait for it.
    step "apt-get update" apt-get -o DPkg::Lock::Timeout=300 update -qq
    step "apt-get install ${need[*]}" apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${need[@]}" \
      >/dev/null
  fi
fi

# ------------------------------------------------------------------ type-checks ---
# Debian's cargo takes -Z flags as they are; its rustc needs RUSTC_BOOTSTRAP=1 for the ones
# build-std passes. RUSTC, and /usr/bin first on PATH (for cargo-clippy), keep cargo from
# picking rustup's tools, whose toolchain has no std sources. std itself is compiled by plain
# rustc; only ferrio goes through clippy.
xcheck() {
  local dir=$1 flags=$2 target=$3
  step "clippy --target $target, RUSTFLAGS=\"$flags\"" env PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc \
    RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$dir" RUSTFLAGS="$flags" \
    /usr/bin/cargo clippy -q -Zbuild-std --target "$target" --all-targets --all-features \
    -- -D warnings
}

# Every step runs even after a failure, so one run names every target that breaks.
total=$SECONDS
failed=()
for t in $XTARGETS; do
  # Separate target directories: a change of RUSTFLAGS rebuilds std, so the two passes would
  # otherwise evict each other's std on every run.
  xcheck "$XT_TARGET_DIR/native" "-D warnings" "$t" || failed+=("$t")
  if [ "${SKIP_FORCED_POLL:-0}" != 1 ] && [[ " $POLL_TARGETS " == *" $t "* ]]; then
    xcheck "$XT_TARGET_DIR/forced-poll" "-D warnings --cfg ferrio_force_poll" "$t" \
      || failed+=("$t (forced poll)")
  fi
done
# An unsupported target must stop at ferrio's one compile_error!, naming the target, and at
# nothing else (no pile of unresolved names). "error" lines: the compile_error and cargo's
# closing "could not compile".
unsupported=wasm32-unknown-unknown
echo "=== unsupported target $unsupported: expect one compile_error"
out=$(timeout --kill-after=30 "$STEP_TIMEOUT" env PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc \
  RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$XT_TARGET_DIR/unsupported" \
  /usr/bin/cargo check -q -Zbuild-std=core,alloc,std --target "$unsupported" --lib 2>&1 || true)
errors=$(grep -c '^error' <<<"$out" || true)
if grep -q "ferrio does not support the target .$unsupported." <<<"$out" && [ "$errors" = 2 ]; then
  echo "    ok: one compile_error naming $unsupported"
else
  echo "$out" | head -n 30
  failed+=("$unsupported (expected exactly one compile_error)")
fi

if [ ${#failed[@]} -gt 0 ]; then
  printf '=== FAILED: %s\n' "${failed[@]}"
  echo "=== cross checks failed ($((SECONDS - total)) s)"
  exit 1
fi
echo "=== cross checks passed ($((SECONDS - total)) s)"
