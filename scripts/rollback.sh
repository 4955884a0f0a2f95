#!/usr/bin/env bash
# Roll back one function, or all of them, by pointing their "live" alias at an earlier published
# version. Every trigger (API routes, the stream and SQS mappings, the schedules) invokes that
# alias, so this takes effect at once, for new invocations, and rebuilds nothing. A version is
# immutable and carries its own environment, so the earlier configuration comes back with the
# code; IAM, the table and the queues do not change.
#
#   scripts/rollback.sh --env prod --function dispatcher --to 41
#   scripts/rollback.sh --env prod --function dispatcher --to-previous
#   scripts/rollback.sh --env prod --all --to-previous            # undo the last deploy
#   scripts/rollback.sh --env prod --all --before 2025-06-01T12:00:00Z
#   ... --dry-run                                                # print the plan, change nothing
#
# --to-previous, for one function: the newest version below the one it serves now.
# --to-previous with --all: undo the last deploy. The last deploy is every function whose live
#   version was published within --window minutes (default 30) of the newest live version; each
#   goes back to its newest version published before that window. Functions the last deploy did
#   not touch stay where they are.
# --before TIME (UTC): every selected function goes to its newest version published before TIME,
#   i.e. what served then (assuming the alias followed the newest version, as it does by default).
#
# Any canary weight on a moved alias is removed. The script prints each change and the
# alias_versions lines to add to the tfvars: without them the next `terraform apply` moves the
# aliases forward to the newest version again (DEPLOYMENT.md, "Rollback").
#
# Needs the aws CLI (v2) with credentials for the account, and python3 to read the manifest.
# Optional: AWS_CLI (default aws), PYTHON (default python3), ALIAS (default live).
set -euo pipefail

if ((BASH_VERSINFO[0] < 4)); then
    echo "rollback: needs bash 4 or later (macOS: brew install bash)" >&2
    exit 1
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MANIFEST="$ROOT/functions/manifest.json"
AWS_CLI=${AWS_CLI:-aws}
PYTHON=${PYTHON:-python3}
ALIAS=${ALIAS:-live}

usage() {
    cat >&2 <<'EOF'
usage: scripts/rollback.sh (--env ENV | --prefix PREFIX)
                           (--function NAME [--function NAME...] | --all)
                           (--to VERSION | --to-previous | --before YYYY-MM-DDTHH:MM[:SS]Z)
                           [--window MINUTES] [--region REGION] [--dry-run]
EOF
    exit 2
}

die() {
    echo "rollback: $*" >&2
    exit 1
}

env_name="" prefix="" all=false to="" to_previous=false before="" window=30 region="" dry_run=false
selected=()
while [[ $# -gt 0 ]]; do
    case $1 in
    --env)
        env_name=${2:-}
        shift 2 || usage
        ;;
    --prefix)
        prefix=${2:-}
        shift 2 || usage
        ;;
    --function)
        selected+=("${2:-}")
        shift 2 || usage
        ;;
    --all)
        all=true
        shift
        ;;
    --to)
        to=${2:-}
        shift 2 || usage
        ;;
    --to-previous)
        to_previous=true
        shift
        ;;
    --before)
        before=${2:-}
        shift 2 || usage
        ;;
    --window)
        window=${2:-}
        shift 2 || usage
        ;;
    --region)
        region=${2:-}
        shift 2 || usage
        ;;
    --dry-run)
        dry_run=true
        shift
        ;;
    -h | --help) usage ;;
    *)
        echo "rollback: unknown argument $1" >&2
        usage
        ;;
    esac
done

# --- What to roll back --------------------------------------------------------------------------

