# The single table, defined by functions/manifest.json's "table" object.

resource "aws_dynamodb_table" "main" {
  name         = local.name_prefix
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
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.main.arn
  }

  deletion_protection_enabled = var.table_deletion_protection
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
