#!/usr/bin/env python3
"""An independent reference for cron occurrences: croniter (PyPI) in IANA zones (zoneinfo).

Reads a JSON list of cases from stdin, each {"cron", "timezone", "after", "count"}, and writes a
JSON list with, per case, the next `count` instants strictly after `after`, as UTC RFC 3339 with
milliseconds. The automation tests hold the API's preview against it on cases away from daylight
saving changes (where the Open Cron Pattern rules and croniter's may differ by design).
"""

import json
import sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from croniter import croniter


def occurrences(case):
    zone = ZoneInfo(case["timezone"])
    after = datetime.fromisoformat(case["after"].replace("Z", "+00:00")).astimezone(zone)
    it = croniter(case["cron"], after)
    out = []
    for _ in range(case["count"]):
        at = it.get_next(datetime).astimezone(timezone.utc)
        out.append(at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z")
    return out


def main():
    cases = json.load(sys.stdin)
    json.dump([occurrences(c) for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