mapfile -t manifest_lines < <("$PYTHON" -c '
import json, sys
m = json.load(open(sys.argv[1]))
print(m["service"])
for f in m["functions"]:
    print(f["name"])
' "$MANIFEST")
[[ ${#manifest_lines[@]} -gt 1 ]] || die "cannot read the functions from $MANIFEST"
service=${manifest_lines[0]}
manifest_functions=("${manifest_lines[@]:1}")

if [[ -n $env_name && -n $prefix ]] || [[ -z $env_name && -z $prefix ]]; then
    die "give exactly one of --env ENV and --prefix PREFIX"
fi
[[ -n $prefix ]] || prefix="$service-$env_name"

if $all; then
    [[ ${#selected[@]} -eq 0 ]] || die "--all and --function exclude each other"
    selected=("${manifest_functions[@]}")
fi
[[ ${#selected[@]} -gt 0 ]] || die "name the functions (--function NAME) or --all"
declare -A known=()
for name in "${manifest_functions[@]}"; do
    known[$name]=1
done
for name in "${selected[@]}"; do
    [[ -n $name && -n ${known[$name]:-} ]] || die "${name:-(empty)} is not a function in functions/manifest.json"
done

modes=0
[[ -z $to ]] || modes=$((modes + 1))
! $to_previous || modes=$((modes + 1))
[[ -z $before ]] || modes=$((modes + 1))
[[ $modes -eq 1 ]] || die "give exactly one of --to VERSION, --to-previous and --before TIME"
if [[ -n $to ]]; then
    [[ $to =~ ^[1-9][0-9]*$ ]] || die "--to takes a published version number, e.g. 41"
    [[ ${#selected[@]} -eq 1 ]] || die "--to VERSION names one function's version; for several, use --to-previous or --before"
fi
[[ $window =~ ^[0-9]+$ ]] || die "--window takes whole minutes"
if [[ -n $before ]]; then
    [[ $before =~ ^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2})(:[0-9]{2})?Z?$ ]] ||
        die "--before takes a UTC time such as 2025-06-01T12:00:00Z"
    before="${BASH_REMATCH[1]}${BASH_REMATCH[2]:-:00}"
fi

command -v "$AWS_CLI" >/dev/null || die "the aws CLI ($AWS_CLI) is not on PATH"
if [[ -n $region ]]; then
    export AWS_REGION=$region AWS_DEFAULT_REGION=$region
fi

# Lambda reports LastModified in UTC ("2025-06-01T12:00:00.000+0000"); its first 19 characters
# compare correctly as strings.
to_epoch() {
    date -u -d "$1Z" +%s 2>/dev/null || date -u -j -f '%Y-%m-%dT%H:%M:%S' "$1" +%s
}
from_epoch() {
    date -u -d "@$1" +%Y-%m-%dT%H:%M:%S 2>/dev/null || date -u -r "$1" +%Y-%m-%dT%H:%M:%S
}

# --- Where each alias is now, and what was published -----------------------------------------

declare -A live=() live_time=() versions=()
for name in "${selected[@]}"; do
    fn="$prefix-$name"
    live[$name]=$("$AWS_CLI" lambda get-alias --function-name "$fn" --name "$ALIAS" \
        --query FunctionVersion --output text) || die "cannot read alias $ALIAS of $fn"
    # One "version<TAB>published" line per published version ($LATEST is JMESPath text here).
    # shellcheck disable=SC2016
    versions[$name]=$("$AWS_CLI" lambda list-versions-by-function --function-name "$fn" \
        --query 'Versions[?Version!=`$LATEST`].[Version,LastModified]' --output text) ||
        die "cannot list the versions of $fn"
    live_time[$name]=$(awk -v v="${live[$name]}" '$1 == v { print substr($2, 1, 19) }' <<<"${versions[$name]}")
    [[ -n ${live_time[$name]} ]] || die "$fn: alias $ALIAS points at ${live[$name]}, which is not a published version"
done

# --all --to-previous: the cut-off is the start of the last deploy's window.
if $to_previous && $all; then
    newest=""
    for name in "${selected[@]}"; do
        if [[ ${live_time[$name]} > $newest ]]; then
            newest=${live_time[$name]}
        fi
    done
    before=$(from_epoch $(($(to_epoch "$newest") - window * 60)))
    echo "rollback: last deploy: live versions published since $before UTC (newest $newest, --window $window min)"
fi

# --- The target of each function ----------------------------------------------------------------

declare -A target=()
for name in "${selected[@]}"; do
    if [[ -n $to ]]; then
        awk -v v="$to" '$1 == v { found = 1 } END { exit !found }' <<<"${versions[$name]}" ||
            die "$prefix-$name has no published version $to"
        target[$name]=$to
    elif [[ -n $before ]]; then
        if [[ ! ${live_time[$name]} > $before ]]; then
            continue # already serving a version from before the cut-off
        fi
        target[$name]=$(awk -v t="$before" 'substr($2, 1, 19) < t && ($1 + 0) > best { best = $1 + 0 } END { if (best) print best }' \
            <<<"${versions[$name]}")
        [[ -n ${target[$name]} ]] || die "$prefix-$name has no version published before $before UTC"
    else
        target[$name]=$(awk -v cur="${live[$name]}" '($1 + 0) < (cur + 0) && ($1 + 0) > best { best = $1 + 0 } END { if (best) print best }' \
            <<<"${versions[$name]}")
        [[ -n ${target[$name]} ]] || die "$prefix-$name has no version older than ${live[$name]}"
    fi
done

# --- Move the aliases -------------------------------------------------------------------------------

moved=()
for name in "${selected[@]}"; do
    [[ -n ${target[$name]:-} ]] || continue
    fn="$prefix-$name"
    if [[ ${target[$name]} == "${live[$name]}" ]]; then
        echo "rollback: $fn: already on version ${live[$name]}"
        continue
    fi
    cmd=("$AWS_CLI" lambda update-alias --function-name "$fn" --name "$ALIAS"
        --function-version "${target[$name]}" --routing-config 'AdditionalVersionWeights={}')
    echo "rollback: $fn: $ALIAS ${live[$name]} -> ${target[$name]}"
    echo "  ${cmd[*]}"
    if ! $dry_run; then
        "${cmd[@]}" --query FunctionVersion --output text >/dev/null || die "$fn: update-alias failed"
    fi
    moved+=("$name")
done

if [[ ${#moved[@]} -eq 0 ]]; then
    echo "rollback: nothing to move"
    exit 0
fi
if $dry_run; then
    echo "rollback: dry run, nothing changed (${#moved[@]} aliases would move)"
    exit 0
fi
echo "rollback: moved ${#moved[@]} aliases"
echo
echo "Record this in your tfvars, or the next terraform apply moves the aliases forward again"
echo "(merge it with any alias_versions you already have; remove the pins once the fix is deployed):"
echo
echo "alias_versions = {"
for name in "${moved[@]}"; do
    printf '  "%s" = "%s"\n' "$name" "${target[$name]}"
done
echo "}"
