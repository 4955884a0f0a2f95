# The optional parts of the stack, with mocked AWS (see manifest.tftest.hcl
# for how this runs): code from the artifact bucket, the custom API domain,
# Cognito's mail and deletion protection, the backup plan and its copy,
# global-table replicas, the event archive, and another AWS partition.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  aws_region  = "eu-west-1"
  environment = "test"
}

run "defaults" {
  command = apply

  assert {
    condition = alltrue([
      for k, fn in aws_lambda_function.fn :
      fn.s3_bucket == null && fn.filename == "${var.artifacts_dir}/${k}/bootstrap.zip" && fn.source_code_hash == filebase64sha256("${var.artifacts_dir}/${k}/bootstrap.zip")
    ])
    error_message = "without artifact_bucket, code comes from the local zips, hashed"
  }
  assert {
    condition     = length(aws_apigatewayv2_domain_name.api) == 0 && length(aws_apigatewayv2_api_mapping.api) == 0 && output.api_custom_domain_url == null
    error_message = "no custom domain unless asked for"
  }
  assert {
    condition     = aws_cognito_user_pool.main.deletion_protection == "ACTIVE" && aws_cognito_user_pool.main.email_configuration[0].email_sending_account == "COGNITO_DEFAULT"
    error_message = "the user pool is protected from deletion and mails through Cognito by default"
  }
  assert {
    condition     = aws_secretsmanager_secret.cursor_signing_key.recovery_window_in_days == 30
    error_message = "a deleted cursor secret stays recoverable for 30 days by default"
  }
  assert {
    condition = (
      one(aws_backup_plan.main.rule).lifecycle[0].delete_after == 35 &&
      length(one(aws_backup_plan.main.rule).copy_action) == 0 &&
      one(aws_backup_plan.main.rule).target_vault_name == aws_backup_vault.main.name &&
      aws_backup_vault.main.kms_key_arn == aws_kms_key.backup.arn &&
      aws_backup_selection.table.resources == toset([aws_dynamodb_table.main.arn]) &&
      aws_backup_selection.table.iam_role_arn == aws_iam_role.backup.arn
    )
    error_message = "a daily backup of the table, kept 35 days, into a vault with its own key, not copied anywhere by default"
  }
  assert {
    condition     = one(data.aws_iam_policy_document.backup_assume.statement[0].principals).identifiers == toset(["backup.amazonaws.com"])
    error_message = "only AWS Backup may assume the backup role"
  }
  assert {
    condition     = aws_dynamodb_table.main.point_in_time_recovery[0].enabled && aws_dynamodb_table.main.point_in_time_recovery[0].recovery_period_in_days == 35 && length(aws_dynamodb_table.main.replica) == 0
    error_message = "PITR reaches 35 days back, and there are no replicas by default"
  }
  assert {
    condition     = aws_cloudwatch_event_archive.app.event_source_arn == aws_cloudwatch_event_bus.app.arn && aws_cloudwatch_event_archive.app.retention_days == 30
    error_message = "the domain-event bus is archived for 30 days"
  }
}

