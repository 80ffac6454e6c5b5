"""Checks that every metric the Grafana dashboard and the Prometheus alert
rules query is one a live Flowmeter exposes.

    curl -s http://127.0.0.1:3000/metrics | python3 scripts/check-metric-names.py

Reads the exposition on stdin; exits 1 naming each metric that is queried
but not exposed. (Called by scripts/smoke.sh against the release binary.)
"""

import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
NAME = re.compile(r"\bflowmeter_[a-z0-9_]+")

exposed = set()
for line in sys.stdin:
    if line.startswith("# TYPE "):
        _, _, name, kind = line.split()[:4]
        exposed.add(name)
        if kind == "histogram":
            exposed.update(name + s for s in ("_bucket", "_sum", "_count"))
        if kind == "counter" and not name.endswith("_total"):
            exposed.add(name + "_total")
    elif line.strip() and not line.startswith("#"):
        exposed.add(re.split(r"[{ ]", line, maxsplit=1)[0])

queried = {}
dashboard = json.loads((ROOT / "deploy/grafana/flowmeter.json").read_text())
for panel in dashboard["panels"]:
    for target in panel.get("targets", []):
        for name in NAME.findall(target["expr"]):
            queried.setdefault(name, f"dashboard panel “{panel['title']}”")
for rule_line in (ROOT / "deploy/prometheus/alerts.yml").read_text().splitlines():
    if rule_line.lstrip().startswith("#"):
        continue
    for name in NAME.findall(rule_line):
        queried.setdefault(name, "deploy/prometheus/alerts.yml")

missing = sorted(n for n in queried if n not in exposed)
for name in missing:
    print(f"{name} ({queried[name]}) is not exposed by /metrics", file=sys.stderr)
if not queried:
    sys.exit("no metric names found in the dashboard or the rules")
if missing:
    sys.exit(1)
print(f"{len(queried)} metric names queried, all exposed")
