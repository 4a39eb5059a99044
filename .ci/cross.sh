#!/usr/bin/env bash
# CI step: type-check and lint ferrio for every target mio 1.2.5's CI checks (issue 17), none
# of which this machine runs except the Linux ones (.ci/native-targets runs those): the kqueue
# systems, Android and the other Linux flavours (epoll), Emscripten, Redox and illumos (epoll, as
# mio has them), Solaris (event ports), the poll(2) systems (Fuchsia, QNX, Haiku, GNU/Hurd,
# Vita, the 3DS, ESP-IDF, Hermit...), and WASI (preview 1 on `poll_oneoff`, preview 2 on
# poll(2); .ci/wasi runs their tests).
#
# The TARGETS table below says, for each target, the backend build.rs must pick (checked
# against the build script's output) and how the target is checked:
#   all          `cargo clippy --all-targets --all-features`, then `--lib --no-default-features`
#                (the tests and examples need the default features), both with `-D warnings`;
#   lib          the same two passes with `--lib` only, where the tests cannot be built (the
#                table says why);
#   unsupported  `cargo check --lib` must stop at ferrio's one compile_error naming the target;
#   skip         not checked here; the table says why (printed on every run).
# The POLL_TARGETS also get the `all` pass with the poll(2) backend forced
# (`--cfg ferrio_force_poll`), so it compiles wherever it may be chosen.
#
# Everything runs on rustup's stable toolchain (the one that also lints the host), so every
# target sees the same lints. A target's standard library comes from rustup where rustup
# serves it (`rustup target add`: seconds); where it does not (tier-3 targets, and targets
# whose download this machine's mirror refuses: x86_64-apple-ios, i686-unknown-freebsd,
# arm-linux-androideabi, Solaris), std is built from stable's own `rust-src` component with
# `-Zbuild-std` (RUSTC_BOOTSTRAP=1 lets stable take the flag): 30-90 s per target, cold, and
# about 220 MB of artifacts each.
#
# Usage: bash .ci/cross.sh            (from anywhere; checks the clone the script is in)
# Env:   XTARGETS="t1 t2"    check only these targets (of the table)
#        SKIP_FORCED_POLL=1  skip the forced poll(2) pass
#        POLL_TARGETS="t1 t2" targets that also get the forced poll(2) pass
#        XT_TARGET_DIR=dir   where build artifacts go (default: outside the clone, kept warm)
#        STEP_TIMEOUT=secs   limit for one install or check step (default 900)
#
# Timings on the project's 2-core machine, measured 2026-12-05 (every step prints its seconds,
# the run its total, and a summary table per target): cold 9m21s with the machine otherwise
# quiet (18m30s while three other builds ran), nearly all of it building std for the 22
# -Zbuild-std targets (20-25 s each); warm with nothing changed 68 s; warm after a change to
# src/ (every target re-checks ferrio, tests included) 2m40s (4 minutes while other builds
# ran). About 7 GB of artifacts. The 3DS and ESP-IDF rows, `skip` until then, add about a
# minute each cold (std built from rust-src: 57 s and 63 s measured) and 1-2 s warm.
# Should the cold run outgrow its budget, the `all` rows of the -Zbuild-std targets are the ones
# to turn into `lib` (that skips building the `test` crate and the tests, about a third of
# their time).
set -euo pipefail

CRATE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$CRATE_DIR"

