#!/usr/bin/env bash
# Lambda artifacts: build, hash, report and (optionally) publish one zip per manifest function.
# The web console's artefact too: a zip of its static files, and its upload into its bucket.
#
#   scripts/package.sh            (`make package`) cargo-lambda release build for arm64, then `hashes`,
#                                 then `console`
#   scripts/package.sh hashes     hash and report the zips already in $LAMBDA_DIR; builds nothing
#   scripts/package.sh publish    (`make publish-artifacts`) `hashes`, then upload every zip and its
#                                 hash to s3://$ARTIFACT_BUCKET/$ARTIFACT_PREFIX/ with the aws CLI
#   scripts/package.sh console    build the console (scripts/console_build.sh), then `console-zip`
#   scripts/package.sh console-zip
#                                 zip $CONSOLE_DIST (console/dist) into $CONSOLE_ZIP
#                                 (target/console/console.zip), with its SHA-256; builds nothing
#   scripts/package.sh console-deploy
#                                 upload $CONSOLE_ZIP's files to s3://$CONSOLE_BUCKET/console/
#                                 (default: `terraform output console_bucket_name`), after an apply
#
# Beside each target/lambda/<function>/bootstrap.zip it writes:
#   bootstrap.zip.sha256hex   the SHA-256 in hex, for people and `sha256sum` comparisons;
#   bootstrap.zip.sha256      the same digest as base64, with no newline: exactly the string
#                             Terraform's `source_code_hash` (filebase64sha256) compares against.
# It prints one line per zip (size, hex digest) and a WARNING line for each zip over the size goal
# (SIZE_GOAL_MIB, default 4): the goal keeps cold starts short, but a larger zip still deploys, so
# it warns rather than fails. It fails when a manifest function has no zip.
#
# The S3 layout, which terraform/ reads when `artifact_bucket` is set:
#   s3://<bucket>/<prefix>/<function>.zip          the zip itself
#   s3://<bucket>/<prefix>/<function>.zip.sha256   its base64 SHA-256 (text/plain, no newline)
# The prefix defaults to the commit (`git rev-parse HEAD`), so one commit's artifacts never replace
# another's and a rollback to an older prefix needs no rebuild. That default is refused on a work
# tree with uncommitted changes, whose zips are not that commit's; set ARTIFACT_PREFIX to override.
#
# The console zip holds console/dist without the .gz siblings and the build stamp that only the
# local gateway uses (CloudFront compresses by itself), and without any config.json (Terraform
# writes console/config.json into the bucket). Its entries have a fixed date and order, so the
# same build gives the same bytes and the same console.zip.sha256hex. Paths are kept: the app is
# served from /console/ on AWS as on the local stack.
#
# console-deploy uploads in an order that never serves an index.html whose files are missing:
#   1. assets/ (hashed names: a name's content never changes): Cache-Control a year, immutable;
#   2. every other file but index.html: no-cache (revalidated on each request, 304 if unchanged);
#   3. index.html, no-cache: from here on, visitors get the new build;
#   4. files no longer in the build are deleted, except config.json and assets/: old hashed
#      assets stay, so a page loaded before the deploy can still fetch its lazy chunks.
# No CloudFront invalidation is needed: the distribution's cache policy has min_ttl 0, so no-cache
# files are revalidated, and new hashed assets are new URLs. Replaced files stay restorable as
# noncurrent versions (var.console_noncurrent_version_days); DEPLOYMENT.md, "Console".
#
# Optional: LAMBDA_DIR (default target/lambda), SIZE_GOAL_MIB, ARTIFACT_BUCKET, ARTIFACT_PREFIX,
# CONSOLE_DIST (default console/dist), CONSOLE_ZIP (default target/console/console.zip), CONSOLE_BUCKET, TERRAFORM (default terraform),
# AWS_CLI (default aws), PYTHON.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
LAMBDA_DIR=${LAMBDA_DIR:-target/lambda}
SIZE_GOAL_MIB=${SIZE_GOAL_MIB:-4}
VENV=.venv-lambda
REQUIREMENTS=scripts/requirements-lambda.txt
MANIFEST=functions/manifest.json

log() { echo "package.sh: $*" >&2; }

functions() {
    "$PYTHON" -c 'import json, sys; print("\n".join(f["name"] for f in json.load(open(sys.argv[1]))["functions"]))' "$MANIFEST"
}

