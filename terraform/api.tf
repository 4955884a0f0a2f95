# HTTP API: one route, integration and invoke permission per manifest http
# function, each on the function's "live" alias. Routes with auth "jwt" go through the Cognito JWT authorizer;
# routes with auth "none" are public by contract (GET /health and the
# $default catch-all that answers 404/405).

resource "aws_apigatewayv2_api" "http" {
  name          = local.name_prefix
  description   = "OFAuto public HTTP API (${var.environment})."
  protocol_type = "HTTP"

  # No cors_configuration: CORS is the functions' job (shared crate, from
  # CORS_ALLOWED_ORIGINS = local.cors_allow_origins, which is
  # var.cors_allow_origins plus the console's origin, console.tf).
  # Gateway-level CORS would answer preflights itself and override the
  # headers the functions set, so the allowlist lives in one place only.
  # Preflights (OPTIONS) match no method route and reach the public $default
  # function.
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  api_id           = aws_apigatewayv2_api.http.id
  name             = "cognito-jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    # The API's own client and the web console's (cognito.tf).
    audience = [aws_cognito_user_pool_client.api.id, aws_cognito_user_pool_client.console.id]
    issuer   = "https://cognito-idp.${local.region}.${local.dns_suffix}/${aws_cognito_user_pool.main.id}"
  }
}

resource "aws_apigatewayv2_integration" "fn" {
  for_each = local.http_functions

  api_id                 = aws_apigatewayv2_api.http.id
  description            = "${local.route_keys[each.key]} -> ${aws_lambda_function.fn[each.key].function_name}:${local.live_alias}"
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = aws_lambda_alias.live[each.key].invoke_arn
  payload_format_version = "2.0"
  # A little longer than the function's own timeout, so a slow function
  # surfaces as its own timeout error in its logs, not as a gateway 503.
  timeout_milliseconds = min(30000, (each.value.timeout_s + 1) * 1000)

  # The route answers 500 for as long as the alias may not be invoked, so the
  # permission goes first (it matters when an existing stack moves from the
  # function to the alias).
  depends_on = [aws_lambda_permission.api]
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

  # The stage is what makes the routes reachable. Every route that lists or
  # pages signs cursors with the key in Secrets Manager, so the API goes live
  # only once the key has a value.
  depends_on = [aws_secretsmanager_secret_version.cursor_signing_key]

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

  statement_id_prefix = "AllowApiGatewayInvoke-"
  action              = "lambda:InvokeFunction"
  function_name       = aws_lambda_function.fn[each.key].function_name
  qualifier           = aws_lambda_alias.live[each.key].name
  principal           = local.service_principals["apigateway"]
  # Only this API, only this function's own route (any stage).
  source_arn = (
    each.value.trigger.path == "$default"
    ? "${aws_apigatewayv2_api.http.execution_arn}/*/$default"
    : "${aws_apigatewayv2_api.http.execution_arn}/*/${each.value.trigger.method == "ANY" ? "*" : upper(each.value.trigger.method)}${each.value.trigger.path}"
  )

  # A replaced permission (a new route, a new qualifier) is granted before the
  # old one is revoked, so the route never answers 500 in between; the prefix
  # gives the two statements different ids.
  lifecycle {
    create_before_destroy = true
  }
}

# ---------------------------------------------------------------------------
# Optional custom domain (var.api_custom_domain): the API under your own name,
# with an ACM certificate of this region. Point a DNS alias (Route 53) or a
# CNAME at output api_custom_domain_target; the execute-api URL keeps working.
# ---------------------------------------------------------------------------

resource "aws_apigatewayv2_domain_name" "api" {
  count = var.api_custom_domain == null ? 0 : 1

  domain_name = var.api_custom_domain.domain_name

  domain_name_configuration {
    certificate_arn = var.api_custom_domain.certificate_arn
    endpoint_type   = "REGIONAL"
    security_policy = "TLS_1_2"
  }
}

resource "aws_apigatewayv2_api_mapping" "api" {
  count = var.api_custom_domain == null ? 0 : 1

  api_id      = aws_apigatewayv2_api.http.id
  domain_name = aws_apigatewayv2_domain_name.api[0].id
  stage       = aws_apigatewayv2_stage.default.id
}
