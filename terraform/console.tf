# The web console (console/, a static single-page app) on AWS: a private S3
# bucket read only by one CloudFront distribution through origin access
# control, with the security headers the app needs, a Cognito hosted-UI
# domain and app client to sign in with, and the console's origin in the
# API's CORS allowlist.
#
# The console lives under /console/, the path it has on the local stack, so
# the same build works in both places. Bucket keys mirror the URL path:
# console/index.html, console/assets/..., console/config.json.
#
# Who writes what into the bucket:
#   - config.json (authority, client id, API URL...) is written here, as an
#     aws_s3_object, because only Terraform knows those values.
#   - The built files (console/dist) are uploaded by
#     `bash scripts/package.sh console-deploy` after an apply, not by
#     Terraform. Reasons: apply must keep working on a machine without a
#     console build (the artifact-bucket deploy needs no build at all), and a
#     missing or empty console/dist must never plan the deletion of the live
#     site; the upload script also orders the upload (hashed assets first,
#     index.html after them) so that no visitor gets an index.html whose
#     assets are not there yet. DEPLOYMENT.md, "Console", has the details.

locals {
  console_prefix = "console"

  # The console's origin and URL: the custom domain when given, else the
  # distribution's own cloudfront.net name.
  console_origin = (
    var.console_custom_domain == null
    ? "https://${aws_cloudfront_distribution.console.domain_name}"
    : "https://${var.console_custom_domain.domain_name}"
  )
  console_url = "${local.console_origin}/${local.console_prefix}/"
  # The app's own routes (console/src/auth.ts): the hosted UI returns to
  # callback with ?code=&state=, and sign-out lands on sign-in. Cognito
  # accepts only redirect URLs registered on the client, exactly.
  console_callback_url   = "${local.console_url}callback"
  console_signed_out_url = "${local.console_url}sign-in"

  # Bucket names are global: account and region make them unique. The
  # lifecycle preconditions below check the 63-character limit.
  console_bucket_name = "${local.name_prefix}-console-${local.account_id}-${local.region}"
  logs_bucket_name    = "${local.name_prefix}-logs-${local.account_id}-${local.region}"

  # Where the browser talks to: the API (its execute-api origin, and the
  # custom domain when there is one) and Cognito (the OIDC discovery document
  # on cognito-idp, the token, userinfo and revocation endpoints on the
  # hosted-UI domain).
  api_origins = concat(
    [trimsuffix(aws_apigatewayv2_api.http.api_endpoint, "/")],
    var.api_custom_domain == null ? [] : ["https://${var.api_custom_domain.domain_name}"],
  )
  console_api_url       = var.api_custom_domain == null ? trimsuffix(aws_apigatewayv2_api.http.api_endpoint, "/") : "https://${var.api_custom_domain.domain_name}"
  cognito_idp_origin    = "https://cognito-idp.${local.region}.${local.dns_suffix}"
  cognito_domain_prefix = coalesce(var.cognito_domain_prefix, "${local.name_prefix}-${local.account_id}")
  cognito_hosted_ui     = "https://${aws_cognito_user_pool_domain.console.domain}.auth.${local.region}.amazoncognito.com"

  # No inline script or style, no eval, no frames, nothing from another
  # origin but the API and Cognito. img-src allows data: for the SVG icons
  # bundled into the CSS.
  console_csp = join("; ", [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src ${join(" ", concat(["'self'"], local.api_origins, [local.cognito_idp_origin, local.cognito_hosted_ui]))}",
    "manifest-src 'self'",
    "worker-src 'self'",
    "frame-src 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
    "base-uri 'self'",
    "upgrade-insecure-requests",
  ])

  # What the app reads at start (console/config.json); one build serves every
  # deployment. authority is the issuer the API's authorizer trusts.
  console_config = {
    mode                     = "cognito"
    authority                = aws_apigatewayv2_authorizer.jwt.jwt_configuration[0].issuer
    client_id                = aws_cognito_user_pool_client.console.id
    api                      = local.console_api_url
    redirect_uri             = local.console_callback_url
    post_logout_redirect_uri = local.console_signed_out_url
    scope                    = join(" ", aws_cognito_user_pool_client.console.allowed_oauth_scopes)
    cognito_domain           = local.cognito_hosted_ui
    # Cognito's discovery document names no end_session_endpoint: the app
    # signs out by navigating here.
    logout_url = "${local.cognito_hosted_ui}/logout?client_id=${aws_cognito_user_pool_client.console.id}&logout_uri=${urlencode(local.console_signed_out_url)}"
  }

  # The API's browser allowlist (CORS_ALLOWED_ORIGINS of every function):
  # what var.cors_allow_origins lists, and the console.
  cors_allow_origins = distinct(concat(var.cors_allow_origins, [local.console_origin]))
}

data "aws_service_principal" "console" {
  for_each = toset(["cloudfront", "logging.s3"])

  service_name = each.key
  region       = var.aws_region
}

# ---------------------------------------------------------------------------
# Sign-in: the Cognito hosted UI. The app client is in cognito.tf.
# ---------------------------------------------------------------------------

