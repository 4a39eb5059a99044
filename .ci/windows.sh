#!/usr/bin/env bash
# CI step: ferrio on Windows, from this Debian machine.
#
#   1. type-check x86_64-pc-windows-msvc (`cargo clippy --all-targets --all-features`,
#      -D warnings) and build its docs as docs.rs does (`--cfg docsrs`, -D warnings);
#   2. build the test suite (unit and integration tests) for x86_64-pc-windows-gnu (mingw
#      linker) and run it under Wine 8, each test binary under a time limit,
#      the whole run under another (`api_windows` names every Windows-only public item);
#      then the fault table (tests/faults.rs) built with `--cfg ferrio_failpoints`, also under
#      Wine (16 s more cold, 3 s warm);
#   3. run the doc-tests under Wine (`cargo test --doc --target x86_64-pc-windows-gnu`; cargo
#      hands the Wine runner to rustdoc), under a time limit. Examples that name Unix-only items
#      (`ferrio::unix`, `UnixStream`, `set_reuseport`) compile their Unix parts under hidden
#      `#[cfg(unix)]` lines, so on Windows they check only what exists there;
#   4. build the examples for x86_64-pc-windows-gnu and run, each under a time limit, those
#      that exit by themselves: all of them (demo, tcp_echo, udp_echo, udp_batch, waker_thread,
#      bind_before_connect, soak) are portable and self-testing (supervisor says it does not run
#      on Windows), and a failure status fails the step. demo, soak and udp_batch run with a
#      smaller load than their default (see below).
#
# The toolchain is rustup's (the one `cargo` on PATH selects), with the two targets' standard
# libraries added by `rustup target add` (a download of about 60 MB once; far faster than
# building std from source). `--cfg docsrs` needs `feature(doc_cfg)`, so the rustdoc run sets
# RUSTC_BOOTSTRAP=1, as docs.rs's nightly does not need to.
# Wine 8.0 lacks bcryptprimitives.dll!ProcessPrng, which std imports: a stub DLL built with
# mingw is put on WINEPATH (.ci/wine-env; without it every .exe exits with status 53).
#
# Usage: bash .ci/windows.sh              (from anywhere; checks the clone the script is in)
# Env:   SKIP_INSTALL=1     do not apt-get or rustup anything
#        SKIP_WINE=1        only type-check
#        XT_TARGET_DIR=dir  build artifacts (default ~/.cache/ferrio-ci/windows, kept warm)
#        TEST_TIMEOUT=secs  limit per test binary under Wine (default 300)
#        TOTAL_TIMEOUT=secs limit of the whole Wine run of the test binaries (default 900)
#        DOC_TIMEOUT=secs   limit of the doc-test run, build included (default 900)
#        EXAMPLE_TIMEOUT=secs limit per example under Wine (default 120)
set -euo pipefail

CRATE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$CRATE_DIR"
XT_TARGET_DIR=${XT_TARGET_DIR:-${FERRIO_CI_CACHE:-$HOME/.cache/ferrio-ci}/windows}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
TOTAL_TIMEOUT=${TOTAL_TIMEOUT:-900}
DOC_TIMEOUT=${DOC_TIMEOUT:-900}
EXAMPLE_TIMEOUT=${EXAMPLE_TIMEOUT:-120}

if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  need=()
  for p in gcc-mingw-w64-x86-64 wine wine64; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get update -qq
    timeout 900 apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  installed=$(rustup target list --installed)
  for t in x86_64-pc-windows-msvc x86_64-pc-windows-gnu; do
    grep -qx "$t" <<<"$installed" || timeout 600 rustup target add "$t"
  done
  rustup component list --installed | grep -q '^clippy' || timeout 600 rustup component add clippy
fi

# rustup's cargo, with this step's own target directory and warnings denied.
xcargo() {
  env CARGO_TARGET_DIR="$XT_TARGET_DIR" RUSTFLAGS="-D warnings" cargo "$@"
}
export -f xcargo
export XT_TARGET_DIR

echo "=== clippy --target x86_64-pc-windows-msvc"
xcargo clippy --target x86_64-pc-windows-msvc --all-targets --all-features -- -D warnings

echo "=== rustdoc --target x86_64-pc-windows-msvc (as docs.rs builds it)"
RUSTC_BOOTSTRAP=1 RUSTDOCFLAGS="-D warnings --cfg docsrs" xcargo doc -q \
  --target x86_64-pc-windows-msvc --no-deps --all-features

[ "${SKIP_WINE:-0}" = 1 ] && exit 0

