# HMAC key that signs pagination cursors (CURSOR_SECRET_ID).
#
# The value comes from an ephemeral random_password and is written with a
# write-only argument, so it never appears in the plan or the state file.
# Rotation: bump var.cursor_signing_key_version and apply. Outstanding
# cursors then fail verification (400) and clients restart the listing;
# nothing else depends on the key.

ephemeral "random_password" "cursor_signing_key" {
  length  = 64
  special = false
}

resource "aws_secretsmanager_secret" "cursor_signing_key" {
  #checkov:skip=CKV2_AWS_57:Rotation is operator-driven (bump var.cursor_signing_key_version, see README). A rotation Lambda would only invalidate in-flight pagination cursors on a timer, which buys no security over the manual path for a key that never leaves AWS.
  name                    = "${local.name_prefix}/cursor-signing-key"
  description             = "HMAC-SHA256 key that signs pagination cursors (64 alphanumeric characters, used as raw bytes)."
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = var.secret_recovery_window_days
}

resource "aws_secretsmanager_secret_version" "cursor_signing_key" {
  secret_id                = aws_secretsmanager_secret.cursor_signing_key.id
  secret_string_wo         = ephemeral.random_password.cursor_signing_key.result
  secret_string_wo_version = var.cursor_signing_key_version
}
