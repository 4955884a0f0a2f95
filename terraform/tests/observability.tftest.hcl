# Alarms, their notification channels and the dashboard, with mocked AWS
# (see manifest.tftest.hcl for how this runs offline).
#
# What an operator relies on when paged: every alarm reaches the topic and
# comes back with OK, names its runbook entry, watches the metric the code
# actually emits, and is on the dashboard, so that nothing pages from a
# signal nobody can see.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  aws_region  = "eu-west-1"
  environment = "test"
}

run "alarms_and_dashboard" {
  command = apply

  # --- The catalogue ------------------------------------------------------
  assert {
    condition     = length([for kind, names in local.alarm_names : kind if length(names) > 0]) >= 17
    error_message = "at least 17 distinct alarm kinds must exist for the manifest as it is"
  }
  assert {
    # The alarm resources, listed once more here: the catalogue must hold
    # exactly their names, or the dashboard and the runbook miss one.
    condition = length(flatten(values(local.alarm_names))) == length(distinct(flatten(values(local.alarm_names)))) && sort(flatten(values(local.alarm_names))) == sort([
      for a in concat(
        values(aws_cloudwatch_metric_alarm.lambda_errors), values(aws_cloudwatch_metric_alarm.lambda_throttles), values(aws_cloudwatch_metric_alarm.lambda_duration),
        values(aws_cloudwatch_metric_alarm.dlq_messages), values(aws_cloudwatch_metric_alarm.stream_iterator_age),
        values(aws_cloudwatch_metric_alarm.queue_dlq_messages), values(aws_cloudwatch_metric_alarm.queue_oldest_message_age),
        values(aws_cloudwatch_metric_alarm.schedule_failed_invocations), values(aws_cloudwatch_metric_alarm.schedule_silent), values(aws_cloudwatch_metric_alarm.dynamodb_gsi_throttles),
        values(aws_cloudwatch_metric_alarm.delivery_failure_rate), values(aws_cloudwatch_metric_alarm.delivery_lateness),
        values(aws_cloudwatch_metric_alarm.channels_disabled), values(aws_cloudwatch_metric_alarm.delivery_bookkeeping_failures),
        values(aws_cloudwatch_metric_alarm.dispatcher_lag), values(aws_cloudwatch_metric_alarm.posts_missed),
        values(aws_cloudwatch_metric_alarm.dispatcher_failures), values(aws_cloudwatch_metric_alarm.automation_runs_failed),
        values(aws_cloudwatch_metric_alarm.domain_events_lost), values(aws_cloudwatch_metric_alarm.dynamodb_replication_latency),
        [
          aws_cloudwatch_metric_alarm.api_5xx_rate, aws_cloudwatch_metric_alarm.api_4xx_rate,
          aws_cloudwatch_metric_alarm.api_latency_p95, aws_cloudwatch_metric_alarm.api_latency_p99,
          aws_cloudwatch_metric_alarm.dynamodb_throttles, aws_cloudwatch_metric_alarm.dynamodb_system_errors,
          aws_cloudwatch_metric_alarm.account_concurrency,
        ],
      ) : a.alarm_name
    ])
    error_message = "local.alarm_names must list every alarm exactly once"
  }
  assert {
    condition = alltrue(flatten([
      for a in concat(
        values(aws_cloudwatch_metric_alarm.lambda_errors), values(aws_cloudwatch_metric_alarm.lambda_throttles), values(aws_cloudwatch_metric_alarm.lambda_duration),
        values(aws_cloudwatch_metric_alarm.dlq_messages), values(aws_cloudwatch_metric_alarm.stream_iterator_age),
        values(aws_cloudwatch_metric_alarm.queue_dlq_messages), values(aws_cloudwatch_metric_alarm.queue_oldest_message_age),
        values(aws_cloudwatch_metric_alarm.schedule_failed_invocations), values(aws_cloudwatch_metric_alarm.dynamodb_gsi_throttles),
        values(aws_cloudwatch_metric_alarm.delivery_failure_rate), values(aws_cloudwatch_metric_alarm.delivery_lateness),
        values(aws_cloudwatch_metric_alarm.channels_disabled), values(aws_cloudwatch_metric_alarm.delivery_bookkeeping_failures),
        values(aws_cloudwatch_metric_alarm.dispatcher_lag), values(aws_cloudwatch_metric_alarm.posts_missed),
        values(aws_cloudwatch_metric_alarm.dispatcher_failures), values(aws_cloudwatch_metric_alarm.automation_runs_failed),
        values(aws_cloudwatch_metric_alarm.domain_events_lost),
        [
          aws_cloudwatch_metric_alarm.api_5xx_rate, aws_cloudwatch_metric_alarm.api_4xx_rate,
          aws_cloudwatch_metric_alarm.api_latency_p95, aws_cloudwatch_metric_alarm.api_latency_p99,
          aws_cloudwatch_metric_alarm.dynamodb_throttles, aws_cloudwatch_metric_alarm.dynamodb_system_errors,
          aws_cloudwatch_metric_alarm.account_concurrency,
        ],
        ) : [
        tolist(a.alarm_actions) == tolist([aws_sns_topic.alarms.arn]),
        tolist(a.ok_actions) == tolist([aws_sns_topic.alarms.arn]),
        a.treat_missing_data == "notBreaching",
        length(a.alarm_description) <= 1024,
        strcontains(a.alarm_description, "First check"),
      ]
    ]))
    error_message = "every alarm notifies the topic on ALARM and OK, ignores missing data, and says what to check first within 1024 characters"
  }
  assert {
    # Silence is the failure this one watches, so it alone treats missing data as breaching.
    condition = length(aws_cloudwatch_metric_alarm.schedule_silent) == 1 && alltrue([
      for a in values(aws_cloudwatch_metric_alarm.schedule_silent) :
      a.treat_missing_data == "breaching" && a.comparison_operator == "LessThanThreshold" && a.metric_name == "Invocations"
      && tolist(a.alarm_actions) == tolist([aws_sns_topic.alarms.arn])
    ])
    error_message = "the scheduled function has a silence alarm that pages on missing invocations"
  }
  assert {
    condition = alltrue(flatten([
      for kind, names in local.alarm_names : [
        for a in names : anytrue([
          for r in concat(
            values(aws_cloudwatch_metric_alarm.lambda_errors), values(aws_cloudwatch_metric_alarm.lambda_throttles), values(aws_cloudwatch_metric_alarm.lambda_duration),
            values(aws_cloudwatch_metric_alarm.dlq_messages), values(aws_cloudwatch_metric_alarm.stream_iterator_age),
            values(aws_cloudwatch_metric_alarm.queue_dlq_messages), values(aws_cloudwatch_metric_alarm.queue_oldest_message_age),
            values(aws_cloudwatch_metric_alarm.schedule_failed_invocations), values(aws_cloudwatch_metric_alarm.schedule_silent), values(aws_cloudwatch_metric_alarm.dynamodb_gsi_throttles),
            values(aws_cloudwatch_metric_alarm.delivery_failure_rate), values(aws_cloudwatch_metric_alarm.delivery_lateness),
            values(aws_cloudwatch_metric_alarm.channels_disabled), values(aws_cloudwatch_metric_alarm.delivery_bookkeeping_failures),
            values(aws_cloudwatch_metric_alarm.dispatcher_lag), values(aws_cloudwatch_metric_alarm.posts_missed),
            values(aws_cloudwatch_metric_alarm.dispatcher_failures), values(aws_cloudwatch_metric_alarm.automation_runs_failed),
            values(aws_cloudwatch_metric_alarm.domain_events_lost),
            [
              aws_cloudwatch_metric_alarm.api_5xx_rate, aws_cloudwatch_metric_alarm.api_4xx_rate,
              aws_cloudwatch_metric_alarm.api_latency_p95, aws_cloudwatch_metric_alarm.api_latency_p99,
              aws_cloudwatch_metric_alarm.dynamodb_throttles, aws_cloudwatch_metric_alarm.dynamodb_system_errors,
              aws_cloudwatch_metric_alarm.account_concurrency,
            ],
          ) : r.alarm_name == a && endswith(trimspace(r.alarm_description), "Runbook: DEPLOYMENT.md#${kind}")
        ])
      ]
    ]))
    error_message = "every alarm description must end with its runbook entry, Runbook: DEPLOYMENT.md#<kind>"
  }

  # --- The functions' own metrics -----------------------------------------
  # The names the Rust code writes (docs/METRICS.md). channels_disabled is
  # listed there as not emitted yet; its alarm stays OK until it is.
  assert {
    condition = alltrue(flatten([
      for a in concat(
        values(aws_cloudwatch_metric_alarm.dispatcher_lag), values(aws_cloudwatch_metric_alarm.posts_missed),
        values(aws_cloudwatch_metric_alarm.delivery_lateness), values(aws_cloudwatch_metric_alarm.channels_disabled),
        values(aws_cloudwatch_metric_alarm.domain_events_lost),
        ) : [
        a.namespace == "OFAuto",
        contains(["lag", "items_missed", "lateness", "channels_disabled", "domain_events_failed"], a.metric_name),
        length(a.dimensions) == 1,
        contains([for k, f in aws_lambda_function.fn : f.function_name], a.dimensions["function"]),
      ]
    ]))
    error_message = "alarms on the functions' EMF metrics need namespace OFAuto, a metric name the code emits, and the one dimension function = the deployed function name"
  }
  assert {
    condition = alltrue(flatten([
      for a in concat(
        values(aws_cloudwatch_metric_alarm.delivery_failure_rate), values(aws_cloudwatch_metric_alarm.delivery_bookkeeping_failures),
        values(aws_cloudwatch_metric_alarm.dispatcher_failures), values(aws_cloudwatch_metric_alarm.automation_runs_failed),
        ) : [
        for q in a.metric_query : [
          for m in q.metric : m.namespace == "OFAuto" && length(m.dimensions) == 1 &&
          contains(["posts_failed", "posts_delivered", "requeue_failures", "channel_health_failures", "run_outcome_failures", "shard_failures", "claim_failures", "send_failures", "runs_failed", "runs_succeeded"], m.metric_name) &&
          contains([for k, f in aws_lambda_function.fn : f.function_name], m.dimensions["function"])
        ]
      ]
    ]))
    error_message = "metric-math alarms on EMF metrics must use namespace OFAuto, emitted names and dimension function"
  }
  assert {
    condition = (
      sort(keys(aws_cloudwatch_metric_alarm.dispatcher_lag)) == sort([for f in local.manifest.functions : f.name if f.trigger.kind == "schedule"]) &&
      sort(keys(aws_cloudwatch_metric_alarm.delivery_failure_rate)) == sort([for f in local.manifest.functions : f.name if f.trigger.kind == "sqs"]) &&
      sort(keys(aws_cloudwatch_metric_alarm.domain_events_lost)) == sort([for f in local.manifest.functions : f.name if contains([for p in f.permissions : p.resource], "event_bus")])
    )
    error_message = "dispatcher alarms follow the scheduled functions, delivery alarms the sqs consumers, lost-event alarms the functions allowed to publish on the bus"
  }
  assert {
    condition = alltrue([
      for f in local.manifest.functions :
      aws_cloudwatch_metric_alarm.lambda_duration[f.name].threshold == f.timeout_s * 1000 * 0.8 &&
      aws_cloudwatch_metric_alarm.lambda_duration[f.name].extended_statistic == "p99"
    ])
    error_message = "the duration alarm must fire at p99 above 80% of each function's own manifest timeout"
  }

  # --- Notifications --------------------------------------------------------
  assert {
    condition     = length(aws_sns_topic_subscription.alarm_email) + length(aws_sns_topic_subscription.alarm_https) + length(aws_chatbot_slack_channel_configuration.alarms) + length(aws_iam_role.chatbot) == 0
    error_message = "without alarm_email, alarm_https_endpoint and alarm_slack_* nothing is subscribed and no Chatbot role exists"
  }

  # --- The dashboard --------------------------------------------------------
  assert {
    condition     = length([for w in jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets : w if w.type != "text"]) >= 17
    error_message = "the dashboard needs at least 17 widgets besides its section headers"
  }
  assert {
    condition = alltrue([
      for n in flatten(values(local.alarm_names)) :
      strcontains(aws_cloudwatch_dashboard.main.dashboard_body, "\"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${n}\"")
    ])
    error_message = "every alarm must appear on the dashboard (an alarm status widget holding its ARN)"
  }
  assert {
    condition = alltrue([
      for w in jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets :
      w.x >= 0 && w.x + w.width <= 24 && w.height > 0 && try(length(w.properties.alarms), 0) <= 100
    ])
    error_message = "widgets must fit the 24-column grid, and an alarm widget holds at most 100 alarms"
  }
  assert {
    condition = alltrue(flatten([
      for w in jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets : [
        for m in try(w.properties.metrics, []) : can(m[0])
      ]
    ]))
    error_message = "every entry of a graph's metrics must be one metric or expression (an array), not a loose string"
  }
  assert {
    # Sections in runbook order, each kind in exactly one of them.
    condition = (
      sort(flatten([for s in local.dashboard_sections : s.kinds])) == sort(keys(local.alarm_names)) &&
      length(flatten([for s in local.dashboard_sections : s.kinds])) == length(keys(local.alarm_names))
    )
    error_message = "every alarm kind must belong to exactly one dashboard section"
  }
  assert {
    condition = alltrue([
      for k in keys(local.functions) :
      strcontains(aws_cloudwatch_dashboard.main.dashboard_body, "\"${aws_lambda_function.fn[k].function_name}\"")
    ])
    error_message = "every manifest function must be on the dashboard"
  }
}

