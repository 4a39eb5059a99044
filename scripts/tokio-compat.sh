#!/usr/bin/env bash
# Runs tokio's and tokio-util's own integration tests, a hyper round-trip test and a test of
# ferrio's batched UDP calls on tokio's UdpSocket (compat/tokio-udp-batch), on ferrio.
#
# tokio and tokio-util are unpacked from their crates.io packages into a scratch workspace whose
# [patch.crates-io] points `mio` at compat/mio (ferrio under mio's name) and `tokio` at the
# unpacked copy, so the whole graph holds one tokio and one mio, and that mio is ferrio.
#
# Usage: scripts/tokio-compat.sh [--quick] [--real-mio]
#   (no option)   what CI runs: every tokio integration test file, tokio-util's tests, the
#                 hyper test, then tokio's net and io files on ferrio's poll(2) backend
#   --quick       a quicker subset: tokio's net, io, process, signal, uds, udp and tcp test
#                 files, tokio-util's tests and the hyper test, then tokio's net and io files
#                 again on ferrio's poll(2) backend (--cfg mio_unsupported_force_poll_poll)
#   --real-mio    same run against crates.io's mio, to tell ferrio bugs from tests that fail
#                 here anyway (as root, without internet)
# Env: FERRIO_TOKIO_DIR  scratch directory (default ~/.cache/ferrio-tokio)
#      TOKIO_VERSION, TOKIO_UTIL_VERSION  versions to unpack
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${FERRIO_TOKIO_DIR:-$HOME/.cache/ferrio-tokio}
TOKIO_VERSION=${TOKIO_VERSION:-1.54.1}
TOKIO_UTIL_VERSION=${TOKIO_UTIL_VERSION:-0.7.20}
QUICK=0 REAL_MIO=0
for arg in "$@"; do
  case $arg in
    --quick) QUICK=1 ;;
    --real-mio) REAL_MIO=1 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

command -v cargo-nextest >/dev/null || cargo install --locked cargo-nextest

# --------------------------------------------------------------- unpack the crates ---
mkdir -p "$DIR/fetch/src" "$DIR/ws"
cat > "$DIR/fetch/Cargo.toml" <<TOML
[package]
name = "fetch"
version = "0.0.0"
edition = "2021"
[dependencies]
tokio = "=$TOKIO_VERSION"
tokio-util = "=$TOKIO_UTIL_VERSION"
TOML
touch "$DIR/fetch/src/lib.rs"
(cd "$DIR/fetch" && cargo fetch --quiet)
CACHE=${CARGO_HOME:-$HOME/.cargo}/registry/cache
unpack() { # name version
  local dest="$DIR/ws/$1"
  if [ ! -f "$dest/.unpacked-$2" ]; then
    local crate
    crate=$(find "$CACHE" -name "$1-$2.crate" | head -n 1)
    [ -n "$crate" ] || { echo "cannot find $1-$2.crate in $CACHE" >&2; exit 1; }
    rm -rf "$dest" && mkdir -p "$dest"
    tar -xzf "$crate" -C "$dest" --strip-components=1
    touch "$dest/.unpacked-$2"
  fi
}
unpack tokio "$TOKIO_VERSION"
unpack tokio-util "$TOKIO_UTIL_VERSION"
rm -rf "$DIR/ws/hyper-roundtrip" && cp -r "$ROOT/compat/hyper-roundtrip" "$DIR/ws/hyper-roundtrip"
rm -rf "$DIR/ws/tokio-udp-batch" && cp -r "$ROOT/compat/tokio-udp-batch" "$DIR/ws/tokio-udp-batch"

# ------------------------------------------------------------ the scratch workspace ---
{
  echo '[workspace]'
  if [ "$REAL_MIO" = 1 ]; then
    # crates.io's mio has no batch calls: that test is left out.
    echo 'members = ["tokio", "tokio-util", "hyper-roundtrip"]'
  else
    echo 'members = ["tokio", "tokio-util", "hyper-roundtrip", "tokio-udp-batch"]'
  fi
  echo 'resolver = "2"'
  echo '[patch.crates-io]'
  echo 'tokio = { path = "tokio" }'
  [ "$REAL_MIO" = 1 ] || echo "mio = { path = \"$ROOT/compat/mio\" }"
} > "$DIR/ws/Cargo.toml"
mkdir -p "$DIR/ws/.config"
cat > "$DIR/ws/.config/nextest.toml" <<'TOML'
[profile.default]
# A test past 20 s is reported as slow and killed at 60 s: a hang fails, it never blocks.
slow-timeout = { period = "20s", terminate-after = 3 }
fail-fast = false
TOML
cd "$DIR/ws"
rm -f Cargo.lock
cargo generate-lockfile --quiet

