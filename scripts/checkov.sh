#!/usr/bin/env bash
# Static security scan of terraform/ with checkov, fully offline.
#
# Creates .venv-checkov at the repo root (gitignored via /.venv*) on first use.
# --skip-download and BC_SKIP_MAPPING=TRUE keep checkov from calling the
# Prisma Cloud / GitHub endpoints; no API key is used.
# Skips are inline only (#checkov:skip=CKV_...:reason) and each gives its reason.
set -euo pipefail

CHECKOV_VERSION="3.3.30"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-checkov"
cd "$ROOT"

if ! "$VENV/bin/checkov" --version 2>/dev/null | grep -qx "$CHECKOV_VERSION"; then
  echo "checkov: installing checkov==$CHECKOV_VERSION into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

export BC_SKIP_MAPPING=TRUE
# No telemetry, no update checks, no calls home.
export CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false
export BC_API_KEY=""

exec "$VENV/bin/checkov" -d terraform --framework terraform \
  --skip-download --quiet --compact "$@"
