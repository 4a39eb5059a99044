#!/bin/sh
# Runs the benchmarks with system calls counted by strace instead of perf counters (for a
# machine where perf tracepoints are not permitted), with a per-syscall breakdown. Installs
# strace first if it is missing (Debian/Ubuntu). Extra arguments go to the bench, e.g.
#   bench/strace.sh --quick --only many_wakes,waker_pingpong
set -eu
cd "$(dirname "$0")/.."
if ! command -v strace >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -q && apt-get install -y -q strace
    else
        sudo apt-get update -q && sudo apt-get install -y -q strace
    fi
fi
exec cargo run --release -p ferrio-bench -- --syscalls strace "$@"
