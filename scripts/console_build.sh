#!/usr/bin/env bash
# Builds the web console into console/dist (`make console`; `make dev` calls it too).
#
# npm packages are installed into console/node_modules only when package-lock.json changed, and
# the app is rebuilt only when its sources changed, so that a run with nothing to do takes well
# under a second. Each built text file gets a .gz sibling that the local gateway serves to
# browsers accepting gzip.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../console"

log() { echo "console_build.sh: $*" >&2; }

command -v npm >/dev/null || { log "Node.js with npm is required"; exit 1; }

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.installed
if [[ ! -f $stamp || $(cat "$stamp") != "$lock_hash" ]]; then
    log "installing the console's npm packages into console/node_modules"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
    echo "$lock_hash" >"$stamp"
fi

# Everything the build reads; dist/.build-hash records the hash it was built from.
src_hash=$(
    find src public index.html vite.config.ts tsconfig.json package-lock.json scripts/check-size.mjs \
        -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
)
if [[ -f dist/.build-hash && $(cat dist/.build-hash) == "$src_hash" && -f dist/index.html ]]; then
    exit 0
fi

log "building the console"
node_modules/.bin/tsc --noEmit -p .
node_modules/.bin/vite build --logLevel warn
node scripts/check-size.mjs
find dist -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' -o -name '*.json' \) \
    -exec gzip -9 -k -f -n {} +
echo "$src_hash" >dist/.build-hash
log "built console/dist"
