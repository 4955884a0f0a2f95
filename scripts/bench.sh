#!/usr/bin/env bash
# `make bench`: OFAuto's performance figures beside their baselines, measured in one run.
#
# 1. builds every function, the local stack and the lambda_runtime hello world in release;
# 2. runs the criterion benches of handler overhead (target/criterion);
# 3. runs ofauto-bench, which starts its own stack on free loopback ports, measures cold init,
#    warm latency against raw DynamoDB Local, peak memory, zip sizes and analytics read cost,
#    prints the table and writes target/bench/bench.json.
#
# Extra arguments go to ofauto-bench (`scripts/bench.sh --help` lists them), e.g.
#   scripts/bench.sh --cold-runs 10 --seconds 4 --analytics-events 100,1000
# BENCH_SKIP_BUILD=1 skips step 1 (for iterating on a built tree).
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}

if [[ " $* " == *" --help "* ]]; then
  exec "$CARGO" run --quiet --release -p ofauto-bench --bin ofauto-bench -- --help
fi

if [[ -z "${BENCH_SKIP_BUILD:-}" ]]; then
  echo "bench: building the functions, the stack and the hello world (release; slow the first time)" >&2
  "$CARGO" build --release --workspace --bins
fi

echo "bench: handler overhead in process (criterion)" >&2
"$CARGO" bench -p ofauto-bench --bench handler -- --warm-up-time 2 --measurement-time 5 --noplot >&2

exec ./target/release/ofauto-bench "$@"