resource "aws_cognito_user_pool_domain" "console" {
  domain       = local.cognito_domain_prefix
  user_pool_id = aws_cognito_user_pool.main.id

  lifecycle {
    # The default prefix contains the environment's name, which
    # var.environment's own validation does not hold to Cognito's rules.
    precondition {
      condition     = length(local.cognito_domain_prefix) <= 63 && !can(regex("aws|amazon|cognito", local.cognito_domain_prefix))
      error_message = "Cognito refuses the hosted-UI prefix ${local.cognito_domain_prefix} (it may not contain aws, amazon or cognito): set cognito_domain_prefix."
    }
  }
}

# ---------------------------------------------------------------------------
# The site bucket
# ---------------------------------------------------------------------------

resource "aws_s3_bucket" "console" {
  #checkov:skip=CKV_AWS_144:Cross-region replication would copy a build that is rebuilt from git in minutes (and config.json, which Terraform rewrites); a region outage is answered by deploying the stack elsewhere, not by a replica of static files.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to uploads: the only writers are Terraform (config.json) and scripts/package.sh console-deploy, and the access log records every request.
  #checkov:skip=CKV_AWS_145:The bucket holds only files that CloudFront serves to anyone (the app and its public config), encrypted with SSE-S3; a KMS key would add a key policy for CloudFront and a KMS call per cache miss without protecting anything secret.
  bucket = local.console_bucket_name

  lifecycle {
    precondition {
      condition     = length(local.console_bucket_name) <= 63
      error_message = "The console bucket name ${local.console_bucket_name} is over S3's 63 characters: use a shorter environment name."
    }
  }
}

resource "aws_s3_bucket_public_access_block" "console" {
  bucket = aws_s3_bucket.console.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "console" {
  bucket = aws_s3_bucket.console.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "console" {
  bucket = aws_s3_bucket.console.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "console" {
  bucket = aws_s3_bucket.console.id

  versioning_configuration {
    status = "Enabled"
  }
}

# Replaced and deleted files stay restorable for
# var.console_noncurrent_version_days (a rollback by hand, DEPLOYMENT.md).
resource "aws_s3_bucket_lifecycle_configuration" "console" {
  bucket = aws_s3_bucket.console.id

  rule {
    id     = "expire-replaced-versions"
    status = "Enabled"
    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.console_noncurrent_version_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.console]
}

resource "aws_s3_bucket_logging" "console" {
  bucket        = aws_s3_bucket.console.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3/${aws_s3_bucket.console.id}/"
}

# Reads only through this distribution (origin access control signs them),
# and nothing at all over plain HTTP. No s3:ListBucket: a missing file is a
# 403, never a listing.
resource "aws_s3_bucket_policy" "console" {
  bucket = aws_s3_bucket.console.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.console.arn, "${aws_s3_bucket.console.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "CloudFrontReadsTheConsole"
        Effect    = "Allow"
        Principal = { Service = data.aws_service_principal.console["cloudfront"].name }
        Action    = "s3:GetObject"
        Resource  = "${aws_s3_bucket.console.arn}/${local.console_prefix}/*"
        Condition = { StringEquals = { "aws:SourceArn" = aws_cloudfront_distribution.console.arn } }
      },
    ]
  })

  # A policy with a public principal is refused while the block is being set.
  depends_on = [aws_s3_bucket_public_access_block.console]
}

resource "aws_s3_object" "console_config" {
  bucket        = aws_s3_bucket.console.id
  key           = "${local.console_prefix}/config.json"
  content       = jsonencode(local.console_config)
  content_type  = "application/json"
  cache_control = "no-cache"

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.console, aws_s3_bucket_versioning.console]
}

# ---------------------------------------------------------------------------
# The access-log bucket: S3 server access logs of the site bucket (s3/) and
# CloudFront's standard logs (cloudfront/).
# ---------------------------------------------------------------------------

resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_144:Access logs are kept for investigation in the region they happened in; replicating them doubles their cost for no recovery benefit.
  #checkov:skip=CKV2_AWS_62:Log files are read by people and Athena on demand; nothing needs to react to each delivery.
  #checkov:skip=CKV_AWS_145:S3 server access logging delivers only into buckets encrypted with SSE-S3 (SSE-KMS destinations are not supported), so this bucket uses SSE-S3.
  bucket = local.logs_bucket_name

  lifecycle {
    precondition {
      condition     = length(local.logs_bucket_name) <= 63
      error_message = "The log bucket name ${local.logs_bucket_name} is over S3's 63 characters: use a shorter environment name."
    }
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket = aws_s3_bucket.logs.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  #checkov:skip=CKV2_AWS_65:CloudFront standard logging writes with object ACLs (the awslogsdelivery account), which BucketOwnerEnforced would refuse; BucketOwnerPreferred still makes this account own every log object.
  bucket = aws_s3_bucket.logs.id

  rule {
    object_ownership = "BucketOwnerPreferred"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    id     = "expire-logs"
    status = "Enabled"
    filter {}

    expiration {
      days = var.console_log_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.logs]
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.logs.arn, "${aws_s3_bucket.logs.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        # S3 server access logging, for the site bucket only.
        Sid       = "S3ServerAccessLogs"
        Effect    = "Allow"
        Principal = { Service = data.aws_service_principal.console["logging.s3"].name }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.logs.arn}/s3/*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = aws_s3_bucket.console.arn }
        }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.logs]
}

# ---------------------------------------------------------------------------
# CloudFront
# ---------------------------------------------------------------------------

resource "aws_cloudfront_origin_access_control" "console" {
  name                              = "${local.name_prefix}-console"
  description                       = "CloudFront signs its reads of the console bucket."
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

# The cache follows the files' own Cache-Control (the upload sets a year,
# immutable, on hashed assets and no-cache on index.html and config.json);
# min_ttl 0 lets no-cache mean revalidate, so a deploy needs no
# invalidation. Query strings, cookies and headers are not part of a static
# file: the OIDC callback's ?code=&state= stays in the browser.
resource "aws_cloudfront_cache_policy" "console" {
  name        = "${local.name_prefix}-console"
  comment     = "OFAuto console: honour the files' Cache-Control, compress."
  min_ttl     = 0
  default_ttl = 86400
  max_ttl     = 31536000

  parameters_in_cache_key_and_forwarded_to_origin {
    enable_accept_encoding_brotli = true
    enable_accept_encoding_gzip   = true

    cookies_config {
      cookie_behavior = "none"
    }
    headers_config {
      header_behavior = "none"
    }
    query_strings_config {
      query_string_behavior = "none"
    }
  }
}

resource "aws_cloudfront_response_headers_policy" "console" {
  name    = "${local.name_prefix}-console"
  comment = "OFAuto console: CSP, HSTS and the other security headers."

  security_headers_config {
    content_security_policy {
      content_security_policy = local.console_csp
      override                = true
    }
    strict_transport_security {
      access_control_max_age_sec = 63072000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }
    content_type_options {
      override = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
    referrer_policy {
      referrer_policy = "no-referrer"
      override        = true
    }
    # X-XSS-Protection: 0. The old filter is itself a source of leaks; the
    # CSP is the protection.
    xss_protection {
      protection = false
      override   = true
    }
  }

  custom_headers_config {
    items {
      header   = "Permissions-Policy"
      value    = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
      override = true
    }
    items {
      header   = "Cross-Origin-Opener-Policy"
      value    = "same-origin"
      override = true
    }
    items {
      header   = "Cross-Origin-Resource-Policy"
      value    = "same-origin"
      override = true
    }
  }
}

# Viewer request: / goes to /console/, and a /console/ path whose last
# segment has no dot (the app's own routes, the OIDC callback) is answered
# with index.html. Files keep their path, so a missing asset is a 403, not
# an HTML page with status 200; that is why there is no custom error mapping.
resource "aws_cloudfront_function" "console" {
  name    = "${local.name_prefix}-console"
  runtime = "cloudfront-js-2.0"
  comment = "OFAuto console: redirect / and serve index.html for app routes."
  publish = true
  code    = file("${path.module}/console/viewer-request.js")
}

resource "aws_cloudfront_distribution" "console" {
  #checkov:skip=CKV2_AWS_47:A web ACL is optional (var.console_web_acl_arn, the operator's, in us-east-1), and there is no Java (Log4j) behind a static S3 origin: nothing an AMR rule set could protect.
  #checkov:skip=CKV_AWS_310:One origin by design: the bucket is regional and versioned, and a second origin would need a replica (see the bucket's CKV_AWS_144 reason).
  #checkov:skip=CKV_AWS_374:The console is for OFAuto's tenants wherever they are; access is controlled by Cognito sign-in, not by country.
  enabled             = true
  comment             = "${local.name_prefix} console"
  is_ipv6_enabled     = true
  http_version        = "http2and3"
  price_class         = var.console_price_class
  default_root_object = "${local.console_prefix}/index.html"
  aliases             = var.console_custom_domain == null ? [] : [var.console_custom_domain.domain_name]
  web_acl_id          = var.console_web_acl_arn

  origin {
    origin_id                = "console-bucket"
    domain_name              = aws_s3_bucket.console.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.console.id
  }

  default_cache_behavior {
    target_origin_id           = "console-bucket"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = aws_cloudfront_cache_policy.console.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.console.id

    function_association {
      event_type   = "viewer-request"
      function_arn = aws_cloudfront_function.console.arn
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = var.console_custom_domain == null
    acm_certificate_arn            = try(var.console_custom_domain.certificate_arn, null)
    ssl_support_method             = var.console_custom_domain == null ? null : "sni-only"
    minimum_protocol_version       = var.console_custom_domain == null ? "TLSv1" : "TLSv1.2_2021"
  }

  logging_config {
    bucket          = aws_s3_bucket.logs.bucket_domain_name
    prefix          = "cloudfront/${local.console_prefix}/"
    include_cookies = false
  }

  # CloudFront's standard logging needs the log bucket's ACLs enabled first.
  depends_on = [aws_s3_bucket_ownership_controls.logs]
}
