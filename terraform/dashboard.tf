# One dashboard for the stack, read top to bottom in the order of the alarm
# runbook (DEPLOYMENT.md): what clients see first, then the parts that
# produce it, down to the table. Each section opens with the status of its
# alarms (every alarm of local.alarm_names is on one of these widgets) and
# goes on with the graphs its runbook entries send the reader to. Everything
# per function, queue, index or route comes from the manifest.

locals {
  console_host = lookup({
    "aws-cn"     = "console.amazonaws.cn"
    "aws-us-gov" = "console.amazonaws-us-gov.com"
  }, local.partition, "console.aws.amazon.com")

  runbook_link = startswith(var.alarm_runbook_url, "https://") ? "[runbook](${var.alarm_runbook_url})" : "runbook: ${var.alarm_runbook_url}"

  http_keys       = sort(keys(local.http_functions))
  background_keys = sort([for k, f in local.functions : k if f.trigger.kind != "http"])
  all_fn_keys     = sort(keys(local.functions))
  delivery_keys   = sort(keys(local.delivery_functions))
  dispatch_keys   = sort(keys(local.dispatch_functions))
  stream_keys     = sort(keys(local.stream_functions))
  event_bus_keys  = sort(keys(local.event_bus_functions))
  queue_keys      = sort(keys(local.queues))

  # Logs Insights reads at most 50 log groups per query.
  insights_sources = join(" | ", [for k in slice(local.all_fn_keys, 0, min(50, length(local.all_fn_keys))) : "SOURCE '${aws_cloudwatch_log_group.fn[k].name}'"])

  graph = {
    region  = local.region
    view    = "timeSeries"
    stacked = false
    period  = 300
  }

  api_metric_dims = ["ApiId", aws_apigatewayv2_api.http.id, "Stage", aws_apigatewayv2_stage.default.name]

  # One EMF metric summed over the functions that may emit it: the edge
  # policies (rate limit, idempotency) run in every HTTP function and every
  # function counts its cold starts, and a line per function would bury the
  # total.
  fn_sums = {
    for m, fns in {
      events_created        = local.http_keys
      idempotent_replays    = local.http_keys
      idempotency_conflicts = local.http_keys
      cold_starts           = local.all_fn_keys
      } : m => concat(
      [for i, k in fns : [local.app_namespace, m, "function", local.fn_name[k], { id = "${m}${i}", stat = "Sum", visible = false }]],
      [[{ id = "${m}_total", label = m, expression = "SUM([${join(",", [for i, k in fns : "${m}${i}"])}])" }]],
    )
  }

  # p99 Duration as a share of each function's own timeout, so one axis fits
  # functions timing out after 3 s and after 110 s.
  duration_share = {
    for group, fns in { http = local.http_keys, background = local.background_keys } : group => concat([], [
      for i, k in fns : [
        ["AWS/Lambda", "Duration", "FunctionName", local.fn_name[k], { id = "d${i}", stat = "p99", visible = false }],
        [{ id = "p${i}", label = k, expression = "100 * d${i} / ${local.functions[k].timeout_s * 1000}" }],
      ]
    ]...)
  }

  # -------------------------------------------------------------------------
  # Sections, in runbook order. "wide" widgets take a whole row, "narrow"
  # ones a third of it.
  # -------------------------------------------------------------------------
  dashboard_sections = [
    {
      title = "API: what clients see"
      text  = "Requests, answers and latency at API Gateway, and what the edge policies did. Per route: the access log ${aws_cloudwatch_log_group.api_access.name}."
      kinds = ["api_5xx_rate", "api_4xx_rate", "api_latency_p95", "api_latency_p99"]
      wide = concat(
        var.api_detailed_metrics ? [{
          type = "metric"
          properties = merge(local.graph, {
            title   = "p95 latency by route (ms)"
            metrics = [for k in local.http_keys : concat(["AWS/ApiGateway", "Latency"], local.api_metric_dims, ["Route", local.route_keys[k], { stat = "p95", label = local.route_keys[k] }])]
            legend  = { position = "right" }
          })
        }] : [],
        [{
          type = "metric"
          properties = merge(local.graph, {
            title   = "5xx answers by function (EMF requests, status_class 5xx)"
            metrics = [for k in local.http_keys : [local.app_namespace, "requests", "function", local.fn_name[k], "status_class", "5xx", { stat = "Sum", label = k }]]
            legend  = { position = "right" }
          })
        }],
      )
      narrow = [
        {
          type = "metric"
          properties = merge(local.graph, {
            title = "Requests, 4xx and 5xx"
            metrics = [
              concat(["AWS/ApiGateway", "Count"], local.api_metric_dims, [{ stat = "Sum", label = "requests" }]),
              concat(["AWS/ApiGateway", "4xx"], local.api_metric_dims, [{ stat = "Sum", label = "4xx" }]),
              concat(["AWS/ApiGateway", "5xx"], local.api_metric_dims, [{ stat = "Sum", label = "5xx" }]),
            ]
          })
        },
        {
          type = "metric"
          properties = merge(local.graph, {
            title = "4xx and 5xx rate (%)"
            metrics = [
              concat(["AWS/ApiGateway", "Count"], local.api_metric_dims, [{ id = "requests", stat = "Sum", visible = false }]),
              concat(["AWS/ApiGateway", "4xx"], local.api_metric_dims, [{ id = "e4", stat = "Sum", visible = false }]),
              concat(["AWS/ApiGateway", "5xx"], local.api_metric_dims, [{ id = "e5", stat = "Sum", visible = false }]),
              [{ id = "rate5", label = "5xx %", expression = "100 * e5 / requests" }],
              [{ id = "rate4", label = "4xx %", expression = "100 * e4 / requests" }],
            ]
            annotations = { horizontal = [
              { label = "api_5xx_rate", value = var.alarm_api_5xx_rate_percent },
              { label = "api_4xx_rate", value = local.thresholds.api_4xx_rate_percent },
            ] }
          })
        },
        {
          type = "metric"
          properties = merge(local.graph, {
            title = "Latency (ms)"
            metrics = [
              concat(["AWS/ApiGateway", "Latency"], local.api_metric_dims, [{ stat = "p50", label = "p50" }]),
              concat(["AWS/ApiGateway", "Latency"], local.api_metric_dims, [{ stat = "p95", label = "p95" }]),
              concat(["AWS/ApiGateway", "Latency"], local.api_metric_dims, [{ stat = "p99", label = "p99" }]),
              concat(["AWS/ApiGateway", "IntegrationLatency"], local.api_metric_dims, [{ stat = "p95", label = "integration p95" }]),
            ]
            annotations = { horizontal = [
              { label = "api_latency_p95", value = local.thresholds.api_p95_latency_ms },
              { label = "api_latency_p99", value = var.alarm_api_p99_latency_ms },
            ] }
          })
        },
        {
          type       = "metric"
          properties = merge(local.graph, { title = "Events created", metrics = local.fn_sums["events_created"] })
        },
        {
          type = "metric"
          properties = merge(local.graph, {
            title   = "Rate-limited requests (429) by function"
            metrics = [for k in local.http_keys : [local.app_namespace, "rate_limited", "function", local.fn_name[k], { stat = "Sum", label = k }]]
          })
        },
        {
          type = "metric"
          properties = merge(local.graph, {
            title   = "Idempotent replays and key conflicts"
            metrics = concat(local.fn_sums["idempotent_replays"], local.fn_sums["idempotency_conflicts"])
          })
        },
      ]
    },
    {
      title = "Scheduled posts: delivery"
      text  = "What the delivery queue's consumer did with each post: the EMF document it writes per batch (docs/METRICS.md)."
      kinds = ["delivery_failure_rate", "delivery_lateness", "channels_disabled", "delivery_bookkeeping_failures"]
      wide  = []
      narrow = flatten([for k in local.delivery_keys : [
        {
          type = "metric"
          properties = merge(local.graph, {
            title   = "Posts: outcomes (${k})"
            metrics = [for m in ["posts_delivered", "posts_failed", "posts_retrying", "messages_stale"] : [local.app_namespace, m, "function", local.fn_name[k], { stat = "Sum", label = m }]]
          })
        },
        {
          type = "metric"
          properties = merge(local.graph, {
            title = "Posts failed for good (%) (${k})"
            metrics = [
              [local.app_namespace, "posts_failed", "function", local.fn_name[k], { id = "failed", stat = "Sum", visible = false }],
              [local.app_namespace, "posts_delivered", "function", local.fn_name[k], { id = "delivered", stat = "Sum", visible = false }],
              [{ id = "rate", label = "failed %", expression = "100 * failed / (failed + delivered)" }],
            ]
            annotations = { horizontal = [{ label = "delivery_failure_rate", value = local.thresholds.delivery_failure_rate_percent }] }
          })
        },
        {
          type = "metric"
          properties = merge(local.graph, {
            title   = "Webhook round trip, delivered posts (ms) (${k})"
            metrics = [for s in ["p50", "p90", "p99"] : [local.app_namespace, "delivery_latency", "function", local.fn_name[k], { stat = s, label = s }]]
          })
        },
        {
          type = "metric"
          properties = merge(local.graph, {
            title       = "Lateness: first attempt - scheduled_at (ms) (${k})"
            metrics     = [for s in ["p50", "p99", "Maximum"] : [local.app_namespace, "lateness", "function", local.fn_name[k], { stat = s, label = s }]]
            annotations = { horizontal = [{ label = "delivery_lateness", value = local.thresholds.delivery_lateness_p99_ms }] }
          })
        },
        {
          type = "metric"
          properties = merge(local.graph, {
            title   = "Channels disabled, bookkeeping failures, redelivered (${k})"
            metrics = [for m in ["channels_disabled", "requeue_failures", "channel_health_failures", "run_outcome_failures", "messages_retried", "messages_parked"] : [local.app_namespace, m, "function", local.fn_name[k], { stat = "Sum", label = m }]]
          })
        },
      ]])
    },
    {
      title = "Dispatcher: finding due work"
      text  = "The scheduled tick that claims due posts and automation occurrences and enqueues them; one EMF document per tick."
      kinds = ["dispatcher_lag", "posts_missed", "dispatcher_failures", "schedule_failed_invocations", "schedule_silent"]
      wide  = []
      narrow = flatten([for k in local.dispatch_keys : [
        {
          type = "metric"
          properties = merge(local.graph, {
            title       = "Lag: oldest due item found (ms) (${k})"
            period      = 60
            metrics     = [for s in ["Maximum", "p50"] : [local.app_namespace, "lag", "function", local.fn_name[k], { stat = s, label = s }]]
            annotations = { horizontal = [{ label = "dispatcher_lag", value = local.thresholds.dispatcher_lag_ms }] }
          })
        },
        {
          type = "metric"
          properties = merge(local.graph, {
            title   = "Items per 5 min (${k})"
            metrics = [for m in ["items_found", "items_claimed", "items_deferred", "items_missed"] : [local.app_namespace, m, "function", local.fn_name[k], { stat = "Sum", label = m }]]
          })
        },
        {
          type = "metric"
          properties = merge(local.graph, {
            title = "Failures and schedule invocations (${k})"
            metrics = concat(
              [for m in ["shard_failures", "claim_failures", "send_failures"] : [local.app_namespace, m, "function", local.fn_name[k], { stat = "Sum", label = m }]],
              [
                ["AWS/Events", "Invocations", "RuleName", aws_cloudwatch_event_rule.schedule[k].name, { stat = "Sum", label = "rule invocations" }],
                ["AWS/Events", "FailedInvocations", "RuleName", aws_cloudwatch_event_rule.schedule[k].name, { stat = "Sum", label = "rule failed invocations" }],
              ],
            )
          })
        },
      ]])
    },
    {
      title = "Automations"
      text  = "Occurrences claimed and runs enqueued or skipped by the dispatcher; runs finished by the delivery queue's consumer."
      kinds = ["automation_runs_failed"]
      wide  = []
      narrow = concat(
        [{
          type = "metric"
          properties = merge(local.graph, {
            title = "Runs by status"
            metrics = concat(
              concat([], [for k in local.dispatch_keys : [for m in ["automations_claimed", "runs_enqueued", "runs_skipped", "occurrences_unrecorded"] : [local.app_namespace, m, "function", local.fn_name[k], { stat = "Sum", label = "${m} (${k})" }]]]...),
              concat([], [for k in local.delivery_keys : [for m in ["runs_succeeded", "runs_failed"] : [local.app_namespace, m, "function", local.fn_name[k], { stat = "Sum", label = "${m} (${k})" }]]]...),
            )
          })
        }],
        [for k in local.delivery_keys : {
          type = "metric"
          properties = merge(local.graph, {
            title = "Runs failed (%) (${k})"
            metrics = [
              [local.app_namespace, "runs_failed", "function", local.fn_name[k], { id = "failed", stat = "Sum", visible = false }],
              [local.app_namespace, "runs_succeeded", "function", local.fn_name[k], { id = "succeeded", stat = "Sum", visible = false }],
              [{ id = "rate", label = "failed %", expression = "100 * failed / (failed + succeeded)" }],
            ]
            annotations = { horizontal = [{ label = "automation_runs_failed", value = local.thresholds.automation_failure_rate_percent }] }
          })
        }],
      )
    },
    {
      title = "Queues and dead-letter queues"
      text  = "The work queues from the manifest and every dead-letter queue. A message on a DLQ is work given up on: read it before deleting it."
      kinds = ["queue_oldest_message_age", "queue_dlq_messages", "dlq_messages"]
      wide  = []
      narrow = [
        {
          type = "metric"
          properties = merge(local.graph, {
            title = "Work queues: messages"
            metrics = concat([], [for q in local.queue_keys : [
              for m in ["ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"] :
              ["AWS/SQS", m, "QueueName", aws_sqs_queue.work[q].name, { stat = "Maximum", label = "${q}: ${trimprefix(m, "ApproximateNumberOfMessages")}" }]
            ]]...)
          })
        },
        {
          type = "metric"
          properties = merge(local.graph, {
            title       = "Work queues: age of the oldest message (s)"
            metrics     = [for q in local.queue_keys : ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", aws_sqs_queue.work[q].name, { stat = "Maximum", label = q }]]
            annotations = { horizontal = [{ label = "queue_oldest_message_age", value = var.alarm_queue_oldest_message_age_s }] }
          })
        },
        {
          type = "metric"
          properties = merge(local.graph, {
            title = "Dead-letter queues: messages"
            metrics = concat(
              [for k in sort(keys(local.dlq_functions)) : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.dlq[k].name, { stat = "Maximum", label = aws_sqs_queue.dlq[k].name }]],
              [for q in local.queue_keys : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.work_dlq[q].name, { stat = "Maximum", label = aws_sqs_queue.work_dlq[q].name }]],
            )
          })
        },
      ]
    },
    {
      title = "Table stream consumers and domain events"
      text  = "How far each stream consumer is behind the table, the records it parked, and domain events that did not reach the bus ${aws_cloudwatch_event_bus.app.name}."
      kinds = ["stream_iterator_age", "domain_events_lost"]
      wide  = []
      narrow = [
        {
          type = "metric"
          properties = merge(local.graph, {
            title       = "Iterator age (ms)"
            period      = 60
            metrics     = [for k in local.stream_keys : ["AWS/Lambda", "IteratorAge", "FunctionName", local.fn_name[k], { stat = "Maximum", label = k }]]
            annotations = { horizontal = [{ label = "stream_iterator_age", value = var.alarm_iterator_age_ms }] }
          })
        },
        {
          type = "metric"
          properties = merge(local.graph, {
            title = "Records parked, domain events lost"
            metrics = concat(
              [for k in local.stream_keys : [local.app_namespace, "poison_records", "function", local.fn_name[k], { stat = "Sum", label = "poison_records (${k})" }]],
              [for k in local.event_bus_keys : [local.app_namespace, "domain_events_failed", "function", local.fn_name[k], { stat = "Sum", label = "domain_events_failed (${k})" }]],
            )
          })
        },
      ]
    },
    {
      title = "Functions"
      text  = "Every function of the manifest. The log widgets read the JSON logs: level = \"ERROR\" lines and Lambda's platform.report records."
      kinds = ["lambda_errors", "lambda_throttles", "lambda_duration", "account_concurrency"]
      wide = [
        {
          type = "metric"
          properties = merge(local.graph, {
            title   = "Errors by function"
            metrics = [for k in local.all_fn_keys : ["AWS/Lambda", "Errors", "FunctionName", local.fn_name[k], { stat = "Sum", label = k }]]
            legend  = { position = "right" }
          })
        },
        {
          type = "metric"
          properties = merge(local.graph, {
            title       = "HTTP functions: p99 duration, % of timeout"
            metrics     = local.duration_share["http"]
            legend      = { position = "right" }
            annotations = { horizontal = [{ label = "lambda_duration", value = local.thresholds.duration_percent_of_timeout }] }
          })
        },
        {
          type = "log"
          properties = {
            region = local.region
            title  = "Errors and failed invocations by log group (JSON logs)"
            view   = "table"
            query  = "${local.insights_sources} | filter level = \"ERROR\" or (type = \"platform.report\" and record.status != \"success\") | stats count() as errors by @log | sort errors desc"
          }
        },
      ]
      narrow = [
        {
          type = "metric"
          properties = merge(local.graph, {
            title   = "Throttles by function"
            metrics = [for k in local.all_fn_keys : ["AWS/Lambda", "Throttles", "FunctionName", local.fn_name[k], { stat = "Sum", label = k }]]
          })
        },
        {
          type = "metric"
          properties = merge(local.graph, {
            title       = "Background functions: p99 duration, % of timeout"
            metrics     = local.duration_share["background"]
            annotations = { horizontal = [{ label = "lambda_duration", value = local.thresholds.duration_percent_of_timeout }] }
          })
        },
        {
          type = "metric"
          properties = merge(local.graph, {
            title  = "Account concurrency"
            period = 60
            metrics = concat(
              [
                ["AWS/Lambda", "ClaimedAccountConcurrency", { stat = "Maximum", label = "claimed (account)" }],
                ["AWS/Lambda", "ConcurrentExecutions", { stat = "Maximum", label = "running (account)" }],
              ],
              [for k in local.background_keys : ["AWS/Lambda", "ConcurrentExecutions", "FunctionName", local.fn_name[k], { stat = "Maximum", label = k }]],
            )
            annotations = { horizontal = [{ label = "account_concurrency", value = local.thresholds.account_concurrency_quota * local.thresholds.account_concurrency_percent / 100 }] }
          })
        },
        {
          type = "log"
          properties = {
            region = local.region
            title  = "Cold starts by log group (platform.report initDurationMs)"
            view   = "table"
            query  = "${local.insights_sources} | filter type = \"platform.report\" and ispresent(record.metrics.initDurationMs) | stats count() as cold_starts, pct(record.metrics.initDurationMs, 99) as p99_init_ms by @log | sort cold_starts desc"
          }
        },
        {
          type       = "metric"
          properties = merge(local.graph, { title = "Cold starts, all functions (EMF cold_starts)", metrics = local.fn_sums["cold_starts"] })
        },
      ]
    },
    {
      title = "DynamoDB: table ${aws_dynamodb_table.main.name}"
      text  = "Throttles, server errors and latency of the one table. The functions' DynamoDB calls are not traced in X-Ray: SuccessfulRequestLatency is where a slow table shows."
      kinds = ["dynamodb_throttles", "dynamodb_gsi_throttles", "dynamodb_system_errors", "dynamodb_replication_latency"]
      wide  = []
      narrow = concat(
        [
          {
            type = "metric"
            properties = merge(local.graph, {
              title = "Throttled reads and writes"
              metrics = concat(
                [for m in ["ReadThrottleEvents", "WriteThrottleEvents"] : ["AWS/DynamoDB", m, "TableName", aws_dynamodb_table.main.name, { stat = "Sum", label = "table ${m}" }]],
                concat([], [for g in sort(keys(local.table_gsis)) : [
                  for m in ["ReadThrottleEvents", "WriteThrottleEvents"] :
                  ["AWS/DynamoDB", m, "TableName", aws_dynamodb_table.main.name, "GlobalSecondaryIndexName", g, { stat = "Sum", label = "${g} ${m}" }]
                ]]...),
              )
            })
          },
          {
            type = "metric"
            properties = merge(local.graph, {
              title   = "System errors (500) by operation"
              metrics = [[{ id = "errors", expression = "SELECT SUM(SystemErrors) FROM SCHEMA(\"AWS/DynamoDB\", Operation, TableName) WHERE TableName = '${aws_dynamodb_table.main.name}' GROUP BY Operation" }]]
            })
          },
          {
            type = "metric"
            properties = merge(local.graph, {
              title   = "Latency by operation, max (ms)"
              metrics = [[{ id = "latency", expression = "SELECT MAX(SuccessfulRequestLatency) FROM SCHEMA(\"AWS/DynamoDB\", Operation, TableName) WHERE TableName = '${aws_dynamodb_table.main.name}' GROUP BY Operation" }]]
            })
          },
          {
            type = "metric"
            properties = merge(local.graph, {
              title   = "Consumed capacity units"
              metrics = [for m in ["ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits"] : ["AWS/DynamoDB", m, "TableName", aws_dynamodb_table.main.name, { stat = "Sum", label = m }]]
            })
          },
        ],
        length(var.replica_regions) == 0 ? [] : [{
          type = "metric"
          properties = merge(local.graph, {
            title   = "Replication latency (ms)"
            metrics = [for r in var.replica_regions : ["AWS/DynamoDB", "ReplicationLatency", "TableName", aws_dynamodb_table.main.name, "ReceivingRegion", r, { stat = "Average", label = r }]]
          })
        }],
      )
    },
  ]

  # -------------------------------------------------------------------------
  # Layout: a header, the alarm status (100 alarms per widget at most), the
  # wide graphs, then the narrow ones three to a row.
  # -------------------------------------------------------------------------
  section_alarm_arns = [
    for s in local.dashboard_sections : flatten([
      for kind in s.kinds : [for n in local.alarm_names[kind] : "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${n}"]
    ])
  ]
  section_alarm_chunks  = [for arns in local.section_alarm_arns : chunklist(arns, 100)]
  section_alarm_heights = [for chunks in local.section_alarm_chunks : [for c in chunks : min(12, 2 + ceil(length(c) / 6))]]
  section_heights = [
    for i, s in local.dashboard_sections :
    2 + sum(concat([0], local.section_alarm_heights[i])) + 6 * length(s.wide) + 6 * ceil(length(s.narrow) / 3)
  ]
  section_tops = [for i in range(length(local.dashboard_sections)) : sum(concat([0], slice(local.section_heights, 0, i)))]

  dashboard_widgets = flatten([
    for i, s in local.dashboard_sections : concat(
      [{
        type       = "text"
        x          = 0
        y          = local.section_tops[i]
        width      = 24
        height     = 2
        properties = { markdown = "## ${i + 1}. ${s.title}\n${s.text} Alarms: ${join(", ", s.kinds)} (${local.runbook_link})." }
      }],
      [for j, c in local.section_alarm_chunks[i] : {
        type   = "alarm"
        x      = 0
        y      = local.section_tops[i] + 2 + sum(concat([0], slice(local.section_alarm_heights[i], 0, j)))
        width  = 24
        height = local.section_alarm_heights[i][j]
        properties = {
          title  = "Alarms: ${s.title}${length(local.section_alarm_chunks[i]) > 1 ? " (${j + 1}/${length(local.section_alarm_chunks[i])})" : ""}"
          alarms = c
          sortBy = "stateUpdatedTimestamp"
        }
      }],
      [for j, w in s.wide : merge(w, {
        x      = 0
        y      = local.section_tops[i] + 2 + sum(concat([0], local.section_alarm_heights[i])) + 6 * j
        width  = 24
        height = 6
      })],
      [for j, w in s.narrow : merge(w, {
        x      = 8 * (j % 3)
        y      = local.section_tops[i] + 2 + sum(concat([0], local.section_alarm_heights[i])) + 6 * length(s.wide) + 6 * floor(j / 3)
        width  = 8
        height = 6
      })],
    )
  ])
}

resource "aws_cloudwatch_dashboard" "main" {
  dashboard_name = local.name_prefix
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })

  lifecycle {
    precondition {
      # A graph draws at most 100 metrics and expressions; the per-function
      # graphs grow with the manifest and would then fail to render.
      condition     = alltrue([for w in local.dashboard_widgets : length(try(w.properties.metrics, [])) <= 100])
      error_message = "A dashboard graph would hold more than 100 metrics (too many functions of one kind in the manifest): split that widget in terraform/dashboard.tf."
    }
  }
}
