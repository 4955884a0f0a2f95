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

  functions = { for f in local.manifest.functions : f.name => f }

  # By trigger kind. Each kind is wired up in exactly one file:
  #   http            -> api.tf       (route + integration + permission)
  #   dynamodb_stream -> triggers.tf  (event source mapping + DLQ)
  #   schedule        -> triggers.tf  (EventBridge rule + target + DLQ)
  http_functions     = { for k, f in local.functions : k => f if f.trigger.kind == "http" }
  stream_functions   = { for k, f in local.functions : k => f if f.trigger.kind == "dynamodb_stream" }
  schedule_functions = { for k, f in local.functions : k => f if f.trigger.kind == "schedule" }

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

  artifacts_dir = coalesce(var.artifacts_dir, "${path.module}/../target/lambda")
  artifact_paths = {
    for k in keys(local.functions) :
    k => replace(replace(var.artifact_path_pattern, "{artifacts_dir}", local.artifacts_dir), "{name}", k)
  }

  # ---------------------------------------------------------------------
  # Manifest permission resources -> ARNs. To support a new resource kind,
  # add one entry here (and, if the service decrypts with our KMS key on the
  # caller's behalf, one entry in permission_kms_via below).
  # ---------------------------------------------------------------------
  permission_resources = {
    table         = [aws_dynamodb_table.main.arn]
    table_indexes = ["${aws_dynamodb_table.main.arn}/index/*"]
    stream        = [aws_dynamodb_table.main.stream_arn]
    cursor_secret = [aws_secretsmanager_secret.cursor_signing_key.arn]
    event_bus     = [aws_cloudwatch_event_bus.app.arn]
  }

  # Resource kinds whose service needs the caller to hold kms:Decrypt on the
  # customer-managed key (via that service only). DynamoDB, EventBridge and
  # Lambda use grants and need nothing here.
  permission_kms_via = {
    cursor_secret = "secretsmanager"
  }

  # Names known to the checks below (keep in sync with the maps above).
  known_trigger_kinds = ["http", "dynamodb_stream", "schedule"]

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
      condition     = alltrue([for f in local.manifest.functions : can(regex("^[a-z][a-z0-9-]{1,40}$", f.name))])
      error_message = "functions/manifest.json: function names must be 2-41 characters of [a-z0-9-] (they become part of Lambda, IAM and log group names)."
    }
    precondition {
      condition     = alltrue([for f in local.manifest.functions : contains(local.known_trigger_kinds, f.trigger.kind)])
      error_message = "functions/manifest.json: unknown trigger kind. Known: http, dynamodb_stream, schedule."
    }
    precondition {
      condition     = alltrue(flatten([for f in local.manifest.functions : [for p in f.permissions : contains(keys(local.permission_resources), p.resource)]]))
      error_message = "functions/manifest.json: a permission names an unknown resource. Known: table, table_indexes, stream, cursor_secret, event_bus (add new ones to local.permission_resources in terraform/manifest.tf)."
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
  }
}
