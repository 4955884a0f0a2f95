# Alarms that page a human, and the topic they page through.
#
# Every alarm is derived from the manifest (for_each over the function, queue
# and index sets of manifest.tf) or is one of the stack's singletons (the API,
# the table, the account). local.alarm_names at the end is the one catalogue
# of them, by kind: the dashboard (dashboard.tf) draws every alarm it lists,
# and tests/observability.tftest.hcl checks that it does.
#
# Each description says what broke and what to check first, and ends with
# "Runbook: <alarm_runbook_url>#<kind>": DEPLOYMENT.md has one entry per kind
# under that anchor. Every alarm also notifies on recovery (OK), so PagerDuty
# resolves its incident and Slack shows the all-clear.

locals {
  runbook      = "Runbook: ${var.alarm_runbook_url}"
  alarm_topics = [aws_sns_topic.alarms.arn]
  thresholds   = var.alarm_thresholds

  api_dims = {
    ApiId = aws_apigatewayv2_api.http.id
    Stage = aws_apigatewayv2_stage.default.name
  }

  # The functions' own EMF metrics (docs/METRICS.md): namespace OFAuto, one
  # dimension, "function", whose value is the deployed function name
  # (AWS_LAMBDA_FUNCTION_NAME), so environments sharing an account never mix.
  app_namespace = "OFAuto"
  fn_name       = { for k, f in aws_lambda_function.fn : k => f.function_name }

  # Which functions emit which metrics follows from the shared code each
  # trigger kind runs: a scheduled function runs the dispatcher tick
  # (shared/src/dispatch.rs), an sqs consumer the delivery batch
  # (shared/src/delivery/batch.rs), and every function holding the manifest
  # permission "event_bus" publishes domain events (shared/src/bus.rs). Keyed
  # this way no function is named here; a scheduled function that is not a
  # dispatcher would get alarms that never fire (no data is not breaching).
  dispatch_functions  = local.schedule_functions
  delivery_functions  = local.sqs_functions
  event_bus_functions = { for k, f in local.functions : k => f if contains([for p in f.permissions : p.resource], "event_bus") }

  slack_enabled = var.alarm_slack_workspace_id != null && var.alarm_slack_channel_id != null
}

# ---------------------------------------------------------------------------
# Topic and subscriptions
# ---------------------------------------------------------------------------

resource "aws_sns_topic" "alarms" {
  name              = "${local.name_prefix}-alarms"
  display_name      = "OFAuto ${var.environment} alarms"
  kms_master_key_id = aws_kms_key.main.arn
}

data "aws_iam_policy_document" "alarms_topic" {
  statement {
    sid     = "CloudWatchAlarmsOfThisAccountPublish"
    effect  = "Allow"
    actions = ["sns:Publish"]
    principals {
      type        = "Service"
      identifiers = [local.service_principals["cloudwatch"]]
    }
    resources = [aws_sns_topic.alarms.arn]
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["sns:Publish"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    resources = [aws_sns_topic.alarms.arn]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarms_topic.json
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

# PagerDuty's CloudWatch integration (or any HTTPS receiver). It confirms the
# subscription itself and reads SNS's JSON envelope, so raw delivery stays off.
resource "aws_sns_topic_subscription" "alarm_https" {
  count = nonsensitive(var.alarm_https_endpoint != null) ? 1 : 0

  topic_arn              = aws_sns_topic.alarms.arn
  protocol               = "https"
  endpoint               = var.alarm_https_endpoint
  endpoint_auto_confirms = true

  # SNS's default for HTTPS is three quick retries; a pager that is briefly
  # unreachable would lose the page. Back off for about twenty minutes.
  delivery_policy = jsonencode({
    healthyRetryPolicy = {
      minDelayTarget     = 5
      maxDelayTarget     = 120
      numRetries         = 20
      numNoDelayRetries  = 1
      numMinDelayRetries = 2
      numMaxDelayRetries = 5
      backoffFunction    = "exponential"
    }
  })
}

# Slack through AWS Chatbot. The workspace must have been authorised once in
# the Chatbot console (OAuth, not an API call). The channel's role and its
# guardrail allow reading this stack's alarms and nothing else, so nobody in
# the channel can change or read anything through it. Metric reads (the chart
# Chatbot can attach) would need Resource "*", which this stack grants to no
# role; the notification text and the console link come without them.
data "aws_service_principal" "chatbot" {
  count = local.slack_enabled ? 1 : 0

  service_name = "chatbot"
  region       = var.aws_region
}

data "aws_iam_policy_document" "chatbot_assume" {
  count = local.slack_enabled ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = [data.aws_service_principal.chatbot[0].name]
    }
  }
}

data "aws_iam_policy_document" "chatbot_read_alarms" {
  count = local.slack_enabled ? 1 : 0

  statement {
    sid       = "ReadThisStacksAlarms"
    actions   = ["cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory"]
    resources = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.name_prefix}-*"]
  }
}

resource "aws_iam_role" "chatbot" {
  count = local.slack_enabled ? 1 : 0

  name                 = "${local.name_prefix}-chatbot"
  description          = "AWS Chatbot: posts ${local.name_prefix} alarms to Slack, with read access to those alarms only."
  assume_role_policy   = data.aws_iam_policy_document.chatbot_assume[0].json
  permissions_boundary = var.iam_permissions_boundary_arn
}

