#!/usr/bin/env python3
"""Latency, cold-start and memory benchmark on the local stack (stdlib only).

It starts its own stack on a free loopback port, sends a bounded number of sequential requests
per route, and prints medians. Shared machines are noisy, so every latency is also given as a
ratio to a baseline measured in the same run: the gateway answering `/openapi.json` itself,
without invoking a Lambda. Cold start (Init Duration) and peak memory (Max Memory Used) come
from the Lambda-style REPORT lines the stack logs for each invocation.

Usage: scripts/bench.py [--bin-dir target/release] [--requests 200]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone

REPORT = re.compile(
    r"Function: (?P<fn>\S+)\tDuration: (?P<dur>[\d.]+) ms.*?Max Memory Used: (?P<mem>\d+) MB"
    r"(?:\tInit Duration: (?P<init>[\d.]+) ms)?"
)


def start_stack(bin_dir, state_dir, log):
    env = dict(os.environ, OFAUTO_LOCAL_MAX_CONCURRENCY="1")
    proc = subprocess.Popen(
        [os.path.join(bin_dir, "ofauto-local"), "--port", "0", "--bin-dir", bin_dir,
         "--state-dir", state_dir, "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env, text=True,
    )
    deadline = time.time() + 90
    while time.time() < deadline:
        line = proc.stdout.readline()
        if line.startswith("OFAUTO_READY "):
            return proc, json.loads(line.split(" ", 1)[1])
        if not line and proc.poll() is not None:
            break
    sys.exit(f"the stack did not start; see {log.name}")


def token(bin_dir, state_dir):
    out = subprocess.run(
        [os.path.join(bin_dir, "ofauto-token"), "--state-dir", state_dir,
         "--tenant", "bench", "--role", "editor", "--tier", "bulk"],
        check=True, capture_output=True, text=True,
    )
    return out.stdout.strip()


def timed(method, url, headers, body=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        payload, status = error.read(), error.code
    return (time.perf_counter() - started) * 1000, status, payload


def measure(name, count, send):
    samples = []
    for i in range(count):
        ms, status, _ = send(i)
        if status >= 500:
            sys.exit(f"{name}: HTTP {status}")
        samples.append(ms)
    return samples


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", default="target/release")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    count = max(10, min(args.requests, 2000))  # bounded, whatever is asked

    state_dir = tempfile.mkdtemp(prefix="ofauto-bench-")
    log = open(os.path.join(state_dir, "stack.log"), "w")
    proc, ready = start_stack(args.bin_dir, state_dir, log)
    try:
        api = ready["api"]
        auth = {"authorization": "Bearer " + token(args.bin_dir, state_dir),
                "content-type": "application/json"}
        now = datetime.now(timezone.utc)
        day_ago = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        first = json.loads(timed("POST", api + "/v1/events", auth, b'{"type":"bench.seed"}')[2])
        routes = {
            "gateway only (/openapi.json)": lambda i: timed("GET", api + "/openapi.json", {}),
            "GET /health": lambda i: timed("GET", api + "/health", {}),
            "POST /v1/events": lambda i: timed(
                "POST", api + "/v1/events", auth,
                json.dumps({"type": "bench.event", "properties": {"i": i}}).encode()),
            "GET /v1/events": lambda i: timed("GET", api + "/v1/events?limit=25", auth),
            "GET /v1/events/{id}": lambda i: timed("GET", api + "/v1/events/" + first["id"], auth),
            "GET /v1/analytics/events": lambda i: timed(
                "GET", f"{api}/v1/analytics/events?granularity=hour&from={day_ago}"
                f"&to={now.strftime('%Y-%m-%dT%H:%M:%SZ')}", auth),
        }
        results = {name: measure(name, count, send) for name, send in routes.items()}
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
        log.close()

    baseline = statistics.median(results["gateway only (/openapi.json)"])
    print(f"\nlatency over {count} sequential requests per route (bin dir {args.bin_dir})")
    print(f"{'route':34} {'p50 ms':>8} {'p95 ms':>8} {'p50 / baseline':>15}")
    for name, samples in results.items():
        p50 = statistics.median(samples)
        p95 = statistics.quantiles(samples, n=20)[-1]
        print(f"{name:34} {p50:8.2f} {p95:8.2f} {p50 / baseline:15.2f}")

    inits, memory, durations = {}, {}, {}
    with open(os.path.join(state_dir, "stack.log")) as lines:
        for line in lines:
            match = REPORT.search(line)
            if not match:
                continue
            fn = match["fn"]
            durations.setdefault(fn, []).append(float(match["dur"]))
            memory[fn] = max(memory.get(fn, 0), int(match["mem"]))
            if match["init"]:
                inits.setdefault(fn, []).append(float(match["init"]))
    print(f"\n{'function':24} {'cold init ms':>13} {'warm duration p50 ms':>21} {'max memory MB':>14}")
    for fn in sorted(durations):
        init = statistics.median(inits[fn]) if fn in inits else float("nan")
        print(f"{fn:24} {init:13.2f} {statistics.median(durations[fn]):21.2f} {memory[fn]:14d}")
    print(f"\nstack log: {os.path.join(state_dir, 'stack.log')}")


if __name__ == "__main__":
    main()
