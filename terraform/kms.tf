# One customer-managed key encrypts everything this stack stores: the table
# (and its stream), the cursor secret, the channel signing secrets (created
# at run time under CHANNEL_SECRET_PREFIX with CHANNEL_SECRET_KMS_KEY_ID), log
# groups, the work queues and DLQs, the alarm topic and Lambda environment
# variables. One key per stack keeps the key policy reviewable; the account
# root statement delegates ordinary use to IAM, so each function's role lists
# exactly what it may do with the key, through which service (iam.tf:
# kms:ViaService secretsmanager / sqs). Secrets Manager, SQS (including its
# redrive into an encrypted DLQ) and Lambda's SQS poller act with the
# caller's own IAM permissions, so they need no statement of their own here.

resource "aws_kms_key" "main" {
  description             = "${local.name_prefix}: table, secrets, logs, queues, alarm topic"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = var.kms_deletion_window_days

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # AWS's default statement: without it the key could become unmanageable.
        Sid       = "AccountRootDelegatesToIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        # CloudWatch Logs takes its regional principal here, in every partition.
        Sid       = "CloudWatchLogsForThisAccountsLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.${local.dns_suffix}" }
        Action = [
          "kms:Encrypt*",
          "kms:Decrypt*",
          "kms:ReEncrypt*",
          "kms:GenerateDataKey*",
          "kms:Describe*",
        ]
        Resource = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"
          }
        }
      },
      {
        # CloudWatch alarms publish to the encrypted SNS topic.
        Sid       = "CloudWatchAlarmsPublishToEncryptedTopic"
        Effect    = "Allow"
        Principal = { Service = local.service_principals["cloudwatch"] }
        Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
      {
        # EventBridge writes undeliverable schedule ticks to the encrypted DLQs.
        Sid       = "EventBridgeSendsToEncryptedDlq"
        Effect    = "Allow"
        Principal = { Service = local.service_principals["events"] }
        Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
    ]
  })
}

resource "aws_kms_alias" "main" {
  name          = "alias/${local.name_prefix}"
  target_key_id = aws_kms_key.main.key_id
}