# TARGET               BACKEND  CHECK   why (for lib, unsupported and skip: printed; no quotes)
TARGETS='
x86_64-apple-darwin             kqueue  all
aarch64-apple-darwin            kqueue  all
x86_64-apple-ios                kqueue  all
aarch64-apple-ios               kqueue  all
aarch64-apple-tvos              kqueue  all
aarch64-apple-visionos          kqueue  all
aarch64-apple-watchos           kqueue  all
arm64_32-apple-watchos          kqueue  all
x86_64-unknown-freebsd          kqueue  all
aarch64-unknown-freebsd         kqueue  all
i686-unknown-freebsd            kqueue  all
x86_64-unknown-netbsd           kqueue  all
aarch64-unknown-netbsd          kqueue  all
x86_64-unknown-openbsd          kqueue  all
aarch64-unknown-openbsd         kqueue  all
x86_64-unknown-dragonfly        kqueue  all
x86_64-unknown-linux-gnu        epoll   all
aarch64-unknown-linux-gnu       epoll   all
i686-unknown-linux-gnu          epoll   all
x86_64-unknown-linux-musl       epoll   all
aarch64-unknown-linux-musl      epoll   all
aarch64-linux-android           epoll   all
arm-linux-androideabi           epoll   all
x86_64-unknown-redox            epoll   all
aarch64-unknown-redox           epoll   all
wasm32-unknown-emscripten       epoll   lib   the dev-dependency socket2 0.5 does not compile for Emscripten (no IovLen)
x86_64-unknown-illumos          epoll   all
x86_64-pc-solaris               ports   all
sparcv9-sun-solaris             ports   all
x86_64-unknown-fuchsia          poll    all
aarch64-unknown-fuchsia         poll    all
x86_64-pc-nto-qnx710            poll    all
aarch64-unknown-nto-qnx710      poll    all
x86_64-unknown-haiku            poll    all
i686-unknown-hurd-gnu           poll    all
armv7-sony-vita-newlibeabihf    poll    all
x86_64-pc-cygwin                poll    all
x86_64-pc-windows-msvc          iocp    skip  checked by .ci/windows.sh: clippy (library, tests, examples) and rustdoc
x86_64-pc-windows-gnu           iocp    skip  checked by .ci/windows.sh
i686-pc-windows-gnu             iocp    skip  checked by .ci/native-targets
x86_64-unknown-hermit           poll    lib   the dev-dependency socket2 0.5 does not support Hermit
aarch64-unknown-hermit          poll    lib   as x86_64-unknown-hermit
armv6k-nintendo-3ds             poll    lib   the dev-dependency socket2 0.5 does not build for Horizon (no SOCK_RAW, MSG_TRUNC, ...)
riscv32imc-esp-espidf           poll    lib   -Zbuild-std finds no panic_abort crate for the test harness, and the test helpers use signals its libc lacks (SIGKILL)
powerpc64-ibm-aix               poll    skip  std does not build from rust-src (1.95 and nightly 1.97: os/aix/fs.rs names stat fields libc 0.2.185 lacks)
aarch64-unknown-nuttx           poll    skip  std does not build from stable 1.95 rust-src (no _SC_HOST_NAME_MAX in its libc for NuttX)
wasm32-unknown-unknown          -       unsupported
wasm32-wasip1                   wasi    all
wasm32-wasip2                   poll    all
'
# What CI runs beyond the type-check, for the platform table of README.md and the crate docs
# (scripts/platform-table.py makes it from these two tables; its RUN_TEXT says what each word
# means): host = this machine's target (every step of .ci/run), native / native-both =
# .ci/native-targets, wine / wine-build = .ci/windows.sh and .ci/native-targets, unit /
# unit-ports = the backend's logic unit-tested on Linux, wasi-p1 / wasi-p2 = .ci/wasi.
RUNS='
x86_64-unknown-linux-gnu        host
x86_64-unknown-linux-musl       native
i686-unknown-linux-gnu          native-both
x86_64-apple-darwin             unit
aarch64-apple-darwin            unit
x86_64-apple-ios                unit
aarch64-apple-ios               unit
aarch64-apple-tvos              unit
aarch64-apple-visionos          unit
aarch64-apple-watchos           unit
arm64_32-apple-watchos          unit
x86_64-unknown-freebsd          unit
aarch64-unknown-freebsd         unit
i686-unknown-freebsd            unit
x86_64-unknown-netbsd           unit
aarch64-unknown-netbsd          unit
x86_64-unknown-openbsd          unit
aarch64-unknown-openbsd         unit
x86_64-unknown-dragonfly        unit
x86_64-pc-windows-gnu           wine
i686-pc-windows-gnu             wine-build
x86_64-pc-solaris               unit-ports
sparcv9-sun-solaris             unit-ports
wasm32-wasip1                   wasi-p1
wasm32-wasip2                   wasi-p2
'
# The forced poll(2) pass is the same portable code everywhere; one Apple and one BSD target
# catch what differs between them (libc types, missing pipe2/accept4) at a fraction of the cost.
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
# xclippy DIR RUSTFLAGS TARGET STD CARGO-ARGS...: clippy for TARGET, warnings denied.
xclippy() {
  local dir=$1 flags=$2 target=$3 from=$4
  shift 4
  local zflags=()
  if [ "$from" = build-std ]; then zflags=(-Zbuild-std); fi
  step "clippy --target $target $* (std: $from), RUSTFLAGS=\"$flags\"" env RUSTC_BOOTSTRAP=1 \
    CARGO_TARGET_DIR="$dir" RUSTFLAGS="$flags" \
    cargo "+$TOOLCHAIN" clippy -q "${zflags[@]}" --target "$target" "$@" -- -D warnings
}

