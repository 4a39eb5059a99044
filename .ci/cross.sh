#!/usr/bin/env bash
# CI step: type-check and lint ferrio for the kqueue systems, which no machine here can run,
# for Android (epoll like Linux, but its own std modules and libc items), for the other Linux
# flavours (musl, 32-bit, aarch64) and for illumos (poll(2)).
#
# For every target below: `cargo clippy --all-targets --all-features` with `-D warnings` (for
# rustc and clippy), once with the target's own backend (kqueue) and once with the poll(2)
# backend forced (`--cfg ferrio_force_poll`), so both compile wherever they may be chosen.
#
# Everything runs on rustup's stable toolchain (the one that also lints the host), so every
# target sees the same lints. A target's standard library comes from rustup where rustup
# serves it (`rustup target add`: seconds); where it does not (tier-3 targets such as OpenBSD
# and DragonFly, and any target whose download is refused), std is built from stable's own
# `rust-src` component with `-Zbuild-std` (RUSTC_BOOTSTRAP=1 lets stable take the flag): about
# half a minute per target and pass, cold.
#
# Usage: bash .ci/cross.sh            (from anywhere; checks the clone the script is in)
# Env:   XTARGETS="t1 t2"    check only these targets
#        SKIP_FORCED_POLL=1  skip the forced poll(2) pass
#        POLL_TARGETS="t1 t2" targets that also get the forced poll(2) pass
#        XT_TARGET_DIR=dir   where build artifacts go (default: outside the clone, kept warm)
#        STEP_TIMEOUT=secs   limit for one install or check step (default 900)
#
# Timings on the project's 2-core machine: warm (artifacts in XT_TARGET_DIR) ~15 s for all
# steps; cold 2m12s (measured while two other builds ran), most of it the four -Zbuild-std
# targets (x86_64-apple-ios and i686-unknown-freebsd, whose downloads this machine's rustup is
# refused, OpenBSD and DragonFly).
set -euo pipefail

CRATE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$CRATE_DIR"

# Checked on every run. Every kqueue one has EVFILT_USER.
# i686-unknown-freebsd stands for the 32-bit systems (32-bit time_t, intptr_t and c_long).
# arm-linux-androideabi has no 64-bit atomics (sys/unix/atomic64.rs); x86_64-unknown-linux-musl
# has its own libc items (a pointer pthread_t, a deprecated time_t); i686-unknown-linux-gnu and
# aarch64-unknown-linux-gnu are the other word size and architecture of epoll; illumos runs the
# poll(2) backend.
TARGETS="x86_64-apple-darwin aarch64-apple-darwin x86_64-apple-ios aarch64-apple-ios
x86_64-unknown-freebsd i686-unknown-freebsd x86_64-unknown-netbsd x86_64-unknown-openbsd
x86_64-unknown-dragonfly aarch64-linux-android arm-linux-androideabi x86_64-unknown-linux-musl
i686-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-illumos"
# tvOS, visionOS and watchOS (tier 3, same Apple code paths as macOS and iOS) are not checked.
XTARGETS=${XTARGETS:-$TARGETS}
# The forced poll(2) pass is the same portable code everywhere; one Apple and one BSD target
# catch what differs between them (libc types, missing pipe2/accept4) at a quarter of the cost.
POLL_TARGETS=${POLL_TARGETS:-"x86_64-apple-darwin x86_64-unknown-netbsd"}
STEP_TIMEOUT=${STEP_TIMEOUT:-900}
XT_TARGET_DIR=${XT_TARGET_DIR:-${HOME:-/root}/.cache/ferrio-ci/xtarget}
TOOLCHAIN=stable

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
# clippy and rust-src for the toolchain; nothing from apt.
for component in clippy rust-src; do
  if ! rustup component list --installed --toolchain "$TOOLCHAIN" 2>/dev/null | grep -q "^$component"; then
    step "rustup component add $component" rustup component add --toolchain "$TOOLCHAIN" "$component"
  fi
done

# std_from TARGET: "rustup" when rustup has (or now adds) the target's standard library,
# "build-std" otherwise.
std_from() {
  if rustup target list --installed --toolchain "$TOOLCHAIN" | grep -qx "$1"; then
    echo rustup
  elif timeout --kill-after=30 300 rustup target add --toolchain "$TOOLCHAIN" "$1" >/dev/null 2>&1; then
    echo rustup
  else
    echo build-std
  fi
}

# ------------------------------------------------------------------ type-checks ---
xcheck() {
  local dir=$1 flags=$2 target=$3 from=$4
  local zflags=()
  if [ "$from" = build-std ]; then zflags=(-Zbuild-std); fi
  step "clippy --target $target (std: $from), RUSTFLAGS=\"$flags\"" env RUSTC_BOOTSTRAP=1 \
    CARGO_TARGET_DIR="$dir" RUSTFLAGS="$flags" \
    cargo "+$TOOLCHAIN" clippy -q "${zflags[@]}" --target "$target" --all-targets --all-features \
    -- -D warnings
}

# Every step runs even after a failure, so one run names every target that breaks.
total=$SECONDS
failed=()
for t in $XTARGETS; do
  # Separate target directories: a change of RUSTFLAGS rebuilds std, so the two passes would
  # otherwise evict each other's std on every run.
  from=$(std_from "$t")
  xcheck "$XT_TARGET_DIR/native" "-D warnings" "$t" "$from" || failed+=("$t")
  if [ "${SKIP_FORCED_POLL:-0}" != 1 ] && [[ " $POLL_TARGETS " == *" $t "* ]]; then
    xcheck "$XT_TARGET_DIR/forced-poll" "-D warnings --cfg ferrio_force_poll" "$t" "$from" \
      || failed+=("$t (forced poll)")
  fi
done
# An unsupported target must stop at ferrio's one compile_error!, naming the target, and at
# nothing else (no pile of unresolved names). "error" lines: the compile_error and cargo's
# closing "could not compile".
unsupported=wasm32-unknown-unknown
echo "=== unsupported target $unsupported: expect one compile_error"
out=$(timeout --kill-after=30 "$STEP_TIMEOUT" env RUSTC_BOOTSTRAP=1 \
  CARGO_TARGET_DIR="$XT_TARGET_DIR/unsupported" \
  cargo "+$TOOLCHAIN" check -q $([ "$(std_from "$unsupported")" = build-std ] && echo -Zbuild-std) \
  --target "$unsupported" --lib 2>&1 || true)
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
