# Settings of the alarms, their notification channels and the dashboard
# (alarms.tf, dashboard.tf). The older alarm_* thresholds (alarm_email,
# alarm_lambda_errors_threshold, ...) are still in variables.tf.

# ---------------------------------------------------------------------------
# Where alarms go. The topic is always created; every channel below is
# optional, and with none of them set nobody is paged: set at least one.
# ---------------------------------------------------------------------------

variable "alarm_https_endpoint" {
  description = "Optional HTTPS endpoint subscribed to the alarm topic, e.g. PagerDuty's Amazon CloudWatch integration URL (https://events.pagerduty.com/integration/<key>/enqueue). The URL carries the integration key, so it is sensitive. null subscribes nothing."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.alarm_https_endpoint == null || can(regex("^https://[^\\s/]+(/\\S*)?$", var.alarm_https_endpoint))
    error_message = "alarm_https_endpoint must be null or an https:// URL."
  }
}

variable "alarm_slack_workspace_id" {
  description = "Optional Slack workspace (team) id, e.g. T0123ABCD, for alarm notifications through AWS Chatbot. The workspace must first be authorised once in the AWS Chatbot console (an OAuth step Terraform cannot do). Set together with alarm_slack_channel_id."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_slack_workspace_id == null || can(regex("^T[A-Z0-9]{6,15}$", var.alarm_slack_workspace_id))
    error_message = "alarm_slack_workspace_id must be null or a Slack team id such as T0123ABCD."
  }
  validation {
    condition     = (var.alarm_slack_workspace_id == null) == (var.alarm_slack_channel_id == null)
    error_message = "Set both alarm_slack_workspace_id and alarm_slack_channel_id, or neither."
  }
}

variable "alarm_slack_channel_id" {
  description = "Optional Slack channel id, e.g. C0123ABCD (channel details → About), that AWS Chatbot posts the alarms to. For a private channel, invite @aws to it first."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_slack_channel_id == null || can(regex("^[CG][A-Z0-9]{6,15}$", var.alarm_slack_channel_id))
    error_message = "alarm_slack_channel_id must be null or a Slack channel id such as C0123ABCD."
  }
}

variable "alarm_runbook_url" {
  description = "Where the runbook lives; each alarm description ends with \"Runbook: <this>#<alarm kind>\". Set it to the browsable URL of DEPLOYMENT.md (e.g. on your Git host) so the link in a page or a Slack message opens the entry."
  type        = string
  default     = "DEPLOYMENT.md"

  validation {
    # Descriptions are capped at 1024 characters by CloudWatch; the longest
    # one leaves about 200 for the link.
    condition     = length(var.alarm_runbook_url) >= 1 && length(var.alarm_runbook_url) <= 200 && !strcontains(var.alarm_runbook_url, "#")
    error_message = "alarm_runbook_url must be 1-200 characters, without a #fragment (the alarm kind is appended as one)."
  }
}

# ---------------------------------------------------------------------------
# Thresholds of the alarms added with the dashboard. One object, so a tfvars
# file overrides only what it names:
#   alarm_thresholds = { dispatcher_lag_ms = 300000 }
# ---------------------------------------------------------------------------