resource "aws_iam_role_policy" "chatbot" {
  count = local.slack_enabled ? 1 : 0

  name   = "read-alarms"
  role   = aws_iam_role.chatbot[0].id
  policy = data.aws_iam_policy_document.chatbot_read_alarms[0].json
}

# Without a guardrail Chatbot takes the AWS-managed administrator policy as
# the channel's ceiling; this one is the same read-only set.
resource "aws_iam_policy" "chatbot_guardrail" {
  count = local.slack_enabled ? 1 : 0

  name        = "${local.name_prefix}-chatbot-guardrail"
  description = "Upper bound of what the ${local.name_prefix} alarm channel can do in AWS: read its alarms."
  policy      = data.aws_iam_policy_document.chatbot_read_alarms[0].json
}

resource "aws_chatbot_slack_channel_configuration" "alarms" {
  count = local.slack_enabled ? 1 : 0

  configuration_name          = "${local.name_prefix}-alarms"
  iam_role_arn                = aws_iam_role.chatbot[0].arn
  slack_team_id               = var.alarm_slack_workspace_id
  slack_channel_id            = var.alarm_slack_channel_id
  sns_topic_arns              = [aws_sns_topic.alarms.arn]
  guardrail_policy_arns       = [aws_iam_policy.chatbot_guardrail[0].arn]
  user_authorization_required = false
  logging_level               = "ERROR"
}

# ---------------------------------------------------------------------------
# API: what clients see
# ---------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "api_5xx_rate" {
  alarm_name        = "${local.name_prefix}-api-5xx-rate"
  alarm_description = <<-EOT
    More than ${var.alarm_api_5xx_rate_percent}% of API requests answered 5xx, three 5-minute periods in a row (periods under 20 requests are ignored). Clients are failing.
    First check: Logs Insights on ${aws_cloudwatch_log_group.api_access.name}: filter status >= 500, stats count() by routeKey, integrationError. Then the errors alarm and log of that route's function; a 503 with Retry-After names a dependency that is down. ${local.runbook}#api_5xx_rate
  EOT

  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_api_5xx_rate_percent
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"

  metric_query {
    id          = "rate"
    expression  = "IF(requests >= 20, 100 * errors / requests, 0)"
    label       = "5xx rate (%)"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "5xx"
      dimensions  = local.api_dims
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "Count"
      dimensions  = local.api_dims
      period      = 300
      stat        = "Sum"
    }
  }

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

resource "aws_cloudwatch_metric_alarm" "api_4xx_rate" {
  alarm_name        = "${local.name_prefix}-api-4xx-rate"
  alarm_description = <<-EOT
    More than ${local.thresholds.api_4xx_rate_percent}% of API requests answered 4xx, three 5-minute periods in a row (periods under ${local.thresholds.api_min_requests} requests are ignored). Usually a client release sending bad requests, expired tokens (401), a tenant hitting its rate limit (429), or a deploy that rejects what it used to accept.
    First check: Logs Insights on ${aws_cloudwatch_log_group.api_access.name}: filter status >= 400 and status < 500, stats count() by status, routeKey, authorizerError. ${local.runbook}#api_4xx_rate
  EOT

  comparison_operator = "GreaterThanThreshold"
  threshold           = local.thresholds.api_4xx_rate_percent
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"

  metric_query {
    id          = "rate"
    expression  = "IF(requests >= ${local.thresholds.api_min_requests}, 100 * errors / requests, 0)"
    label       = "4xx rate (%)"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "4xx"
      dimensions  = local.api_dims
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "Count"
      dimensions  = local.api_dims
      period      = 300
      stat        = "Sum"
    }
  }

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

