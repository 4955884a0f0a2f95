"""The launcher's patches change how fast moto answers, never what it answers.

Run with the stack's venv: infra/.venv/bin/python -m unittest discover -s infra/python
"""

import importlib.util
import json
import pathlib
import sys
import threading
import time
import unittest

SAMPLE_EVENT = {
    "version": "0",
    "id": "2f0c7d7e-0000-4000-8000-000000000001",
    "detail-type": "event.created",
    "source": "ofauto",
    "account": "123456789012",
    "time": 1796223600.0,
    "region": "us-east-1",
    "resources": [],
    "detail": {"id": "01J0000000000000000000000", "tenant_id": "t1", "type": "signup"},
    "ingestion-time": 1796223600.0,
}


def load_launcher():
    path = pathlib.Path(__file__).with_name("moto_launcher.py")
    spec = importlib.util.spec_from_file_location("moto_launcher", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class LauncherPatches(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from moto.events.utils import EventTemplateParser

        # What moto answers before the patches, to compare with after.
        cls.unpatched_target_input = EventTemplateParser.parse(
            input_template=None, input_paths_map={}, event=json.loads(json.dumps(SAMPLE_EVENT))
        )
        launcher = load_launcher()
        launcher.cache_jsonpath_parsing()
        launcher.read_retention_period_alone()
        launcher.serialise_each_queue()

    def test_a_rule_target_receives_the_same_event_as_without_the_cache(self):
        from moto.events.utils import EventTemplateParser

        for _ in range(2):
            patched = EventTemplateParser.parse(
                input_template=None,
                input_paths_map={},
                event=json.loads(json.dumps(SAMPLE_EVENT)),
            )
            self.assertEqual(patched, self.unpatched_target_input)
        self.assertEqual(patched["detail"]["type"], "signup")

    def test_each_expression_is_parsed_once(self):
        import jsonpath_ng.ext

        self.assertIs(jsonpath_ng.ext.parse("$.detail"), jsonpath_ng.ext.parse("$.detail"))

    def test_a_receive_returns_messages_within_their_retention_period_only(self):
        from moto.sqs.models import SQSBackend

        backend = SQSBackend("us-east-1", "123456789012")
        backend.create_queue("retention", MessageRetentionPeriod="60")
        backend.send_message("retention", "fresh")
        received = backend.receive_message("retention", 10, 0, 30)
        self.assertEqual([m.body for m in received], ["fresh"])

        stale = backend.send_message("retention", "stale")
        stale.sent_timestamp = int((time.time() - 61) * 1000)
        self.assertEqual(backend.receive_message("retention", 10, 0, 30), [])

    def test_racing_senders_and_consumers_get_every_message_exactly_once(self):
        # Unpatched, this loses, duplicates or resurrects messages on most runs: switching
        # threads every microsecond makes moto's unlocked list rebuilds collide.
        from moto.sqs.models import SQSBackend

        backend = SQSBackend("us-east-1", "123456789012")
        backend.create_queue("race", VisibilityTimeout="60")
        count = 1500
        received, failures = [], []
        sent_all = threading.Event()

        def send():
            for i in range(count):
                backend.send_message("race", str(i))
            sent_all.set()

        def consume():
            try:
                while not (sent_all.is_set() and not backend.get_queue("race").messages):
                    for message in backend.receive_message("race", 10, 0, 60):
                        received.append(message.body)
                        backend.delete_message("race", message.receipt_handle)
            except Exception as error:  # noqa: BLE001 - any failure in a thread is the finding
                failures.append(repr(error))

        interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)
        try:
            threads = [threading.Thread(target=send)]
            threads += [threading.Thread(target=consume) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
        finally:
            sys.setswitchinterval(interval)
        self.assertEqual(failures, [])
        self.assertEqual(sorted(received, key=int), [str(i) for i in range(count)])
        self.assertEqual(backend.get_queue("race")._messages, [])

    def test_a_long_poll_lets_a_sender_in_while_it_waits(self):
        from moto.sqs.models import SQSBackend

        backend = SQSBackend("us-east-1", "123456789012")
        backend.create_queue("poll")
        got = []

        def long_poll():
            got.extend(m.body for m in backend.receive_message("poll", 10, 5, 30))

        poller = threading.Thread(target=long_poll)
        poller.start()
        time.sleep(0.3)
        backend.send_message("poll", "while waiting")
        poller.join(timeout=30)
        # Had the receive kept the lock while it waited, the send would have waited out the
        # whole poll, and the receive would have come back empty.
        self.assertEqual(got, ["while waiting"])

    def test_a_changed_moto_stops_the_launch(self):
        launcher = load_launcher()
        with self.assertRaises(SystemExit) as stopped:
            launcher.expect(False, "the patched function changed")
        self.assertIn("the patched function changed", str(stopped.exception))


if __name__ == "__main__":
    unittest.main()
