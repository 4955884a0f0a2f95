# Non-HTTP triggers from the manifest. Each invokes the function's "live"
# alias (lambda.tf), so a rollback moves them all at once.

# ---------------------------------------------------------------------------
# dynamodb_stream: the table's stream -> the function, in batches.
# Manifest trigger fields: batch_size, maximum_batching_window_s,
# starting_position, and optionally parallelization_factor and filters (a
# list of Lambda event filter patterns, as JSON objects).
# ---------------------------------------------------------------------------

resource "aws_lambda_event_source_mapping" "stream" {
  for_each = local.stream_functions

  event_source_arn  = aws_dynamodb_table.main.stream_arn
  function_name     = aws_lambda_alias.live[each.key].arn
  starting_position = try(each.value.trigger.starting_position, "TRIM_HORIZON")

  batch_size                         = try(each.value.trigger.batch_size, 100)
  maximum_batching_window_in_seconds = try(each.value.trigger.maximum_batching_window_s, 0)
  parallelization_factor             = try(each.value.trigger.parallelization_factor, 1)

  # Report the first failed record so Lambda checkpoints everything before
  # it; a poison record is isolated by bisecting, retried, and finally handed
  # to the DLQ instead of blocking the shard until the record expires.
  function_response_types        = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error = true
  maximum_retry_attempts         = var.stream_maximum_retry_attempts
  maximum_record_age_in_seconds  = var.stream_maximum_record_age_s

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.dlq[each.key].arn
    }
  }

  dynamic "filter_criteria" {
    for_each = length(try(each.value.trigger.filters, [])) > 0 ? [1] : []
    content {
      dynamic "filter" {
        for_each = each.value.trigger.filters
        content {
          pattern = jsonencode(filter.value)
        }
      }
    }
  }

  # The role must be able to read the stream and write the DLQ before the
  # mapping is created, or creation fails validation.
  depends_on = [aws_iam_role_policy.fn]
}

# ---------------------------------------------------------------------------
# schedule: an EventBridge rule on the default bus -> the function.
# Manifest trigger: { "kind": "schedule", "expression": "rate(1 minute)" }
# ---------------------------------------------------------------------------

resource "aws_cloudwatch_event_rule" "schedule" {
  for_each = local.schedule_functions

  name                = "${local.name_prefix}-${each.key}"
  description         = "Invokes ${local.name_prefix}-${each.key} on ${each.value.trigger.expression}."
  schedule_expression = each.value.trigger.expression
  state               = "ENABLED"
}

resource "aws_cloudwatch_event_target" "schedule" {
  for_each = local.schedule_functions

  rule      = aws_cloudwatch_event_rule.schedule[each.key].name
  target_id = "lambda"
  arn       = aws_lambda_alias.live[each.key].arn

  # A tick older than a few minutes is superseded by the next one.
  retry_policy {
    maximum_event_age_in_seconds = 300
    maximum_retry_attempts       = 3
  }

  dead_letter_config {
    arn = aws_sqs_queue.dlq[each.key].arn
  }

  # Ticks sent before the alias may be invoked would all be dead-lettered.
  depends_on = [aws_lambda_permission.schedule]
}

resource "aws_lambda_permission" "schedule" {
  for_each = local.schedule_functions

  statement_id_prefix = "AllowEventBridgeSchedule-"
  action              = "lambda:InvokeFunction"
  function_name       = aws_lambda_function.fn[each.key].function_name
  qualifier           = aws_lambda_alias.live[each.key].name
  principal           = local.service_principals["events"]
  source_arn          = aws_cloudwatch_event_rule.schedule[each.key].arn
  source_account      = local.account_id

  # Granted before a replaced one is revoked, so no tick is refused between.
  lifecycle {
    create_before_destroy = true
  }
}

# ---------------------------------------------------------------------------
# sqs: a manifest queue -> the function, in batches.
# Manifest trigger: { "kind": "sqs", "queue": "<name in queues>", "batch_size",
# "maximum_batching_window_s", and optionally "maximum_concurrency" }.
# ---------------------------------------------------------------------------

resource "aws_lambda_event_source_mapping" "sqs" {
  for_each = local.sqs_functions

  event_source_arn = aws_sqs_queue.work[each.value.trigger.queue].arn
  function_name    = aws_lambda_alias.live[each.key].arn

  batch_size                         = try(each.value.trigger.batch_size, 10)
  maximum_batching_window_in_seconds = try(each.value.trigger.maximum_batching_window_s, 0)

  # The function names the messages it could not process; only those return
  # to the queue (and, after max_receive_count receives, go to its DLQ). The
  # rest of the batch is deleted, so one bad message never repeats nine good
  # deliveries.
  function_response_types = ["ReportBatchItemFailures"]

  # Caps how many copies the poller runs. Without a cap a backlog scales the
  # consumer up to the account's concurrency, starving the API's functions
  # and hammering tenants' webhooks.
  scaling_config {
    maximum_concurrency = try(each.value.trigger.maximum_concurrency, var.sqs_maximum_concurrency)
  }

  lifecycle {
    precondition {
      # With reserved concurrency below the cap, the poller's invokes are
      # throttled and messages are returned to the queue, burning receives
      # towards the DLQ. 0 (the emergency brake) stops the function on purpose.
      condition     = lookup(var.reserved_concurrency, each.key, -1) <= 0 || lookup(var.reserved_concurrency, each.key, -1) >= try(each.value.trigger.maximum_concurrency, var.sqs_maximum_concurrency)
      error_message = "var.reserved_concurrency for ${each.key} is below its sqs maximum_concurrency (var.sqs_maximum_concurrency or the trigger's maximum_concurrency); throttled invokes would burn receives towards the DLQ."
    }
  }

  # The role must be able to receive from (and decrypt) the queue before the
  # mapping is created, or creation fails validation.
  depends_on = [aws_iam_role_policy.fn]
}
