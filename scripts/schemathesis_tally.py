"""Tallies the answers scripts/schemathesis_hooks.py logged (SEIKYU_FUZZ_LOG): per operation, how
many requests schemathesis generated to fit the document (positive mode) and how many of those the
API took (2xx) or refused as invalid (400), then how many operations reached a 2xx at all. A
document looser than validation shows as operations whose positive requests are mostly 400.

Usage: python scripts/schemathesis_tally.py LOG
"""

import collections
import json
import sys


def main(path):
    per = collections.defaultdict(collections.Counter)
    for line in open(path, encoding="utf-8"):
        call = json.loads(line)
        counts = per[call["operation"]]
        status = call["status"]
        counts["all"] += 1
        if 200 <= status < 300:
            counts["2xx"] += 1
        if call["mode"] == "positive":
            counts["positive"] += 1
            counts["positive 2xx"] += 200 <= status < 300
            counts["positive 400"] += status == 400
        if call["phase"] == "stateful":
            counts["stateful"] += 1
            counts["stateful 2xx"] += 200 <= status < 300
    width = max((len(op) for op in per), default=0)
    print(f"{'operation':<{width}}  requests  2xx  positive: 2xx  400  stateful: 2xx")
    for op in sorted(per, key=lambda o: o.split(" ", 1)[::-1]):
        c = per[op]
        print(
            f"{op:<{width}}  {c['all']:8}  {c['2xx']:3}  {c['positive']:8}: {c['positive 2xx']:3}  {c['positive 400']:3}"
            f"  {c['stateful']:8}: {c['stateful 2xx']:3}"
        )
    reached = sum(1 for c in per.values() if c["2xx"])
    mostly_400 = sum(1 for c in per.values() if c["positive"] and c["positive 400"] * 2 > c["positive"])
    print(
        f"operations: {len(per)}, reached a 2xx: {reached}, "
        f"refused most requests that fit the document as invalid (400): {mostly_400}"
    )


if __name__ == "__main__":
    main(sys.argv[1])