run "code_from_the_artifact_bucket" {
  command = apply

  variables {
    artifact_bucket = "ofauto-artifacts"
    artifact_prefix = "builds/3f2c1e0"
    artifact_hashes = { dispatcher = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=" }
  }

  # What `make publish-artifacts` uploads beside each zip: its base64
  # SHA-256, with the newline a hand-made file would end in.
  override_data {
    target = data.aws_s3_object.artifact_hash
    values = { body = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n" }
  }

  assert {
    condition = alltrue([
      for k, fn in aws_lambda_function.fn :
      fn.s3_bucket == "ofauto-artifacts" && fn.s3_key == "builds/3f2c1e0/${k}.zip" && fn.filename == null
    ])
    error_message = "with artifact_bucket, every function takes s3://<bucket>/<prefix>/<function>.zip"
  }
  assert {
    condition = alltrue([
      for k, fn in aws_lambda_function.fn :
      fn.source_code_hash == (k == "dispatcher" ? "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=" : "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
    ])
    error_message = "the hash comes from artifact_hashes when given, else from <function>.zip.sha256 beside the zip, trimmed"
  }
  assert {
    condition     = !contains(keys(data.aws_s3_object.artifact_hash), "dispatcher") && length(data.aws_s3_object.artifact_hash) == length(local.manifest.functions) - 1 && data.aws_s3_object.artifact_hash["deliverer"].key == "builds/3f2c1e0/deliverer.zip.sha256"
    error_message = "the bucket's hash object is read for exactly the functions without a hash in artifact_hashes"
  }
}

run "an_unreadable_artifact_hash_is_refused" {
  command = plan

  variables {
    artifact_bucket = "ofauto-artifacts"
  }

  # A .sha256 object uploaded as binary/octet-stream reads back empty.
  override_data {
    target = data.aws_s3_object.artifact_hash
    values = { body = "" }
  }

  expect_failures = [aws_lambda_function.fn]
}

run "custom_domain_cognito_mail_and_dr_options" {
  command = apply

  variables {
    api_custom_domain            = { domain_name = "api.example.com", certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d" }
    cognito_deletion_protection  = false
    cognito_ses_email            = { source_arn = "arn:aws:ses:eu-west-1:123456789012:identity/example.com", from_address = "OFAuto <no-reply@example.com>" }
    secret_recovery_window_days  = 7
    backup_copy_vault_arn        = "arn:aws:backup:eu-central-1:123456789012:backup-vault:ofauto-test-dr"
    backup_retention_days        = 90
    replica_regions              = ["eu-central-1"]
    replica_kms_key_arns         = { eu-central-1 = "arn:aws:kms:eu-central-1:123456789012:key/99999999-2222-3333-4444-555555555555" }
    event_archive_retention_days = 7
  }

  assert {
    condition = (
      aws_apigatewayv2_domain_name.api[0].domain_name == "api.example.com" &&
      aws_apigatewayv2_domain_name.api[0].domain_name_configuration[0].certificate_arn == "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d" &&
      aws_apigatewayv2_domain_name.api[0].domain_name_configuration[0].security_policy == "TLS_1_2" &&
      aws_apigatewayv2_api_mapping.api[0].api_id == aws_apigatewayv2_api.http.id &&
      aws_apigatewayv2_api_mapping.api[0].stage == aws_apigatewayv2_stage.default.id &&
      output.api_custom_domain_url == "https://api.example.com"
    )
    error_message = "the custom domain maps the $default stage, over TLS 1.2, and its URL is an output"
  }
  assert {
    condition = (
      aws_cognito_user_pool.main.deletion_protection == "INACTIVE" &&
      aws_cognito_user_pool.main.email_configuration[0].email_sending_account == "DEVELOPER" &&
      aws_cognito_user_pool.main.email_configuration[0].source_arn == "arn:aws:ses:eu-west-1:123456789012:identity/example.com" &&
      aws_cognito_user_pool.main.email_configuration[0].from_email_address == "OFAuto <no-reply@example.com>"
    )
    error_message = "Cognito's deletion protection and SES mail follow their variables"
  }
  assert {
    condition     = aws_secretsmanager_secret.cursor_signing_key.recovery_window_in_days == 7
    error_message = "the secret's recovery window follows secret_recovery_window_days"
  }
  assert {
    condition = (
      one(one(aws_backup_plan.main.rule).copy_action).destination_vault_arn == "arn:aws:backup:eu-central-1:123456789012:backup-vault:ofauto-test-dr" &&
      one(one(aws_backup_plan.main.rule).copy_action).lifecycle[0].delete_after == 90 &&
      one(aws_backup_plan.main.rule).lifecycle[0].delete_after == 90
    )
    error_message = "with backup_copy_vault_arn every backup is copied there, kept as long as the original"
  }
  assert {
    condition = (
      length(aws_dynamodb_table.main.replica) == 1 &&
      one([for r in aws_dynamodb_table.main.replica : r.region_name == "eu-central-1" && r.point_in_time_recovery && r.kms_key_arn == "arn:aws:kms:eu-central-1:123456789012:key/99999999-2222-3333-4444-555555555555"])
    )
    error_message = "each replica region gets a replica with PITR and that region's key"
  }
  assert {
    condition     = aws_cloudwatch_event_archive.app.retention_days == 7
    error_message = "the archive keeps events for event_archive_retention_days"
  }
}

run "a_replica_without_a_key_is_refused" {
  command = plan

  variables {
    replica_regions = ["eu-central-1"]
  }

  expect_failures = [aws_dynamodb_table.main]
}

run "a_replica_key_of_another_region_is_refused" {
  command = plan

  variables {
    replica_regions      = ["eu-central-1"]
    replica_kms_key_arns = { eu-central-1 = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555" }
  }

  expect_failures = [var.replica_kms_key_arns]
}

run "a_replica_in_the_tables_own_region_is_refused" {
  command = plan

  variables {
    replica_regions      = ["eu-west-1"]
    replica_kms_key_arns = { eu-west-1 = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555" }
  }

  expect_failures = [aws_dynamodb_table.main]
}

# Nothing in the stack spells the commercial partition's DNS suffix: in China
# the issuer, the KMS key policy's CloudWatch Logs principal and every
# kms:ViaService condition end in amazonaws.com.cn.
run "another_partition" {
  command = apply

  state_key = "aws-cn"

  variables {
    aws_region = "cn-north-1"
  }

  override_data {
    target = data.aws_partition.current
    values = { partition = "aws-cn", dns_suffix = "amazonaws.com.cn" }
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.jwt.jwt_configuration[0].issuer == "https://cognito-idp.cn-north-1.amazonaws.com.cn/eu-west-1_Ab12Cd34E"
    error_message = "the JWT issuer must use the partition's DNS suffix"
  }
  assert {
    condition = anytrue([
      for st in jsondecode(aws_kms_key.main.policy).Statement :
      try(st.Principal.Service, "") == "logs.cn-north-1.amazonaws.com.cn"
    ]) && alltrue([for st in jsondecode(aws_kms_key.main.policy).Statement : startswith(try(st.Principal.AWS, "arn:aws-cn:"), "arn:aws-cn:")])
    error_message = "the key policy's principals must be the partition's"
  }
  assert {
    condition = alltrue(flatten([
      for k, d in data.aws_iam_policy_document.fn : [
        for st in d.statement : [
          for c in st.condition : [for v in c.values : endswith(v, ".cn-north-1.amazonaws.com.cn")]
          if c.variable == "kms:ViaService"
        ]
      ]
    ])) && length(flatten([for k, d in data.aws_iam_policy_document.fn : [for st in d.statement : st.condition if length(st.condition) > 0]])) > 0
    error_message = "kms:ViaService conditions must use the partition's DNS suffix"
  }
}

# Functions cache the cursor key from their cold start. A new key version must
# change every function's configuration, so that each publishes a new version
# and its alias moves, and no warm environment keeps signing with the old key.
run "rotating_the_cursor_key_republishes_every_function" {
  command = apply

  variables {
    cursor_signing_key_version = 2
  }

  assert {
    condition     = alltrue([for k, fn in aws_lambda_function.fn : fn.environment[0].variables["CURSOR_SIGNING_KEY_VERSION"] == "2" && fn.publish])
    error_message = "a cursor key rotation must change (and so republish) every function"
  }
  assert {
    condition     = aws_secretsmanager_secret_version.cursor_signing_key.secret_string_wo_version == 2
    error_message = "the new key version must write a new secret value"
  }
}
