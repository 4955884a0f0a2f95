#!/usr/bin/env bash
# Offline checks of the GitHub Actions files in .github/ (`make workflows-check`, part of `make test`):
#
#   1. zizmor --offline: security audits (unpinned actions, template injection, credentials left
#      in the checkout, excessive permissions, dangerous triggers, cache poisoning...). The
#      audits that need GitHub's API (impostor commits, known-vulnerable actions) are skipped.
#   2. check-jsonschema with its bundled schemas: every workflow against the GitHub workflow
#      schema, and dependabot.yml against Dependabot's.
#
# Both come from PyPI and are installed on first use, or when the pins change, into
# .venv-workflows (gitignored via /.venv*) from scripts/requirements-workflows.txt. Exits non-zero
# on any finding, syntax or schema error, or when there is no workflow to check.
#
# Optional: ZIZMOR_PERSONA (default auditor, the strictest: the files are small enough to keep
# clean of every finding, and a stricter gate costs nothing), PYTHON.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv-workflows
REQUIREMENTS=scripts/requirements-workflows.txt
PERSONA=${ZIZMOR_PERSONA:-auditor}

log() { echo "check_workflows.sh: $*" >&2; }

if [[ ! -x $VENV/bin/zizmor || ! -x $VENV/bin/check-jsonschema ]] || ! cmp -s "$REQUIREMENTS" "$VENV/.installed"; then
    log "installing zizmor and check-jsonschema into $VENV/ (one-off)"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    cp "$REQUIREMENTS" "$VENV/.installed"
fi

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
dependabot=(.github/dependabot.yml .github/dependabot.yaml)
if ((${#workflows[@]} == 0)); then
    log "no workflow in .github/workflows/"
    exit 1
fi

passed=0
failed=0
run() {
    local name=$1
    shift
    echo "+ $*" >&2
    if "$@"; then
        passed=$((passed + 1))
    else
        log "FAILED: $name"
        failed=$((failed + 1))
    fi
}

# --strict-collection: a file zizmor cannot parse is a failure, not a warning and a skip.
# --no-progress, --color never: plain output for logs.
run zizmor "$VENV/bin/zizmor" --offline --strict-collection --persona "$PERSONA" \
    --no-progress --color never .github
run "workflow schema" "$VENV/bin/check-jsonschema" --builtin-schema vendor.github-workflows \
    --color never "${workflows[@]}"
existing=()
for f in "${dependabot[@]}"; do
    [[ -f $f ]] && existing+=("$f")
done
if ((${#existing[@]})); then
    run "dependabot schema" "$VENV/bin/check-jsonschema" --builtin-schema vendor.dependabot \
        --color never "${existing[@]}"
fi

echo "check_workflows: $passed passed, $failed failed (${#workflows[@]} workflows)"
((failed == 0))