build() {
    rustup target add aarch64-unknown-linux-gnu
    if [[ ! -x $VENV/bin/cargo-lambda ]] || ! cmp -s "$REQUIREMENTS" "$VENV/.installed"; then
        log "installing cargo-lambda and zig into $VENV/ (one-off)"
        "$PYTHON" -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
        cp "$REQUIREMENTS" "$VENV/.installed"
    fi
    local args=() name
    while IFS= read -r name; do
        args+=(-p "$name")
    done < <(functions)
    # One cargo invocation for all of them: the workspace's shared crates compile once.
    PATH="$PWD/$VENV/bin:$PATH" cargo-lambda lambda build --release --arm64 --output-format zip "${args[@]}"
}

hashes() {
    local names
    mapfile -t names < <(functions)
    "$PYTHON" - "$LAMBDA_DIR" "$SIZE_GOAL_MIB" "${names[@]}" <<'EOF'
import base64, hashlib, pathlib, sys

lambda_dir, goal_mib, names = pathlib.Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
goal = int(goal_mib * 1024 * 1024)
rows, missing, over, total = [], [], [], 0
for name in names:
    zip_path = lambda_dir / name / "bootstrap.zip"
    try:
        data = zip_path.read_bytes()
    except FileNotFoundError:
        missing.append(str(zip_path))
        continue
    digest = hashlib.sha256(data).digest()
    # Written only when they differ, so a re-run leaves the files' times alone.
    for suffix, text in ((".sha256hex", digest.hex() + "\n"), (".sha256", base64.b64encode(digest).decode())):
        out = zip_path.with_name(zip_path.name + suffix)
        if not out.exists() or out.read_text() != text:
            out.write_text(text)
    rows.append((name, len(data), digest.hex()))
    total += len(data)
    if len(data) > goal:
        over.append((name, len(data)))

mib = lambda n: f"{n / 1024 / 1024:.2f} MiB"
width = max([len("function")] + [len(r[0]) for r in rows])
print(f"{'function':<{width}}  {'size':>10}  sha256")
for name, size, hexdigest in rows:
    print(f"{name:<{width}}  {mib(size):>10}  {hexdigest}")
print(f"{len(rows)} zips, {mib(total)} in all, in {lambda_dir}/<function>/bootstrap.zip (+ .sha256, .sha256hex)")
for name, size in over:
    print(f"WARNING: {name} is {mib(size)}, over the {goal_mib:g} MiB goal")
for path in missing:
    print(f"package.sh: missing {path}", file=sys.stderr)
sys.exit(1 if missing else 0)
EOF
}

