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
        identifiers = ["events.amazonaws.com"]
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
