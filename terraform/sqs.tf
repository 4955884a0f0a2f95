# Dead-letter queues, one per function that is invoked asynchronously or by a
# poller (see local.dlq_functions). A message here is work that was given up
# on; the "DLQ messages visible" alarm pages on the first one.
#
#  - stream consumer: the event source mapping's on-failure destination. The
#    message holds the shard id and sequence-number range of the failed
#    batch, not the records; replay from the stream within its 24 h
#    retention (README: "Replaying a stream DLQ message").
#  - scheduled function: the async-invoke DLQ and the EventBridge target DLQ.

resource "aws_sqs_queue" "dlq" {
  for_each = local.dlq_functions

  name                              = "${local.name_prefix}-${each.key}-dlq"
  message_retention_seconds         = 1209600 # 14 days, the maximum
  kms_master_key_id                 = aws_kms_key.main.arn
  kms_data_key_reuse_period_seconds = 300
}

data "aws_iam_policy_document" "dlq" {
  for_each = local.dlq_functions

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["sqs:*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    resources = [aws_sqs_queue.dlq[each.key].arn]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  # EventBridge dead-letters schedule ticks it could not deliver.
  dynamic "statement" {
    for_each = contains(keys(local.schedule_functions), each.key) ? [1] : []
    content {
      sid     = "EventBridgeScheduleRuleDeadLetters"
      effect  = "Allow"
      actions = ["sqs:SendMessage"]
      principals {
        type        = "Service"
        identifiers = [local.service_principals["events"]]
      }
      resources = [aws_sqs_queue.dlq[each.key].arn]
      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [aws_cloudwatch_event_rule.schedule[each.key].arn]
      }
    }
  }
}

resource "aws_sqs_queue_policy" "dlq" {
  for_each = local.dlq_functions

  queue_url = aws_sqs_queue.dlq[each.key].id
  policy    = data.aws_iam_policy_document.dlq[each.key].json
}

# ---------------------------------------------------------------------------
# Work queues from the manifest's "queues" list (e.g. "delivery": the
# dispatcher and the posts routes send due deliveries, each delayed until its
# instant; the deliverer consumes it through an event source mapping in
# triggers.tf). Each has its own redrive DLQ: a message that has been received
# max_receive_count times without being deleted is moved there instead of
# being retried forever. The "<queue>-dlq-not-empty" alarm pages on the first.
# ---------------------------------------------------------------------------

resource "aws_sqs_queue" "work" {
  for_each = local.queues

  name                              = "${local.name_prefix}-${each.key}"
  visibility_timeout_seconds        = each.value.visibility_timeout_s
  message_retention_seconds         = each.value.message_retention_s
  receive_wait_time_seconds         = 20 # long polling; Lambda's pollers use it anyway
  kms_master_key_id                 = aws_kms_key.main.arn
  kms_data_key_reuse_period_seconds = 300

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.work_dlq[each.key].arn
    maxReceiveCount     = each.value.max_receive_count
  })
}

resource "aws_sqs_queue" "work_dlq" {
  for_each = local.queues

  name = "${local.name_prefix}-${each.key}-dlq"
  # The maximum. A standard queue keeps a message's original enqueue time when
  # it is redriven, so the DLQ must keep messages longer than the source does.
  message_retention_seconds         = 1209600
  kms_master_key_id                 = aws_kms_key.main.arn
  kms_data_key_reuse_period_seconds = 300
}

# Only its own work queue may redrive into a DLQ.
resource "aws_sqs_queue_redrive_allow_policy" "work_dlq" {
  for_each = local.queues

  queue_url = aws_sqs_queue.work_dlq[each.key].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.work[each.key].arn]
  })
}

locals {
  # Every work queue and its DLQ, for the TLS-only queue policy.
  work_queue_policies = merge(
    { for k in keys(local.queues) : k => { arn = aws_sqs_queue.work[k].arn, url = aws_sqs_queue.work[k].id } },
    { for k in keys(local.queues) : "${k}-dlq" => { arn = aws_sqs_queue.work_dlq[k].arn, url = aws_sqs_queue.work_dlq[k].id } },
  )
}

data "aws_iam_policy_document" "work_queue" {
  for_each = local.work_queue_policies

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["sqs:*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    resources = [each.value.arn]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "work_queue" {
  for_each = local.work_queue_policies

  queue_url = each.value.url
  policy    = data.aws_iam_policy_document.work_queue[each.key].json
}
