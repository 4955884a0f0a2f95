terraform {
  # 1.11+: write-only arguments keep the cursor signing key out of state
  # (ephemeral random_password -> secret_string_wo).
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    # Pinned to the line this configuration is tested against (the offline
    # provider mirror holds 5.100.0; scripts/terraform_check.sh validates and
    # tests with it). Patch releases are accepted; a new minor or major is a
    # deliberate change: raise the pin, run the checks, commit the new
    # .terraform.lock.hcl.
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }

  # Partial configuration: pass the bucket/key/region at init time, e.g.
  #   terraform init -backend-config=backend.hcl
  # (see backend.hcl.example). State holds resource ARNs and config, never the
  # cursor signing key, but it is still encrypted at rest and locked.
  backend "s3" {}
}
