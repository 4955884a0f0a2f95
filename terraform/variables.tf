# ---------------------------------------------------------------------------
# Where and what
# ---------------------------------------------------------------------------

variable "aws_region" {
  description = "AWS region to deploy into, e.g. eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like an AWS region name, e.g. eu-west-1 or us-gov-west-1."
  }
}

variable "environment" {
  description = "Environment name. It becomes part of every resource name (<service>-<environment>-...), so keep it short: prod, staging, dev-alice."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.environment))
    error_message = "environment must be 2-16 characters of [a-z0-9-], starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags for every resource (merged into the provider's default_tags)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) <= 128 && length(v) <= 256])
    error_message = "Tag keys must be at most 128 characters and values at most 256."
  }
}

# ---------------------------------------------------------------------------
# Artifacts (built by `make package`, i.e. cargo lambda build --arm64 --output-format zip)
# ---------------------------------------------------------------------------

variable "artifacts_dir" {
  description = "Directory holding the built Lambda zips. null means <repo>/target/lambda, where cargo-lambda writes them."
  type        = string
  default     = null
}

variable "artifact_path_pattern" {
  description = "Path of one function's zip. {artifacts_dir} and {name} are replaced; the default matches cargo-lambda's output (target/lambda/<name>/bootstrap.zip). Use \"{artifacts_dir}/{name}.zip\" for a flat directory."
  type        = string
  default     = "{artifacts_dir}/{name}/bootstrap.zip"

  validation {
    condition     = strcontains(var.artifact_path_pattern, "{name}") && endswith(var.artifact_path_pattern, ".zip")
    error_message = "artifact_path_pattern must contain {name} and end in .zip."
  }
}

variable "artifact_bucket" {
  description = "Optional S3 bucket holding the zips as <artifact_prefix>/<function>.zip, each with <function>.zip.sha256 beside it (its base64 SHA-256, content type text/plain), as `make publish-artifacts` uploads them. null takes the local zips (artifacts_dir), which then must exist on the machine that runs apply."
  type        = string
  default     = null

  validation {
    condition     = var.artifact_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifact_bucket))
    error_message = "artifact_bucket must be null or an S3 bucket name (no s3:// and no path; the path goes into artifact_prefix)."
  }
}

variable "artifact_prefix" {
  description = "Key prefix of the zips in artifact_bucket, e.g. the commit they were built from. Empty means the bucket's top level."
  type        = string
  default     = ""

  validation {
    condition     = var.artifact_prefix == "" || can(regex("^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$", var.artifact_prefix))
    error_message = "artifact_prefix must be empty or a key prefix without leading or trailing slashes, e.g. releases/3f2c1e0."
  }
}

variable "artifact_hashes" {
  description = "Optional base64 SHA-256 of a function's zip in artifact_bucket, by function name, instead of reading <function>.zip.sha256 from the bucket."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for h in values(var.artifact_hashes) : can(regex("^[A-Za-z0-9+/]{43}=$", h))])
    error_message = "artifact_hashes values must be base64 SHA-256 digests (44 characters ending in =), e.g. from `openssl dgst -sha256 -binary x.zip | base64`."
  }
}

# ---------------------------------------------------------------------------
# Versions, rollback, canary (lambda.tf; DEPLOYMENT.md, "Rollback")
# ---------------------------------------------------------------------------

variable "alias_versions" {
  description = "Pins a function's live alias to a published version, by function name, e.g. { dispatcher = \"41\" }. Functions not listed follow their newest version. Record here what scripts/rollback.sh did, or the next apply moves the alias forward again; remove the pin once the fix is deployed."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for v in values(var.alias_versions) : can(regex("^[1-9][0-9]*$", v))])
    error_message = "alias_versions values must be published version numbers such as \"41\" ($LATEST cannot be pinned: an alias must name a published version)."
  }
}

