# One role per function, holding exactly the manifest's permissions plus
# what every function needs to run: its own log group and X-Ray.

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    sid     = "LambdaAssumesExecutionRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = [local.service_principals["lambda"]]
    }
  }
}

resource "aws_iam_role" "fn" {
  for_each = local.functions

  name                 = "${local.name_prefix}-${each.key}"
  description          = "Execution role of ${local.name_prefix}-${each.key}: ${try(each.value.description, "")}"
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume.json
  permissions_boundary = var.iam_permissions_boundary_arn
}

data "aws_iam_policy_document" "fn" {
  for_each = local.functions

  statement {
    sid       = "WriteOwnLogGroup"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.fn[each.key].arn}:*"]
  }

  statement {
    # X-Ray's write API has no resource-level permissions; "*" is the only
    # resource it accepts. The actions are write-only telemetry.
    sid       = "WriteXRayTraces"
    effect    = "Allow"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }

  # The manifest's permissions, one statement each.
  dynamic "statement" {
    for_each = each.value.permissions
    content {
      sid       = "Manifest${statement.key}${replace(title(replace(statement.value.resource, "_", " ")), " ", "")}"
      effect    = "Allow"
      actions   = statement.value.actions
      resources = local.permission_resources[statement.value.resource]
    }
  }

  # Our key, only through the services that use it on the caller's behalf,
  # and only the KMS actions the manifest actions need (local.function_kms):
  # e.g. GetSecretValue -> kms:Decrypt via Secrets Manager; CreateSecret and
  # PutSecretValue on a channel secret, or SendMessage to the encrypted
  # delivery queue -> kms:GenerateDataKey + kms:Decrypt via that service.
  dynamic "statement" {
    for_each = { for via, actions in local.function_kms[each.key] : via => actions if length(actions) > 0 }
    content {
      sid       = "${contains(statement.value, "kms:GenerateDataKey") ? "EncryptDecrypt" : "Decrypt"}Via${title(statement.key)}"
      effect    = "Allow"
      actions   = statement.value
      resources = [aws_kms_key.main.arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["${statement.key}.${local.region}.${local.dns_suffix}"]
      }
    }
  }

  # Functions with a DLQ (stream consumers, scheduled functions) send their
  # failures to it; the queue is encrypted with our key.
  dynamic "statement" {
    for_each = contains(keys(local.dlq_functions), each.key) ? [aws_sqs_queue.dlq[each.key].arn] : []
    content {
      sid       = "SendToOwnDlq"
      effect    = "Allow"
      actions   = ["sqs:SendMessage"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = contains(keys(local.dlq_functions), each.key) ? [aws_kms_key.main.arn] : []
    content {
      sid       = "EncryptForOwnDlq"
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sqs.${local.region}.${local.dns_suffix}"]
      }
    }
  }
}

resource "aws_iam_role_policy" "fn" {
  for_each = local.functions

  name   = "least-privilege"
  role   = aws_iam_role.fn[each.key].id
  policy = data.aws_iam_policy_document.fn[each.key].json
}
