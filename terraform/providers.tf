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
