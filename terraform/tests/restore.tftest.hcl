# The restore path, with mocked AWS (see manifest.tftest.hcl for how this
# runs). DEPLOYMENT.md ("Restore") has the operator import a restored table
# at aws_dynamodb_table.main and set var.restore; from then on that table
# must be wired exactly like the original was: the functions' TABLE_NAME,
# the IAM grants on the table, its indexes and its stream, the stream
# consumers' mappings, the backups, and the settings a restore drops
# (stream, TTL, PITR, deletion protection, the CMK).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  aws_region  = "eu-west-1"
  environment = "test"
}

run "original" {
  command = apply

  assert {
    condition     = aws_dynamodb_table.main.name == "ofauto-test" && output.table_name == "ofauto-test"
    error_message = "without var.restore the table is <service>-<environment>"
  }
}

run "restored" {
  command = apply

  # A state of its own: the mocked provider updates in place where AWS would
  # replace, so only a fresh create gets the restored table's ARNs below.
  state_key = "restored"

  variables {
    restore = { table_name = "ofauto-test-restored-1" }
  }

  # What AWS reports for the restored table: a new ARN and a new stream.
  override_resource {
    target = aws_dynamodb_table.main
    values = {
      arn        = "arn:aws:dynamodb:eu-west-1:123456789012:table/ofauto-test-restored-1"
      stream_arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/ofauto-test-restored-1/stream/2025-06-01T00:00:00.000"
    }
  }

  # --- The table: what a restore does not bring back, Terraform sets --------
  assert {
    condition     = aws_dynamodb_table.main.name == "ofauto-test-restored-1" && output.table_name == "ofauto-test-restored-1" && run.original.table_name == "ofauto-test"
    error_message = "var.restore.table_name must become the table's name"
  }
  assert {
    condition = (
      aws_dynamodb_table.main.stream_enabled &&
      aws_dynamodb_table.main.stream_view_type == local.manifest.table.stream_view_type &&
      aws_dynamodb_table.main.ttl[0].enabled && aws_dynamodb_table.main.ttl[0].attribute_name == local.manifest.table.ttl_attribute &&
      aws_dynamodb_table.main.point_in_time_recovery[0].enabled &&
      aws_dynamodb_table.main.deletion_protection_enabled &&
      aws_dynamodb_table.main.server_side_encryption[0].enabled && aws_dynamodb_table.main.server_side_encryption[0].kms_key_arn == aws_kms_key.main.arn
    )
    error_message = "the restored table needs its stream, TTL, PITR, deletion protection and the CMK, none of which a restore carries over"
  }
  assert {
    condition = alltrue([
      for g in local.manifest.table.global_secondary_indexes :
      length([for i in aws_dynamodb_table.main.global_secondary_index : i if i.name == g.name && i.hash_key == g.hash_key && i.range_key == g.range_key]) == 1
    ])
    error_message = "the restored table keeps the manifest's indexes"
  }

  # --- Functions -------------------------------------------------------------
  assert {
    condition     = alltrue([for k, fn in aws_lambda_function.fn : fn.environment[0].variables["TABLE_NAME"] == "ofauto-test-restored-1"])
    error_message = "every function's TABLE_NAME must name the restored table"
  }

  # --- IAM: every grant on the table, its indexes and its stream moves ------
  assert {
    condition = (
      local.permission_resources["table"] == ["arn:aws:dynamodb:eu-west-1:123456789012:table/ofauto-test-restored-1"] &&
      local.permission_resources["table_indexes"] == ["arn:aws:dynamodb:eu-west-1:123456789012:table/ofauto-test-restored-1/index/*"] &&
      local.permission_resources["stream"] == ["arn:aws:dynamodb:eu-west-1:123456789012:table/ofauto-test-restored-1/stream/2025-06-01T00:00:00.000"]
    )
    error_message = "the table, table_indexes and stream permission resources must be the restored table's"
  }
  assert {
    condition = alltrue(flatten([
      for f in local.manifest.functions : [
        for p in f.permissions : anytrue([
          for s in data.aws_iam_policy_document.fn[f.name].statement :
          length(setsubtract(p.actions, s.actions)) == 0 && length(setsubtract(local.permission_resources[p.resource], s.resources)) == 0
        ])
      ]
    ]))
    error_message = "every manifest permission must still be granted, now on the restored table"
  }
  assert {
    condition = alltrue(flatten([
      for k, d in data.aws_iam_policy_document.fn : [
        for s in d.statement : [for r in s.resources : !strcontains(r, ":table/ofauto-test/") && r != "arn:aws:dynamodb:eu-west-1:123456789012:table/ofauto-test"]
      ]
    ]))
    error_message = "no grant may still name the original table"
  }

  # --- Stream consumers --------------------------------------------------------
  assert {
    condition = alltrue([
      for f in local.manifest.functions :
      aws_lambda_event_source_mapping.stream[f.name].event_source_arn == "arn:aws:dynamodb:eu-west-1:123456789012:table/ofauto-test-restored-1/stream/2025-06-01T00:00:00.000" &&
      aws_lambda_event_source_mapping.stream[f.name].function_name == aws_lambda_alias.live[f.name].arn &&
      aws_lambda_event_source_mapping.stream[f.name].batch_size == f.trigger.batch_size &&
      aws_lambda_event_source_mapping.stream[f.name].starting_position == f.trigger.starting_position &&
      aws_lambda_event_source_mapping.stream[f.name].destination_config[0].on_failure[0].destination_arn == aws_sqs_queue.dlq[f.name].arn
      if f.trigger.kind == "dynamodb_stream"
    ]) && length(aws_lambda_event_source_mapping.stream) == length([for f in local.manifest.functions : f if f.trigger.kind == "dynamodb_stream"])
    error_message = "every stream consumer must read the restored table's stream, with its manifest settings, its alias and its DLQ"
  }

  # --- Backups -----------------------------------------------------------------
  assert {
    condition     = aws_backup_selection.table.resources == toset(["arn:aws:dynamodb:eu-west-1:123456789012:table/ofauto-test-restored-1"])
    error_message = "the daily backup must cover the restored table"
  }
}

run "rejects_a_table_name_dynamodb_refuses" {
  command = plan

  variables {
    restore = { table_name = "no" }
  }

  expect_failures = [var.restore]
}
