# functions/manifest.json is the single list of functions, their triggers,
# sizes and permissions, plus the table definition. Everything below is
# derived from it; no function, route or permission is named by hand in
# this directory. To add a function: add it to the manifest, build it
# (`make package`), `terraform apply`.

locals {
  manifest = jsondecode(file("${path.module}/../functions/manifest.json"))

  name_prefix = "${local.manifest.service}-${var.environment}"
  account_id  = data.aws_caller_identity.current.account_id
  partition   = data.aws_partition.current.partition
  region      = var.aws_region
  # amazonaws.com in the commercial partition, amazonaws.com.cn in China: the
  # suffix of regional endpoints (the Cognito issuer, kms:ViaService values).
  dns_suffix         = data.aws_partition.current.dns_suffix
  service_principals = { for k, p in data.aws_service_principal.this : k => p.name }

  # Every trigger (API route, stream and SQS mapping, schedule target) invokes
  # this alias, never the function itself, so a rollback is one alias update
  # (scripts/rollback.sh) and needs no rebuild.
  live_alias = "live"

  functions = { for f in local.manifest.functions : f.name => f }

  # By trigger kind. Each kind is wired up in exactly one file:
  #   http            -> api.tf       (route + integration + permission)
  #   dynamodb_stream -> triggers.tf  (event source mapping + DLQ)
  #   schedule        -> triggers.tf  (EventBridge rule + target + DLQ)
  #   sqs             -> triggers.tf  (event source mapping on a manifest queue,
  #                                    whose own redrive DLQ is in sqs.tf)
  http_functions     = { for k, f in local.functions : k => f if f.trigger.kind == "http" }
  stream_functions   = { for k, f in local.functions : k => f if f.trigger.kind == "dynamodb_stream" }
  schedule_functions = { for k, f in local.functions : k => f if f.trigger.kind == "schedule" }
  sqs_functions      = { for k, f in local.functions : k => f if f.trigger.kind == "sqs" }

  # The manifest's work queues (sqs.tf), by name. Each becomes
  #   - a queue <prefix>-<name> and its redrive DLQ <prefix>-<name>-dlq,
  #   - the environment variable <NAME>_QUEUE_URL of every function
  #     (e.g. DELIVERY_QUEUE_URL, see shared/src/config.rs),
  #   - the permission resource "<name>_queue" (e.g. delivery_queue).
  queues = { for q in try(local.manifest.queues, []) : q.name => q }

  # Channel signing secrets live at <prefix>/<tenant>/<channel id>
  # (CHANNEL_SECRET_PREFIX); IAM grants this path, never every secret.
  channel_secret_prefix = "${local.name_prefix}/channels"

  # Routes that need a token and routes that are public by contract
  # (GET /health and the $default 404/405 catch-all).
  jwt_routes    = { for k, f in local.http_functions : k => f if f.trigger.auth == "jwt" }
  public_routes = { for k, f in local.http_functions : k => f if f.trigger.auth == "none" }

  route_keys = {
    for k, f in local.http_functions :
    k => f.trigger.path == "$default" ? "$default" : "${upper(f.trigger.method)} ${f.trigger.path}"
  }

  # Functions invoked asynchronously or by a poller get a dead-letter queue:
  # stream consumers (ESM on-failure destination) and scheduled functions
  # (async invoke DLQ + EventBridge target DLQ). HTTP functions are invoked
  # synchronously; their failures are returned to the caller, so a DLQ would
  # never receive anything.
  dlq_functions = merge(local.stream_functions, local.schedule_functions)

  # Code comes from the local zips that `make package` writes, or, with
  # var.artifact_bucket, from s3://<bucket>/<prefix>/<function>.zip, so that
  # apply can run on a machine that did not build them.
  artifacts_from_s3 = var.artifact_bucket != null
  artifacts_dir     = coalesce(var.artifacts_dir, "${path.module}/../target/lambda")
  artifact_paths = {
    for k in keys(local.functions) :
    k => replace(replace(var.artifact_path_pattern, "{artifacts_dir}", local.artifacts_dir), "{name}", k)
  }
  artifact_s3_keys = {
    for k in keys(local.functions) : k => join("/", compact([var.artifact_prefix, "${k}.zip"]))
  }
  # Lambda compares source_code_hash (base64 SHA-256 of the zip) to decide
  # whether to upload new code. From S3 it is the <function>.zip.sha256 object
  # beside the zip, unless var.artifact_hashes gives it.
  artifact_hashes = {
    for k in keys(local.functions) : k => (
      local.artifacts_from_s3
      ? lookup(var.artifact_hashes, k, try(trimspace(data.aws_s3_object.artifact_hash[k].body), ""))
      : (fileexists(local.artifact_paths[k]) ? filebase64sha256(local.artifact_paths[k]) : null)
    )
  }

  # ---------------------------------------------------------------------
  # Manifest permission resources -> ARNs. To support a new resource kind,
  # add one entry here (and, if the service decrypts with our KMS key on the
  # caller's behalf, one entry in permission_kms_via below).
  # ---------------------------------------------------------------------
  permission_resources = merge(
    {
      table         = [aws_dynamodb_table.main.arn]
      table_indexes = ["${aws_dynamodb_table.main.arn}/index/*"]
      stream        = [aws_dynamodb_table.main.stream_arn]
      cursor_secret = [aws_secretsmanager_secret.cursor_signing_key.arn]
      event_bus     = [aws_cloudwatch_event_bus.app.arn]
      # Every channel secret, and nothing else: the secrets are created at run
      # time, so the grant is the name path (the trailing * also covers the
      # random suffix Secrets Manager appends to each ARN).
      channel_secrets = ["arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${local.channel_secret_prefix}/*"]
    },
    { for k, q in aws_sqs_queue.work : "${k}_queue" => [q.arn] },
  )

  # Resource kinds stored encrypted with our customer-managed key, and the
  # service that uses the key on the caller's behalf. The caller then needs
  # the KMS actions below for the manifest actions it holds, through that
  # service only (kms:ViaService). DynamoDB, EventBridge and Lambda use grants
  # and need nothing here.
  permission_kms_via = merge(
    {
      cursor_secret   = "secretsmanager"
      channel_secrets = "secretsmanager"
    },
    { for k in keys(local.queues) : "${k}_queue" => "sqs" },
  )

  # Manifest action -> the KMS actions it needs on an encrypted resource.
  # Writers encrypt a new data key (GenerateDataKey) and Secrets Manager and
  # SQS also decrypt it to check it (Decrypt); readers only decrypt. Actions
  # not listed here (DeleteSecret, DeleteMessage, ...) touch no ciphertext.
  kms_actions_for = {
    "secretsmanager:GetSecretValue" = ["kms:Decrypt"]
    "secretsmanager:CreateSecret"   = ["kms:GenerateDataKey", "kms:Decrypt"]
    "secretsmanager:PutSecretValue" = ["kms:GenerateDataKey", "kms:Decrypt"]
    "secretsmanager:UpdateSecret"   = ["kms:GenerateDataKey", "kms:Decrypt"]
    "sqs:SendMessage"               = ["kms:GenerateDataKey", "kms:Decrypt"]
    "sqs:ReceiveMessage"            = ["kms:Decrypt"]
  }

  # function -> { via service -> KMS actions }, from its manifest permissions.
  function_kms = {
    for k, f in local.functions : k => {
      for via in distinct([for p in f.permissions : local.permission_kms_via[p.resource] if contains(keys(local.permission_kms_via), p.resource)]) :
      via => sort(distinct(flatten([
        for p in f.permissions : [for a in p.actions : lookup(local.kms_actions_for, a, [])]
        if lookup(local.permission_kms_via, p.resource, "") == via
      ])))
    }
  }

  # Names known to the checks below (keep in sync with the maps above).
  known_trigger_kinds = ["http", "dynamodb_stream", "schedule", "sqs"]

  table_gsis = { for g in try(local.manifest.table.global_secondary_indexes, []) : g.name => g }
}