variable "canary" {
  description = "Weighted alias routing, by function name: { version (optional, default the newest published), weight (0-1) }. That share of the invocations goes to that version and the rest to the version pinned in alias_versions, which is required for a function with a canary."
  type = map(object({
    version = optional(string)
    weight  = number
  }))
  default = {}

  validation {
    condition = alltrue([
      for c in values(var.canary) :
      c.weight > 0 && c.weight < 1 && (c.version == null || can(regex("^[1-9][0-9]*$", coalesce(c.version, "1"))))
    ])
    error_message = "canary weights must be strictly between 0 and 1, and a canary version a published version number."
  }
}

# ---------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------

variable "log_level" {
  description = "LOG_LEVEL passed to every function (a tracing EnvFilter directive's default level)."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["trace", "debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be one of trace, debug, info, warn, error."
  }
}

variable "reserved_concurrency" {
  description = "Optional reserved concurrency per function name, e.g. { \"analytics-aggregator\" = 5 }. Functions not listed use the unreserved account pool (-1). 0 disables a function (an emergency brake)."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for v in values(var.reserved_concurrency) : v >= -1 && floor(v) == v])
    error_message = "reserved_concurrency values must be whole numbers >= -1."
  }
}

variable "log_retention_days" {
  description = "Retention of the function and API access log groups, in days. Must be a value CloudWatch Logs accepts; 365+ keeps a year of audit trail."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "stream_maximum_retry_attempts" {
  description = "How often the stream consumer retries a failing batch (after bisecting it) before the batch's pointer goes to its DLQ. -1 retries until the record expires."
  type        = number
  default     = 10

  validation {
    condition     = var.stream_maximum_retry_attempts >= -1 && var.stream_maximum_retry_attempts <= 10000
    error_message = "stream_maximum_retry_attempts must be between -1 and 10000."
  }
}

variable "stream_maximum_record_age_s" {
  description = "Stream records older than this are sent to the DLQ instead of being processed. -1 means until the stream drops them (24 h)."
  type        = number
  default     = 21600

  validation {
    condition     = var.stream_maximum_record_age_s == -1 || (var.stream_maximum_record_age_s >= 60 && var.stream_maximum_record_age_s <= 604800)
    error_message = "stream_maximum_record_age_s must be -1 or between 60 and 604800."
  }
}

variable "sqs_maximum_concurrency" {
  description = "The most concurrent invocations an sqs-triggered function (the deliverer) gets from its queue's poller, unless its manifest trigger sets maximum_concurrency. It bounds the outbound webhook load and keeps a backlog from taking the account's whole concurrency."
  type        = number
  default     = 50

  validation {
    condition     = var.sqs_maximum_concurrency >= 2 && var.sqs_maximum_concurrency <= 1000 && floor(var.sqs_maximum_concurrency) == var.sqs_maximum_concurrency
    error_message = "sqs_maximum_concurrency must be a whole number between 2 and 1000 (Lambda's limits for an SQS event source)."
  }
}

# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

variable "table_deletion_protection" {
  description = "DynamoDB deletion protection. Leave true for anything holding real data; set false only to tear down a throwaway environment."
  type        = bool
  default     = true
}

variable "pitr_recovery_period_days" {
  description = "How far back point-in-time recovery reaches, in days."
  type        = number
  default     = 35

  validation {
    condition     = var.pitr_recovery_period_days >= 1 && var.pitr_recovery_period_days <= 35 && floor(var.pitr_recovery_period_days) == var.pitr_recovery_period_days
    error_message = "pitr_recovery_period_days must be a whole number between 1 and 35."
  }
}

variable "backup_schedule" {
  description = "When AWS Backup takes the daily backup of the table (a cron expression, UTC)."
  type        = string
  default     = "cron(0 3 * * ? *)"

  validation {
    condition     = can(regex("^cron\\(.+\\)$", var.backup_schedule))
    error_message = "backup_schedule must be a cron(...) expression, e.g. cron(0 3 * * ? *)."
  }
}

variable "backup_retention_days" {
  description = "How long each daily backup (and its copy) is kept, in days."
  type        = number
  default     = 35

  validation {
    condition     = var.backup_retention_days >= 1 && floor(var.backup_retention_days) == var.backup_retention_days
    error_message = "backup_retention_days must be a whole number of at least 1."
  }
}

variable "backup_copy_vault_arn" {
  description = "Optional ARN of a backup vault in another region (or account) that receives a copy of every backup. For DynamoDB this needs AWS Backup's advanced DynamoDB features turned on in this account and region (DEPLOYMENT.md)."
  type        = string
  default     = null

  validation {
    condition     = var.backup_copy_vault_arn == null || can(regex("^arn:[^:]+:backup:[a-z0-9-]+:[0-9]{12}:backup-vault:.+$", var.backup_copy_vault_arn))
    error_message = "backup_copy_vault_arn must be null or a backup vault ARN (arn:aws:backup:<region>:<account>:backup-vault:<name>)."
  }
}

variable "replica_regions" {
  description = "Regions that get a replica of the table (a global table), e.g. [\"eu-central-1\"]. Empty means no replicas. Each needs a key in replica_kms_key_arns."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.replica_regions : can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", r))]) && length(distinct(var.replica_regions)) == length(var.replica_regions)
    error_message = "replica_regions must be distinct AWS region names."
  }
}

