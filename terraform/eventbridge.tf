# Custom bus for domain events (post.published, post.failed,
# automation.run.*, event.created). App events stay off the default bus,
# which carries the schedule rules. Functions get PutEvents on it through a
# manifest permission with resource "event_bus"; they find it through
# EVENT_BUS_NAME.

resource "aws_cloudwatch_event_bus" "app" {
  name        = "${local.name_prefix}-app"
  description = "OFAuto domain events for other systems to consume."
}

# Every domain event the bus receives is kept for var.event_archive_retention_days,
# so that a consumer that was down or wrong can be fed again with
# `aws events start-replay` (DEPLOYMENT.md, "Replaying domain events").
resource "aws_cloudwatch_event_archive" "app" {
  name             = "${local.name_prefix}-app"
  description      = "Every event on ${aws_cloudwatch_event_bus.app.name}, for replay."
  event_source_arn = aws_cloudwatch_event_bus.app.arn
  retention_days   = var.event_archive_retention_days
}