variable "alarm_thresholds" {
  description = "Thresholds of the duration, API p95/4xx, DynamoDB system error, dispatcher, delivery, automation, domain event and account concurrency alarms. Every attribute is optional; see DEPLOYMENT.md (alarm runbook) for what each one pages on."
  type = object({
    # p99 Duration above this share of the function's manifest timeout_s, 15 min.
    duration_percent_of_timeout = optional(number, 80)
    # API p95 latency, 15 min.
    api_p95_latency_ms = optional(number, 1000)
    # API 4xx share of requests, 15 min, when a period has at least api_min_requests.
    api_4xx_rate_percent = optional(number, 25)
    api_min_requests     = optional(number, 50)
    # DynamoDB 500s on the table per 5 min, twice in a row.
    dynamodb_system_errors = optional(number, 5)
    # How long the oldest due item found by a tick had been due, 5 min in a row.
    dispatcher_lag_ms = optional(number, 120000)
    # Posts failed as missed (over 1 h late) by the dispatcher, per 5 min.
    posts_missed = optional(number, 1)
    # Failed shard queries + claims + sends of the dispatcher per 5 min, twice in a row.
    dispatcher_failures = optional(number, 5)
    # Share of finished deliveries that failed for good, 15 min, when a period has at least min_outcomes.
    delivery_failure_rate_percent = optional(number, 10)
    # p99 of (first attempt - scheduled_at), 15 min.
    delivery_lateness_p99_ms = optional(number, 30000)
    # Channels disabled by the deliverer per hour.
    channels_disabled_per_hour = optional(number, 3)
    # Deliverer bookkeeping writes that failed after the outcome was committed, per 5 min.
    delivery_bookkeeping_failures = optional(number, 5)
    # Share of finished automation runs that failed, 15 min, when a period has at least min_outcomes.
    automation_failure_rate_percent = optional(number, 25)
    min_outcomes                    = optional(number, 10)
    # Domain events that never reached the bus, per 5 min.
    domain_events_lost = optional(number, 1)
    # Account-wide claimed concurrency, as a share of the Lambda concurrency quota, 5 min.
    account_concurrency_percent = optional(number, 80)
    # The account's "Concurrent executions" quota in this region (Service Quotas, L-B99A9384).
    account_concurrency_quota = optional(number, 1000)
  })
  default = {}

  validation {
    condition = alltrue([
      for k, v in var.alarm_thresholds : v != null && v >= 0
    ])
    error_message = "alarm_thresholds: every value must be a non-negative number."
  }
  validation {
    condition = alltrue([
      for k in ["duration_percent_of_timeout", "api_4xx_rate_percent", "delivery_failure_rate_percent", "automation_failure_rate_percent", "account_concurrency_percent"] :
      var.alarm_thresholds[k] > 0 && var.alarm_thresholds[k] <= 100
    ])
    error_message = "alarm_thresholds: the *_percent values must be in (0, 100]."
  }
  validation {
    condition = alltrue([
      for k in ["posts_missed", "dispatcher_failures", "channels_disabled_per_hour", "delivery_bookkeeping_failures", "domain_events_lost", "dynamodb_system_errors", "api_min_requests", "min_outcomes", "account_concurrency_quota"] :
      var.alarm_thresholds[k] >= 1 && floor(var.alarm_thresholds[k]) == var.alarm_thresholds[k]
    ])
    error_message = "alarm_thresholds: counts (posts_missed, dispatcher_failures, channels_disabled_per_hour, delivery_bookkeeping_failures, domain_events_lost, dynamodb_system_errors, api_min_requests, min_outcomes, account_concurrency_quota) must be whole numbers >= 1."
  }
  validation {
    # Ticks run once a minute: a lag threshold under a minute would page on a
    # single late tick rather than on a backlog.
    condition     = var.alarm_thresholds.dispatcher_lag_ms >= 60000 && var.alarm_thresholds.api_p95_latency_ms >= 50 && var.alarm_thresholds.delivery_lateness_p99_ms >= 1000
    error_message = "alarm_thresholds: dispatcher_lag_ms must be >= 60000, api_p95_latency_ms >= 50 and delivery_lateness_p99_ms >= 1000."
  }
}

# ---------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------

output "dashboard_name" {
  description = "The CloudWatch dashboard of this stack (sections in the order of the alarm runbook)."
  value       = aws_cloudwatch_dashboard.main.dashboard_name
}

output "dashboard_url" {
  description = "Console URL of the dashboard."
  value       = "https://${local.console_host}/cloudwatch/home?region=${local.region}#dashboards/dashboard/${aws_cloudwatch_dashboard.main.dashboard_name}"
}

output "alarm_names" {
  description = "Every alarm of this stack, by kind (the runbook has one entry per kind)."
  value       = local.alarm_names
}

output "alarm_slack_channel_configuration_arn" {
  description = "The AWS Chatbot Slack channel configuration posting the alarms, or null without alarm_slack_* set."
  value       = one(aws_chatbot_slack_channel_configuration.alarms[*].chat_configuration_arn)
}