run "notifications_when_configured" {
  command = apply

  variables {
    alarm_email              = "oncall@example.com"
    alarm_https_endpoint     = "https://events.pagerduty.com/integration/0123456789abcdef/enqueue"
    alarm_slack_workspace_id = "T0123ABCD"
    alarm_slack_channel_id   = "C0123ABCD"
    alarm_runbook_url        = "https://git.example.com/ofauto/blob/main/DEPLOYMENT.md"
  }

  assert {
    condition = (
      aws_sns_topic_subscription.alarm_email[0].protocol == "email" &&
      aws_sns_topic_subscription.alarm_https[0].protocol == "https" &&
      aws_sns_topic_subscription.alarm_https[0].endpoint_auto_confirms &&
      aws_sns_topic_subscription.alarm_https[0].topic_arn == aws_sns_topic.alarms.arn &&
      jsondecode(aws_sns_topic_subscription.alarm_https[0].delivery_policy).healthyRetryPolicy.numRetries >= 10
    )
    error_message = "e-mail and HTTPS (PagerDuty) subscriptions go to the alarm topic; HTTPS retries for longer than SNS's default"
  }
  assert {
    condition = (
      aws_chatbot_slack_channel_configuration.alarms[0].slack_team_id == "T0123ABCD" &&
      aws_chatbot_slack_channel_configuration.alarms[0].slack_channel_id == "C0123ABCD" &&
      tolist(aws_chatbot_slack_channel_configuration.alarms[0].sns_topic_arns) == tolist([aws_sns_topic.alarms.arn]) &&
      aws_chatbot_slack_channel_configuration.alarms[0].iam_role_arn == aws_iam_role.chatbot[0].arn &&
      tolist(aws_chatbot_slack_channel_configuration.alarms[0].guardrail_policy_arns) == tolist([aws_iam_policy.chatbot_guardrail[0].arn])
    )
    error_message = "the Slack channel gets the alarm topic through Chatbot, with its own role and a guardrail"
  }
  assert {
    condition = alltrue(flatten([
      for st in data.aws_iam_policy_document.chatbot_read_alarms[0].statement : [
        for r in st.resources : startswith(r, "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:ofauto-test-")
      ]
    ]))
    error_message = "the Chatbot role may read this stack's alarms only"
  }
  assert {
    condition     = endswith(trimspace(aws_cloudwatch_metric_alarm.api_5xx_rate.alarm_description), "Runbook: https://git.example.com/ofauto/blob/main/DEPLOYMENT.md#api_5xx_rate") && length(aws_cloudwatch_metric_alarm.api_5xx_rate.alarm_description) <= 1024
    error_message = "alarm_runbook_url must become the link of each description"
  }
}

