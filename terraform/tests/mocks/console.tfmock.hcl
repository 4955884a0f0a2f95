# Mocked AWS for the console's resources (console.tf), loaded with
# aws.tfmock.hcl by every test file here: values shaped like the real ones,
# where the provider checks them (ARNs) or the tests compare them.

mock_resource "aws_cloudfront_function" {
  defaults = { arn = "arn:aws:cloudfront::123456789012:function/ofauto-test-console", etag = "ETVPDKIKX0DER" }
}
mock_resource "aws_cloudfront_distribution" {
  defaults = {
    id             = "E2QWRUHAPOMQZL"
    arn            = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL"
    domain_name    = "d111111abcdef8.cloudfront.net"
    hosted_zone_id = "Z2FDTNDATAQYW2"
  }
}
mock_resource "aws_s3_bucket" {
  defaults = {
    arn                         = "arn:aws:s3:::ofauto-test-bucket"
    bucket_domain_name          = "ofauto-test-bucket.s3.amazonaws.com"
    bucket_regional_domain_name = "ofauto-test-bucket.s3.eu-west-1.amazonaws.com"
  }
}
mock_resource "aws_cognito_user_pool_client" {
  defaults = { id = "1example23456789abcdefghij" }
}
