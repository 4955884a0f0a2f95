# One Lambda per manifest entry: Rust binary built by cargo-lambda for
# Graviton (arm64) on the provided.al2023 runtime.

resource "aws_cloudwatch_log_group" "fn" {
  for_each = local.functions

  name              = "/aws/lambda/${local.name_prefix}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_lambda_function" "fn" {
  #checkov:skip=CKV_AWS_117:The functions reach only AWS APIs (DynamoDB, Secrets Manager, EventBridge) and tenant webhooks on the public internet, authenticated with IAM/HMAC. A VPC would add NAT gateways and ENI cold starts and protect nothing; there is no private resource to reach.
  #checkov:skip=CKV_AWS_116:A DLQ applies only to asynchronous invocations. It is attached (dynamic dead_letter_config) to scheduled functions; HTTP functions are synchronous (errors go to the caller) and the stream consumer's failures go to the event source mapping's on-failure SQS destination (triggers.tf).
  #checkov:skip=CKV_AWS_272:Code signing requires deploying through S3 via AWS Signer jobs; artifacts are built from the locked workspace by `make package` in CI and deployed by this stack directly. Revisit when deployments move to a signed S3 artifact bucket.
  for_each = local.functions

  function_name = "${local.name_prefix}-${each.key}"
  description   = try(each.value.description, each.key)
  role          = aws_iam_role.fn[each.key].arn

  runtime       = "provided.al2023"
  architectures = ["arm64"]
  handler       = "bootstrap"

  filename         = local.artifact_paths[each.key]
  source_code_hash = fileexists(local.artifact_paths[each.key]) ? filebase64sha256(local.artifact_paths[each.key]) : null

  memory_size                    = each.value.memory_mb
  timeout                        = each.value.timeout_s
  reserved_concurrent_executions = lookup(var.reserved_concurrency, each.key, -1)

  kms_key_arn = aws_kms_key.main.arn

  # Names: shared/src/config.rs. Every function gets the same set; the
  # manifest's permissions decide what each may actually do with them.
  environment {
    variables = merge(
      {
        OFAUTO_ENV       = "aws"
        LOG_LEVEL        = var.log_level
        TABLE_NAME       = aws_dynamodb_table.main.name
        CURSOR_SECRET_ID = aws_secretsmanager_secret.cursor_signing_key.arn
        EVENT_BUS_NAME   = aws_cloudwatch_event_bus.app.name
        # Channel signing secrets: <prefix>/<tenant>/<channel id>, encrypted with our key.
        CHANNEL_SECRET_PREFIX     = local.channel_secret_prefix
        CHANNEL_SECRET_KMS_KEY_ID = aws_kms_key.main.arn
        # Edge policies in the shared crate (ignored by non-HTTP functions).
        CORS_ALLOWED_ORIGINS = join(",", var.cors_allow_origins)
        RATE_LIMIT_TIERS     = var.rate_limit_tiers
        # Where a stream consumer parks a record DynamoDB refuses for good, so that it does not
        # block the rest of its shard. Empty for functions without a DLQ.
        DEAD_LETTER_QUEUE_URL = try(aws_sqs_queue.dlq[each.key].url, "")
      },
      # One <NAME>_QUEUE_URL per manifest queue, e.g. DELIVERY_QUEUE_URL.
      { for k, q in aws_sqs_queue.work : "${upper(k)}_QUEUE_URL" => q.url },
    )
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.fn[each.key].name
  }

  dynamic "dead_letter_config" {
    for_each = contains(keys(local.schedule_functions), each.key) ? [aws_sqs_queue.dlq[each.key].arn] : []
    content {
      target_arn = dead_letter_config.value
    }
  }

  lifecycle {
    precondition {
      condition     = fileexists(local.artifact_paths[each.key])
      error_message = "Missing artifact ${local.artifact_paths[each.key]}. Build it first: `make package` (cargo lambda build --release --arm64 --output-format zip)."
    }
    precondition {
      condition     = alltrue([for k in keys(var.reserved_concurrency) : contains(keys(local.functions), k)])
      error_message = "var.reserved_concurrency names a function that is not in functions/manifest.json."
    }
  }

  depends_on = [
    aws_iam_role_policy.fn,
    aws_cloudwatch_log_group.fn,
  ]
}

# Scheduled functions are invoked asynchronously. A tick that is minutes old
# is worthless (the next tick re-reads what is due), so retry once, then
# dead-letter it so a human sees the failure.
resource "aws_lambda_function_event_invoke_config" "schedule" {
  for_each = local.schedule_functions

  function_name                = aws_lambda_function.fn[each.key].function_name
  maximum_event_age_in_seconds = 300
  maximum_retry_attempts       = 1
}