variable "replica_kms_key_arns" {
  description = "The customer-managed KMS key that encrypts the replica in each of replica_regions, by region."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for r, k in var.replica_kms_key_arns : can(regex("^arn:[^:]+:kms:${r}:[0-9]{12}:(key|alias)/.+$", k))])
    error_message = "replica_kms_key_arns must map each region to a KMS key ARN of that same region."
  }
}

variable "restore" {
  description = "Points the stack at a table restored from PITR or a backup: { table_name }. Set it only as DEPLOYMENT.md (\"Restore\") says, after importing the restored table at aws_dynamodb_table.main; keep it set for as long as that table is the live one. null means the table <service>-<environment>."
  type = object({
    table_name = string
  })
  default = null

  validation {
    condition     = var.restore == null || can(regex("^[A-Za-z0-9_.-]{3,255}$", var.restore.table_name))
    error_message = "restore.table_name must be a DynamoDB table name: 3-255 characters of [A-Za-z0-9_.-]."
  }
}

variable "enable_contributor_insights" {
  description = "CloudWatch Contributor Insights on the table and its indexes: shows the hottest keys when DynamoDB throttles."
  type        = bool
  default     = true
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the customer-managed KMS key is deleted after a destroy."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "cursor_signing_key_version" {
  description = "Bump to rotate the pagination cursor HMAC key: the next apply writes a fresh random key. Outstanding cursors then get 400 and clients restart their listing."
  type        = number
  default     = 1

  validation {
    condition     = var.cursor_signing_key_version >= 1 && floor(var.cursor_signing_key_version) == var.cursor_signing_key_version
    error_message = "cursor_signing_key_version must be a whole number >= 1."
  }
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret can still be restored."
  type        = number
  default     = 30

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days must be 0 (delete at once) or between 7 and 30."
  }
}

variable "event_archive_retention_days" {
  description = "How long the custom bus's archive keeps every domain event for replay, in days. 0 keeps them indefinitely."
  type        = number
  default     = 30

  validation {
    condition     = var.event_archive_retention_days >= 0 && floor(var.event_archive_retention_days) == var.event_archive_retention_days
    error_message = "event_archive_retention_days must be a whole number >= 0."
  }
}

# ---------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------

variable "api_custom_domain" {
  description = "Optional custom domain for the API: { domain_name, certificate_arn }, the certificate an ACM certificate of aws_region covering that name. null serves the API on its execute-api URL only."
  type = object({
    domain_name     = string
    certificate_arn = string
  })
  default = null

  validation {
    condition = var.api_custom_domain == null || (
      can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.api_custom_domain.domain_name)) &&
      can(regex("^arn:[^:]+:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", var.api_custom_domain.certificate_arn))
    )
    error_message = "api_custom_domain needs a lower-case domain_name such as api.example.com and an ACM certificate_arn."
  }
}

