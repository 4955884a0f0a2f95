# Versions and the "live" alias, with mocked AWS (see manifest.tftest.hcl for
# how this runs). A rollback only moves the alias, so it undoes a deploy only
# if nothing invokes a function any other way: every API integration, stream
# and SQS mapping, schedule target and invoke permission must name the alias.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  aws_region  = "eu-west-1"
  environment = "test"
}

run "every_trigger_invokes_the_live_alias" {
  command = apply

  # --- Versions and aliases ---------------------------------------------
  assert {
    condition     = alltrue([for k, fn in aws_lambda_function.fn : fn.publish])
    error_message = "every function must publish a version on each change, or there is nothing to roll back to"
  }
  assert {
    condition = (
      join(",", sort(keys(aws_lambda_alias.live))) == join(",", sort([for f in local.manifest.functions : f.name])) &&
      alltrue([
        for k, a in aws_lambda_alias.live :
        a.name == "live" && a.function_name == aws_lambda_function.fn[k].function_name
      ])
    )
    error_message = "every manifest function needs one alias named live, on that same function"
  }
  assert {
    condition     = alltrue([for k, a in aws_lambda_alias.live : a.function_version == aws_lambda_function.fn[k].version && length(a.routing_config) == 0])
    error_message = "without pins or canaries, each alias must serve the newest published version, unweighted"
  }

  # --- API ------------------------------------------------------------------
  assert {
    condition = (
      length(aws_apigatewayv2_integration.fn) == length([for f in local.manifest.functions : f if f.trigger.kind == "http"]) &&
      alltrue([
        for k, i in aws_apigatewayv2_integration.fn :
        i.integration_uri == aws_lambda_alias.live[k].invoke_arn && i.integration_uri != aws_lambda_function.fn[k].invoke_arn
      ])
    )
    error_message = "every API integration must invoke the function's live alias, not the function"
  }
  assert {
    condition = alltrue([
      for k, p in aws_lambda_permission.api :
      p.qualifier == "live" && p.function_name == aws_lambda_function.fn[k].function_name && p.principal == "apigateway.amazonaws.com"
    ]) && length(aws_lambda_permission.api) == length(aws_apigatewayv2_integration.fn)
    error_message = "API Gateway's invoke permission must be granted on the live alias (qualifier live) of each http function"
  }

  # --- Stream and SQS mappings ---------------------------------------------
  assert {
    condition = (
      length(aws_lambda_event_source_mapping.stream) == length([for f in local.manifest.functions : f if f.trigger.kind == "dynamodb_stream"]) &&
      alltrue([for k, m in aws_lambda_event_source_mapping.stream : m.function_name == aws_lambda_alias.live[k].arn && endswith(m.function_name, ":live")])
    )
    error_message = "every stream mapping must invoke the live alias"
  }
  assert {
    condition = (
      length(aws_lambda_event_source_mapping.sqs) == length([for f in local.manifest.functions : f if f.trigger.kind == "sqs"]) &&
      alltrue([for k, m in aws_lambda_event_source_mapping.sqs : m.function_name == aws_lambda_alias.live[k].arn && endswith(m.function_name, ":live")])
    )
    error_message = "every SQS mapping must invoke the live alias"
  }

  # --- Schedules ------------------------------------------------------------
  assert {
    condition = (
      length(aws_cloudwatch_event_target.schedule) == length([for f in local.manifest.functions : f if f.trigger.kind == "schedule"]) &&
      alltrue([for k, t in aws_cloudwatch_event_target.schedule : t.arn == aws_lambda_alias.live[k].arn && t.arn != aws_lambda_function.fn[k].arn])
    )
    error_message = "every schedule target must invoke the live alias"
  }
  assert {
    condition = alltrue([
      for k, p in aws_lambda_permission.schedule :
      p.qualifier == "live" && p.principal == "events.amazonaws.com" && p.source_arn == aws_cloudwatch_event_rule.schedule[k].arn
    ])
    error_message = "EventBridge's invoke permission must be on the live alias, for its own rule only"
  }
  assert {
    condition     = alltrue([for k, c in aws_lambda_function_event_invoke_config.schedule : c.qualifier == "live"]) && length(aws_lambda_function_event_invoke_config.schedule) == length(aws_cloudwatch_event_target.schedule)
    error_message = "the async retry settings must be on the alias that EventBridge invokes; the unqualified function's would not apply"
  }
}

# What scripts/rollback.sh leaves behind, recorded in the tfvars: Terraform
# keeps the alias where the rollback put it, and every trigger still goes
# through the alias.
run "a_pinned_version_is_kept" {
  command = apply

  variables {
    alias_versions = { deliverer = "3", dispatcher = "5" }
  }

  assert {
    condition     = aws_lambda_alias.live["deliverer"].function_version == "3" && aws_lambda_alias.live["dispatcher"].function_version == "5"
    error_message = "alias_versions must pin the alias to the given version"
  }
  assert {
    condition     = alltrue([for k, a in aws_lambda_alias.live : a.function_version == aws_lambda_function.fn[k].version if !contains(["deliverer", "dispatcher"], k)])
    error_message = "a pin must not move the other functions' aliases"
  }
  assert {
    condition     = aws_lambda_event_source_mapping.sqs["deliverer"].function_name == aws_lambda_alias.live["deliverer"].arn && aws_cloudwatch_event_target.schedule["dispatcher"].arn == aws_lambda_alias.live["dispatcher"].arn
    error_message = "pinned functions are still invoked through their alias"
  }
}

run "a_canary_weights_the_new_version" {
  command = apply

  variables {
    alias_versions = { dispatcher = "5" }
    canary         = { dispatcher = { version = "6", weight = 0.1 } }
  }

  assert {
    condition     = aws_lambda_alias.live["dispatcher"].function_version == "5" && aws_lambda_alias.live["dispatcher"].routing_config[0].additional_version_weights == tomap({ "6" = 0.1 })
    error_message = "a canary sends its weight to its version and the rest to the pinned stable version"
  }
  assert {
    condition     = length([for k, a in aws_lambda_alias.live : a if length(a.routing_config) > 0]) == 1
    error_message = "only the function named in canary gets weighted routing"
  }
}

run "a_canary_defaults_to_the_newest_version" {
  command = apply

  variables {
    alias_versions = { dispatcher = "5" }
    canary         = { dispatcher = { weight = 0.25 } }
  }

  assert {
    condition     = aws_lambda_alias.live["dispatcher"].routing_config[0].additional_version_weights == tomap({ (aws_lambda_function.fn["dispatcher"].version) = 0.25 })
    error_message = "a canary without a version tries the newest published one"
  }
}

run "a_canary_without_a_stable_pin_is_refused" {
  command = plan

  variables {
    canary = { dispatcher = { version = "6", weight = 0.1 } }
  }

  expect_failures = [aws_lambda_alias.live]
}

run "a_canary_on_the_pinned_version_is_refused" {
  command = plan

  variables {
    alias_versions = { dispatcher = "6" }
    canary         = { dispatcher = { version = "6", weight = 0.1 } }
  }

  expect_failures = [aws_lambda_alias.live]
}

run "a_pin_for_an_unknown_function_is_refused" {
  command = plan

  variables {
    alias_versions = { no-such-function = "2" }
  }

  expect_failures = [aws_lambda_alias.live]
}

run "a_canary_weight_outside_0_1_is_refused" {
  command = plan

  variables {
    alias_versions = { dispatcher = "5" }
    canary         = { dispatcher = { version = "6", weight = 1 } }
  }

  expect_failures = [var.canary]
}