# Plan-time checks on the manifest, so a typo fails `terraform plan` with a
# message instead of producing a half-wired function.
resource "terraform_data" "manifest_checks" {
  input = sha256(jsonencode(local.manifest))

  lifecycle {
    precondition {
      condition     = length(local.functions) == length(local.manifest.functions)
      error_message = "functions/manifest.json: function names must be unique."
    }
    precondition {
      # 40 = 64 (the Lambda, IAM role and rule name limit) - "ofauto-" - a
      # 16-character environment - "-": every name fits every environment.
      condition     = alltrue([for f in local.manifest.functions : can(regex("^[a-z][a-z0-9-]{1,39}$", f.name))])
      error_message = "functions/manifest.json: function names must be 2-40 characters of [a-z0-9-] (they become part of Lambda, IAM role, rule and log group names)."
    }
    precondition {
      # Lambda function, IAM role and EventBridge rule names share this name
      # and allow 64 characters. scripts/terraform_test.py checks the same for
      # the longest environment name var.environment accepts.
      condition     = alltrue([for f in local.manifest.functions : length("${local.name_prefix}-${f.name}") <= 64])
      error_message = "functions/manifest.json: <service>-<environment>-<function> must fit in 64 characters (the Lambda, IAM role and EventBridge rule name limit); shorten the function or the environment name."
    }
    precondition {
      condition     = alltrue([for f in local.manifest.functions : contains(local.known_trigger_kinds, f.trigger.kind)])
      error_message = "functions/manifest.json: unknown trigger kind. Known: http, dynamodb_stream, schedule, sqs."
    }
    precondition {
      condition     = alltrue(flatten([for f in local.manifest.functions : [for p in f.permissions : contains(keys(local.permission_resources), p.resource)]]))
      error_message = "functions/manifest.json: a permission names an unknown resource. Known: table, table_indexes, stream, cursor_secret, event_bus, channel_secrets and <queue>_queue for each manifest queue (add new ones to local.permission_resources in terraform/manifest.tf)."
    }
    precondition {
      condition = alltrue(flatten([for f in local.manifest.functions : [
        for p in f.permissions : [for a in p.actions : can(regex("^[a-z0-9-]+:[A-Za-z0-9]+$", a))]
      ]]))
      error_message = "functions/manifest.json: every action must be one exact service:Action, with no wildcards."
    }
    precondition {
      condition     = length(distinct(values(local.route_keys))) == length(local.route_keys)
      error_message = "functions/manifest.json: two http functions claim the same route (method + path)."
    }
    precondition {
      condition     = alltrue([for f in values(local.http_functions) : contains(["jwt", "none"], f.trigger.auth)])
      error_message = "functions/manifest.json: http trigger auth must be \"jwt\" or \"none\"."
    }
    precondition {
      condition     = alltrue([for f in values(local.http_functions) : f.timeout_s <= 29])
      error_message = "functions/manifest.json: http functions must time out within 29 s (API Gateway's integration limit is 30 s)."
    }
    precondition {
      condition     = alltrue([for f in values(local.functions) : f.memory_mb >= 128 && f.memory_mb <= 10240 && f.timeout_s >= 1 && f.timeout_s <= 900])
      error_message = "functions/manifest.json: memory_mb must be 128-10240 and timeout_s 1-900."
    }
    precondition {
      condition     = alltrue([for f in values(local.schedule_functions) : can(regex("^(rate|cron)\\(.+\\)$", f.trigger.expression))])
      error_message = "functions/manifest.json: schedule triggers need an expression such as rate(1 minute) or cron(0 * * * ? *)."
    }
    precondition {
      condition     = length(local.stream_functions) == 0 || try(local.manifest.table.stream_view_type, null) != null
      error_message = "functions/manifest.json: a dynamodb_stream trigger needs table.stream_view_type."
    }
    precondition {
      condition     = length(local.queues) == length(try(local.manifest.queues, [])) && alltrue([for q in values(local.queues) : can(regex("^[a-z][a-z0-9_]{1,30}$", q.name))])
      error_message = "functions/manifest.json: queue names must be unique, 2-31 characters of [a-z0-9_] (they become <NAME>_QUEUE_URL and the permission resource <name>_queue)."
    }
    precondition {
      # <NAME>_QUEUE_URL must not overwrite DEAD_LETTER_QUEUE_URL (lambda.tf).
      condition     = !contains(keys(local.queues), "dead_letter")
      error_message = "functions/manifest.json: a queue must not be named dead_letter (its DEAD_LETTER_QUEUE_URL would replace the functions' own DLQ setting)."
    }
    precondition {
      # A queue <prefix>-<q> has its DLQ at <prefix>-<q>-dlq, the name a
      # function <q> with a DLQ would also take.
      condition     = length(setintersection(keys(local.queues), keys(local.dlq_functions))) == 0
      error_message = "functions/manifest.json: a queue must not share its name with a stream or scheduled function (their DLQ names would collide)."
    }
    precondition {
      condition = alltrue([for q in values(local.queues) :
        q.visibility_timeout_s >= 0 && q.visibility_timeout_s <= 43200 &&
        q.max_receive_count >= 1 && q.max_receive_count <= 1000 &&
        q.message_retention_s >= 60 && q.message_retention_s <= 1209600
      ])
      error_message = "functions/manifest.json: each queue needs visibility_timeout_s 0-43200, max_receive_count 1-1000 and message_retention_s 60-1209600."
    }
    precondition {
      condition     = alltrue([for f in values(local.sqs_functions) : contains(keys(local.queues), f.trigger.queue)])
      error_message = "functions/manifest.json: an sqs trigger names a queue that is not in the manifest's queues list."
    }
    precondition {
      condition     = length(distinct([for f in values(local.sqs_functions) : f.trigger.queue])) == length(local.sqs_functions)
      error_message = "functions/manifest.json: each queue feeds at most one function (two consumers would each see a random half of its messages)."
    }
    precondition {
      # Lambda refuses an event source mapping whose function may run longer
      # than the queue hides a received message: it would be delivered twice.
      condition     = alltrue([for f in values(local.sqs_functions) : try(local.queues[f.trigger.queue].visibility_timeout_s >= f.timeout_s, false)])
      error_message = "functions/manifest.json: a queue's visibility_timeout_s must be at least the timeout_s of the function it feeds."
    }
    precondition {
      condition = alltrue([for f in values(local.sqs_functions) :
        try(f.trigger.batch_size, 10) >= 1 && try(f.trigger.batch_size, 10) <= 10000 &&
        try(f.trigger.maximum_batching_window_s, 0) >= 0 && try(f.trigger.maximum_batching_window_s, 0) <= 300 &&
        (try(f.trigger.batch_size, 10) <= 10 || try(f.trigger.maximum_batching_window_s, 0) >= 1)
      ])
      error_message = "functions/manifest.json: sqs triggers need batch_size 1-10000 and maximum_batching_window_s 0-300; a batch_size above 10 needs a batching window of at least 1 s."
    }
    precondition {
      condition = alltrue([for g in values(local.table_gsis) :
        contains(["ALL", "KEYS_ONLY", "INCLUDE"], g.projection) &&
        (g.projection == "INCLUDE") == (length(try(g.non_key_attributes, [])) > 0) &&
        contains(keys(local.manifest.table.attributes), g.hash_key) &&
        contains(keys(local.manifest.table.attributes), try(g.range_key, g.hash_key))
      ])
      error_message = "functions/manifest.json: each GSI needs projection ALL, KEYS_ONLY or INCLUDE (non_key_attributes only with INCLUDE) and keys declared in table.attributes."
    }
  }
}