run "thresholds_override_only_what_they_name" {
  command = plan

  variables {
    alarm_thresholds = { dispatcher_lag_ms = 300000 }
  }

  assert {
    condition = (
      alltrue([for a in values(aws_cloudwatch_metric_alarm.dispatcher_lag) : a.threshold == 300000]) &&
      alltrue([for a in values(aws_cloudwatch_metric_alarm.delivery_failure_rate) : a.threshold == 10]) &&
      aws_cloudwatch_metric_alarm.api_latency_p95.threshold == 1000
    )
    error_message = "alarm_thresholds must override the attributes it names and keep the defaults of the others"
  }
}

run "replicas_get_a_replication_alarm" {
  command = apply

  variables {
    replica_regions      = ["eu-central-1"]
    replica_kms_key_arns = { "eu-central-1" = "arn:aws:kms:eu-central-1:123456789012:key/22222222-3333-4444-5555-666666666666" }
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.dynamodb_replication_latency["eu-central-1"].dimensions["ReceivingRegion"] == "eu-central-1" &&
      strcontains(aws_cloudwatch_dashboard.main.dashboard_body, ":alarm:${aws_cloudwatch_metric_alarm.dynamodb_replication_latency["eu-central-1"].alarm_name}\"")
    )
    error_message = "each replica region needs a replication latency alarm, on the dashboard"
  }
}

run "rejects_half_a_slack_configuration" {
  command = plan

  variables {
    alarm_slack_workspace_id = "T0123ABCD"
  }

  expect_failures = [var.alarm_slack_workspace_id]
}

run "rejects_a_percentage_out_of_range" {
  command = plan

  variables {
    alarm_thresholds = { api_4xx_rate_percent = 0 }
  }

  expect_failures = [var.alarm_thresholds]
}

run "rejects_a_plain_http_pager_endpoint" {
  command = plan

  variables {
    alarm_https_endpoint = "http://events.pagerduty.com/integration/x/enqueue"
  }

  expect_failures = [var.alarm_https_endpoint]
}
