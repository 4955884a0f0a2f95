"""Starts moto server with two of its hot paths made cheap and its SQS queues made thread-safe.

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

And one correction. moto server answers each request on its own thread, but moto 5.2.5 changes a
queue's messages without its lock: a delete rebuilds the message list and puts it back, so a
message sent meanwhile vanishes and one deleted meanwhile comes back; two receives can hand out
the same message; a receive can fail on a set that changed under it. Reproduced in process (four
consumers and a sender, 2,000 messages: lost ones, duplicates, resurrected ones, spurious
"receipt handle is invalid"), and seen in `make test` on 2026-12-03: one of 500 scheduled runs
never reached the deliverer. Real SQS does none of this, so every SQS call that reads or changes a
queue's messages now holds that queue's own lock. A long-poll receive still waits on the queue's
condition, which lets the lock go while it waits.

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


# The SQSBackend methods that read or change a queue's messages. Each takes the queue's name first.
QUEUE_MESSAGE_METHODS = (
    "send_message",
    "send_message_batch",
    "receive_message",
    "delete_message",
    "delete_message_batch",
    "change_message_visibility",
    "change_message_visibility_batch",
    "purge_queue",
    "get_queue_attributes",
)


def serialise_each_queue():
    from moto.sqs.models import Queue, SQSBackend

    expect(
        "self._messages_lock = Condition()" in inspect.getsource(Queue.__init__),
        "Queue no longer has a reentrant Condition as its messages' lock",
    )
    # A receive that holds the lock must release it while it long-polls, or one idle consumer
    # would stall every sender: Condition.wait_for releases an RLock however deeply it is held.
    expect(
        "self._messages_lock.wait_for(" in inspect.getsource(Queue.wait_for_messages),
        "Queue.wait_for_messages no longer waits on the messages' lock",
    )
    expect(
        "self._messages = new_messages" in inspect.getsource(Queue.delete_message),
        "Queue.delete_message no longer rebuilds the message list",
    )

    def holding_the_queue_lock(original):
        @functools.wraps(original)
        def method(self, queue_name, *args, **kwargs):
            with self.get_queue(queue_name)._messages_lock:
                return original(self, queue_name, *args, **kwargs)

        return method

    for name in QUEUE_MESSAGE_METHODS:
        original = getattr(SQSBackend, name)
        parameters = list(inspect.signature(original).parameters)
        expect(parameters[:2] == ["self", "queue_name"], f"SQSBackend.{name} changed its parameters")
        setattr(SQSBackend, name, holding_the_queue_lock(original))


def main():
    cache_jsonpath_parsing()
    read_retention_period_alone()
    serialise_each_queue()
    from moto.server import main as moto_main

    sys.argv[0] = "moto_server"
    return moto_main()


if __name__ == "__main__":
    sys.exit(main())