# ------------------------------------------------ exactly one mio, and it is ferrio ---
mios=$(grep -c '^name = "mio"$' Cargo.lock || true)
if [ "$mios" != 1 ]; then
  echo "Cargo.lock holds $mios mio packages; expected exactly one" >&2; exit 1
fi
if [ "$REAL_MIO" = 0 ]; then
  # A path package has no `source` line; a crates.io one does.
  if grep -A2 '^name = "mio"$' Cargo.lock | grep -q '^source'; then
    echo "mio resolved to crates.io, not to compat/mio: the patch was bypassed" >&2; exit 1
  fi
  echo "Cargo.lock: one mio, the compat package ($(grep -A1 '^name = "mio"$' Cargo.lock | tail -n1))"
fi

# Tests that fail here whatever mio is, with the reason (each checked against --real-mio):
SKIP='none()'
if [ "$(id -u)" = 0 ]; then
  # Expects stat() in a directory without permissions to fail; root may stat anything.
  SKIP="$SKIP | (binary(fs_try_exists) & test(=try_exists))"
fi
# On the poll(2) backend only. tokio's AsyncFd registers a foreign fd (mio's SourceFd) and does
# its I/O outside mio, so no mio call sees the WouldBlock that would re-arm the fd; poll(2)
# emulation reports such an fd once and then waits for a reregister that tokio never makes.
# crates.io's mio 1.2.5 times out on the same three tests.
POLL_SKIP="binary(io_async_fd) & test(/^(reset_readable|reset_writable|guard_try_io)$/)"

run() { # label, extra nextest args...
  local label=$1; shift
  echo "=== $label"
  local log="$DIR/$label.log"
  if cargo nextest run --no-fail-fast "$@" 2>&1 | tee "$log" | grep -E '^\s+(FAIL|TIMEOUT|SIGSEGV|SIGABRT)|Summary'; then :; fi
  grep -E 'Summary' "$log" | tail -n 1 > "$DIR/$label.summary" || true
  # No summary: nextest never ran the tests (a build failure, a full disk, ...). That is a
  # failure, not a pass with nothing to report.
  if [ ! -s "$DIR/$label.summary" ]; then
    echo "$label: nextest printed no summary (the build failed?); the end of $log:"
    tail -n 20 "$log"
    echo "no summary: the tests did not run" > "$DIR/$label.summary"
    return 1
  fi
}

# The build keeps line tables (file:line in panics and backtraces) but no other debug info, and
# is not incremental: the tests are foreign code that never changes here, and full debug info
# plus incremental state made the scratch target directories grow by gigabytes per run.
export CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=line-tables-only

status=0
if [ "$QUICK" = 1 ]; then
  # Only the test files of the subset are built (cargo expands the globs), not all of tokio's.
  SUBSET=(--test 'net_*' --test 'io_*' --test 'process_*' --test 'signal_*' --test 'uds_*'
    --test udp --test 'tcp_*')
  run tokio -p tokio --features full "${SUBSET[@]}" -E "!($SKIP)" || status=1
else
  run tokio -p tokio --features full --tests -E "!($SKIP)" || status=1
fi
run tokio-util -p tokio-util --all-features --tests || status=1
run hyper -p hyper-roundtrip --tests || status=1
if [ "$REAL_MIO" = 0 ]; then
  run udp-batch -p tokio-udp-batch --tests || status=1
  RUSTFLAGS="--cfg mio_unsupported_force_poll_poll" CARGO_TARGET_DIR="$DIR/target-poll" \
    run tokio-poll -p tokio --features full --test 'net_*' --test 'io_*' \
    -E "!($SKIP) & !($POLL_SKIP)" || status=1
  RUSTFLAGS="--cfg mio_unsupported_force_poll_poll" CARGO_TARGET_DIR="$DIR/target-poll" \
    run udp-batch-poll -p tokio-udp-batch --tests || status=1
fi

echo "=== results"
for f in "$DIR"/*.summary; do
  printf '%-12s %s\n' "$(basename "$f" .summary)" "$(cat "$f")"
done
grep -hE '^\s+(FAIL|TIMEOUT)' "$DIR"/*.log | sort -u || true
# nextest exits non-zero on any failure; report it
for f in "$DIR"/*.summary; do grep -qE '[1-9][0-9]* failed|timed out|no summary' "$f" && status=1; done
exit $status
