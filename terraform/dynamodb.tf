# The single table, defined by functions/manifest.json's "table" object.
#
# Disaster recovery (DEPLOYMENT.md, "Restore"):
#  - point-in-time recovery, up to var.pitr_recovery_period_days back;
#  - a daily AWS Backup (backup.tf), optionally copied to another region;
#  - optional global-table replicas in var.replica_regions;
#  - var.restore: once a restored copy exists and has been imported at this
#    address, the table is that copy. Every reference below follows it: the
#    functions' TABLE_NAME, the IAM grants on the table, its indexes and its
#    stream, the stream consumers' mappings, the backups and the alarms.

locals {
  table_name = var.restore == null ? local.name_prefix : var.restore.table_name
}

resource "aws_dynamodb_table" "main" {
  name         = local.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = local.manifest.table.hash_key
  range_key    = try(local.manifest.table.range_key, null)

  dynamic "attribute" {
    for_each = local.manifest.table.attributes
    content {
      name = attribute.key
      type = attribute.value
    }
  }

  dynamic "global_secondary_index" {
    for_each = local.table_gsis
    content {
      name               = global_secondary_index.key
      hash_key           = global_secondary_index.value.hash_key
      range_key          = try(global_secondary_index.value.range_key, null)
      projection_type    = global_secondary_index.value.projection
      non_key_attributes = try(global_secondary_index.value.non_key_attributes, null)
    }
  }

  stream_enabled   = try(local.manifest.table.stream_view_type, null) != null
  stream_view_type = try(local.manifest.table.stream_view_type, null)

  ttl {
    enabled        = try(local.manifest.table.ttl_attribute, null) != null
    attribute_name = try(local.manifest.table.ttl_attribute, "")
  }

  point_in_time_recovery {
    enabled                 = true
    recovery_period_in_days = var.pitr_recovery_period_days
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.main.arn
  }

  # Replicas take writes too, but only this region runs the functions: they
  # are a warm copy to fail over to, each with its own PITR and a key of its
  # own region (a customer-managed key never leaves its region).
  dynamic "replica" {
    for_each = var.replica_regions
    content {
      region_name            = replica.value
      kms_key_arn            = var.replica_kms_key_arns[replica.value]
      point_in_time_recovery = true
      propagate_tags         = true
    }
  }

  deletion_protection_enabled = var.table_deletion_protection

  lifecycle {
    precondition {
      condition     = alltrue([for r in var.replica_regions : can(regex("^arn:[^:]+:kms:${r}:", lookup(var.replica_kms_key_arns, r, "")))])
      error_message = "Every region in var.replica_regions needs a KMS key of that region in var.replica_kms_key_arns (the table uses a customer-managed key, and so must its replicas)."
    }
    precondition {
      condition     = !contains(var.replica_regions, var.aws_region)
      error_message = "var.replica_regions must not contain aws_region, where the table itself lives."
    }
  }
}

# Shows the most-accessed and most-throttled partition keys. The first thing
# to open when the DynamoDB throttle alarm fires (see README).
resource "aws_dynamodb_contributor_insights" "table" {
  count      = var.enable_contributor_insights ? 1 : 0
  table_name = aws_dynamodb_table.main.name
}

resource "aws_dynamodb_contributor_insights" "gsi" {
  for_each   = var.enable_contributor_insights ? local.table_gsis : {}
  table_name = aws_dynamodb_table.main.name
  index_name = each.key
}