echo "=== build tests --target x86_64-pc-windows-gnu"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
list=$(mktemp)
json=$(mktemp)
trap 'rm -f "$list" "$json"' EXIT
if ! xcargo test --target x86_64-pc-windows-gnu --all-features --lib --tests \
  --no-run --message-format=json >"$json" 2>/dev/null; then
  # Show the compiler's messages (the JSON run above hides them).
  xcargo test --target x86_64-pc-windows-gnu --all-features --lib --tests --no-run || true
  echo "building the Windows test suite failed" >&2
  exit 1
fi
sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' "$json" >"$list"
if [ ! -s "$list" ]; then
  echo "no test binaries were built" >&2
  exit 1
fi

# The ProcessPrng stub DLL, the Wine prefix and Wine's settings (see the sourced file).
. "$CRATE_DIR/.ci/wine-env"
wine_env "$XT_TARGET_DIR"

echo "=== run under $(wine --version)"
start=$SECONDS
failed=()
while read -r exe; do
  left=$((TOTAL_TIMEOUT - (SECONDS - start)))
  if [ "$left" -le 0 ]; then
    echo "overall Wine time limit (${TOTAL_TIMEOUT}s) reached before $(basename "$exe")" >&2
    failed+=("$(basename "$exe") (not run: overall time limit)")
    continue
  fi
  limit=$((left < TEST_TIMEOUT ? left : TEST_TIMEOUT))
  echo "--- $(basename "$exe") (limit ${limit}s)"
  if ! timeout -k 10 "$limit" wine "$exe" --test-threads=2; then
    failed+=("$(basename "$exe")")
  fi
done <"$list"

# The fault table (tests/faults.rs; .ci/faults runs it on Linux) needs the failpoints, so a
# build of its own, in a directory of its own.
echo "=== fault table: tests/faults.rs built with --cfg ferrio_failpoints"
if ! env CARGO_TARGET_DIR="$XT_TARGET_DIR/failpoints" RUSTFLAGS="-D warnings --cfg ferrio_failpoints" \
  cargo test --target x86_64-pc-windows-gnu --all-features --test faults --no-run \
  --message-format=json >"$json" 2>/dev/null; then
  failed+=("building the fault table")
else
  exe=$(sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' "$json" | head -n 1)
  echo "--- $(basename "$exe") (limit ${TEST_TIMEOUT}s)"
  if ! timeout -k 10 "$TEST_TIMEOUT" wine "$exe" --nocapture; then
    failed+=("fault table")
  fi
fi

echo "=== doc-tests under Wine (limit ${DOC_TIMEOUT}s)"
if ! timeout -k 10 "$DOC_TIMEOUT" bash -c 'xcargo test -q \
    --target x86_64-pc-windows-gnu --all-features --doc -- --test-threads=2'; then
  failed+=("doc-tests")
fi

echo "=== build examples --target x86_64-pc-windows-gnu"
if ! xcargo build --target x86_64-pc-windows-gnu --all-features --examples \
  --message-format=json >"$json" 2>/dev/null; then
  xcargo build --target x86_64-pc-windows-gnu --all-features --examples || true
  failed+=("building the examples")
else
  sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' "$json" >"$list"
  [ -s "$list" ] || failed+=("no examples were built")
  # Every example exits by itself (a self-test with a deadline of its own): run them all.
  while read -r exe; do
    args=()
    # demo's default load (64 clients x 2000 round trips in 10 s) is a benchmark: a debug build
    # under Wine manages about 1500 round trips/s, so it gets a smaller load, still checked.
    case "$(basename "$exe")" in
      demo.exe) args=(--clients 8 --messages 500 --seconds 60) ;;
      # soak's default (1000 connections for 20 s) is sized for Linux; under Wine a short run
      # checks that it works (no descriptor or memory figures there).
      soak.exe) args=(--secs 10 --conns 100) ;;
      # udp_batch's default (200,000 datagrams each way, three times) took 82 s in a debug
      # build under Wine on the loaded 2-core machine (12,000-17,000 datagrams/s), near the
      # limit; 20,000 took 5 s.
      udp_batch.exe) args=(20000) ;;
    esac
    echo "--- example $(basename "$exe") ${args[*]} (limit ${EXAMPLE_TIMEOUT}s)"
    if ! timeout -k 10 "$EXAMPLE_TIMEOUT" wine "$exe" "${args[@]}"; then
      failed+=("example $(basename "$exe")")
    fi
  done <"$list"
fi
timeout 60 wineserver -k >/dev/null 2>&1 || true

if [ ${#failed[@]} -gt 0 ]; then
  printf 'failed under Wine: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "all Windows test binaries, doc-tests and examples passed under Wine"
