#!/usr/bin/env bash
# Runs mio's own example servers (tcp_server, tcp_listenfd_server, from mio's crates.io package)
# on the poll(2) backend, once built against crates.io's mio and once against ferrio (through
# compat/mio), and counts how often each server exits with an error.
#
# The client connects and closes at once, as a port check or a health probe does. When its FIN
# reaches the server before the greeting the server writes on the first writable event, the
# greeting is answered with a reset, and the next poll(2) reports POLLHUP with the FIN's EOF.
# mio's poll(2) backend drops a descriptor from its table on POLLHUP, so when the example then
# reads the EOF and deregisters the connection, `deregister` fails with NotFound and the server
# exits. ferrio keeps the registration (disarmed until re-armed) and the deregister succeeds.
#
# Exits with "ConnectionReset" are the examples' own choice, on every backend and with either
# library: they treat a read error as fatal, and the reset sometimes reaches the read first.
#
# Usage: scripts/mio-examples-poll.sh [RUNS]     (default 40 runs per example and library)
# Env: FERRIO_MIO_EXAMPLES_DIR scratch directory (default ~/.cache/ferrio-mio-examples)
#      MIO_VERSION (default 1.2.5), PORT for tcp_server and the listener (default 39457)
# Needs python3 (the client, and the listener handed over as fd 3 for tcp_listenfd_server).
# Exits non-zero if the server on ferrio ever exits with NotFound.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${FERRIO_MIO_EXAMPLES_DIR:-$HOME/.cache/ferrio-mio-examples}
MIO_VERSION=${MIO_VERSION:-1.2.5}
PORT=${PORT:-39457}
RUNS=${1:-40}

mkdir -p "$DIR/fetch/src"
cat >"$DIR/fetch/Cargo.toml" <<TOML
[package]
name = "fetch"
version = "0.0.0"
edition = "2021"
[dependencies]
mio = "=$MIO_VERSION"
TOML
touch "$DIR/fetch/src/lib.rs"
(cd "$DIR/fetch" && cargo fetch --quiet)
crate=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/cache" -name "mio-$MIO_VERSION.crate" | head -n 1)
[[ -n $crate ]] || { echo "cannot find mio-$MIO_VERSION.crate" >&2; exit 1; }
rm -rf "$DIR/mio-src" && mkdir -p "$DIR/mio-src"
tar -xzf "$crate" -C "$DIR/mio-src" --strip-components=1

# One package per library, with both examples as binaries: env_logger (a dev-dependency of
# mio) is left out, and tcp_server listens on $PORT instead of 9000.
for lib in mio ferrio; do
    pkg=$DIR/$lib
    rm -rf "$pkg" && mkdir -p "$pkg/src/bin"
    for example in tcp_server tcp_listenfd_server; do
        sed -e '/env_logger::init/d' -e "s/127\.0\.0\.1:9000/127.0.0.1:$PORT/" \
            "$DIR/mio-src/examples/$example.rs" >"$pkg/src/bin/$example.rs"
    done
    {
        printf '[package]\nname = "examples-on-%s"\nversion = "0.0.0"\nedition = "2021"\n' "$lib"
        printf '[dependencies]\nmio = { version = "=%s", features = ["os-poll", "net"] }\n' "$MIO_VERSION"
    } >"$pkg/Cargo.toml"
    if [[ $lib == ferrio ]]; then
        sed -i 's/version = "=[^"]*"/version = "1"/' "$pkg/Cargo.toml"
        printf '[patch.crates-io]\nmio = { path = "%s/compat/mio" }\n' "$ROOT" >>"$pkg/Cargo.toml"
    fi
    (cd "$pkg" && RUSTFLAGS="--cfg mio_unsupported_force_poll_poll" \
        CARGO_TARGET_DIR="$DIR/target-$lib" cargo build --quiet --release)
done
grep -A3 '^name = "mio"$' "$DIR/ferrio/Cargo.lock" | grep -q '"ferrio"' ||
    { echo "the ferrio build did not take compat/mio" >&2; exit 1; }

python3 - "$DIR" "$RUNS" "$PORT" <<'PY'
import collections, os, socket, subprocess, sys, time

dir_, runs, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def start(binary, listenfd):
    if not listenfd:
        return subprocess.Popen([binary], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(16)
    fd = listener.detach()
    if fd != 3:
        os.dup2(fd, 3)
        os.close(fd)
    env = dict(os.environ, LISTEN_FDS="1")
    proc = subprocess.Popen([binary], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            pass_fds=(3,), env=env)
    os.close(3)
    return proc

def connect():
    deadline = time.monotonic() + 10
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=2)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)

def one_run(binary, listenfd):
    server = start(binary, listenfd)
    try:
        connect().close()  # connect and close at once
        time.sleep(0.2)
        if server.poll() is None:  # still up: a second client must get the greeting
            try:
                client = connect()
                client.recv(64)
                client.close()
            except OSError:
                pass
            time.sleep(0.1)
        if server.poll() is None:
            return "still serving"
        lines = server.stderr.read().decode(errors="replace").strip().splitlines()
        return "exited: " + (lines[-1] if lines else "status %d" % server.returncode)
    finally:
        if server.poll() is None:
            server.kill()
        server.wait()

failed = False
print("%-20s %-7s %s" % ("example", "library", "outcome of %d runs (poll(2) backend)" % runs))
for example in ("tcp_server", "tcp_listenfd_server"):
    for lib in ("mio", "ferrio"):
        binary = os.path.join(dir_, "target-" + lib, "release", example)
        outcomes = collections.Counter(one_run(binary, example == "tcp_listenfd_server")
                                       for _ in range(runs))
        print("%-20s %-7s %s" % (example, lib, "; ".join(
            "%d %s" % (n, what) for what, n in outcomes.most_common())))
        if lib == "ferrio" and any("NotFound" in what for what in outcomes):
            failed = True
sys.exit(1 if failed else 0)
PY
