#!/usr/bin/env python3
"""What a block of the archive costs per event, by brotli quality and by how
arrival times are stored (docs/performance.md, "Bytes per event: the
archive").

Not a benchmark of Flowmeter: a model of `pipeline/src/store/archive.rs`'s
encoding (each column a JSON array, ids and times as differences from the
event before) over the events of a `bench/summary` SQLite store, in blocks
of 1,024 taken oldest first. It prints bytes per event and milliseconds per
block for brotli qualities 5, 7, 9 and 11, with arrival times stored as
differences from the event's own time (`ts`) or from the event before
(`prev`, what the archive does).

Run: `cargo run --release -p bench --bin summary -- --events 300000 --order
time --archive-after-days 0 --database-url sqlite:///tmp/s.db`, then
`python3 -m venv /tmp/v && /tmp/v/bin/pip install brotli` and
`/tmp/v/bin/python bench/experiments/archive_codec.py /tmp/s.db`.
"""
import json
import sqlite3
import sys
import time

import brotli

COLUMNS = (
    "id, chat_id, turn_id, stage, status, ts, duration_ms, persona, model, provider, input_tokens, output_tokens, "
    "cached_input_tokens, cache_write_tokens, reasoning_tokens, error, meta, received_at, cost_nanos, pricing_id, "
    "tenant, tool, pipeline, first_in_turn, first_in_chat"
).split(", ")
BLOCK = 1024


def differences(values):
    out, prev = [], 0
    for v in values:
        out.append(v - prev)
        prev = v
    return out


def encode(block, arrival):
    block = sorted(block, key=lambda r: r[0])
    columns = {}
    for j, name in enumerate(COLUMNS):
        values = [r[j] for r in block]
        if name in ("id", "ts") or (name == "received_at" and arrival == "prev"):
            values = differences(values)
        elif name == "received_at":
            values = [r[j] - r[COLUMNS.index("ts")] for r in block]
        columns[name] = values
    return json.dumps(columns, separators=(",", ":")).encode()


db = sqlite3.connect(sys.argv[1])
rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM events ORDER BY ts LIMIT 102400").fetchall()
for arrival in ("ts", "prev"):
    for quality in (5, 7, 9, 11):
        total, started = 0, time.time()
        for i in range(0, len(rows), BLOCK):
            total += len(brotli.compress(encode(rows[i : i + BLOCK], arrival), quality=quality, lgwin=22))
        blocks = len(rows) / BLOCK
        print(f"{arrival:>4} quality {quality:>2}: {total / len(rows):5.1f} B/event, "
              f"{(time.time() - started) / blocks * 1000:6.1f} ms/block")
