"""Starts moto server with two of its hot paths made cheap, and nothing else changed.

Why: moto serves EventBridge and SQS from one Python process, and under a flood of domain events
that process saturated a core (py-spy, 2026-12-02: 70-80 % of a core all through a 7,000-event
flood) while the bus fell minutes behind the table's stream. Two pieces of moto 5.2.5 took most
of that time, and neither is behaviour a test relies on:

* Every event a rule sends to a target passes through EventBridge's input template, which parses
  the same eight JSONPath expressions again for each event, building a fresh parser each time
  (34 % of moto's CPU). Parsed expressions are immutable, so one per distinct text is enough.
* Every message a receive returns checks its retention period by asking for all of the queue's
  attributes, which counts the queue's messages twice (26 %): receives grew slower with every
  message queued. The retention period alone is read instead, with the same comparison.

Each patch checks that the code it replaces still looks as expected and stops the launch when it
does not, so a moto upgrade cannot silently drop or misapply one. Run it as moto_server would be:
python moto_launcher.py -H 127.0.0.1 -p PORT.
"""

import functools
import inspect
import sys


def expect(condition, what):
    if not condition:
        sys.exit(f"moto_launcher: {what}; re-check the patches against this moto version")


def cache_jsonpath_parsing():
    import jsonpath_ng.ext
    import moto.events.utils as events_utils

    source = inspect.getsource(events_utils.EventTemplateParser.parse)
    expect(
        "from jsonpath_ng.ext import parse" in source,
        "EventTemplateParser.parse no longer imports jsonpath_ng.ext.parse at call time",
    )
    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=256)(jsonpath_ng.ext.parse)


def read_retention_period_alone():
    from moto.core.utils import unix_time
    from moto.sqs.models import SQSBackend

    original = SQSBackend.is_message_valid_based_on_retention_period
    source = inspect.getsource(original)
    expect(
        '["MessageRetentionPeriod"]' in source and "sent_timestamp / 1000" in source,
        "SQSBackend.is_message_valid_based_on_retention_period changed",
    )

    def is_message_valid_based_on_retention_period(self, queue_name, message):
        retention_period = int(self.get_queue(queue_name).message_retention_period)
        return retention_period + message.sent_timestamp / 1000 > unix_time()

    SQSBackend.is_message_valid_based_on_retention_period = (
        is_message_valid_based_on_retention_period
    )


def main():
    cache_jsonpath_parsing()
    read_retention_period_alone()
    from moto.server import main as moto_main

    sys.argv[0] = "moto_server"
    return moto_main()


if __name__ == "__main__":
    sys.exit(main())
