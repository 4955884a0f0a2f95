output "api_url" {
  description = "Base URL of the API (routes such as /health and /v1/events live directly under it)."
  value       = aws_apigatewayv2_stage.default.invoke_url
}

output "table_name" {
  description = "DynamoDB table name (TABLE_NAME)."
  value       = aws_dynamodb_table.main.name
}

output "user_pool_id" {
  description = "Cognito user pool id. Create users with custom:tenant_id set and add them to admin, editor or viewer."
  value       = aws_cognito_user_pool.main.id
}

output "user_pool_client_id" {
  description = "Cognito app client id: the JWT audience the API accepts."
  value       = aws_cognito_user_pool_client.api.id
}

output "jwt_issuer" {
  description = "Issuer the API's JWT authorizer trusts."
  value       = aws_apigatewayv2_authorizer.jwt.jwt_configuration[0].issuer
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies. Subscribe your pager to it."
  value       = aws_sns_topic.alarms.arn
}

output "cursor_secret_arn" {
  description = "Secrets Manager secret holding the cursor signing key (CURSOR_SECRET_ID)."
  value       = aws_secretsmanager_secret.cursor_signing_key.arn
}

output "event_bus_name" {
  description = "Custom EventBridge bus for domain events (EVENT_BUS_NAME)."
  value       = aws_cloudwatch_event_bus.app.name
}

output "function_names" {
  description = "Manifest function name -> deployed Lambda function name."
  value       = { for k, f in aws_lambda_function.fn : k => f.function_name }
}

output "dlq_urls" {
  description = "Function name -> dead-letter queue URL."
  value       = { for k, q in aws_sqs_queue.dlq : k => q.url }
}

output "queue_urls" {
  description = "Manifest queue name -> work queue URL (e.g. delivery -> DELIVERY_QUEUE_URL)."
  value       = { for k, q in aws_sqs_queue.work : k => q.url }
}

output "queue_dlq_urls" {
  description = "Manifest queue name -> URL of the queue's redrive dead-letter queue."
  value       = { for k, q in aws_sqs_queue.work_dlq : k => q.url }
}

output "channel_secret_prefix" {
  description = "Secrets Manager name prefix of the channel signing secrets (CHANNEL_SECRET_PREFIX): <prefix>/<tenant>/<channel id>."
  value       = local.channel_secret_prefix
}

output "api_access_log_group" {
  description = "CloudWatch log group of the API access log."
  value       = aws_cloudwatch_log_group.api_access.name
}

output "table_arn" {
  description = "DynamoDB table ARN (the restored table's, once var.restore is set)."
  value       = aws_dynamodb_table.main.arn
}

output "live_alias" {
  description = "Name of the alias every trigger invokes; scripts/rollback.sh moves it."
  value       = local.live_alias
}

output "live_versions" {
  description = "Manifest function name -> the version its live alias points at (what scripts/rollback.sh --to-previous goes back from)."
  value       = { for k, a in aws_lambda_alias.live : k => a.function_version }
}

output "published_versions" {
  description = "Manifest function name -> its newest published version (what the live alias follows unless alias_versions pins it)."
  value       = { for k, f in aws_lambda_function.fn : k => f.version }
}

output "backup_vault_name" {
  description = "AWS Backup vault that holds the table's daily backups."
  value       = aws_backup_vault.main.name
}

output "event_archive_name" {
  description = "EventBridge archive of the domain-event bus, for `aws events start-replay`."
  value       = aws_cloudwatch_event_archive.app.name
}

output "api_custom_domain_url" {
  description = "Base URL of the API under var.api_custom_domain (null without one)."
  value       = var.api_custom_domain == null ? null : "https://${aws_apigatewayv2_domain_name.api[0].domain_name}"
}

output "api_custom_domain_target" {
  description = "Where the custom domain's DNS record must point: { target_domain_name, hosted_zone_id } for a Route 53 alias record, or target_domain_name for a CNAME (null without a custom domain)."
  value = var.api_custom_domain == null ? null : {
    target_domain_name = aws_apigatewayv2_domain_name.api[0].domain_name_configuration[0].target_domain_name
    hosted_zone_id     = aws_apigatewayv2_domain_name.api[0].domain_name_configuration[0].hosted_zone_id
  }
}

# ---------------------------------------------------------------------------
# Console (console.tf)
# ---------------------------------------------------------------------------

output "console_url" {
  description = "URL of the web console (its custom domain when var.console_custom_domain is set)."
  value       = local.console_url
}

output "console_bucket_name" {
  description = "S3 bucket of the console's files: `bash scripts/package.sh console-deploy` uploads console/dist to s3://<bucket>/console/."
  value       = aws_s3_bucket.console.id
}

output "console_distribution_id" {
  description = "CloudFront distribution id of the console (for `aws cloudfront create-invalidation`)."
  value       = aws_cloudfront_distribution.console.id
}

output "console_distribution_domain" {
  description = "The distribution's cloudfront.net name and hosted zone: where var.console_custom_domain's DNS record must point (a Route 53 alias, or a CNAME to domain_name)."
  value = {
    domain_name    = aws_cloudfront_distribution.console.domain_name
    hosted_zone_id = aws_cloudfront_distribution.console.hosted_zone_id
  }
}

output "console_client_id" {
  description = "Cognito app client id of the console (code flow with PKCE, no secret); the API's authorizer accepts its ID tokens."
  value       = aws_cognito_user_pool_client.console.id
}

output "cognito_hosted_ui" {
  description = "Base URL of the Cognito hosted UI the console signs in through."
  value       = local.cognito_hosted_ui
}

output "log_bucket_name" {
  description = "S3 bucket of the access logs: s3/<console bucket>/ (S3 server access logs) and cloudfront/console/ (CloudFront standard logs)."
  value       = aws_s3_bucket.logs.id
}
