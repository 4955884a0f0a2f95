# One Lambda per manifest entry: Rust binary built by cargo-lambda for
# Graviton (arm64) on the provided.al2023 runtime.
#
# Every change of code or configuration publishes an immutable version, and
# the alias "live" (local.live_alias) is what every trigger invokes. Rolling
# back is pointing the alias at an earlier version (scripts/rollback.sh):
# seconds, no rebuild, and the version brings back its own environment too.

resource "aws_cloudwatch_log_group" "fn" {
  for_each = local.functions

  name              = "/aws/lambda/${local.name_prefix}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_lambda_function" "fn" {
  #checkov:skip=CKV_AWS_117:The functions reach only AWS APIs (DynamoDB, Secrets Manager, EventBridge) and tenant webhooks on the public internet, authenticated with IAM/HMAC. A VPC would add NAT gateways and ENI cold starts and protect nothing; there is no private resource to reach.
  #checkov:skip=CKV_AWS_116:A DLQ applies only to asynchronous invocations. It is attached (dynamic dead_letter_config) to scheduled functions; HTTP functions are synchronous (errors go to the caller) and the stream consumer's failures go to the event source mapping's on-failure SQS destination (triggers.tf).
  #checkov:skip=CKV_AWS_272:Code signing needs AWS Signer jobs over every zip and a signing profile per account; the zips are built from the locked workspace by `make package` and reach Lambda either from this machine or from the artifact bucket with their SHA-256 pinned in source_code_hash, so a swapped zip is refused at plan time. Revisit if artifacts ever come from a party that does not build them.
  for_each = local.functions

  function_name = "${local.name_prefix}-${each.key}"
  description   = try(each.value.description, each.key)
  role          = aws_iam_role.fn[each.key].arn

  runtime       = "provided.al2023"
  architectures = ["arm64"]
  handler       = "bootstrap"

  filename         = local.artifacts_from_s3 ? null : local.artifact_paths[each.key]
  s3_bucket        = local.artifacts_from_s3 ? var.artifact_bucket : null
  s3_key           = local.artifacts_from_s3 ? local.artifact_s3_keys[each.key] : null
  source_code_hash = local.artifact_hashes[each.key]

  # Each apply that changes the code or the configuration publishes a new
  # version; aws_lambda_alias.live decides which version serves traffic.
  publish = true

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
        CORS_ALLOWED_ORIGINS = join(",", local.cors_allow_origins)
        RATE_LIMIT_TIERS     = var.rate_limit_tiers
        # Read by no code: bumping var.cursor_signing_key_version changes it,
        # which publishes a new version of every function and moves the
        # aliases, so no execution environment keeps the old key cached.
        CURSOR_SIGNING_KEY_VERSION = tostring(var.cursor_signing_key_version)
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
      condition     = local.artifacts_from_s3 || fileexists(local.artifact_paths[each.key])
      error_message = "Missing artifact ${local.artifact_paths[each.key]}. Build it first: `make package` (cargo lambda build --release --arm64 --output-format zip)."
    }
    precondition {
      # An S3 hash object uploaded without a text content type reads back
      # empty, and an empty hash would silently skip code updates.
      condition     = !local.artifacts_from_s3 || can(regex("^[A-Za-z0-9+/]{43}=$", local.artifact_hashes[each.key]))
      error_message = "No usable hash for s3://${coalesce(var.artifact_bucket, "-")}/${local.artifact_s3_keys[each.key]}: upload ${local.artifact_s3_keys[each.key]}.sha256 (base64 SHA-256, content type text/plain; `make publish-artifacts` does) or set artifact_hashes[\"${each.key}\"]."
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

# Reads <function>.zip.sha256 beside each zip in the artifact bucket, for the
# functions whose hash var.artifact_hashes does not give.
data "aws_s3_object" "artifact_hash" {
  for_each = local.artifacts_from_s3 ? { for k, f in local.functions : k => f if !contains(keys(var.artifact_hashes), k) } : {}

  bucket = var.artifact_bucket
  key    = "${local.artifact_s3_keys[each.key]}.sha256"
}

# The alias every trigger invokes. By default it follows the newest published
# version, so a plain apply deploys. var.alias_versions pins a function to a
# version: what a rollback leaves behind, recorded so that the next apply
# keeps it instead of rolling forward again (scripts/rollback.sh prints the
# line to add). var.canary sends a share of the traffic to a second version.
resource "aws_lambda_alias" "live" {
  for_each = local.functions

  name             = local.live_alias
  description      = "What every trigger of ${local.name_prefix}-${each.key} invokes. Move it with scripts/rollback.sh."
  function_name    = aws_lambda_function.fn[each.key].function_name
  function_version = lookup(var.alias_versions, each.key, aws_lambda_function.fn[each.key].version)

  dynamic "routing_config" {
    for_each = contains(keys(var.canary), each.key) ? [var.canary[each.key]] : []
    content {
      additional_version_weights = {
        (coalesce(routing_config.value.version, aws_lambda_function.fn[each.key].version)) = routing_config.value.weight
      }
    }
  }

  lifecycle {
    precondition {
      condition     = alltrue([for k in concat(keys(var.alias_versions), keys(var.canary)) : contains(keys(local.functions), k)])
      error_message = "var.alias_versions or var.canary names a function that is not in functions/manifest.json."
    }
    precondition {
      # The canary's other half must be a known-good version, and Lambda
      # refuses a weight on the alias's own version.
      condition = !contains(keys(var.canary), each.key) || (
        contains(keys(var.alias_versions), each.key) &&
        try(coalesce(var.canary[each.key].version, aws_lambda_function.fn[each.key].version) != var.alias_versions[each.key], false)
      )
      error_message = "var.canary[\"${each.key}\"] needs var.alias_versions[\"${each.key}\"] set to the stable version, and a canary version different from it."
    }
  }

  # Nothing is invoked before the cursor signing key has a value: the listing
  # functions read it at cold start and fail without it.
  depends_on = [aws_secretsmanager_secret_version.cursor_signing_key]
}

# Scheduled functions are invoked asynchronously, through the alias, whose
# own async settings apply (not the unqualified function's). A tick that is
# minutes old is worthless (the next tick re-reads what is due), so retry
# once, then dead-letter it so a human sees the failure.
resource "aws_lambda_function_event_invoke_config" "schedule" {
  for_each = local.schedule_functions

  function_name                = aws_lambda_function.fn[each.key].function_name
  qualifier                    = aws_lambda_alias.live[each.key].name
  maximum_event_age_in_seconds = 300
  maximum_retry_attempts       = 1
}
