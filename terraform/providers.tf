provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(var.tags, {
      Service     = local.manifest.service
      Environment = var.environment
      ManagedBy   = "terraform"
    })
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

# Service principals differ between partitions (aws, aws-cn, aws-us-gov), so
# none is spelled out by hand: this data source knows each partition's form.
# Look them up as local.service_principals["lambda"] and so on.
data "aws_service_principal" "this" {
  for_each = toset(["apigateway", "backup", "cloudwatch", "events", "lambda"])

  service_name = each.key
  region       = var.aws_region
}
