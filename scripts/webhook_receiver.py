#!/usr/bin/env python3
"""A small Standard Webhooks receiver on 127.0.0.1, for the README walkthrough and for the tests.

It verifies with the PyPI `standardwebhooks` package, an implementation independent of the Rust
`standardwebhooks` crate that signs, so a delivery that verifies here verifies for any receiver.

Walkthrough mode (`make receiver PORT=9000 SECRET=whsec_...`):

    webhook_receiver.py --port 9000 --secret whsec_... [--secret whsec_...]

  prints one line per delivery: its webhook-id, its type, and which secret verified it. It answers
  204 to a delivery that verifies and 401 to one that does not.

Test mode (`--control`): every path is an endpoint, named by the path (`/a` is endpoint `a`).

    PUT  /_control/endpoints/<name>              {"secrets": [...], "script": [step, ...], "default": step}
    GET  /_control/endpoints/<name>/deliveries   every request to /<name>, oldest first

  A step is {"status": 200, "delay_s": 0, "headers": {"Retry-After": "2"}}: the n-th request to
  an endpoint is answered by script[n] (after delay_s), and those past the script by `default`.
  Configuring an endpoint forgets its earlier deliveries. Each recorded delivery holds
  `received_at` (unix seconds), `webhook_id`, `webhook_timestamp`, `signatures`, the parsed
  `body`, `verified_by` (the indexes of the configured secrets that each verify it on their own)
  and `answered` (the status it got). An endpoint nobody configured answers 200.

Once listening it prints `RECEIVER_READY <port>` on stdout. Needs Python 3.11+ and nothing but the
standard library besides `standardwebhooks` (scripts/requirements-receiver.txt).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

CONTROL_PREFIX = "/_control/endpoints/"
MAX_BODY = 10 * 1024 * 1024
OK_STEP = {"status": 200, "delay_s": 0.0, "headers": {}}


def verified_by(secrets: list[str], body: bytes, headers: dict[str, str]) -> list[int]:
    """Indexes of the secrets that verify the request, each tried on its own."""
    found = []
    for i, secret in enumerate(secrets):
        try:
            Webhook(secret).verify(body, headers)
        except (WebhookVerificationError, ValueError, TypeError):
            continue
        found.append(i)
    return found


def parse_step(raw: object) -> dict:
    if not isinstance(raw, dict):
        raise ValueError("a step is an object")
    status = raw.get("status", 200)
    delay = raw.get("delay_s", 0)
    headers = raw.get("headers", {})
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError("status must be an HTTP status code")
    if not isinstance(delay, (int, float)) or delay < 0:
        raise ValueError("delay_s must be a non-negative number")
    if isinstance(headers, list):  # [[name, value], ...] is accepted too
        headers = {str(k): str(v) for k, v in headers}
    if not isinstance(headers, dict):
        raise ValueError("headers must be an object")
    return {"status": status, "delay_s": float(delay), "headers": {str(k): str(v) for k, v in headers.items()}}


class Endpoint:
    def __init__(self, secrets: list[str], script: list[dict], default: dict):
        self.secrets = secrets
        self.script = script
        self.default = default
        self.deliveries: list[dict] = []


class State:
    def __init__(self, control: bool, secrets: list[str]):
        self.control = control
        self.secrets = secrets
        self.lock = threading.Lock()
        self.endpoints: dict[str, Endpoint] = {}


class Handler(BaseHTTPRequestHandler):
    server_version = "webhook-receiver"
    protocol_version = "HTTP/1.1"
    state: State

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        pass  # one line per delivery is printed instead, in walkthrough mode

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def _answer(self, status: int, payload: object = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def do_GET(self) -> None:
        if self.state.control and self.path.startswith(CONTROL_PREFIX) and self.path.endswith("/deliveries"):
            name = self.path[len(CONTROL_PREFIX) : -len("/deliveries")]
            with self.state.lock:
                endpoint = self.state.endpoints.get(name)
                deliveries = list(endpoint.deliveries) if endpoint else []
            self._answer(200, deliveries)
            return
        self._deliver()

    def do_PUT(self) -> None:
        if not (self.state.control and self.path.startswith(CONTROL_PREFIX)):
            self._deliver()
            return
        name = self.path[len(CONTROL_PREFIX) :]
        try:
            config = json.loads(self._body() or b"{}")
            secrets = config.get("secrets", [])
            if not isinstance(secrets, list) or not all(isinstance(s, str) for s in secrets):
                raise ValueError("secrets must be a list of strings")
            script = [parse_step(s) for s in config.get("script", [])]
            default = parse_step(config.get("default", OK_STEP))
        except (ValueError, TypeError, AttributeError) as e:
            self._answer(400, {"error": str(e)})
            return
        with self.state.lock:
            self.state.endpoints[name] = Endpoint(secrets, script, default)
        self._answer(200, {"endpoint": name})

    def do_POST(self) -> None:
        self._deliver()

    do_PATCH = do_POST
    do_DELETE = do_POST

    def _deliver(self) -> None:
        received_at = time.time()
        try:
            body = self._body()
        except ValueError:
            self._answer(413)
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            parsed: object = json.loads(body)
        except ValueError:
            parsed = body.decode("utf-8", "replace")
        if self.state.control:
            self._record(received_at, body, headers, parsed)
        else:
            self._print(body, headers, parsed)

    def _record(self, received_at: float, body: bytes, headers: dict[str, str], parsed: object) -> None:
        name = self.path.split("?", 1)[0].lstrip("/")
        with self.state.lock:
            secrets = list(self.state.endpoints.get(name, Endpoint([], [], OK_STEP)).secrets)
        found = verified_by(secrets, body, headers)
        with self.state.lock:
            endpoint = self.state.endpoints.setdefault(name, Endpoint([], [], OK_STEP))
            n = len(endpoint.deliveries)
            step = endpoint.script[n] if n < len(endpoint.script) else endpoint.default
            endpoint.deliveries.append(
                {
                    "received_at": received_at,
                    "method": self.command,
                    "path": self.path,
                    "webhook_id": headers.get("webhook-id", ""),
                    "webhook_timestamp": headers.get("webhook-timestamp", ""),
                    "signatures": (headers.get("webhook-signature") or "").split(),
                    "content_type": headers.get("content-type"),
                    "user_agent": headers.get("user-agent"),
                    "body": parsed,
                    "verified_by": found,
                    "answered": step["status"],
                }
            )
        if step["delay_s"]:
            time.sleep(step["delay_s"])
        try:
            self._answer(step["status"], None, step["headers"])
        except OSError:
            pass  # the sender gave up (its timeout); the delivery is recorded all the same

    def _print(self, body: bytes, headers: dict[str, str], parsed: object) -> None:
        found = verified_by(self.state.secrets, body, headers)
        kind = parsed.get("type") if isinstance(parsed, dict) else None
        webhook_id = headers.get("webhook-id", "-")
        if found:
            which = ", ".join(f"#{i + 1}" for i in found)
            print(f"{time.strftime('%H:%M:%S')} {webhook_id} {kind} verified with secret {which}", flush=True)
            print(json.dumps(parsed, indent=2), flush=True)
            self._answer(204)
        else:
            print(f"{time.strftime('%H:%M:%S')} {webhook_id} {kind} NOT verified by any secret", flush=True)
            self._answer(401)


class Server(ThreadingHTTPServer):
    # A burst of deliveries opens many connections at once; the default backlog of 5 refuses them.
    request_queue_size = 256
    daemon_threads = True


def exit_on_stdin_eof() -> None:
    while sys.stdin.buffer.read(1024):
        pass
    os._exit(0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--secret", action="append", default=[], help="a whsec_ signing secret (repeatable)")
    parser.add_argument("--control", action="store_true", help="test mode: scripted endpoints and recorded deliveries")
    parser.add_argument("--exit-on-stdin-eof", action="store_true", help="exit when stdin closes (its parent died)")
    args = parser.parse_args()
    if not args.control and not args.secret:
        parser.error("give at least one --secret whsec_... (or --control)")
    for s in args.secret:
        try:
            Webhook(s)
        except Exception as e:  # noqa: BLE001 - any failure means the secret is unusable
            parser.error(f"--secret is not a valid signing secret: {e}")

    Handler.state = State(args.control, args.secret)
    server = Server(("127.0.0.1", args.port), Handler)
    if args.exit_on_stdin_eof:
        threading.Thread(target=exit_on_stdin_eof, daemon=True).start()
    print(f"RECEIVER_READY {server.server_address[1]}", flush=True)
    if not args.control:
        print(f"listening on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