# picked_backend DIR TARGET: the backend cfg ferrio's build script printed for TARGET.
picked_backend() {
  cat "$1/$2"/debug/build/ferrio-*/output 2>/dev/null |
    sed -n 's/^cargo:rustc-cfg=ferrio_\(epoll\|kqueue\|ports\|poll\|wasi\|windows\|unsupported\)$/\1/p' |
    sort -u | tr '\n' ' ' | sed 's/ $//'
}

# check_target TARGET BACKEND CHECK: the passes of one table row; fails if any pass fails or
# the build script picked another backend.
check_target() {
  local t=$1 backend=$2 how=$3 from rc=0
  from=$(std_from "$t")
  local dir="$XT_TARGET_DIR/native" scope=(--all-targets)
  if [ "$how" = lib ]; then scope=(--lib); fi
  xclippy "$dir" "-D warnings" "$t" "$from" "${scope[@]}" --all-features || rc=1
  xclippy "$dir" "-D warnings" "$t" "$from" --lib --no-default-features || rc=1
  local picked
  picked=$(picked_backend "$dir" "$t")
  if [ "$picked" != "$backend" ]; then
    echo "    backend: build.rs picked '$picked', the table says '$backend'"
    rc=1
  fi
  if [ "${SKIP_FORCED_POLL:-0}" != 1 ] && [[ " $POLL_TARGETS " == *" $t "* ]]; then
    # A directory of its own: a change of RUSTFLAGS rebuilds std, so the two would otherwise
    # evict each other's std on every run.
    xclippy "$XT_TARGET_DIR/forced-poll" "-D warnings --cfg ferrio_force_poll" "$t" "$from" \
      --all-targets --all-features || rc=1
  fi
  return "$rc"
}

# check_unsupported TARGET: ferrio must stop at its one compile_error!, naming the target, and
# at nothing else (no pile of unresolved names). "error" lines: the compile_error and cargo's
# closing "could not compile".
check_unsupported() {
  local t=$1 out errors zflags=()
  if [ "$(std_from "$t")" = build-std ]; then zflags=(-Zbuild-std); fi
  echo "=== unsupported target $t: expect one compile_error"
  out=$(timeout --kill-after=30 "$STEP_TIMEOUT" env RUSTC_BOOTSTRAP=1 \
    CARGO_TARGET_DIR="$XT_TARGET_DIR/unsupported" \
    cargo "+$TOOLCHAIN" check -q "${zflags[@]}" --target "$t" --lib 2>&1 || true)
  errors=$(grep -c '^error' <<<"$out" || true)
  if grep -q "ferrio does not support the target .$t." <<<"$out" && [ "$errors" = 2 ]; then
    echo "    ok: one compile_error naming $t"
  else
    echo "$out" | head -n 30
    return 1
  fi
}

# Every target runs even after a failure, so one run names every target that breaks.
total=$SECONDS
failed=()
summary=()
selected=${XTARGETS:-}
while read -r t backend how why <&3; do
  [ -n "$t" ] || continue
  if [ -n "$selected" ] && [[ " $(echo $selected) " != *" $t "* ]]; then continue; fi
  start=$SECONDS
  result=ok
  case $how in
    all | lib) check_target "$t" "$backend" "$how" || result=FAILED ;;
    unsupported) check_unsupported "$t" || result=FAILED ;;
    skip)
      echo "=== $t: not checked here: $why"
      result=skipped
      ;;
    *)
      echo "=== $t: unknown check '$how' in the table"
      result=FAILED
      ;;
  esac
  if [ "$how" = lib ]; then echo "    (--lib only: $why)"; fi
  if [ "$result" = FAILED ]; then failed+=("$t"); fi
  summary+=("$(printf '%-30s %-7s %-12s %-8s %4d s' "$t" "$backend" "$how" "$result" $((SECONDS - start)))")
done 3<<<"$TARGETS"

echo
echo "=== summary: target, backend, check, result, time"
printf '    %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  printf '=== FAILED: %s\n' "${failed[@]}"
  echo "=== cross checks failed ($((SECONDS - total)) s)"
  exit 1
fi
echo "=== cross checks passed ($((SECONDS - total)) s)"
