# Identity: a Cognito user pool issues the JWTs the API's authorizer checks.
#
# Tenancy lives in the immutable custom attribute custom:tenant_id. It is set
# by an administrator when the user is created (AdminCreateUser) and can
# never be changed afterwards, and the app client cannot write it, so a user
# cannot move themselves into another tenant. Roles are the groups admin,
# editor and viewer, which Cognito puts in the cognito:groups claim. The
# optional custom:tier picks the tenant's rate-limit tier.
#
# Clients call the API with the ID token: it carries custom:tenant_id and
# cognito:groups, and its aud claim is the app client id the authorizer
# expects.

resource "aws_cognito_user_pool" "main" {
  name                = local.name_prefix
  deletion_protection = var.cognito_deletion_protection ? "ACTIVE" : "INACTIVE"

  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]

  username_configuration {
    case_sensitive = false
  }

  # No self sign-up: a self-registered user would have no tenant.
  admin_create_user_config {
    allow_admin_create_user_only = true
  }

  password_policy {
    minimum_length                   = 12
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = true
    temporary_password_validity_days = 3
  }

  mfa_configuration = var.cognito_mfa_configuration

  dynamic "software_token_mfa_configuration" {
    for_each = var.cognito_mfa_configuration == "OFF" ? [] : [1]
    content {
      enabled = true
    }
  }

  # Cognito's own mailer sends at most 50 messages a day, too few once real
  # users reset passwords; var.cognito_ses_email sends through your SES
  # identity instead.
  email_configuration {
    email_sending_account  = var.cognito_ses_email == null ? "COGNITO_DEFAULT" : "DEVELOPER"
    source_arn             = try(var.cognito_ses_email.source_arn, null)
    from_email_address     = try(var.cognito_ses_email.from_address, null)
    reply_to_email_address = try(var.cognito_ses_email.reply_to_address, null)
    configuration_set      = try(var.cognito_ses_email.configuration_set, null)
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }

  user_attribute_update_settings {
    attributes_require_verification_before_update = ["email"]
  }

  schema {
    name                     = "tenant_id"
    attribute_data_type      = "String"
    mutable                  = false
    required                 = false
    developer_only_attribute = false

    string_attribute_constraints {
      min_length = 1
      max_length = 64
    }
  }

  # Rate-limit tier (a name in var.rate_limit_tiers). Mutable, so an
  # administrator can move a tenant's users to another tier; like the tenant,
  # the app client cannot write it. Absent means "standard".
  schema {
    name                     = "tier"
    attribute_data_type      = "String"
    mutable                  = true
    required                 = false
    developer_only_attribute = false

    string_attribute_constraints {
      min_length = 1
      max_length = 32
    }
  }
}

resource "aws_cognito_user_pool_client" "api" {
  name         = "${local.name_prefix}-api"
  user_pool_id = aws_cognito_user_pool.main.id

  generate_secret = false
  # SRP for apps; ADMIN_USER_PASSWORD_AUTH needs IAM credentials
  # (AdminInitiateAuth), so only operators and server-side tools can use it,
  # e.g. for the smoke test in the README.
  explicit_auth_flows = [
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
  ]
  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation       = true

  id_token_validity      = var.token_validity_minutes
  access_token_validity  = var.token_validity_minutes
  refresh_token_validity = var.refresh_token_validity_days

  token_validity_units {
    id_token      = "minutes"
    access_token  = "minutes"
    refresh_token = "days"
  }

  read_attributes = ["email", "email_verified", "custom:tenant_id", "custom:tier"]
  # custom:tenant_id and custom:tier are deliberately absent: users cannot
  # write their tenant or their rate-limit tier.
  write_attributes = ["email"]
}

# The web console's client (console.tf): a public browser app, so no secret,
# and only the authorization code flow through the hosted UI (the app sends
# a PKCE challenge, which Cognito then checks when the code is redeemed).
# No direct sign-in flows: passwords are typed into Cognito's page, never
# into the app. Its ID tokens are accepted by the API's authorizer like the
# api client's (api.tf, audience).
resource "aws_cognito_user_pool_client" "console" {
  name         = "${local.name_prefix}-console"
  user_pool_id = aws_cognito_user_pool.main.id

  generate_secret                      = false
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = ["openid", "email", "profile"]
  supported_identity_providers         = ["COGNITO"]
  callback_urls                        = [local.console_callback_url]
  logout_urls                          = [local.console_signed_out_url]
  default_redirect_uri                 = local.console_callback_url
  explicit_auth_flows                  = ["ALLOW_REFRESH_TOKEN_AUTH"]
  prevent_user_existence_errors        = "ENABLED"
  enable_token_revocation              = true
  # Minutes a hosted-UI sign-in (password, then MFA) may take.
  auth_session_validity = 5

  id_token_validity      = var.token_validity_minutes
  access_token_validity  = var.token_validity_minutes
  refresh_token_validity = var.refresh_token_validity_days

  token_validity_units {
    id_token      = "minutes"
    access_token  = "minutes"
    refresh_token = "days"
  }

  # As for the api client: the tenant and tier are readable, never writable.
  read_attributes  = ["email", "email_verified", "custom:tenant_id", "custom:tier"]
  write_attributes = ["email"]
}

resource "aws_cognito_user_group" "role" {
  for_each = {
    admin  = { precedence = 1, description = "Read, write, and manage channels." }
    editor = { precedence = 2, description = "Read and write events, posts and automations." }
    viewer = { precedence = 3, description = "Read only." }
  }

  name         = each.key
  user_pool_id = aws_cognito_user_pool.main.id
  precedence   = each.value.precedence
  description  = each.value.description
}
