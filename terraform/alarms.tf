# Alarms that page a human. Each description says what broke and the first
# thing to look at; terraform/README.md ("Alarms and runbook") has the full
# runbook entry under the same alarm name. Every alarm also notifies on
# recovery (OK), so the pager closes itself.

locals {
  runbook      = "Runbook: terraform/README.md#alarms-and-runbook"
  alarm_topics = [aws_sns_topic.alarms.arn]
  api_dims = {
    ApiId = aws_apigatewayv2_api.http.id
    Stage = aws_apigatewayv2_stage.default.name
  }
}

# ---------------------------------------------------------------------------
# Topic
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
      identifiers = ["cloudwatch.amazonaws.com"]
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

# ---------------------------------------------------------------------------
# Per function
# ---------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each = local.functions

  alarm_name        = "${local.name_prefix}-${each.key}-errors"
  alarm_description = <<-EOT
    Function ${local.name_prefix}-${each.key} had >= ${var.alarm_lambda_errors_threshold} unhandled errors (panic, crash, timeout or out-of-memory) per 5 min, twice in a row. These are not 4xx/5xx answers the handler chose; the runtime failed. ${each.value.trigger.kind == "http" ? "Callers are getting 500/503 from API Gateway." : "Work is being retried and may reach the DLQ."}
    First check: CloudWatch Logs Insights on /aws/lambda/${local.name_prefix}-${each.key}, filter level = "ERROR" or "Task timed out" or "Runtime exited", and whether a deploy just happened (roll back by re-applying the previous artifact). ${local.runbook}
  EOT

  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.fn[each.key].function_name }
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
    Function ${local.name_prefix}-${each.key} was throttled >= ${var.alarm_lambda_throttles_threshold} times in 5 min: Lambda refused to start it because its reserved concurrency or the account's concurrency limit was used up. ${each.value.trigger.kind == "http" ? "Callers are getting 429/503." : "Processing is delayed."}
    First check: the function's ConcurrentExecutions metric against its reserved concurrency (var.reserved_concurrency) and the account's ClaimedAccountConcurrency; if one function is flooding the account, cap it with reserved concurrency; if traffic is legitimate, raise the limit or request a quota increase. ${local.runbook}
  EOT

  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = aws_lambda_function.fn[each.key].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.alarm_lambda_throttles_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_topics
  ok_actions    = local.alarm_topics
}

# ---------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "api_5xx_rate" {
  alarm_name        = "${local.name_prefix}-api-5xx-rate"
  alarm_description = <<-EOT
    More than ${var.alarm_api_5xx_rate_percent}% of API requests answered 5xx for 15 minutes (periods with fewer than 20 requests are ignored). Clients are failing.
    First check: the API access log group /aws/apigateway/${local.name_prefix}/access, filter status >= 500 and group by routeKey to find the failing route; then that function's errors alarm and logs. integrationError names gateway-side failures (timeouts, permission). 503 with Retry-After from a function means a dependency (DynamoDB, Secrets Manager) is down: check the AWS Health Dashboard. ${local.runbook}
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

