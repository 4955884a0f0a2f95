#!/usr/bin/env bash
# Lambda artifacts: build, hash, report and (optionally) publish one zip per manifest function.
#
#   scripts/package.sh            (`make package`) cargo-lambda release build for arm64, then `hashes`
#   scripts/package.sh hashes     hash and report the zips already in $LAMBDA_DIR; builds nothing
#   scripts/package.sh publish    (`make publish-artifacts`) `hashes`, then upload every zip and its
#                                 hash to s3://$ARTIFACT_BUCKET/$ARTIFACT_PREFIX/ with the aws CLI
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
# Optional: LAMBDA_DIR (default target/lambda), SIZE_GOAL_MIB, ARTIFACT_BUCKET, ARTIFACT_PREFIX,
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

case ${1:-build} in
build)
    build
    hashes
    ;;
hashes) hashes ;;
publish) publish ;;
*)
    echo "usage: $0 [build|hashes|publish]" >&2
    exit 2
    ;;
esac