variable "api_throttling_rate_limit" {
  description = "Default steady-state requests per second for every route (the whole API, all tenants together). Per-tenant limits are enforced by the functions."
  type        = number
  default     = 500

  validation {
    condition     = var.api_throttling_rate_limit > 0 && var.api_throttling_rate_limit <= 10000
    error_message = "api_throttling_rate_limit must be in (0, 10000]."
  }
}

variable "api_throttling_burst_limit" {
  description = "Default burst (token bucket size) for every route."
  type        = number
  default     = 1000

  validation {
    condition     = var.api_throttling_burst_limit >= 1 && var.api_throttling_burst_limit <= 5000 && floor(var.api_throttling_burst_limit) == var.api_throttling_burst_limit
    error_message = "api_throttling_burst_limit must be a whole number in [1, 5000]."
  }
}

variable "api_detailed_metrics" {
  description = "Per-route CloudWatch metrics on the API stage (small extra cost; lets you see which route is failing)."
  type        = bool
  default     = true
}

variable "cors_allow_origins" {
  description = "Browser origins allowed to call the API (CORS_ALLOWED_ORIGINS for the functions, which answer preflights and refuse mutations from other origins). Empty means no browser access; server-to-server clients need none."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.cors_allow_origins : can(regex("^https://[^/*,]+$", o))])
    error_message = "Each CORS origin must be an https origin without a path, comma or wildcard, e.g. https://app.example.com."
  }
}

variable "rate_limit_tiers" {
  description = "Per-tenant rate limit tiers (RATE_LIMIT_TIERS): comma-separated name=requests_per_second/burst/daily_quota. The standard tier is required; it applies to every tenant whose token names no tier."
  type        = string
  default     = "standard=50/100/100000"

  validation {
    condition = (
      can(regex("^[a-z0-9_-]+=[0-9]+/[0-9]+/[0-9]+(,[a-z0-9_-]+=[0-9]+/[0-9]+/[0-9]+)*$", var.rate_limit_tiers)) &&
      can(regex("(^|,)standard=", var.rate_limit_tiers)) &&
      try(alltrue([
        for e in split(",", var.rate_limit_tiers) :
        tonumber(split("/", split("=", e)[1])[0]) > 0 &&
        tonumber(split("/", split("=", e)[1])[1]) >= tonumber(split("/", split("=", e)[1])[0]) &&
        tonumber(split("/", split("=", e)[1])[2]) > 0
      ]), false)
    )
    error_message = "rate_limit_tiers must look like standard=50/100/100000[,pro=200/400/1000000], define standard, and have rate > 0, burst >= rate, quota > 0."
  }
}

# ---------------------------------------------------------------------------
# Identity
# ---------------------------------------------------------------------------

variable "cognito_deletion_protection" {
  description = "Cognito user pool deletion protection. Leave true for anything with real users; set false only to tear down a throwaway environment."
  type        = bool
  default     = true
}

variable "cognito_ses_email" {
  description = "Optional SES identity for Cognito's e-mail (invitations, codes, password resets): { source_arn (a verified SES identity), from_address, reply_to_address (optional), configuration_set (optional) }. null uses Cognito's built-in mailer, limited to 50 messages a day."
  type = object({
    source_arn        = string
    from_address      = string
    reply_to_address  = optional(string)
    configuration_set = optional(string)
  })
  default = null

  validation {
    condition     = var.cognito_ses_email == null || can(regex("^arn:[^:]+:ses:[a-z0-9-]+:[0-9]{12}:identity/.+$", var.cognito_ses_email.source_arn))
    error_message = "cognito_ses_email.source_arn must be an SES identity ARN (arn:aws:ses:<region>:<account>:identity/<domain or address>)."
  }
}

