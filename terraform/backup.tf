# Daily AWS Backup of the table, on top of its point-in-time recovery.
#
# PITR restores to any second of the last var.pitr_recovery_period_days, but
# it lives and dies with the table's account, region and key. The backups
# here are kept longer (var.backup_retention_days), in a vault with a key of
# its own, and, with var.backup_copy_vault_arn, copied to a vault in another
# region or account. Restoring from either: DEPLOYMENT.md, "Restore".

# A key of their own: scheduling the stack's main key for deletion must not
# also make every backup unreadable.
resource "aws_kms_key" "backup" {
  description             = "${local.name_prefix}: AWS Backup vault"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Use of the key is granted through IAM (the backup role below and
        # the operators' own roles), as for the main key.
        Sid       = "AccountRootDelegatesToIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
    ]
  })
}

resource "aws_kms_alias" "backup" {
  name          = "alias/${local.name_prefix}-backup"
  target_key_id = aws_kms_key.backup.key_id
}

resource "aws_backup_vault" "main" {
  name        = "${local.name_prefix}-backup"
  kms_key_arn = aws_kms_key.backup.arn
}

resource "aws_backup_plan" "main" {
  name = "${local.name_prefix}-daily"

  rule {
    rule_name         = "daily"
    target_vault_name = aws_backup_vault.main.name
    schedule          = var.backup_schedule
    # Start within an hour of the schedule, finish within a day.
    start_window      = 60
    completion_window = 1440

    lifecycle {
      delete_after = var.backup_retention_days
    }

    dynamic "copy_action" {
      for_each = var.backup_copy_vault_arn == null ? [] : [var.backup_copy_vault_arn]
      content {
        destination_vault_arn = copy_action.value
        lifecycle {
          delete_after = var.backup_retention_days
        }
      }
    }

    recovery_point_tags = {
      Service     = local.manifest.service
      Environment = var.environment
    }
  }
}

data "aws_iam_policy_document" "backup_assume" {
  statement {
    sid     = "AwsBackupAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = [local.service_principals["backup"]]
    }
  }
}

resource "aws_iam_role" "backup" {
  name                 = "${local.name_prefix}-backup"
  description          = "AWS Backup: back up and restore the ${local.name_prefix} table."
  assume_role_policy   = data.aws_iam_policy_document.backup_assume.json
  permissions_boundary = var.iam_permissions_boundary_arn
}

# AWS's own policies for AWS Backup's service role: they follow the service's
# API changes, which a hand-written copy would not.
resource "aws_iam_role_policy_attachment" "backup" {
  for_each = toset(["AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"])

  role       = aws_iam_role.backup.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/${each.key}"
}

resource "aws_backup_selection" "table" {
  name         = "${local.name_prefix}-table"
  plan_id      = aws_backup_plan.main.id
  iam_role_arn = aws_iam_role.backup.arn
  resources    = [aws_dynamodb_table.main.arn]
}
