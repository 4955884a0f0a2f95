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

# ---------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------

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
