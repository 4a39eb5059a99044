#!/usr/bin/env python3
"""The platform table of README.md and of the crate docs (src/lib.rs), made from one source.

The source is `.ci/cross.sh`: its TARGETS table (target, backend, check, reason) says what CI
type-checks, and its RUNS table says which targets CI also runs, and how. This script turns the
two into one Markdown table (one row per target: its backend and how CI checks it) and keeps
the copies in README.md and src/lib.rs equal to it, between the lines holding
`platforms:begin` and `platforms:end`.

Usage: scripts/platform-table.py            print the table
       scripts/platform-table.py --check    fail (naming the file) if a copy differs (CI)
       scripts/platform-table.py --write    rewrite the copies
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CROSS = ROOT / ".ci" / "cross.sh"
# Each copy, and the prefix of its lines (the crate docs are `//!` comments).
COPIES = [(ROOT / "README.md", ""), (ROOT / "src" / "lib.rs", "//! ")]

BACKENDS = {
    "epoll": "epoll",
    "kqueue": "kqueue",
    "poll": "poll(2)",
    "ports": "event ports",
    "wasi": "WASI `poll_oneoff`",
    "iocp": "IOCP + AFD",
    "-": "none",
}

# What each RUNS keyword means, as the table says it.
RUN_TEXT = {
    "host": "the whole suite, debug and release, on epoll and on forced poll(2); sanitizers, "
    "Miri, loom, fault injection, model testing, soak",
    "native": "the suite, run natively on this kernel",
    "native-both": "the suite, run natively on this kernel, on epoll and on forced poll(2)",
    "wine": "the suite, doc-tests and examples under Wine",
    "wine-build": "the tests built, warnings denied (this machine's Wine does not run 32-bit "
    "programs)",
    "wasi-p1": "the `poll_oneoff` selector's unit tests under wasmtime (no runtime here hands "
    "in the sockets preview 1 needs)",
    "wasi-p2": "the unit tests, the API checks and the loopback socket tests under wasmtime "
    "(the socket tests need the wasmtime CLI; without it only the rest run)",
    "unit": "the backend's decision logic unit-tested on Linux",
    "unit-ports": "the backend's bookkeeping unit-tested on Linux, and its selector and Waker run "
    "there over an emulated event port",
}


def shell_block(text, name):
    """The lines of the shell variable NAME='...' in cross.sh, without comments or blanks."""
    match = re.search(r"^%s='\n(.*?)^'" % name, text, re.S | re.M)
    if not match:
        sys.exit("platform-table: no %s='...' block in %s" % (name, CROSS))
    return [line for line in match.group(1).splitlines() if line.strip() and not line.startswith("#")]


def rows():
    text = CROSS.read_text()
    runs = {}
    for line in shell_block(text, "RUNS"):
        target, *how = line.split()
        runs[target] = how
    out = []
    for line in shell_block(text, "TARGETS"):
        target, backend, check, *why = line.split(None, 3)
        why = why[0] if why else ""
        parts = [RUN_TEXT[k] for k in runs.pop(target, [])]
        if backend == "poll" and target != "wasm32-wasip2":
            parts.append("its backend is the poll(2) code the Linux suite runs when forced")
        if check == "all":
            parts.append("clippy (library, tests, examples)")
        elif check == "lib":
            parts.append("clippy (library only: %s)" % why)
        elif check == "unsupported":
            parts.append("the build stops at a `compile_error!` naming the target")
        elif check == "skip":
            parts.append(why if why.startswith("checked by") else "not checked: " + why)
        else:
            sys.exit("platform-table: unknown check %r for %s" % (check, target))
        out.append("| `%s` | %s | %s |" % (target, BACKENDS[backend], "; ".join(parts)))
    if runs:
        sys.exit("platform-table: RUNS names targets TARGETS lacks: %s" % ", ".join(runs))
    return ["| target | backend | how CI checks it |", "|---|---|---|"] + out


def replaced(text, prefix, table):
    lines = text.split("\n")
    begin = [i for i, l in enumerate(lines) if "platforms:begin" in l]
    end = [i for i, l in enumerate(lines) if "platforms:end" in l]
    if len(begin) != 1 or len(end) != 1 or begin[0] > end[0]:
        return None
    body = [(prefix + row).rstrip() for row in table]
    return "\n".join(lines[: begin[0] + 1] + body + lines[end[0]:])


def main():
    table = rows()
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode not in ("", "--check", "--write"):
        sys.exit(__doc__)
    if not mode:
        print("\n".join(table))
        return
    stale = []
    for path, prefix in COPIES:
        text = path.read_text()
        new = replaced(text, prefix, table)
        if new is None:
            sys.exit("platform-table: %s needs one platforms:begin line before one platforms:end" % path)
        if new != text:
            stale.append(path)
            if mode == "--write":
                path.write_text(new)
    if mode == "--check" and stale:
        names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
        sys.exit("platform-table: %s differ from .ci/cross.sh; run scripts/platform-table.py --write" % names)
    print("platform-table: %d targets, %s" % (len(table) - 2, "rewritten" if stale else "up to date"))


if __name__ == "__main__":
    main()