publish() {
    local bucket=${ARTIFACT_BUCKET:-} prefix=${ARTIFACT_PREFIX:-} aws=${AWS_CLI:-aws}
    if [[ -z $bucket ]]; then
        log "ARTIFACT_BUCKET is not set (a bucket name, without s3://)"
        exit 2
    fi
    bucket=${bucket#s3://}
    bucket=${bucket%/}
    if [[ -z $prefix ]]; then
        prefix=$(git rev-parse HEAD)
        if [[ -n $(git status --porcelain --untracked-files=no) ]]; then
            log "the work tree has uncommitted changes, so its zips are not commit $prefix; commit, or set ARTIFACT_PREFIX"
            exit 2
        fi
    fi
    prefix=${prefix#/}
    prefix=${prefix%/}
    command -v "$aws" >/dev/null || {
        log "the aws CLI ($aws) is not on PATH"
        exit 1
    }
    hashes
    local name zip dest
    while IFS= read -r name; do
        zip=$LAMBDA_DIR/$name/bootstrap.zip
        dest=s3://$bucket/$prefix/$name.zip
        # --checksum-algorithm has S3 verify the bytes it stored; the hash object goes last, so a
        # reader that finds it also finds the zip it describes.
        "$aws" s3 cp --only-show-errors --content-type application/zip --checksum-algorithm SHA256 "$zip" "$dest"
        # text/plain, so that Terraform's aws_s3_object data source returns its body.
        "$aws" s3 cp --only-show-errors --content-type text/plain --checksum-algorithm SHA256 "$zip.sha256" "$dest.sha256"
    done < <(functions)
    echo "published $(functions | wc -l) zips and their hashes to s3://$bucket/$prefix/"
    echo "artifact bucket: $bucket"
    echo "artifact prefix: $prefix"
}

CONSOLE_DIST=${CONSOLE_DIST:-console/dist}
CONSOLE_ZIP=${CONSOLE_ZIP:-target/console/console.zip}

console() {
    bash scripts/console_build.sh
    console_zip
}

console_zip() {
    "$PYTHON" - "$CONSOLE_DIST" "$CONSOLE_ZIP" <<'EOF'
import hashlib, pathlib, sys, zipfile

dist, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
if not (dist / "index.html").is_file():
    sys.exit(f"package.sh: {dist}/index.html is missing: the console build did not run")
files = sorted(
    p for p in dist.rglob("*")
    if p.is_file() and p.suffix != ".gz" and p.name not in (".build-hash", "config.json")
)
out.parent.mkdir(parents=True, exist_ok=True)
tmp = out.with_name(out.name + ".tmp")
with zipfile.ZipFile(tmp, "w") as z:
    for p in files:
        info = zipfile.ZipInfo(p.relative_to(dist).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        z.writestr(info, p.read_bytes(), compresslevel=9)
tmp.replace(out)
digest = hashlib.sha256(out.read_bytes()).hexdigest()
out.with_name(out.name + ".sha256hex").write_text(digest + "\n")
size = sum(p.stat().st_size for p in files)
print(f"console: {len(files)} files, {size / 1024:.1f} KiB, in {out} ({out.stat().st_size / 1024:.1f} KiB), sha256 {digest}")
EOF
}

console_deploy() {
    local aws=${AWS_CLI:-aws} bucket=${CONSOLE_BUCKET:-} dir dest
    command -v "$aws" >/dev/null || {
        log "the aws CLI ($aws) is not on PATH"
        exit 1
    }
    if [[ ! -f $CONSOLE_ZIP ]]; then
        log "$CONSOLE_ZIP is missing: run 'bash scripts/package.sh console' (or 'make package') first"
        exit 2
    fi
    if [[ -z $bucket ]]; then
        bucket=$("${TERRAFORM:-terraform}" -chdir=terraform output -raw console_bucket_name) || {
            log "set CONSOLE_BUCKET, or run this where 'terraform -chdir=terraform output' works"
            exit 2
        }
    fi
    bucket=${bucket#s3://}
    bucket=${bucket%/}
    dir=$(mktemp -d)
    # shellcheck disable=SC2064 # expanded now, on purpose: $dir is local to this function
    trap "rm -rf '$dir'" EXIT
    "$PYTHON" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$CONSOLE_ZIP" "$dir"
    if [[ ! -f $dir/index.html ]]; then
        log "$CONSOLE_ZIP has no index.html"
        exit 2
    fi
    dest=s3://$bucket/console
    if [[ -d $dir/assets ]]; then
        "$aws" s3 sync --only-show-errors --no-progress "$dir/assets" "$dest/assets" \
            --cache-control "public, max-age=31536000, immutable"
    fi
    # cp, not sync: the unpacked files all carry the zip's fixed date, and sync would skip a
    # changed file whose size did not change.
    "$aws" s3 cp --only-show-errors --no-progress --recursive "$dir" "$dest" \
        --exclude "assets/*" --exclude "index.html" --exclude "config.json" --cache-control "no-cache"
    "$aws" s3 cp --only-show-errors --no-progress "$dir/index.html" "$dest/index.html" \
        --content-type "text/html; charset=utf-8" --cache-control "no-cache"
    "$aws" s3 sync --only-show-errors --no-progress --delete --size-only "$dir" "$dest" \
        --exclude "assets/*" --exclude "config.json" --cache-control "no-cache"
    echo "console deployed from $CONSOLE_ZIP (sha256 $(sha256sum "$CONSOLE_ZIP" | cut -d' ' -f1)) to $dest/"
}

case ${1:-build} in
build)
    build
    hashes
    console
    ;;
hashes) hashes ;;
publish) publish ;;
console) console ;;
console-zip) console_zip ;;
console-deploy) console_deploy ;;
*)
    echo "usage: $0 [build|hashes|publish|console|console-zip|console-deploy]" >&2
    exit 2
    ;;
esac