# p95 pages on broad slowness (most clients feel it); p99 on the tail
# (cold starts, SDK retries, one slow route).
resource "aws_cloudwatch_metric_alarm" "api_latency_p95" {
  alarm_name        = "${local.name_prefix}-api-latency-p95"
  alarm_description = <<-EOT
    The API's p95 latency stayed above ${local.thresholds.api_p95_latency_ms} ms for 15 minutes: most clients see slow answers.
    First check: the dashboard's "p95 latency by route" and Latency against IntegrationLatency: both high means the functions are slow (their Duration, then DynamoDB SuccessfulRequestLatency and throttles); only Latency high means the gateway or the JWT authorizer. ${local.runbook}#api_latency_p95
  EOT

  namespace           = "AWS/ApiGateway"
  metric_name         = "Latency"
  dimensions          = local.api_dims
  extended_statistic  = "p95"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  threshold           = local.thresholds.api_p95_latency_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

resource "aws_cloudwatch_metric_alarm" "api_latency_p99" {
  alarm_name        = "${local.name_prefix}-api-latency-p99"
  alarm_description = <<-EOT
    The API's p99 latency stayed above ${var.alarm_api_p99_latency_ms} ms for 15 minutes: the slowest requests approach client timeouts.
    First check: the dashboard's cold start widget (initDurationMs in platform.report records) and "p95 latency by route"; a single slow route points at one function (its Duration), all routes at DynamoDB (SuccessfulRequestLatency, throttles) or the authorizer. ${local.runbook}#api_latency_p99
  EOT

  namespace           = "AWS/ApiGateway"
  metric_name         = "Latency"
  dimensions          = local.api_dims
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  threshold           = var.alarm_api_p99_latency_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

# ---------------------------------------------------------------------------
# Scheduled posts: delivery (the sqs consumer's batch metrics)
# ---------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "delivery_failure_rate" {
  for_each = local.delivery_functions

  alarm_name        = "${local.name_prefix}-${each.key}-delivery-failure-rate"
  alarm_description = <<-EOT
    More than ${local.thresholds.delivery_failure_rate_percent}% of the posts ${local.fn_name[each.key]} finished failed for good (posts_failed against posts_delivered), three 5-minute periods in a row, ignoring periods under ${local.thresholds.min_outcomes} outcomes. One failing receiver is the tenant's problem; many at once is ours (signing, egress, a bad deploy).
    First check: Logs Insights on /aws/lambda/${local.fn_name[each.key]}: filter message = "delivery batch" for the counts, then GET /v1/posts/{id}/attempts of a failed post for status_code and error. ${local.runbook}#delivery_failure_rate
  EOT

  comparison_operator = "GreaterThanThreshold"
  threshold           = local.thresholds.delivery_failure_rate_percent
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"

  metric_query {
    id          = "rate"
    expression  = "IF(delivered + failed >= ${local.thresholds.min_outcomes}, 100 * failed / (delivered + failed), 0)"
    label       = "Posts failed (%)"
    return_data = true
  }

  metric_query {
    id = "failed"
    metric {
      namespace   = local.app_namespace
      metric_name = "posts_failed"
      dimensions  = { function = local.fn_name[each.key] }
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "delivered"
    metric {
      namespace   = local.app_namespace
      metric_name = "posts_delivered"
      dimensions  = { function = local.fn_name[each.key] }
      period      = 300
      stat        = "Sum"
    }
  }

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

resource "aws_cloudwatch_metric_alarm" "delivery_lateness" {
  for_each = local.delivery_functions

  alarm_name        = "${local.name_prefix}-${each.key}-delivery-lateness"
  alarm_description = <<-EOT
    The p99 lateness of published posts (first attempt minus scheduled_at, metric lateness) stayed above ${local.thresholds.delivery_lateness_p99_ms} ms for 15 minutes: posts go out late, not within seconds of their time.
    First check: the dispatcher's lag alarm and the delivery queue's age alarm (late claims or a backlog), then the deliverer's throttles and ConcurrentExecutions against sqs_maximum_concurrency, then its cold starts. ${local.runbook}#delivery_lateness
  EOT

  namespace           = local.app_namespace
  metric_name         = "lateness"
  dimensions          = { function = local.fn_name[each.key] }
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  threshold           = local.thresholds.delivery_lateness_p99_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

# Depends on the metric channels_disabled (docs/METRICS.md, "Not yet
# emitted"); until the deliverer emits it this alarm has no data and stays OK.
resource "aws_cloudwatch_metric_alarm" "channels_disabled" {
  for_each = local.delivery_functions

  alarm_name        = "${local.name_prefix}-${each.key}-channels-disabled"
  alarm_description = <<-EOT
    ${local.fn_name[each.key]} disabled at least ${local.thresholds.channels_disabled_per_hour} channels in an hour (a receiver answered 410, or kept failing past the failing period). Their scheduled posts now fail with "channel disabled". A few per day is tenants' endpoints dying; a burst is likely ours.
    First check: which channels (the channel.disabled events in the archive of bus ${aws_cloudwatch_event_bus.app.name}); GET /v1/channels/{id} shows disabled_reason and GET /v1/posts/{id}/attempts the receiver's answers. Then whether a deploy changed signing or egress. ${local.runbook}#channels_disabled
  EOT

  namespace           = local.app_namespace
  metric_name         = "channels_disabled"
  dimensions          = { function = local.fn_name[each.key] }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = local.thresholds.channels_disabled_per_hour
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

resource "aws_cloudwatch_metric_alarm" "delivery_bookkeeping_failures" {
  for_each = local.delivery_functions

  alarm_name        = "${local.name_prefix}-${each.key}-bookkeeping-failures"
  alarm_description = <<-EOT
    ${local.fn_name[each.key]} failed at least ${local.thresholds.delivery_bookkeeping_failures} follow-up writes in 5 minutes after an outcome was committed: short retries not requeued (requeue_failures), channel health not recorded (channel_health_failures), automation run outcomes not counted (run_outcome_failures). Nothing is lost, but retries wait for their lease and failing channels are tracked late.
    First check: Logs Insights on /aws/lambda/${local.fn_name[each.key]}: filter level = "ERROR"; then the DynamoDB throttles and system errors alarms. ${local.runbook}#delivery_bookkeeping_failures
  EOT

  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = local.thresholds.delivery_bookkeeping_failures
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"

  # These counts are written only when non-zero.
  metric_query {
    id          = "failures"
    expression  = "FILL(requeue, 0) + FILL(health_failures, 0) + FILL(outcome, 0)"
    label       = "Bookkeeping failures"
    return_data = true
  }

  metric_query {
    id = "requeue"
    metric {
      namespace   = local.app_namespace
      metric_name = "requeue_failures"
      dimensions  = { function = local.fn_name[each.key] }
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "health_failures"
    metric {
      namespace   = local.app_namespace
      metric_name = "channel_health_failures"
      dimensions  = { function = local.fn_name[each.key] }
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "outcome"
    metric {
      namespace   = local.app_namespace
      metric_name = "run_outcome_failures"
      dimensions  = { function = local.fn_name[each.key] }
      period      = 300
      stat        = "Sum"
    }
  }

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

# ---------------------------------------------------------------------------
# Dispatcher (the scheduled function's tick metrics and its schedule)
# ---------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "dispatcher_lag" {
  for_each = local.dispatch_functions

  alarm_name        = "${local.name_prefix}-${each.key}-lag"
  alarm_description = <<-EOT
    In 5 of the last 6 minutes, the ticks of ${local.fn_name[each.key]} found work that had been due for more than ${local.thresholds.dispatcher_lag_ms / 1000} s (metric lag): it is behind, so posts and automation runs start late. After 1 h a post fails as missed.
    First check: its "tick" log lines (found, enqueued, deferred, claim_errors, send_errors, shards_failed), its Duration against its ${each.value.timeout_s} s timeout (deferred > 0 means ticks run out of time), and DynamoDB throttles on the due index. ${local.runbook}#dispatcher_lag
  EOT

  namespace   = local.app_namespace
  metric_name = "lag"
  dimensions  = { function = local.fn_name[each.key] }
  statistic   = "Maximum"
  # One tick a minute; a minute without a data point (a tick that found
  # nothing, or one landing in the next minute) must not reset the count.
  period              = 60
  evaluation_periods  = 6
  datapoints_to_alarm = 5
  threshold           = local.thresholds.dispatcher_lag_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

resource "aws_cloudwatch_metric_alarm" "posts_missed" {
  for_each = local.dispatch_functions

  alarm_name        = "${local.name_prefix}-${each.key}-posts-missed"
  alarm_description = <<-EOT
    ${local.fn_name[each.key]} failed at least ${local.thresholds.posts_missed} posts as missed in 5 minutes (metric items_missed): they were found more than 1 h after they were due, so ticks did not run, or failed, for about an hour. Tenants see failed posts with last_error "missed".
    First check: the schedule-failed, errors and throttles alarms of ${local.fn_name[each.key]} for the past hours, and whether its rule was disabled or its reserved concurrency set to 0. Once fixed, tenants (or support) resend with POST /v1/posts/{id}/retry. ${local.runbook}#posts_missed
  EOT

  namespace           = local.app_namespace
  metric_name         = "items_missed"
  dimensions          = { function = local.fn_name[each.key] }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = local.thresholds.posts_missed
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

resource "aws_cloudwatch_metric_alarm" "dispatcher_failures" {
  for_each = local.dispatch_functions

  alarm_name        = "${local.name_prefix}-${each.key}-dispatch-failures"
  alarm_description = <<-EOT
    ${local.fn_name[each.key]} had at least ${local.thresholds.dispatcher_failures} failed shard queries, claims or sends per 5 minutes, twice in a row (shard_failures + claim_failures + send_failures). A tick that still did something does not fail its invocation, so the errors alarm stays quiet; the items stay due, or leased until their lease ends, and are retried.
    First check: its "tick" log lines and level = "ERROR" lines; then the DynamoDB throttles/system errors alarms (shards, claims) and the delivery queue (sends). ${local.runbook}#dispatcher_failures
  EOT

  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = local.thresholds.dispatcher_failures
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"

  metric_query {
    id          = "failures"
    expression  = "shards + claims + sends"
    label       = "Failed shard queries, claims and sends"
    return_data = true
  }

  metric_query {
    id = "shards"
    metric {
      namespace   = local.app_namespace
      metric_name = "shard_failures"
      dimensions  = { function = local.fn_name[each.key] }
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "claims"
    metric {
      namespace   = local.app_namespace
      metric_name = "claim_failures"
      dimensions  = { function = local.fn_name[each.key] }
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "sends"
    metric {
      namespace   = local.app_namespace
      metric_name = "send_failures"
      dimensions  = { function = local.fn_name[each.key] }
      period      = 300
      stat        = "Sum"
    }
  }

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

resource "aws_cloudwatch_metric_alarm" "schedule_failed_invocations" {
  for_each = local.schedule_functions

  alarm_name        = "${local.name_prefix}-${each.key}-schedule-failed"
  alarm_description = <<-EOT
    EventBridge could not invoke ${local.fn_name[each.key]} for its schedule (${each.value.trigger.expression}) in 2 consecutive 5-minute periods: scheduled work is not running.
    First check: the rule ${aws_cloudwatch_event_rule.schedule[each.key].name} is ENABLED, the function and its live alias exist and the alias's resource policy still allows EventBridge (terraform plan shows drift), and the function's throttles alarm. ${local.runbook}#schedule_failed_invocations
  EOT

  namespace           = "AWS/Events"
  metric_name         = "FailedInvocations"
  dimensions          = { RuleName = aws_cloudwatch_event_rule.schedule[each.key].name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

# The one alarm on missing data: a scheduled function that is not invoked at all
# emits nothing, so every other alarm on it stays OK while nothing is delivered.
# Its Invocations metric exists only while it runs, so no data is the failure.
resource "aws_cloudwatch_metric_alarm" "schedule_silent" {
  for_each = local.schedule_functions

  alarm_name        = "${local.name_prefix}-${each.key}-silent"
  alarm_description = <<-EOT
    ${local.fn_name[each.key]} was not invoked in 2 consecutive 5-minute periods although its schedule (${each.value.trigger.expression}) should run it every minute: no post or automation run is being claimed.
    First check: the rule ${aws_cloudwatch_event_rule.schedule[each.key].name} is ENABLED (someone may have paused it), the schedule_failed_invocations and throttles alarms of the function, and that the live alias exists (terraform plan shows drift). ${local.runbook}#schedule_silent
  EOT

  namespace           = "AWS/Lambda"
  metric_name         = "Invocations"
  dimensions          = { FunctionName = local.fn_name[each.key] }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

# ---------------------------------------------------------------------------
# Automations (runs finished by the sqs consumer)
# ---------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "automation_runs_failed" {
  for_each = local.delivery_functions

  alarm_name        = "${local.name_prefix}-${each.key}-automation-runs-failed"
  alarm_description = <<-EOT
    More than ${local.thresholds.automation_failure_rate_percent}% of the automation runs ${local.fn_name[each.key]} finished failed (runs_failed against runs_succeeded), three 5-minute periods in a row, ignoring periods under ${local.thresholds.min_outcomes} runs. An automation that fails repeatedly is paused by itself; many at once points at our side.
    First check: Logs Insights on /aws/lambda/${local.fn_name[each.key]}: filter level in ["ERROR", "WARN"] and ispresent(automation), for the errors and "automation paused" lines; then GET /v1/automations/{id}/runs of one of them. ${local.runbook}#automation_runs_failed
  EOT

  comparison_operator = "GreaterThanThreshold"
  threshold           = local.thresholds.automation_failure_rate_percent
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"

  metric_query {
    id          = "rate"
    expression  = "IF(succeeded + failed >= ${local.thresholds.min_outcomes}, 100 * failed / (succeeded + failed), 0)"
    label       = "Automation runs failed (%)"
    return_data = true
  }

  metric_query {
    id = "failed"
    metric {
      namespace   = local.app_namespace
      metric_name = "runs_failed"
      dimensions  = { function = local.fn_name[each.key] }
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "succeeded"
    metric {
      namespace   = local.app_namespace
      metric_name = "runs_succeeded"
      dimensions  = { function = local.fn_name[each.key] }
      period      = 300
      stat        = "Sum"
    }
  }

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

# ---------------------------------------------------------------------------
# Queues and dead-letter queues
# ---------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "queue_oldest_message_age" {
  for_each = local.queues

  alarm_name        = "${local.name_prefix}-${each.key}-queue-age"
  alarm_description = <<-EOT
    The oldest message on ${aws_sqs_queue.work[each.key].name} is more than ${var.alarm_queue_oldest_message_age_s} s old for 10 minutes. Messages wait at most 900 s by design (DelaySeconds), so the consumer is not keeping up: for the delivery queue, posts are going out late.
    First check: the consumer's event source mapping is Enabled (aws lambda list-event-source-mappings), its throttles alarm and ConcurrentExecutions against sqs_maximum_concurrency, its Duration (slow webhooks take up to 10 s each), and its errors alarm. ${local.runbook}#queue_oldest_message_age
  EOT

  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = aws_sqs_queue.work[each.key].name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  threshold           = var.alarm_queue_oldest_message_age_s
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

resource "aws_cloudwatch_metric_alarm" "queue_dlq_messages" {
  for_each = local.queues

  alarm_name        = "${local.name_prefix}-${each.key}-dlq-not-empty"
  alarm_description = <<-EOT
    The dead-letter queue ${aws_sqs_queue.work_dlq[each.key].name} has messages: a message of ${aws_sqs_queue.work[each.key].name} was received ${each.value.max_receive_count} times and never acknowledged (its consumer crashed, timed out or reported it failed each time). A delivery message is {tenant, kind, id, claim}; the item itself is safe in the table, its lease expires and the dispatcher claims it again, with the same webhook-id.
    First check: read one message without deleting it (aws sqs receive-message --visibility-timeout 0), the consumer's errors around its SentTimestamp, and the item's status via the API. ${local.runbook}#queue_dlq_messages
  EOT

  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.work_dlq[each.key].name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

resource "aws_cloudwatch_metric_alarm" "dlq_messages" {
  for_each = local.dlq_functions

  alarm_name        = "${local.name_prefix}-${each.key}-dlq-not-empty"
  alarm_description = <<-EOT
    The dead-letter queue ${aws_sqs_queue.dlq[each.key].name} has messages: ${local.fn_name[each.key]} gave up on work. ${each.value.trigger.kind == "dynamodb_stream" ? "A message is either a range of stream records NOT processed (replayable only while the stream holds them, 24 h) or one record parked for good (kind stream-record-refused) so the rest of its batch went on." : "A message is a schedule tick that failed; due items stay due and the next good tick takes them."}
    First check: read one message without deleting it (aws sqs receive-message --visibility-timeout 0), find the matching error in /aws/lambda/${local.fn_name[each.key]} around its time, fix the cause, then replay as the runbook says. ${local.runbook}#dlq_messages
  EOT

  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq[each.key].name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

# ---------------------------------------------------------------------------
# Table stream consumers and domain events
# ---------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "stream_iterator_age" {
  for_each = local.stream_functions

  alarm_name        = "${local.name_prefix}-${each.key}-iterator-age"
  alarm_description = <<-EOT
    ${local.fn_name[each.key]} is more than ${var.alarm_iterator_age_ms / 1000} s behind the table's stream for 5 minutes, so its work lags behind the table. It is the ${try(each.value.description, "stream consumer")} Records older than 24 h are lost to the stream, so act before then.
    First check: the function's errors alarm and logs (a failing batch is retried and blocks its shard), then its throttles and Duration (a batch near the ${each.value.timeout_s} s timeout). A burst of writes catches up by itself; a stuck shard does not. ${local.runbook}#stream_iterator_age
  EOT

  namespace           = "AWS/Lambda"
  metric_name         = "IteratorAge"
  dimensions          = { FunctionName = local.fn_name[each.key] }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  threshold           = var.alarm_iterator_age_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

resource "aws_cloudwatch_metric_alarm" "domain_events_lost" {
  for_each = local.event_bus_functions

  alarm_name        = "${local.name_prefix}-${each.key}-domain-events-lost"
  alarm_description = <<-EOT
    ${local.fn_name[each.key]} could not put at least ${local.thresholds.domain_events_lost} domain events on the bus ${aws_cloudwatch_event_bus.app.name} in 5 minutes (metric domain_events_failed), after retrying. ${each.value.trigger.kind == "dynamodb_stream" ? "Its stream batch is handed back and retried, so they are late, not lost, unless the batch reaches the DLQ." : "The state change is committed; bus consumers miss these events."}
    First check: Logs Insights on /aws/lambda/${local.fn_name[each.key]}: filter message = "a domain event did not reach the bus" (error code per entry), then the bus's PutEvents throttling (AWS/Events ThrottledRules, service quotas) and the AWS Health Dashboard. ${local.runbook}#domain_events_lost
  EOT

  namespace           = local.app_namespace
  metric_name         = "domain_events_failed"
  dimensions          = { function = local.fn_name[each.key] }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = local.thresholds.domain_events_lost
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

# ---------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each = local.functions

  alarm_name        = "${local.name_prefix}-${each.key}-errors"
  alarm_description = <<-EOT
    ${local.fn_name[each.key]} failed >= ${var.alarm_lambda_errors_threshold} invocations per 5 min, twice in a row: a panic, timeout, out-of-memory or failed cold start, not a 4xx/5xx the handler chose. ${each.value.trigger.kind == "http" ? "Callers get 500/503 from API Gateway." : "The work is retried and may reach a DLQ."}
    First check: Logs Insights on /aws/lambda/${local.fn_name[each.key]}: filter level = "ERROR" or (type = "platform.report" and record.status != "success"); record.errorType tells timeout from crash. Did a deploy just happen? Roll the live alias back. ${local.runbook}#lambda_errors
  EOT

  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = local.fn_name[each.key] }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  threshold           = var.alarm_lambda_errors_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  for_each = local.functions

  alarm_name        = "${local.name_prefix}-${each.key}-throttles"
  alarm_description = <<-EOT
    ${local.fn_name[each.key]} was throttled >= ${var.alarm_lambda_throttles_threshold} times in 5 min: its reserved concurrency or the account's concurrency was used up. ${each.value.trigger.kind == "http" ? "Callers get 429/503." : "Processing is delayed."}
    First check: its ConcurrentExecutions against its reserved_concurrency, the account-concurrency alarm (ClaimedAccountConcurrency against the quota), and whether one function or another workload in the account is taking it all. ${local.runbook}#lambda_throttles
  EOT

  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = local.fn_name[each.key] }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.alarm_lambda_throttles_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

# A function that times out fails the whole invocation (a 503, a retried
# batch); p99 creeping up to the timeout warns before that.
resource "aws_cloudwatch_metric_alarm" "lambda_duration" {
  for_each = local.functions

  alarm_name        = "${local.name_prefix}-${each.key}-duration-near-timeout"
  alarm_description = <<-EOT
    The p99 duration of ${local.fn_name[each.key]} stayed above ${local.thresholds.duration_percent_of_timeout}% of its ${each.value.timeout_s} s timeout for 15 minutes; past the timeout an invocation fails (${each.value.trigger.kind == "http" ? "a 503 to the caller" : "its batch or tick is retried"}).
    First check: its platform.report records (record.metrics.durationMs, initDurationMs for cold starts, maxMemoryUsedMB against memory_mb), then what it waits on: DynamoDB SuccessfulRequestLatency and throttles${contains(keys(local.delivery_functions), each.key) ? ", slow webhook receivers (latency_ms in the attempts)" : ""}. ${local.runbook}#lambda_duration
  EOT

  namespace           = "AWS/Lambda"
  metric_name         = "Duration"
  dimensions          = { FunctionName = local.fn_name[each.key] }
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  threshold           = each.value.timeout_s * 1000 * local.thresholds.duration_percent_of_timeout / 100
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

# Throttles of any function start when the account's pool runs dry; this
# warns before, whatever in the account is using it.
resource "aws_cloudwatch_metric_alarm" "account_concurrency" {
  alarm_name        = "${local.name_prefix}-lambda-account-concurrency"
  alarm_description = <<-EOT
    Lambda concurrency claimed in this account and region (ClaimedAccountConcurrency) stayed above ${local.thresholds.account_concurrency_percent}% of the ${local.thresholds.account_concurrency_quota} quota for 5 minutes. At 100% every function, this stack's or not, is throttled.
    First check: ConcurrentExecutions by function on the dashboard (a backlog scaling the deliverer or a stream consumer, or another workload), reserved concurrency set aside, and the quota in Service Quotas (Lambda, Concurrent executions); raise alarm_thresholds.account_concurrency_quota if it was increased. ${local.runbook}#account_concurrency
  EOT

  namespace           = "AWS/Lambda"
  metric_name         = "ClaimedAccountConcurrency"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  threshold           = local.thresholds.account_concurrency_quota * local.thresholds.account_concurrency_percent / 100
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

# ---------------------------------------------------------------------------
# DynamoDB
# ---------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "dynamodb_throttles" {
  alarm_name        = "${local.name_prefix}-dynamodb-throttles"
  alarm_description = <<-EOT
    Table ${aws_dynamodb_table.main.name} throttled >= ${var.alarm_dynamodb_throttles_threshold} reads+writes per 5 min, twice in a row. On-demand tables throttle when one partition key takes more than 3,000 reads/s or 1,000 writes/s, or when traffic more than doubles its previous peak within 30 minutes. Requests retry and then fail with 503.
    First check: CloudWatch Contributor Insights for the table ("Most throttled keys"): one tenant's key (T#<tenant>#...) means one tenant is hot, so check their rate-limit tier; many keys means a surge that on-demand scaling absorbs within minutes. ${local.runbook}#dynamodb_throttles
  EOT

  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.alarm_dynamodb_throttles_threshold
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"

  metric_query {
    id          = "throttles"
    expression  = "reads + writes"
    label       = "Throttled reads + writes"
    return_data = true
  }

  metric_query {
    id = "reads"
    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "ReadThrottleEvents"
      dimensions  = { TableName = aws_dynamodb_table.main.name }
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "writes"
    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "WriteThrottleEvents"
      dimensions  = { TableName = aws_dynamodb_table.main.name }
      period      = 300
      stat        = "Sum"
    }
  }

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

resource "aws_cloudwatch_metric_alarm" "dynamodb_gsi_throttles" {
  for_each = local.table_gsis

  alarm_name        = "${local.name_prefix}-dynamodb-${each.key}-throttles"
  alarm_description = <<-EOT
    Index ${each.key} of table ${aws_dynamodb_table.main.name} throttled >= ${var.alarm_dynamodb_throttles_threshold} reads+writes per 5 min, twice in a row. A throttled index also throttles writes to the base table, because every write must update the index.
    First check: Contributor Insights for index ${each.key}: one hot index partition key (e.g. one tenant's event type, or one due shard) is the usual cause. ${local.runbook}#dynamodb_gsi_throttles
  EOT

  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.alarm_dynamodb_throttles_threshold
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"

  metric_query {
    id          = "throttles"
    expression  = "reads + writes"
    label       = "Throttled reads + writes on ${each.key}"
    return_data = true
  }

  metric_query {
    id = "reads"
    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "ReadThrottleEvents"
      dimensions  = { TableName = aws_dynamodb_table.main.name, GlobalSecondaryIndexName = each.key }
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "writes"
    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "WriteThrottleEvents"
      dimensions  = { TableName = aws_dynamodb_table.main.name, GlobalSecondaryIndexName = each.key }
      period      = 300
      stat        = "Sum"
    }
  }

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

# DynamoDB publishes SystemErrors per operation only; a Metrics Insights query
# sums every operation of the table, whichever the code starts using.
resource "aws_cloudwatch_metric_alarm" "dynamodb_system_errors" {
  alarm_name        = "${local.name_prefix}-dynamodb-system-errors"
  alarm_description = <<-EOT
    Table ${aws_dynamodb_table.main.name} answered >= ${local.thresholds.dynamodb_system_errors} requests with HTTP 500 (SystemErrors, all operations) per 5 min, twice in a row. The SDK retries them; what still fails reaches clients as 503 and the background functions as retried work.
    First check: the AWS Health Dashboard for DynamoDB in ${local.region}, the dashboard's SystemErrors by operation, and the functions' level = "ERROR" lines naming the operation. Nothing to fix on our side unless it persists: then open an AWS support case with the request ids from the logs. ${local.runbook}#dynamodb_system_errors
  EOT

  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = local.thresholds.dynamodb_system_errors
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"

  metric_query {
    id          = "errors"
    expression  = "SELECT SUM(SystemErrors) FROM SCHEMA(\"AWS/DynamoDB\", Operation, TableName) WHERE TableName = '${aws_dynamodb_table.main.name}'"
    label       = "DynamoDB system errors"
    period      = 300
    return_data = true
  }

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

# Only with global-table replicas (var.replica_regions): a replica that falls
# behind is the copy a regional failover would start from.
resource "aws_cloudwatch_metric_alarm" "dynamodb_replication_latency" {
  for_each = toset(var.replica_regions)

  alarm_name        = "${local.name_prefix}-dynamodb-replication-${each.key}"
  alarm_description = <<-EOT
    Writes to ${aws_dynamodb_table.main.name} reach its replica in ${each.key} more than 5 minutes late (ReplicationLatency, average over 10 minutes). A failover to that region now would lose the writes in flight.
    First check: the AWS Health Dashboard for DynamoDB in ${local.region} and ${each.key}, write throttling on the table (replicas replicate at the base table's rate), and the replica's status in the DynamoDB console (Global tables tab). ${local.runbook}#dynamodb_replication_latency
  EOT

  namespace           = "AWS/DynamoDB"
  metric_name         = "ReplicationLatency"
  dimensions          = { TableName = aws_dynamodb_table.main.name, ReceivingRegion = each.key }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  threshold           = 300000
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

# ---------------------------------------------------------------------------
# The catalogue: every alarm above, by kind (the runbook's entry names). The
# dashboard and tests/observability.tftest.hcl read it; a new alarm resource
# belongs here too.
# ---------------------------------------------------------------------------

locals {
  alarm_names = {
    api_5xx_rate                  = [aws_cloudwatch_metric_alarm.api_5xx_rate.alarm_name]
    api_4xx_rate                  = [aws_cloudwatch_metric_alarm.api_4xx_rate.alarm_name]
    api_latency_p95               = [aws_cloudwatch_metric_alarm.api_latency_p95.alarm_name]
    api_latency_p99               = [aws_cloudwatch_metric_alarm.api_latency_p99.alarm_name]
    delivery_failure_rate         = [for a in values(aws_cloudwatch_metric_alarm.delivery_failure_rate) : a.alarm_name]
    delivery_lateness             = [for a in values(aws_cloudwatch_metric_alarm.delivery_lateness) : a.alarm_name]
    channels_disabled             = [for a in values(aws_cloudwatch_metric_alarm.channels_disabled) : a.alarm_name]
    delivery_bookkeeping_failures = [for a in values(aws_cloudwatch_metric_alarm.delivery_bookkeeping_failures) : a.alarm_name]
    dispatcher_lag                = [for a in values(aws_cloudwatch_metric_alarm.dispatcher_lag) : a.alarm_name]
    posts_missed                  = [for a in values(aws_cloudwatch_metric_alarm.posts_missed) : a.alarm_name]
    dispatcher_failures           = [for a in values(aws_cloudwatch_metric_alarm.dispatcher_failures) : a.alarm_name]
    schedule_failed_invocations   = [for a in values(aws_cloudwatch_metric_alarm.schedule_failed_invocations) : a.alarm_name]
    schedule_silent               = [for a in values(aws_cloudwatch_metric_alarm.schedule_silent) : a.alarm_name]
    automation_runs_failed        = [for a in values(aws_cloudwatch_metric_alarm.automation_runs_failed) : a.alarm_name]
    queue_oldest_message_age      = [for a in values(aws_cloudwatch_metric_alarm.queue_oldest_message_age) : a.alarm_name]
    queue_dlq_messages            = [for a in values(aws_cloudwatch_metric_alarm.queue_dlq_messages) : a.alarm_name]
    dlq_messages                  = [for a in values(aws_cloudwatch_metric_alarm.dlq_messages) : a.alarm_name]
    stream_iterator_age           = [for a in values(aws_cloudwatch_metric_alarm.stream_iterator_age) : a.alarm_name]
    domain_events_lost            = [for a in values(aws_cloudwatch_metric_alarm.domain_events_lost) : a.alarm_name]
    lambda_errors                 = [for a in values(aws_cloudwatch_metric_alarm.lambda_errors) : a.alarm_name]
    lambda_throttles              = [for a in values(aws_cloudwatch_metric_alarm.lambda_throttles) : a.alarm_name]
    lambda_duration               = [for a in values(aws_cloudwatch_metric_alarm.lambda_duration) : a.alarm_name]
    account_concurrency           = [aws_cloudwatch_metric_alarm.account_concurrency.alarm_name]
    dynamodb_throttles            = [aws_cloudwatch_metric_alarm.dynamodb_throttles.alarm_name]
    dynamodb_gsi_throttles        = [for a in values(aws_cloudwatch_metric_alarm.dynamodb_gsi_throttles) : a.alarm_name]
    dynamodb_system_errors        = [aws_cloudwatch_metric_alarm.dynamodb_system_errors.alarm_name]
    dynamodb_replication_latency  = [for a in values(aws_cloudwatch_metric_alarm.dynamodb_replication_latency) : a.alarm_name]
  }
}
