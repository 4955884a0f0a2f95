# Mocked AWS for every `terraform test` file here (mock_provider "aws" {
# source = "./tests/mocks" }): the computed values the assertions compare
# against, shaped like the real ones (ARNs, URLs, ids) so that string
# handling in the configuration is exercised. Anything not listed gets a
# random value from the test framework.

mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012" }
}
mock_data "aws_partition" {
  defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
}
mock_data "aws_iam_policy_document" {
  defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
}
mock_resource "aws_kms_key" {
  defaults = { arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555", key_id = "11111111-2222-3333-4444-555555555555" }
}
mock_resource "aws_dynamodb_table" {
  defaults = {
    arn        = "arn:aws:dynamodb:eu-west-1:123456789012:table/ofauto-test"
    stream_arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/ofauto-test/stream/2025-01-01T00:00:00.000"
  }
}
mock_resource "aws_secretsmanager_secret" {
  defaults = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ofauto-test/cursor-signing-key-AbCdEf" }
}
mock_resource "aws_cloudwatch_event_bus" {
  defaults = { arn = "arn:aws:events:eu-west-1:123456789012:event-bus/ofauto-test-app" }
}
mock_resource "aws_cloudwatch_event_rule" {
  defaults = { arn = "arn:aws:events:eu-west-1:123456789012:rule/ofauto-test-x" }
}
mock_resource "aws_cloudwatch_log_group" {
  defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/x" }
}
mock_resource "aws_iam_role" {
  defaults = { arn = "arn:aws:iam::123456789012:role/ofauto-test-x" }
}
mock_resource "aws_lambda_function" {
  defaults = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:ofauto-test-x"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:ofauto-test-x/invocations"
    version    = "7"
  }
}
mock_resource "aws_lambda_alias" {
  defaults = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:ofauto-test-x:live"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:ofauto-test-x:live/invocations"
  }
}
mock_resource "aws_sqs_queue" {
  defaults = { arn = "arn:aws:sqs:eu-west-1:123456789012:ofauto-test-x-dlq", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/ofauto-test-x-dlq" }
}
mock_resource "aws_sns_topic" {
  defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:ofauto-test-alarms" }
}
mock_resource "aws_cognito_user_pool" {
  defaults = { id = "eu-west-1_Ab12Cd34E", arn = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Ab12Cd34E" }
}
mock_resource "aws_apigatewayv2_api" {
  defaults = { id = "a1b2c3d4e5", execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5", api_endpoint = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com" }
}

# The principals the provider computes for the commercial partition (the
# mock would otherwise return random names).
override_data {
  target = data.aws_service_principal.this["apigateway"]
  values = { name = "apigateway.amazonaws.com" }
}
override_data {
  target = data.aws_service_principal.this["backup"]
  values = { name = "backup.amazonaws.com" }
}
override_data {
  target = data.aws_service_principal.this["cloudwatch"]
  values = { name = "cloudwatch.amazonaws.com" }
}
override_data {
  target = data.aws_service_principal.this["events"]
  values = { name = "events.amazonaws.com" }
}
override_data {
  target = data.aws_service_principal.this["lambda"]
  values = { name = "lambda.amazonaws.com" }
}