variable "cognito_mfa_configuration" {
  description = "Cognito MFA: ON (every user must enrol a TOTP app), OPTIONAL, or OFF."
  type        = string
  default     = "OPTIONAL"

  validation {
    condition     = contains(["ON", "OPTIONAL", "OFF"], var.cognito_mfa_configuration)
    error_message = "cognito_mfa_configuration must be ON, OPTIONAL or OFF."
  }
}

variable "token_validity_minutes" {
  description = "Lifetime of ID and access tokens in minutes. A removed user or changed group takes effect at the latest after this long."
  type        = number
  default     = 60

  validation {
    condition     = var.token_validity_minutes >= 5 && var.token_validity_minutes <= 1440
    error_message = "token_validity_minutes must be between 5 and 1440."
  }
}

variable "refresh_token_validity_days" {
  description = "Lifetime of refresh tokens in days."
  type        = number
  default     = 30

  validation {
    condition     = var.refresh_token_validity_days >= 1 && var.refresh_token_validity_days <= 3650
    error_message = "refresh_token_validity_days must be between 1 and 3650."
  }
}

# ---------------------------------------------------------------------------
# Alarms
# ---------------------------------------------------------------------------

variable "alarm_email" {
  description = "Optional e-mail address subscribed to the alarm topic (the recipient must confirm the subscription). null subscribes nobody; wire the topic to your pager instead."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be null or an e-mail address."
  }
}

variable "alarm_lambda_errors_threshold" {
  description = "Page when one function has at least this many unhandled errors (crash, panic, timeout) in 5 minutes, twice in a row."
  type        = number
  default     = 5

  validation {
    condition     = var.alarm_lambda_errors_threshold >= 1
    error_message = "alarm_lambda_errors_threshold must be >= 1."
  }
}

variable "alarm_lambda_throttles_threshold" {
  description = "Page when one function is throttled at least this many times in 5 minutes."
  type        = number
  default     = 10

  validation {
    condition     = var.alarm_lambda_throttles_threshold >= 1
    error_message = "alarm_lambda_throttles_threshold must be >= 1."
  }
}

variable "alarm_api_5xx_rate_percent" {
  description = "Page when more than this percentage of API requests answer 5xx over 5 minutes, three periods in a row (only counted when there are at least 20 requests in a period)."
  type        = number
  default     = 2

  validation {
    condition     = var.alarm_api_5xx_rate_percent > 0 && var.alarm_api_5xx_rate_percent <= 100
    error_message = "alarm_api_5xx_rate_percent must be in (0, 100]."
  }
}

variable "alarm_api_p99_latency_ms" {
  description = "Page when the API's p99 latency stays above this many milliseconds for 15 minutes."
  type        = number
  default     = 2000

  validation {
    condition     = var.alarm_api_p99_latency_ms >= 50
    error_message = "alarm_api_p99_latency_ms must be >= 50."
  }
}

variable "alarm_iterator_age_ms" {
  description = "Page when the stream consumer's oldest unprocessed record is older than this (ms) for 5 minutes: analytics are that far behind."
  type        = number
  default     = 60000

  validation {
    condition     = var.alarm_iterator_age_ms >= 1000
    error_message = "alarm_iterator_age_ms must be >= 1000."
  }
}

variable "alarm_queue_oldest_message_age_s" {
  description = "Page when the oldest message on a work queue (the delivery queue) is older than this (s) for 10 minutes. Messages may be sent up to 900 s ahead of their instant (DelaySeconds), so keep it above 900."
  type        = number
  default     = 1200

  validation {
    condition     = var.alarm_queue_oldest_message_age_s >= 960
    error_message = "alarm_queue_oldest_message_age_s must be >= 960 (messages legitimately wait up to 900 s)."
  }
}

