# The web console on AWS (console.tf), with mocked AWS (see
# manifest.tftest.hcl for how this runs): the private bucket behind
# CloudFront with origin access control, the security headers, config.json,
# the Cognito hosted-UI client, the API's authorizer and CORS allowlist, and
# the optional custom domain and web ACL.

mock_provider "aws" {
  source = "./tests/mocks"
}

# Distinct values where the mock defaults would make two things look alike:
# the two app clients, and the site and log buckets. File level, so every
# run sees them (runs share one state).
override_resource {
  target = aws_cognito_user_pool_client.api
  values = { id = "4apiclient567890abcdefghij" }
}
override_resource {
  target = aws_cognito_user_pool_client.console
  values = { id = "7consoleclient890abcdefghi" }
}
override_resource {
  target = aws_s3_bucket.console
  values = {
    id                          = "ofauto-test-console-123456789012-eu-west-1"
    arn                         = "arn:aws:s3:::ofauto-test-console-123456789012-eu-west-1"
    bucket_regional_domain_name = "ofauto-test-console-123456789012-eu-west-1.s3.eu-west-1.amazonaws.com"
  }
}
override_resource {
  target = aws_s3_bucket.logs
  values = {
    id                 = "ofauto-test-logs-123456789012-eu-west-1"
    arn                = "arn:aws:s3:::ofauto-test-logs-123456789012-eu-west-1"
    bucket_domain_name = "ofauto-test-logs-123456789012-eu-west-1.s3.amazonaws.com"
  }
}
override_resource {
  target = aws_cloudfront_origin_access_control.console
  values = { id = "E1OACEXAMPLE01" }
}
override_resource {
  target = aws_cloudfront_response_headers_policy.console
  values = { id = "rhp-11111111-2222-3333" }
}
override_resource {
  target = aws_cloudfront_cache_policy.console
  values = { id = "cp-44444444-5555-6666" }
}
override_data {
  target = data.aws_service_principal.console["cloudfront"]
  values = { name = "cloudfront.amazonaws.com" }
}
override_data {
  target = data.aws_service_principal.console["logging.s3"]
  values = { name = "logging.s3.amazonaws.com" }
}

variables {
  aws_region  = "eu-west-1"
  environment = "test"
}

