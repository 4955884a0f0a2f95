# HTTP API: one route, integration and invoke permission per manifest http
# function. Routes with auth "jwt" go through the Cognito JWT authorizer;
# routes with auth "none" are public by contract (GET /health and the
# $default catch-all that answers 404/405).

resource "aws_apigatewayv2_api" "http" {
  name          = local.name_prefix
  description   = "OFAuto public HTTP API (${var.environment})."
  protocol_type = "HTTP"

  # No cors_configuration: CORS is the functions' job (shared crate, from
  # CORS_ALLOWED_ORIGINS). Gateway-level CORS would answer preflights itself
  # and override the headers the functions set. Preflights (OPTIONS) match no
  # method route and reach the public $default function.
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  api_id           = aws_apigatewayv2_api.http.id
  name             = "cognito-jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    audience = [aws_cognito_user_pool_client.api.id]
    issuer   = "https://cognito-idp.${local.region}.amazonaws.com/${aws_cognito_user_pool.main.id}"
  }
}

resource "aws_apigatewayv2_integration" "fn" {
  for_each = local.http_functions

  api_id                 = aws_apigatewayv2_api.http.id
  description            = "${local.route_keys[each.key]} -> ${aws_lambda_function.fn[each.key].function_name}"
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = aws_lambda_function.fn[each.key].invoke_arn
  payload_format_version = "2.0"
  # A little longer than the function's own timeout, so a slow function
  # surfaces as its own timeout error in its logs, not as a gateway 503.
  timeout_milliseconds = min(30000, (each.value.timeout_s + 1) * 1000)
}

resource "aws_apigatewayv2_route" "jwt" {
  for_each = local.jwt_routes

  api_id             = aws_apigatewayv2_api.http.id
  route_key          = local.route_keys[each.key]
  target             = "integrations/${aws_apigatewayv2_integration.fn[each.key].id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.jwt.id
}

resource "aws_apigatewayv2_route" "public" {
  #checkov:skip=CKV_AWS_309:Only manifest routes with auth "none" land here: GET /health (unauthenticated by the API contract, for load balancers and uptime checks) and the $default catch-all that answers 404/405 without touching data. Every other route is in aws_apigatewayv2_route.jwt.
  for_each = local.public_routes

  api_id             = aws_apigatewayv2_api.http.id
  route_key          = local.route_keys[each.key]
  target             = "integrations/${aws_apigatewayv2_integration.fn[each.key].id}"
  authorization_type = "NONE"
}

resource "aws_cloudwatch_log_group" "api_access" {
  name              = "/aws/apigateway/${local.name_prefix}/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.http.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_rate_limit    = var.api_throttling_rate_limit
    throttling_burst_limit   = var.api_throttling_burst_limit
    detailed_metrics_enabled = var.api_detailed_metrics
  }

  # One JSON line per request. requestId matches the functions' logs
  # (lambda_http passes it through), authorizerError says why a 401 was given.
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      extendedRequestId  = "$context.extendedRequestId"
      requestTime        = "$context.requestTime"
      ip                 = "$context.identity.sourceIp"
      userAgent          = "$context.identity.userAgent"
      httpMethod         = "$context.httpMethod"
      path               = "$context.path"
      routeKey           = "$context.routeKey"
      protocol           = "$context.protocol"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      responseLatency    = "$context.responseLatency"
      integrationLatency = "$context.integrationLatency"
      integrationStatus  = "$context.integrationStatus"
      integrationError   = "$context.integrationErrorMessage"
      authorizerError    = "$context.authorizer.error"
      principal          = "$context.authorizer.claims.sub"
    })
  }
}

resource "aws_lambda_permission" "api" {
  for_each = local.http_functions

  statement_id  = "AllowApiGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.fn[each.key].function_name
  principal     = "apigateway.amazonaws.com"
  # Only this API, only this function's own route (any stage).
  source_arn = (
    each.value.trigger.path == "$default"
    ? "${aws_apigatewayv2_api.http.execution_arn}/*/$default"
    : "${aws_apigatewayv2_api.http.execution_arn}/*/${each.value.trigger.method == "ANY" ? "*" : upper(each.value.trigger.method)}${each.value.trigger.path}"
  )
}