variable "alarm_dynamodb_throttles_threshold" {
  description = "Page when the table (or one index) has at least this many throttled reads+writes in 5 minutes, twice in a row."
  type        = number
  default     = 25

  validation {
    condition     = var.alarm_dynamodb_throttles_threshold >= 1
    error_message = "alarm_dynamodb_throttles_threshold must be >= 1."
  }
}

# ---------------------------------------------------------------------------
# Org guardrails
# ---------------------------------------------------------------------------

variable "iam_permissions_boundary_arn" {
  description = "Optional permissions boundary attached to every role this stack creates (some organisations require one)."
  type        = string
  default     = null

  validation {
    condition     = var.iam_permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.iam_permissions_boundary_arn))
    error_message = "iam_permissions_boundary_arn must be null or an IAM policy ARN."
  }
}

# ---------------------------------------------------------------------------
# Console (console.tf): the web app behind CloudFront, and its Cognito sign-in
# ---------------------------------------------------------------------------

variable "console_custom_domain" {
  description = "Optional custom domain for the console: { domain_name, certificate_arn }, the certificate an ACM certificate in us-east-1 (CloudFront's region) covering that name. null serves the console on the distribution's cloudfront.net name."
  type = object({
    domain_name     = string
    certificate_arn = string
  })
  default = null

  validation {
    condition = var.console_custom_domain == null || (
      can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.console_custom_domain.domain_name)) &&
      can(regex("^arn:[^:]+:acm:us-east-1:[0-9]{12}:certificate/.+$", var.console_custom_domain.certificate_arn))
    )
    error_message = "console_custom_domain needs a lower-case domain_name such as console.example.com and an ACM certificate_arn in us-east-1 (CloudFront only uses certificates from there)."
  }
}

variable "console_web_acl_arn" {
  description = "Optional ARN of a WAFv2 web ACL (scope CLOUDFRONT, so created in us-east-1) to attach to the console's distribution. null attaches none."
  type        = string
  default     = null

  validation {
    condition     = var.console_web_acl_arn == null || can(regex("^arn:[^:]+:wafv2:us-east-1:[0-9]{12}:global/webacl/.+$", var.console_web_acl_arn))
    error_message = "console_web_acl_arn must be null or a WAFv2 web ACL ARN of scope CLOUDFRONT (arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>)."
  }
}

variable "console_price_class" {
  description = "CloudFront price class of the console: PriceClass_100 (North America and Europe edges), PriceClass_200 or PriceClass_All (every edge, lowest latency everywhere, highest price)."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.console_price_class)
    error_message = "console_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "console_noncurrent_version_days" {
  description = "Days a replaced or deleted file of the console bucket stays restorable (its noncurrent version), e.g. to roll the console back by hand."
  type        = number
  default     = 90

  validation {
    condition     = var.console_noncurrent_version_days >= 1 && floor(var.console_noncurrent_version_days) == var.console_noncurrent_version_days
    error_message = "console_noncurrent_version_days must be a whole number >= 1."
  }
}

variable "console_log_retention_days" {
  description = "Days the access logs (S3 server access logs of the console bucket, CloudFront's standard logs) are kept in the log bucket."
  type        = number
  default     = 365

  validation {
    condition     = var.console_log_retention_days >= 1 && floor(var.console_log_retention_days) == var.console_log_retention_days
    error_message = "console_log_retention_days must be a whole number >= 1."
  }
}

variable "cognito_domain_prefix" {
  description = "Prefix of the Cognito hosted-UI domain (<prefix>.auth.<region>.amazoncognito.com) the console signs in through. It must be unique in the region across all AWS accounts. null means <service>-<environment>-<account id>."
  type        = string
  default     = null

  validation {
    condition = var.cognito_domain_prefix == null || (
      can(regex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", var.cognito_domain_prefix)) &&
      !can(regex("aws|amazon|cognito", var.cognito_domain_prefix))
    )
    error_message = "cognito_domain_prefix must be null or 1-63 characters of [a-z0-9-], not starting or ending with -, and must not contain aws, amazon or cognito."
  }
}
