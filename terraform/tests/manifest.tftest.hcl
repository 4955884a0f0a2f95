# `terraform test` with mocked AWS: evaluates the whole configuration
# against functions/manifest.json (for_each keys, route keys, IAM statements,
# preconditions, provider-side argument validation) without credentials or
# network. Nothing is created: every resource and data source is mocked.
#
# Offline, scripts/terraform_check.sh runs this from a temporary copy, with
# providers from a local mirror. With registry access:
#   terraform init -backend=false && terraform test -var=artifacts_dir=<dir with <name>/bootstrap.zip>
# (make package produces that directory).

mock_provider "aws" {
  source = "./tests/mocks"
}

# Work queues and their DLQs get distinct ARNs (the mock default is shared by
# every aws_sqs_queue), so that wiring one in place of the other shows. File
# level: runs share one state, and a run-level override would not reach
# resources an earlier run already created.
override_resource {
  target = aws_sqs_queue.work
  values = { arn = "arn:aws:sqs:eu-west-1:123456789012:ofauto-test-work", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/ofauto-test-work" }
}
override_resource {
  target = aws_sqs_queue.work_dlq
  values = { arn = "arn:aws:sqs:eu-west-1:123456789012:ofauto-test-work-dlq", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/ofauto-test-work-dlq" }
}

variables {
  aws_region  = "eu-west-1"
  environment = "test"
}

run "manifest_wiring" {
  command = apply

  # --- Lambda ------------------------------------------------------------
  assert {
    condition     = join(",", sort(keys(aws_lambda_function.fn))) == join(",", sort([for f in local.manifest.functions : f.name]))
    error_message = "every manifest function must get exactly one Lambda"
  }
  assert {
    condition = alltrue([
      for f in local.manifest.functions :
      aws_lambda_function.fn[f.name].memory_size == f.memory_mb &&
      aws_lambda_function.fn[f.name].timeout == f.timeout_s &&
      aws_lambda_function.fn[f.name].runtime == "provided.al2023" &&
      aws_lambda_function.fn[f.name].handler == "bootstrap" &&
      aws_lambda_function.fn[f.name].architectures == tolist(["arm64"]) &&
      aws_lambda_function.fn[f.name].function_name == "${local.manifest.service}-test-${f.name}" &&
      aws_lambda_function.fn[f.name].tracing_config[0].mode == "Active"
    ])
    error_message = "Lambda settings must follow the manifest (memory, timeout) and the platform (al2023, arm64, bootstrap, X-Ray)"
  }
  assert {
    condition = alltrue([
      for k, fn in aws_lambda_function.fn :
      fn.environment[0].variables["TABLE_NAME"] == aws_dynamodb_table.main.name &&
      fn.environment[0].variables["CURSOR_SECRET_ID"] == aws_secretsmanager_secret.cursor_signing_key.arn &&
      fn.environment[0].variables["OFAUTO_ENV"] == "aws" &&
      fn.environment[0].variables["LOG_LEVEL"] == "info"
    ])
    error_message = "every function needs TABLE_NAME, CURSOR_SECRET_ID, OFAUTO_ENV=aws and LOG_LEVEL"
  }
  assert {
    condition = alltrue([
      for k, fn in aws_lambda_function.fn :
      length(fn.dead_letter_config) == (local.functions[k].trigger.kind == "schedule" ? 1 : 0)
    ])
    error_message = "only asynchronously invoked (scheduled) functions get a Lambda DLQ"
  }

  # --- HTTP --------------------------------------------------------------
  assert {
    condition = alltrue([
      for f in local.manifest.functions :
      f.trigger.auth == "jwt"
      ? try(aws_apigatewayv2_route.jwt[f.name].route_key, "") == (f.trigger.path == "$default" ? "$default" : "${f.trigger.method} ${f.trigger.path}")
      : try(aws_apigatewayv2_route.public[f.name].route_key, "") == (f.trigger.path == "$default" ? "$default" : "${f.trigger.method} ${f.trigger.path}")
      if f.trigger.kind == "http"
    ])
    error_message = "every http function needs its route, under the right auth"
  }
  assert {
    condition = alltrue([
      for k, r in aws_apigatewayv2_route.jwt :
      r.authorization_type == "JWT" && r.authorizer_id == aws_apigatewayv2_authorizer.jwt.id
    ])
    error_message = "jwt routes must use the Cognito JWT authorizer"
  }
  assert {
    condition     = length(aws_apigatewayv2_route.jwt) + length(aws_apigatewayv2_route.public) == length([for f in local.manifest.functions : f if f.trigger.kind == "http"])
    error_message = "there must be exactly one route per http function"
  }
  assert {
    condition = alltrue([
      for k, i in aws_apigatewayv2_integration.fn :
      i.payload_format_version == "2.0" && i.integration_type == "AWS_PROXY" && i.timeout_milliseconds <= 30000
    ])
    error_message = "integrations must be Lambda proxy, payload 2.0, within the 30 s limit"
  }
  assert {
    condition = alltrue([
      for f in local.manifest.functions :
      aws_lambda_permission.api[f.name].source_arn == (
        f.trigger.path == "$default"
        ? "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*/$default"
        : "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*/${f.trigger.method == "ANY" ? "*" : f.trigger.method}${f.trigger.path}"
      ) && aws_lambda_permission.api[f.name].principal == "apigateway.amazonaws.com"
      if f.trigger.kind == "http"
    ])
    error_message = "each invoke permission must be scoped to this API and the function's own route (e.g. .../*/GET/v1/events/{id})"
  }
  assert {
    condition     = aws_apigatewayv2_authorizer.jwt.jwt_configuration[0].issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E"
    error_message = "the authorizer must trust this stack's user pool"
  }
  assert {
    condition     = aws_apigatewayv2_stage.default.name == "$default" && strcontains(aws_apigatewayv2_stage.default.access_log_settings[0].format, "$context.authorizer.error")
    error_message = "the $default stage must write JSON access logs"
  }

  # --- Stream ------------------------------------------------------------
  assert {
    condition = alltrue([
      for f in local.manifest.functions :
      aws_lambda_event_source_mapping.stream[f.name].batch_size == f.trigger.batch_size &&
      aws_lambda_event_source_mapping.stream[f.name].starting_position == f.trigger.starting_position &&
      aws_lambda_event_source_mapping.stream[f.name].maximum_batching_window_in_seconds == f.trigger.maximum_batching_window_s &&
      aws_lambda_event_source_mapping.stream[f.name].bisect_batch_on_function_error &&
      contains(aws_lambda_event_source_mapping.stream[f.name].function_response_types, "ReportBatchItemFailures") &&
      aws_lambda_event_source_mapping.stream[f.name].destination_config[0].on_failure[0].destination_arn == aws_sqs_queue.dlq[f.name].arn
      if f.trigger.kind == "dynamodb_stream"
    ])
    error_message = "every dynamodb_stream function needs its event source mapping, per the manifest, with an SQS on-failure DLQ"
  }
  assert {
    condition     = aws_dynamodb_table.main.stream_view_type == local.manifest.table.stream_view_type && aws_dynamodb_table.main.stream_enabled
    error_message = "the table stream must follow the manifest"
  }

  # --- IAM: the manifest's permissions, on the mapped resources, no wildcards
  assert {
    condition = alltrue(flatten([
      for f in local.manifest.functions : [
        for p in f.permissions : anytrue([
          for s in data.aws_iam_policy_document.fn[f.name].statement :
          length(setsubtract(p.actions, s.actions)) == 0 && length(setsubtract(local.permission_resources[p.resource], s.resources)) == 0
        ])
      ]
    ]))
    error_message = "every manifest permission must appear, on its mapped resource, in the function's policy"
  }
  assert {
    condition = alltrue(flatten([
      for k, d in data.aws_iam_policy_document.fn : [
        for s in d.statement : [for a in s.actions : a != "*" && !endswith(a, ":*")]
      ]
    ]))
    error_message = "no function policy may allow wildcard actions"
  }
  assert {
    condition = alltrue([
      for f in local.manifest.functions :
      length([
        for st in data.aws_iam_policy_document.fn[f.name].statement : st
        if endswith(st.sid, "ViaSecretsmanager") && length(st.condition) == 1 && contains(st.actions, "kms:Decrypt")
      ]) == 1
      if contains([for p in f.permissions : p.resource], "cursor_secret")
    ])
    error_message = "a function reading the cursor secret needs kms:Decrypt, via Secrets Manager only"
  }

  # --- Alarms ------------------------------------------------------------
  assert {
    condition     = join(",", sort(keys(aws_cloudwatch_metric_alarm.lambda_errors))) == join(",", sort(keys(aws_lambda_function.fn))) && join(",", sort(keys(aws_cloudwatch_metric_alarm.lambda_throttles))) == join(",", sort(keys(aws_lambda_function.fn)))
    error_message = "every function needs an errors and a throttles alarm"
  }
  assert {
    condition     = join(",", sort(keys(aws_cloudwatch_metric_alarm.dlq_messages))) == join(",", sort(keys(aws_sqs_queue.dlq))) && join(",", sort(keys(aws_cloudwatch_metric_alarm.stream_iterator_age))) == join(",", sort(keys(aws_lambda_event_source_mapping.stream)))
    error_message = "every DLQ and every stream consumer needs its alarm"
  }
  assert {
    condition = alltrue([
      for a in concat(
        values(aws_cloudwatch_metric_alarm.lambda_errors), values(aws_cloudwatch_metric_alarm.lambda_throttles),
        values(aws_cloudwatch_metric_alarm.dlq_messages), values(aws_cloudwatch_metric_alarm.stream_iterator_age),
        values(aws_cloudwatch_metric_alarm.queue_dlq_messages), values(aws_cloudwatch_metric_alarm.queue_oldest_message_age),
        values(aws_cloudwatch_metric_alarm.schedule_failed_invocations), values(aws_cloudwatch_metric_alarm.dynamodb_gsi_throttles),
        [aws_cloudwatch_metric_alarm.api_5xx_rate, aws_cloudwatch_metric_alarm.api_latency_p99, aws_cloudwatch_metric_alarm.dynamodb_throttles]
      ) :
      length(a.alarm_description) <= 1024 && strcontains(a.alarm_description, "First check")
    ])
    error_message = "alarm descriptions must fit CloudWatch's 1024 characters and say what to check first"
  }
}

# The schedule path: the manifest's work queues (KMS, visibility, redrive to
# a DLQ), the sqs event source mappings, the environment every function
# reads (shared/src/config.rs), the channel secrets path policy and the KMS
# grants each function needs through Secrets Manager and SQS.
run "schedule_path_wiring" {
  command = apply

  # --- Queues ------------------------------------------------------------
  assert {
    condition     = join(",", sort(keys(aws_sqs_queue.work))) == join(",", sort([for q in local.manifest.queues : q.name])) && join(",", sort(keys(aws_sqs_queue.work_dlq))) == join(",", sort(keys(aws_sqs_queue.work)))
    error_message = "every manifest queue needs exactly one work queue and one DLQ"
  }
  assert {
    condition = alltrue([
      for q in local.manifest.queues :
      aws_sqs_queue.work[q.name].name == "ofauto-test-${q.name}" &&
      aws_sqs_queue.work[q.name].visibility_timeout_seconds == q.visibility_timeout_s &&
      aws_sqs_queue.work[q.name].message_retention_seconds == q.message_retention_s &&
      aws_sqs_queue.work[q.name].kms_master_key_id == aws_kms_key.main.arn &&
      aws_sqs_queue.work_dlq[q.name].kms_master_key_id == aws_kms_key.main.arn &&
      aws_sqs_queue.work_dlq[q.name].message_retention_seconds >= q.message_retention_s
    ])
    error_message = "work queues follow the manifest (name, visibility, retention) and, with their DLQs, are encrypted with the CMK; a DLQ keeps messages at least as long as its source"
  }
  assert {
    condition = alltrue([
      for q in local.manifest.queues :
      jsondecode(aws_sqs_queue.work[q.name].redrive_policy).maxReceiveCount == q.max_receive_count &&
      jsondecode(aws_sqs_queue.work[q.name].redrive_policy).deadLetterTargetArn == aws_sqs_queue.work_dlq[q.name].arn &&
      jsondecode(aws_sqs_queue_redrive_allow_policy.work_dlq[q.name].redrive_allow_policy).sourceQueueArns == [aws_sqs_queue.work[q.name].arn]
    ])
    error_message = "each work queue redrives to its own DLQ after the manifest's max_receive_count, and only it may"
  }
  assert {
    condition     = length(aws_sqs_queue_policy.work_queue) == 2 * length(local.manifest.queues)
    error_message = "every work queue and DLQ needs its TLS-only queue policy"
  }

  # --- sqs event source mappings ----------------------------------------
  assert {
    condition     = join(",", sort(keys(aws_lambda_event_source_mapping.sqs))) == join(",", sort([for f in local.manifest.functions : f.name if f.trigger.kind == "sqs"])) && length(aws_lambda_event_source_mapping.sqs) > 0
    error_message = "every sqs function needs exactly one event source mapping"
  }
  assert {
    condition = alltrue([
      for f in local.manifest.functions :
      aws_lambda_event_source_mapping.sqs[f.name].event_source_arn == aws_sqs_queue.work[f.trigger.queue].arn &&
      aws_lambda_event_source_mapping.sqs[f.name].function_name == aws_lambda_alias.live[f.name].arn &&
      aws_lambda_event_source_mapping.sqs[f.name].batch_size == f.trigger.batch_size &&
      aws_lambda_event_source_mapping.sqs[f.name].maximum_batching_window_in_seconds == f.trigger.maximum_batching_window_s &&
      aws_lambda_event_source_mapping.sqs[f.name].function_response_types == toset(["ReportBatchItemFailures"]) &&
      aws_lambda_event_source_mapping.sqs[f.name].scaling_config[0].maximum_concurrency == 50 &&
      local.queues[f.trigger.queue].visibility_timeout_s >= f.timeout_s
      if f.trigger.kind == "sqs"
    ])
    error_message = "sqs mappings follow the manifest (queue, batch, window), report partial batch failures, cap concurrency, and the queue hides a message at least as long as the function runs"
  }
  assert {
    condition     = alltrue([for k, fn in aws_lambda_function.fn : length(fn.dead_letter_config) == 0 if local.functions[k].trigger.kind == "sqs"])
    error_message = "an sqs consumer's failures go to its queue's redrive DLQ, not to a Lambda async DLQ"
  }

  # --- Environment (names from shared/src/config.rs) ---------------------
  assert {
    condition = alltrue([
      for k, fn in aws_lambda_function.fn :
      fn.environment[0].variables["DELIVERY_QUEUE_URL"] == aws_sqs_queue.work["delivery"].url &&
      alltrue([for q in local.manifest.queues : fn.environment[0].variables["${upper(q.name)}_QUEUE_URL"] == aws_sqs_queue.work[q.name].url]) &&
      fn.environment[0].variables["CHANNEL_SECRET_PREFIX"] == "ofauto-test/channels" &&
      fn.environment[0].variables["CHANNEL_SECRET_KMS_KEY_ID"] == aws_kms_key.main.arn &&
      fn.environment[0].variables["EVENT_BUS_NAME"] == aws_cloudwatch_event_bus.app.name
    ])
    error_message = "every function needs DELIVERY_QUEUE_URL (one <NAME>_QUEUE_URL per queue), CHANNEL_SECRET_PREFIX, CHANNEL_SECRET_KMS_KEY_ID (the CMK) and EVENT_BUS_NAME"
  }

  # --- Permission resources ----------------------------------------------
  assert {
    condition     = local.permission_resources["channel_secrets"] == ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:ofauto-test/channels/*"]
    error_message = "channel_secrets must be the secret name path <prefix>/channels/*, never every secret"
  }
  assert {
    condition     = local.permission_resources["delivery_queue"] == [aws_sqs_queue.work["delivery"].arn] && local.permission_resources["event_bus"] == [aws_cloudwatch_event_bus.app.arn]
    error_message = "delivery_queue must be the delivery queue and event_bus the custom bus, nothing broader"
  }
  assert {
    condition = alltrue(flatten([
      for k, d in data.aws_iam_policy_document.fn : [
        for st in d.statement : [
          for r in st.resources : r != "*" && !endswith(r, ":secret:*") && !endswith(r, ":secret:ofauto-test/*")
          if !startswith(tolist(st.actions)[0], "xray:")
        ]
      ]
    ]))
    error_message = "no function statement may grant every resource or every secret (X-Ray excepted: it has no resource-level permissions)"
  }

  # --- KMS grants, via one service each ----------------------------------
  assert {
    condition = alltrue([
      for f in local.manifest.functions :
      length([
        for st in data.aws_iam_policy_document.fn[f.name].statement : st
        if endswith(st.sid, "ViaSecretsmanager") && st.resources == toset([aws_kms_key.main.arn]) &&
        contains(st.actions, "kms:Decrypt") &&
        contains(st.actions, "kms:GenerateDataKey") == anytrue([for p in f.permissions : anytrue([for a in p.actions : contains(["secretsmanager:CreateSecret", "secretsmanager:PutSecretValue"], a)])]) &&
        anytrue([for c in st.condition : c.variable == "kms:ViaService" && c.test == "StringEquals" && c.values == tolist(["secretsmanager.eu-west-1.amazonaws.com"])])
      ]) == (anytrue([for p in f.permissions : anytrue([for a in p.actions : contains(["secretsmanager:GetSecretValue", "secretsmanager:CreateSecret", "secretsmanager:PutSecretValue"], a)])]) ? 1 : 0)
    ])
    error_message = "a function that reads a secret needs kms:Decrypt, one that writes one also kms:GenerateDataKey, on the CMK via Secrets Manager only; the rest get neither"
  }
  assert {
    condition = alltrue([
      for f in local.manifest.functions :
      length([
        for st in data.aws_iam_policy_document.fn[f.name].statement : st
        if st.sid == "EncryptDecryptViaSqs" && st.actions == toset(["kms:Decrypt", "kms:GenerateDataKey"]) &&
        anytrue([for c in st.condition : c.variable == "kms:ViaService" && c.values == tolist(["sqs.eu-west-1.amazonaws.com"])])
      ]) == 1
      if anytrue([for p in f.permissions : p.resource == "delivery_queue" && contains(p.actions, "sqs:SendMessage")])
    ])
    error_message = "a function sending to the encrypted delivery queue needs kms:GenerateDataKey + kms:Decrypt via SQS"
  }
  assert {
    condition = alltrue([
      for f in local.manifest.functions :
      anytrue([
        for st in data.aws_iam_policy_document.fn[f.name].statement :
        endswith(st.sid, "ViaSqs") && contains(st.actions, "kms:Decrypt")
      ])
      if f.trigger.kind == "sqs"
    ])
    error_message = "an sqs consumer's role needs kms:Decrypt via SQS: Lambda's poller receives with it"
  }

  # --- Table: the due index ----------------------------------------------
  assert {
    condition = alltrue([
      for g in local.manifest.table.global_secondary_indexes :
      length([
        for i in aws_dynamodb_table.main.global_secondary_index : i
        if i.name == g.name && i.hash_key == g.hash_key && i.range_key == g.range_key && i.projection_type == g.projection
      ]) == 1
    ]) && length(aws_dynamodb_table.main.global_secondary_index) == length(local.manifest.table.global_secondary_indexes)
    error_message = "every manifest GSI (gsi1, due as KEYS_ONLY) must exist on the table as declared"
  }
  assert {
    condition     = join(",", sort(keys(aws_dynamodb_contributor_insights.gsi))) == join(",", sort([for g in local.manifest.table.global_secondary_indexes : g.name])) && join(",", sort(keys(aws_cloudwatch_metric_alarm.dynamodb_gsi_throttles))) == join(",", sort(keys(aws_dynamodb_contributor_insights.gsi)))
    error_message = "every GSI needs Contributor Insights and a throttles alarm"
  }

  # --- Alarms on the queues ----------------------------------------------
  assert {
    condition = alltrue([
      for q in local.manifest.queues :
      aws_cloudwatch_metric_alarm.queue_dlq_messages[q.name].dimensions["QueueName"] == aws_sqs_queue.work_dlq[q.name].name &&
      aws_cloudwatch_metric_alarm.queue_dlq_messages[q.name].threshold == 0 &&
      aws_cloudwatch_metric_alarm.queue_oldest_message_age[q.name].dimensions["QueueName"] == aws_sqs_queue.work[q.name].name &&
      aws_cloudwatch_metric_alarm.queue_oldest_message_age[q.name].threshold > 900
    ])
    error_message = "every work queue needs a DLQ-not-empty alarm and an oldest-message-age alarm above the 900 s maximum delay"
  }
}

run "rejects_sqs_concurrency_below_lambda_minimum" {
  command = plan
  variables {
    sqs_maximum_concurrency = 1
  }
  expect_failures = [var.sqs_maximum_concurrency]
}

run "rejects_reserved_concurrency_below_the_sqs_cap" {
  command = plan
  variables {
    reserved_concurrency = { deliverer = 10 }
  }
  expect_failures = [aws_lambda_event_source_mapping.sqs]
}

run "accepts_the_emergency_brake_on_an_sqs_consumer" {
  command = plan
  variables {
    reserved_concurrency = { deliverer = 0 }
  }
  assert {
    condition     = aws_lambda_function.fn["deliverer"].reserved_concurrent_executions == 0
    error_message = "reserved concurrency 0 must stay possible for an sqs consumer"
  }
}

# Variable validation rejects configurations that would make the functions
# fail at cold start or weaken the edge.
run "rejects_rate_limit_tiers_without_standard_or_with_burst_below_rate" {
  command = plan
  variables {
    rate_limit_tiers = "standard=50/10/1000,pro=0/5/100"
  }
  expect_failures = [var.rate_limit_tiers]
}

run "rejects_plain_http_cors_origin" {
  command = plan
  variables {
    cors_allow_origins = ["http://app.example.com"]
  }
  expect_failures = [var.cors_allow_origins]
}

run "accepts_several_tiers" {
  command = plan
  variables {
    rate_limit_tiers   = "standard=50/100/100000,pro=200/400/1000000"
    cors_allow_origins = ["https://app.example.com"]
  }
  assert {
    condition     = values(aws_lambda_function.fn)[0].environment[0].variables["RATE_LIMIT_TIERS"] == "standard=50/100/100000,pro=200/400/1000000" && values(aws_lambda_function.fn)[0].environment[0].variables["CORS_ALLOWED_ORIGINS"] == "https://app.example.com,https://d111111abcdef8.cloudfront.net"
    error_message = "edge settings must reach the functions"
  }
}
