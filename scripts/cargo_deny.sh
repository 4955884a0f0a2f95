#!/usr/bin/env bash
# Dependency policy checks with cargo-deny, configured by deny.toml at the repository root.
#
#   scripts/cargo_deny.sh          licenses, bans and sources (offline; part of `make test`)
#   scripts/cargo_deny.sh audit    RustSec advisories (needs https://github.com/RustSec/advisory-db)
#
# cargo-deny is installed on first use into .tools/ (project-local, gitignored), pinned below.
# Default mode is quiet on success: the full report (duplicate-version warnings included) is
# kept in target/cargo-deny.log; CARGO_DENY_VERBOSE=1 prints it as it runs. On failure the
# report is printed.
set -euo pipefail

CARGO_DENY_VERSION=0.20.2 # newest release; needs rustc >= 1.88
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CARGO=${CARGO:-cargo}
TOOLS=.tools
DENY="$TOOLS/bin/cargo-deny"
LOG=target/cargo-deny.log
ADVISORY_DB=https://github.com/RustSec/advisory-db

mode=${1:-check}
case "$mode" in
check | audit) ;;
*)
    echo "usage: $0 [audit]" >&2
    exit 2
    ;;
esac

# --- install (one-off) -------------------------------------------------------------------------
# cargo-deny's own release profile asks for fat LTO in one codegen unit: about 5 min of both cores
# here, which `make test`'s side lane would spend beside the unit and integration stages. Built
# unoptimised it installs in about 1 min and checks this workspace in about 2 s instead of 1 s, so
# the profile is overridden (settings from the environment take precedence over the installed
# package's manifest).
if [[ "$("$DENY" --version 2>/dev/null)" != "cargo-deny $CARGO_DENY_VERSION" ]]; then
    echo "cargo-deny: installing cargo-deny $CARGO_DENY_VERSION into $TOOLS/ (one-off, about 1 min)" >&2
    CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 \
        "$CARGO" install --quiet --locked --force --root "$TOOLS" "cargo-deny@$CARGO_DENY_VERSION"
fi

# cargo-deny reads the crate graph with `cargo metadata`, which needs the source of every locked
# crate (all platforms) in the local cargo cache. Download what is missing from crates.io now,
# so that cargo-deny itself can run with --offline. --locked: a check never rewrites Cargo.lock.
if ! "$CARGO" fetch --locked --quiet; then
    echo "cargo-deny: 'cargo fetch --locked' failed (see above): Cargo.lock must be up to date and crates.io reachable" >&2
    exit 1
fi

# --- audit: RustSec advisories -------------------------------------------------------------------
if [[ "$mode" == audit ]]; then
    # Fetch (or update) the advisory database first, on its own, so an unreachable database is
    # reported as such rather than mixed up with advisory findings. It lives in
    # $CARGO_HOME/advisory-dbs.
    if ! fetch_out=$("$DENY" --log-level error fetch db 2>&1); then
        printf '%s\n' "$fetch_out" >&2
        echo "cargo-deny: cannot fetch the RustSec advisory database ($ADVISORY_DB);" \
            "'make audit' needs access to github.com, run it where that is reachable" >&2
        exit 1
    fi
    # Not --offline: the yanked-crate check reads the current crates.io index.
    exec "$DENY" --locked check advisories
fi

# --- default: licenses, bans, sources (no network) -----------------------------------------------
# --offline keeps cargo-deny off the network entirely: the advisory database is only loaded for
# the advisories check (not run here), and std-replacement data is not fetched.
mkdir -p "$(dirname "$LOG")"
deny=("$DENY" --offline --locked --color never check licenses bans sources)
if [[ "${CARGO_DENY_VERBOSE:-0}" != 0 ]]; then
    "${deny[@]}" 2>&1 | tee "$LOG"
elif ! "${deny[@]}" >"$LOG" 2>&1; then
    cat "$LOG" >&2
    echo "cargo-deny: licenses/bans/sources check failed (policy: deny.toml)" >&2
    exit 1
fi
echo "cargo-deny: advisories check skipped (the RustSec database is not reachable here; run 'make audit' where it is)"