run "defaults" {
  command = apply

  # --- The API answers CORS for the console's origin ------------------------
  assert {
    condition     = alltrue([for k, fn in aws_lambda_function.fn : fn.environment[0].variables["CORS_ALLOWED_ORIGINS"] == "https://d111111abcdef8.cloudfront.net"])
    error_message = "every function answers CORS for the console's origin"
  }

  # --- The bucket: private, encrypted, versioned, logged -------------------
  assert {
    condition     = aws_s3_bucket.console.bucket == "ofauto-test-console-123456789012-eu-west-1" && aws_s3_bucket.logs.bucket == "ofauto-test-logs-123456789012-eu-west-1"
    error_message = "bucket names are <service>-<env>-console|logs-<account>-<region>"
  }
  assert {
    condition = alltrue([
      for b in [aws_s3_bucket_public_access_block.console, aws_s3_bucket_public_access_block.logs] :
      b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets
    ])
    error_message = "both buckets block every kind of public access"
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.console.bucket == aws_s3_bucket.console.id && aws_s3_bucket_public_access_block.logs.bucket == aws_s3_bucket.logs.id
    error_message = "each public access block is on its own bucket"
  }
  assert {
    condition     = one(aws_s3_bucket_ownership_controls.console.rule).object_ownership == "BucketOwnerEnforced"
    error_message = "the site bucket has ACLs disabled"
  }
  assert {
    condition = alltrue([
      for e in [aws_s3_bucket_server_side_encryption_configuration.console, aws_s3_bucket_server_side_encryption_configuration.logs] :
      one(one(e.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    ])
    error_message = "both buckets encrypt at rest (SSE-S3)"
  }
  assert {
    condition     = aws_s3_bucket_versioning.console.versioning_configuration[0].status == "Enabled" && aws_s3_bucket_versioning.logs.versioning_configuration[0].status == "Enabled"
    error_message = "both buckets are versioned"
  }
  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.console.rule).noncurrent_version_expiration[0].noncurrent_days == 90
    error_message = "replaced console files stay restorable for 90 days by default"
  }
  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.logs.rule).expiration[0].days == 365
    error_message = "access logs are kept 365 days by default"
  }
  assert {
    condition     = aws_s3_bucket_logging.console.bucket == aws_s3_bucket.console.id && aws_s3_bucket_logging.console.target_bucket == aws_s3_bucket.logs.id && startswith(aws_s3_bucket_logging.console.target_prefix, "s3/")
    error_message = "the site bucket's server access logs go to the log bucket under s3/"
  }

  # --- Bucket policies -----------------------------------------------------
  assert {
    condition = alltrue([
      for p in [aws_s3_bucket_policy.console.policy, aws_s3_bucket_policy.logs.policy] :
      length([
        for st in jsondecode(p).Statement : st
        if st.Effect == "Deny" && st.Principal == "*" && st.Action == "s3:*" && try(st.Condition.Bool["aws:SecureTransport"], null) == "false"
      ]) == 1
    ])
    error_message = "both buckets refuse every request over plain HTTP"
  }
  assert {
    condition = [
      for st in jsondecode(aws_s3_bucket_policy.console.policy).Statement : st
      if st.Effect == "Allow"
      ] == [{
        Sid       = "CloudFrontReadsTheConsole"
        Effect    = "Allow"
        Principal = { Service = "cloudfront.amazonaws.com" }
        Action    = "s3:GetObject"
        Resource  = "arn:aws:s3:::ofauto-test-console-123456789012-eu-west-1/console/*"
        Condition = { StringEquals = { "aws:SourceArn" = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL" } }
    }]
    error_message = "the only reader of the site bucket is this distribution (OAC), GetObject only, under console/"
  }
  assert {
    condition = [
      for st in jsondecode(aws_s3_bucket_policy.logs.policy).Statement : [st.Principal.Service, st.Action, st.Resource, st.Condition.ArnLike["aws:SourceArn"]]
      if st.Effect == "Allow"
    ] == [["logging.s3.amazonaws.com", "s3:PutObject", "arn:aws:s3:::ofauto-test-logs-123456789012-eu-west-1/s3/*", "arn:aws:s3:::ofauto-test-console-123456789012-eu-west-1"]]
    error_message = "only S3 server access logging of the site bucket may write to the log bucket"
  }

  # --- CloudFront ------------------------------------------------------------
  assert {
    condition = (
      aws_cloudfront_origin_access_control.console.origin_access_control_origin_type == "s3" &&
      aws_cloudfront_origin_access_control.console.signing_behavior == "always" &&
      aws_cloudfront_origin_access_control.console.signing_protocol == "sigv4"
    )
    error_message = "origin access control signs every request to S3 with SigV4"
  }
  assert {
    condition = (
      one(aws_cloudfront_distribution.console.origin).origin_access_control_id == "E1OACEXAMPLE01" &&
      one(aws_cloudfront_distribution.console.origin).domain_name == "ofauto-test-console-123456789012-eu-west-1.s3.eu-west-1.amazonaws.com" &&
      length(one(aws_cloudfront_distribution.console.origin).s3_origin_config) == 0
    )
    error_message = "the one origin is the site bucket's regional endpoint, through OAC (no origin access identity)"
  }
  assert {
    condition = (
      aws_cloudfront_distribution.console.default_cache_behavior[0].viewer_protocol_policy == "redirect-to-https" &&
      aws_cloudfront_distribution.console.default_cache_behavior[0].compress &&
      aws_cloudfront_distribution.console.default_cache_behavior[0].allowed_methods == toset(["GET", "HEAD"]) &&
      aws_cloudfront_distribution.console.default_cache_behavior[0].cache_policy_id == "cp-44444444-5555-6666" &&
      aws_cloudfront_distribution.console.default_cache_behavior[0].response_headers_policy_id == "rhp-11111111-2222-3333"
    )
    error_message = "HTTP redirects to HTTPS, responses are compressed, read-only methods, with the console's cache and header policies"
  }
  assert {
    condition = (
      aws_cloudfront_distribution.console.http_version == "http2and3" &&
      aws_cloudfront_distribution.console.is_ipv6_enabled &&
      aws_cloudfront_distribution.console.default_root_object == "console/index.html" &&
      aws_cloudfront_distribution.console.price_class == "PriceClass_100" &&
      aws_cloudfront_distribution.console.web_acl_id == null &&
      length(aws_cloudfront_distribution.console.custom_error_response) == 0
    )
    error_message = "HTTP/2 and 3, IPv6, a default root object, no web ACL and no error mapping by default"
  }
  assert {
    condition = (
      one(aws_cloudfront_distribution.console.default_cache_behavior[0].function_association).event_type == "viewer-request" &&
      one(aws_cloudfront_distribution.console.default_cache_behavior[0].function_association).function_arn == aws_cloudfront_function.console.arn &&
      aws_cloudfront_function.console.runtime == "cloudfront-js-2.0" &&
      aws_cloudfront_function.console.publish &&
      strcontains(aws_cloudfront_function.console.code, "function handler(event)")
    )
    error_message = "the viewer-request function (redirects, app routes) is published and attached"
  }
  assert {
    condition = (
      aws_cloudfront_distribution.console.viewer_certificate[0].cloudfront_default_certificate &&
      aws_cloudfront_distribution.console.viewer_certificate[0].acm_certificate_arn == null &&
      length(aws_cloudfront_distribution.console.aliases) == 0
    )
    error_message = "without a custom domain, the cloudfront.net name and certificate are used"
  }
  assert {
    condition     = aws_cloudfront_distribution.console.logging_config[0].bucket == aws_s3_bucket.logs.bucket_domain_name && startswith(aws_cloudfront_distribution.console.logging_config[0].prefix, "cloudfront/")
    error_message = "CloudFront's standard logs go to the log bucket under cloudfront/"
  }
  assert {
    condition = (
      aws_cloudfront_cache_policy.console.min_ttl == 0 &&
      aws_cloudfront_cache_policy.console.parameters_in_cache_key_and_forwarded_to_origin[0].enable_accept_encoding_brotli &&
      aws_cloudfront_cache_policy.console.parameters_in_cache_key_and_forwarded_to_origin[0].enable_accept_encoding_gzip &&
      aws_cloudfront_cache_policy.console.parameters_in_cache_key_and_forwarded_to_origin[0].query_strings_config[0].query_string_behavior == "none"
    )
    error_message = "min_ttl 0 (so no-cache files revalidate and a deploy needs no invalidation), brotli and gzip"
  }

  # --- Security headers ----------------------------------------------------
  assert {
    condition = (
      aws_cloudfront_response_headers_policy.console.security_headers_config[0].content_security_policy[0].override &&
      split("; ", aws_cloudfront_response_headers_policy.console.security_headers_config[0].content_security_policy[0].content_security_policy) == tolist([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self' https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com https://cognito-idp.eu-west-1.amazonaws.com https://ofauto-test-123456789012.auth.eu-west-1.amazoncognito.com",
        "manifest-src 'self'",
        "worker-src 'self'",
        "frame-src 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "upgrade-insecure-requests",
      ])
    )
    error_message = "the CSP allows only the console's own files, and connections to the API and Cognito"
  }
  assert {
    condition = (
      aws_cloudfront_response_headers_policy.console.security_headers_config[0].strict_transport_security[0].access_control_max_age_sec >= 31536000 &&
      aws_cloudfront_response_headers_policy.console.security_headers_config[0].strict_transport_security[0].include_subdomains &&
      aws_cloudfront_response_headers_policy.console.security_headers_config[0].strict_transport_security[0].preload &&
      aws_cloudfront_response_headers_policy.console.security_headers_config[0].content_type_options[0].override &&
      aws_cloudfront_response_headers_policy.console.security_headers_config[0].frame_options[0].frame_option == "DENY" &&
      aws_cloudfront_response_headers_policy.console.security_headers_config[0].referrer_policy[0].referrer_policy == "no-referrer"
    )
    error_message = "HSTS (a year or more, subdomains, preload), nosniff, frame DENY and no referrer"
  }
  assert {
    condition = (
      strcontains(one([for h in aws_cloudfront_response_headers_policy.console.custom_headers_config[0].items : h.value if h.header == "Permissions-Policy"]), "camera=()") &&
      one([for h in aws_cloudfront_response_headers_policy.console.custom_headers_config[0].items : h.value if h.header == "Cross-Origin-Opener-Policy"]) == "same-origin"
    )
    error_message = "a Permissions-Policy that turns off device APIs, and COOP same-origin"
  }

  # --- config.json -----------------------------------------------------------
  assert {
    condition = (
      aws_s3_object.console_config.bucket == aws_s3_bucket.console.id &&
      aws_s3_object.console_config.key == "console/config.json" &&
      aws_s3_object.console_config.content_type == "application/json" &&
      aws_s3_object.console_config.cache_control == "no-cache"
    )
    error_message = "config.json sits beside index.html and is never served stale"
  }
  assert {
    condition = jsondecode(aws_s3_object.console_config.content) == {
      mode                     = "cognito"
      authority                = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E"
      client_id                = "7consoleclient890abcdefghi"
      api                      = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
      redirect_uri             = "https://d111111abcdef8.cloudfront.net/console/callback"
      post_logout_redirect_uri = "https://d111111abcdef8.cloudfront.net/console/sign-in"
      scope                    = "email openid profile"
      cognito_domain           = "https://ofauto-test-123456789012.auth.eu-west-1.amazoncognito.com"
      logout_url               = "https://ofauto-test-123456789012.auth.eu-west-1.amazoncognito.com/logout?client_id=7consoleclient890abcdefghi&logout_uri=https%3A%2F%2Fd111111abcdef8.cloudfront.net%2Fconsole%2Fsign-in"
    }
    error_message = "config.json names the issuer the API trusts, the console's client, the API and the registered redirect URLs"
  }

  # --- Cognito ---------------------------------------------------------------
  assert {
    condition = (
      !aws_cognito_user_pool_client.console.generate_secret &&
      aws_cognito_user_pool_client.console.allowed_oauth_flows_user_pool_client &&
      aws_cognito_user_pool_client.console.allowed_oauth_flows == toset(["code"]) &&
      contains(aws_cognito_user_pool_client.console.allowed_oauth_scopes, "openid") &&
      aws_cognito_user_pool_client.console.supported_identity_providers == toset(["COGNITO"]) &&
      aws_cognito_user_pool_client.console.explicit_auth_flows == toset(["ALLOW_REFRESH_TOKEN_AUTH"])
    )
    error_message = "the console's client is public (no secret), code flow only, through the hosted UI, with no password flows"
  }
  assert {
    condition = (
      aws_cognito_user_pool_client.console.callback_urls == toset(["https://d111111abcdef8.cloudfront.net/console/callback"]) &&
      aws_cognito_user_pool_client.console.logout_urls == toset(["https://d111111abcdef8.cloudfront.net/console/sign-in"])
    )
    error_message = "the hosted UI may return only to the console's own callback and sign-in pages"
  }
  assert {
    condition = (
      !contains(aws_cognito_user_pool_client.console.write_attributes, "custom:tenant_id") &&
      !contains(aws_cognito_user_pool_client.console.write_attributes, "custom:tier") &&
      contains(aws_cognito_user_pool_client.console.read_attributes, "custom:tenant_id")
    )
    error_message = "the console's users can read their tenant, never change it or their tier"
  }
  assert {
    condition     = aws_cognito_user_pool_domain.console.domain == "ofauto-test-123456789012" && aws_cognito_user_pool_domain.console.user_pool_id == aws_cognito_user_pool.main.id
    error_message = "the hosted UI's prefix is <service>-<env>-<account> by default"
  }
  assert {
    condition     = aws_apigatewayv2_authorizer.jwt.jwt_configuration[0].audience == toset(["4apiclient567890abcdefghij", "7consoleclient890abcdefghi"])
    error_message = "the API accepts ID tokens of both app clients, the api client's and the console's"
  }
  assert {
    condition     = local.cors_allow_origins == tolist(["https://d111111abcdef8.cloudfront.net"])
    error_message = "the console's origin is in the API's CORS allowlist"
  }

  # --- Outputs ---------------------------------------------------------------
  assert {
    condition = (
      output.console_url == "https://d111111abcdef8.cloudfront.net/console/" &&
      output.console_bucket_name == aws_s3_bucket.console.id &&
      output.console_distribution_id == "E2QWRUHAPOMQZL" &&
      output.console_client_id == "7consoleclient890abcdefghi"
    )
    error_message = "outputs: the console's URL, bucket, distribution and client"
  }
}

run "custom_domains_and_web_acl" {
  command = apply

  variables {
    console_custom_domain = {
      domain_name     = "console.example.com"
      certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    }
    api_custom_domain = {
      domain_name     = "api.example.com"
      certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/9a8b7c6d-5e4f-3210-abcd-ef0123456789"
    }
    console_web_acl_arn   = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/ofauto/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
    cors_allow_origins    = ["https://app.example.com", "https://console.example.com"]
    cognito_domain_prefix = "ofauto-sign-in"
    console_price_class   = "PriceClass_All"
  }

  assert {
    condition = (
      aws_cloudfront_distribution.console.aliases == toset(["console.example.com"]) &&
      !aws_cloudfront_distribution.console.viewer_certificate[0].cloudfront_default_certificate &&
      aws_cloudfront_distribution.console.viewer_certificate[0].acm_certificate_arn == "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789" &&
      aws_cloudfront_distribution.console.viewer_certificate[0].ssl_support_method == "sni-only" &&
      aws_cloudfront_distribution.console.viewer_certificate[0].minimum_protocol_version == "TLSv1.2_2021"
    )
    error_message = "a custom domain is served with its ACM certificate, SNI, TLS 1.2 (2021 ciphers) at least"
  }
  assert {
    condition     = aws_cloudfront_distribution.console.web_acl_id == var.console_web_acl_arn && aws_cloudfront_distribution.console.price_class == "PriceClass_All"
    error_message = "the web ACL and price class are the ones given"
  }
  assert {
    condition     = output.console_url == "https://console.example.com/console/" && aws_cognito_user_pool_client.console.callback_urls == toset(["https://console.example.com/console/callback"])
    error_message = "the console's URL and Cognito's callback use the custom domain"
  }
  assert {
    condition     = local.cors_allow_origins == tolist(["https://app.example.com", "https://console.example.com"])
    error_message = "the CORS allowlist keeps the given origins first, and names the console's once"
  }
  assert {
    condition = (
      jsondecode(aws_s3_object.console_config.content).api == "https://api.example.com" &&
      strcontains(aws_cloudfront_response_headers_policy.console.security_headers_config[0].content_security_policy[0].content_security_policy, "connect-src 'self' https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com https://api.example.com https://cognito-idp.eu-west-1.amazonaws.com https://ofauto-sign-in.auth.eu-west-1.amazoncognito.com;")
    )
    error_message = "with an API domain, the console calls it, and the CSP allows it and the chosen hosted-UI prefix"
  }
}

run "rejects_a_certificate_outside_us_east_1" {
  command = plan

  variables {
    console_custom_domain = {
      domain_name     = "console.example.com"
      certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    }
  }
  expect_failures = [var.console_custom_domain]
}

run "rejects_a_regional_web_acl" {
  command = plan

  variables {
    console_web_acl_arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/ofauto/a1b2c3d4"
  }
  expect_failures = [var.console_web_acl_arn]
}

run "rejects_a_hosted_ui_prefix_cognito_refuses" {
  command = plan

  variables {
    cognito_domain_prefix = "ofauto-aws-login"
  }
  expect_failures = [var.cognito_domain_prefix]
}

run "refuses_a_default_hosted_ui_prefix_cognito_refuses" {
  command = plan

  variables {
    environment = "aws-dev"
  }
  expect_failures = [aws_cognito_user_pool_domain.console]
}

run "refuses_a_bucket_name_over_63_characters" {
  command = plan

  variables {
    environment = "production-euro1"
    aws_region  = "xx-extraordinarilylong-1"
  }
  expect_failures = [aws_s3_bucket.console, aws_s3_bucket.logs]
}
