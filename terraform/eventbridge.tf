# Custom bus for domain events (post.published, post.failed,
# automation.run.*, event.created). App events stay off the default bus,
# which carries the schedule rules. Functions get PutEvents on it through a
# manifest permission with resource "event_bus"; they find it through
# EVENT_BUS_NAME.

resource "aws_cloudwatch_event_bus" "app" {
  name        = "${local.name_prefix}-app"
  description = "OFAuto domain events for other systems to consume."
}