resource "aws_cloudwatch_metric_alarm" "api_latency_p99" {
  alarm_name        = "${local.name_prefix}-api-latency-p99"
  alarm_description = <<-EOT
    The API's p99 latency stayed above ${var.alarm_api_p99_latency_ms} ms for 15 minutes. Clients see slow answers and may time out.
    First check: compare Latency with IntegrationLatency (per route, detailed metrics): if integration latency is high too, the function is slow: look at its Duration and X-Ray traces for slow DynamoDB or Secrets Manager calls, or cold starts (Init Duration in REPORT lines); if only Latency is high, the gateway or authorizer is slow. ${local.runbook}
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
# Stream consumers, DLQs, work queues, schedule
# ---------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "stream_iterator_age" {
  for_each = local.stream_functions

  alarm_name        = "${local.name_prefix}-${each.key}-iterator-age"
  alarm_description = <<-EOT
    ${local.name_prefix}-${each.key} is more than ${var.alarm_iterator_age_ms / 1000} s behind the table's stream for 5 minutes, so its work lags behind the table. It is the ${try(each.value.description, "stream consumer")} Records older than 24 h are lost to the stream, so act before then.
    First check: the function's errors alarm and logs (a failing batch is retried and blocks its shard), then its Throttles and Duration (a batch near the ${each.value.timeout_s} s timeout). A burst of writes catches up by itself; a stuck shard does not. ${local.runbook}
  EOT

  namespace           = "AWS/Lambda"
  metric_name         = "IteratorAge"
  dimensions          = { FunctionName = aws_lambda_function.fn[each.key].function_name }
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

resource "aws_cloudwatch_metric_alarm" "dlq_messages" {
  for_each = local.dlq_functions

  alarm_name        = "${local.name_prefix}-${each.key}-dlq-not-empty"
  alarm_description = <<-EOT
    The dead-letter queue ${aws_sqs_queue.dlq[each.key].name} has messages: ${local.name_prefix}-${each.key} gave up on work after all retries. ${each.value.trigger.kind == "dynamodb_stream" ? "Each message names either a range of stream records this consumer did NOT process (replayable only while the stream still holds them, 24 h), or one record it parked for good (kind stream-record-refused) so the rest of its batch went on." : "Each message is a schedule tick that failed; due items stay due and are picked up by the next successful tick."}
    First check: read one message (aws sqs receive-message, do not delete it yet), find the matching error in /aws/lambda/${local.name_prefix}-${each.key} around its timestamp, fix the cause, then follow the replay steps in the runbook. ${local.runbook}
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

# Work queues (sqs.tf): a message on the redrive DLQ, and a queue whose
# consumer is falling behind.
resource "aws_cloudwatch_metric_alarm" "queue_dlq_messages" {
  for_each = local.queues

  alarm_name        = "${local.name_prefix}-${each.key}-dlq-not-empty"
  alarm_description = <<-EOT
    The dead-letter queue ${aws_sqs_queue.work_dlq[each.key].name} has messages: a message of queue ${aws_sqs_queue.work[each.key].name} was received ${each.value.max_receive_count} times and never acknowledged (its consumer crashed, timed out or reported it failed each time). For the delivery queue, each message is {tenant, kind, id, claim}; the item itself is safe in the table and its lease expires, so the dispatcher claims it again on a later tick, with the same webhook-id.
    First check: read one message (aws sqs receive-message, do not delete it yet), find the consumer's errors in its log group around the message's SentTimestamp, and the item's current status via the API. Fix the cause, then purge or redrive (runbook). ${local.runbook}
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

resource "aws_cloudwatch_metric_alarm" "queue_oldest_message_age" {
  for_each = local.queues

  alarm_name        = "${local.name_prefix}-${each.key}-queue-age"
  alarm_description = <<-EOT
    The oldest message on ${aws_sqs_queue.work[each.key].name} is more than ${var.alarm_queue_oldest_message_age_s} s old for 10 minutes. Messages wait at most 900 s by design (DelaySeconds), so the consumer is not keeping up: for the delivery queue, posts are going out late.
    First check: the consumer's throttles alarm and ConcurrentExecutions against its maximum concurrency (var.sqs_maximum_concurrency), its event source mapping is Enabled (aws lambda list-event-source-mappings), its Duration (slow webhooks take up to 10 s each), and its errors alarm. ${local.runbook}
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

resource "aws_cloudwatch_metric_alarm" "schedule_failed_invocations" {
  for_each = local.schedule_functions

  alarm_name        = "${local.name_prefix}-${each.key}-schedule-failed"
  alarm_description = <<-EOT
    EventBridge could not invoke ${local.name_prefix}-${each.key} for its schedule (${each.value.trigger.expression}) in 2 consecutive 5-minute periods: scheduled work is not running.
    First check: the rule ${local.name_prefix}-${each.key} is ENABLED, the function exists and its resource policy still allows events.amazonaws.com (terraform plan shows drift), and the function's throttles alarm. ${local.runbook}
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

# ---------------------------------------------------------------------------
# DynamoDB
# ---------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "dynamodb_throttles" {
  alarm_name        = "${local.name_prefix}-dynamodb-throttles"
  alarm_description = <<-EOT
    Table ${aws_dynamodb_table.main.name} throttled >= ${var.alarm_dynamodb_throttles_threshold} reads+writes per 5 min, twice in a row. On-demand tables throttle when one partition key takes more than 3,000 reads/s or 1,000 writes/s, or when traffic more than doubles its previous peak within 30 minutes. Requests retry and then fail with 503.
    First check: CloudWatch Contributor Insights for the table ("Most throttled keys"): a single tenant's key (T#<tenant>#...) means one tenant is hot, so check their rate-limit tier; many keys means a traffic surge that on-demand scaling will absorb within minutes. ${local.runbook}
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
    First check: Contributor Insights for index ${each.key}: one hot index partition key (e.g. one tenant's event type) is the usual cause. ${local.runbook}
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
