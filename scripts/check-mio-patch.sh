#!/usr/bin/env bash
# Checks that a project's dependency graph runs on ferrio: every mio 1.x in its lock file must
# be one of ferrio's compatibility packages (compat/mio, compat/mio-1.0: a package named mio
# that depends on ferrio, by path or from git), none from crates.io or another registry.
#
# Usage: scripts/check-mio-patch.sh [PROJECT_DIR]     (default: the current directory)
#
# Exits 0 when every mio 1.x is a compatibility package, 1 (with the reason, who depends on the
# culprit and what to do) when a mio 1.x from a registry or git is still there, or when the graph
# holds no mio 1.x at all. mio 0.x is another API, which ferrio does not replace: it is listed
# and left alone.
#
# Cargo uses a `[patch.crates-io]` entry only where its version satisfies the dependent's
# requirement, keeps the version a lock file already has, and says so at most with a warning
# ("patch ... was not used in the crate graph"); this check turns that into a failure.
#
# The lock file is first brought up to date with the manifests by `cargo metadata`, which
# changes only what the manifests force (what `cargo build` would change too): it never moves
# a locked version, so the check sees the graph the next build will use.
set -euo pipefail

DIR=${1:-.}
cd "$DIR"
manifest=$(cargo locate-project --workspace --message-format plain)
lock="$(dirname "$manifest")/Cargo.lock"

meta=$(mktemp)
errs=$(mktemp)
trap 'rm -f "$meta" "$errs"' EXIT
if ! cargo metadata --format-version 1 --manifest-path "$manifest" >"$meta" 2>"$errs"; then
    cat "$errs" >&2
    echo "check-mio-patch: cargo could not resolve the graph (see above)" >&2
    exit 1
fi

# One line per [[package]] named mio: VERSION SOURCE (or "-" for a path) FERRIO (yes/no).
mios=$(awk '
    function flush() {
        if (name == "mio") print version, (source == "" ? "-" : source), (ferrio ? "yes" : "no")
        name = ""; version = ""; source = ""; ferrio = 0
    }
    /^\[\[/ { flush(); inpkg = ($0 == "[[package]]"); next }
    !inpkg { next }
    /^name = / { name = $3; gsub(/"/, "", name) }
    /^version = / { version = $3; gsub(/"/, "", version) }
    /^source = / { source = $3; gsub(/"/, "", source) }
    /^ "ferrio[ "]/ { ferrio = 1 }
    END { flush() }
' "$lock")

# dependents VERSION: the lock file packages that depend on mio VERSION. An entry names the
# version only when the lock file holds more than one mio, so a bare "mio" matches too.
dependents() {
    awk -v want="$1" '
        /^\[\[/ { inpkg = ($0 == "[[package]]"); name = ""; next }
        !inpkg { next }
        /^name = / { name = $3; gsub(/"/, "", name) }
        /^version = / { version = $3; gsub(/"/, "", version) }
        /^ "mio[ "]/ {
            dep = $0; gsub(/[",]/, "", dep); split(dep, part, " ")
            if (part[2] == "" || part[2] == want) print "    " name " " version
        }
    ' "$lock" | sort -u
}

bad=0 good=0
while read -r version source ferrio; do
    [[ -n $version ]] || continue
    if [[ $version != 1.* ]]; then
        echo "note: mio $version ($source) is mio's older API, which ferrio does not replace"
    elif [[ $ferrio == yes && $source != registry+* && $source != sparse+* ]]; then
        # A path package, or ferrio's repository through git: either way, ferrio under mio's name.
        from=""
        [[ $source == - ]] || from=" (from $source)"
        echo "ok: mio $version is a ferrio compatibility package$from"
        good=$((good + 1))
    else
        bad=$((bad + 1))
        if [[ $source == - ]]; then
            echo "FAIL: mio $version is a path package that does not depend on ferrio" >&2
        else
            echo "FAIL: mio $version from $source is still in the graph" >&2
        fi
        echo "  it is a dependency of:" >&2
        dependents "$version" >&2
    fi
done <<<"$mios"

if ((bad)); then
    # cargo's own warning about the patch, if it gave one: the reason for most failures.
    grep -A3 'was not used in the crate graph' "$errs" >&2 || true
    if command -v jq >/dev/null; then
        echo "  what the graph's packages ask of mio:" >&2
        jq -r '.packages[] | . as $p | .dependencies[] | select(.name == "mio")
            | select(.req | test("^[~=^<>]*0[.]") | not)
            | "    \($p.name) \($p.version): mio \(.req)"' "$meta" | sort -u >&2
    fi
    cat >&2 <<'EOF'
  What to do (MIGRATING.md, "Switch a whole dependency tree"):
  - no [patch.crates-io] entry for mio yet: add `mio = { path = ".../ferrio/compat/mio" }`;
  - the patch is there but the lock file predates it: `cargo update -p mio` (or
    `cargo update -p mio@VERSION` when the lock file holds several mio versions);
  - `cargo update -p mio` moved to another crates.io mio: some dependent asks for a range that
    excludes 1.99.0. For `~1.0` also patch `mio-1-0 = { path = ".../ferrio/compat/mio-1.0",
    package = "mio" }`, or `cargo update -p DEPENDENT --precise VERSION` to a release of it that
    asks for `1.x`; for `=1.x.y`, see MIGRATING.md.
EOF
    echo "check-mio-patch: FAILED: $bad mio 1.x package(s) in $lock are not ferrio" >&2
    exit 1
fi
if ((good == 0)); then
    echo "check-mio-patch: FAILED: $lock holds no mio 1.x at all, so nothing here runs on ferrio" >&2
    exit 1
fi
unused=$(awk '/^\[\[/ { inpatch = ($0 == "[[patch.unused]]"); next }
    inpatch && /^version = / { v = $3; gsub(/"/, "", v); printf " %s", v }' "$lock")
if [[ -n $unused ]]; then
    echo "note: patched mio version(s)$unused not used (harmless: no dependent asks for them)"
fi
echo "check-mio-patch: ok: every mio 1.x in $lock is ferrio"
