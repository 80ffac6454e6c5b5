#!/usr/bin/env python3
"""How much the events' chat index costs SQLite's writer, and what a list of
each conversation's event ids would cost instead (docs/performance.md,
"Targets missed").

Not a benchmark of Flowmeter: a model of its writer's inserts in plain
SQLite (Python's standard `sqlite3`, WAL, `synchronous=FULL`), in groups of
800 events over ~1,000 conversations as `bench/ingest` sends them. Three
layouts of the same events table (with its time and tenant indexes):

- `none`: no way to find a conversation's events (the upper bound);
- `index`: the chat index as stored today (`events_chat_id`);
- `chunks`: no chat index; each group appends its new ids, per
  conversation, to one row per conversation and block of 2^SHIFT ids
  (`chat_events`, ids as offsets in the block, comma-separated), so a
  group writes one row per conversation it touched, not one index entry
  per event.

Run: `python3 bench/experiments/chat_index.py MODE [EVENTS]` for MODE in
none, index, chunks (`SHIFT=14` to change the block). It prints rows per
second and each table's and index's bytes per event (SQLite's `dbstat`).
"""
import os
import sqlite3
import sys
import time

MODE = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 400_000
GROUP = 800
SHIFT = int(os.environ.get("SHIFT", "12"))
STAGES = ["buffer", "intent", "persona", "tools", "response", "send"]
TENANTS = ["acme", "initech", "globex"]

path = f"/tmp/flowmeter-chat-index-{MODE}.db"
for suffix in ("", "-wal", "-shm"):
    try:
        os.remove(path + suffix)
    except FileNotFoundError:
        pass
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("PRAGMA cache_size=-49152")
db.execute(
    "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, chat_id TEXT NOT NULL, turn_id TEXT, "
    "stage TEXT NOT NULL, status TEXT NOT NULL, ts INTEGER NOT NULL, duration_ms INTEGER, persona TEXT, "
    "model TEXT, provider TEXT, input_tokens INTEGER, output_tokens INTEGER, received_at INTEGER NOT NULL, "
    "cost_nanos INTEGER, pricing_id TEXT, tenant TEXT)"
)
db.execute("CREATE INDEX events_ts ON events (ts)")
db.execute("CREATE INDEX events_tenant_id ON events (tenant) WHERE tenant IS NOT NULL")
if MODE == "index":
    db.execute("CREATE INDEX events_chat_id ON events (chat_id)")
elif MODE == "chunks":
    db.execute(
        "CREATE TABLE chat_events (chat_id TEXT NOT NULL, block INTEGER NOT NULL, ids TEXT NOT NULL, "
        "PRIMARY KEY (chat_id, block)) WITHOUT ROWID"
    )
elif MODE != "none":
    sys.exit(f"unknown mode {MODE}: none, index or chunks")

start, next_id = time.time(), 1
for first in range(0, N, GROUP):
    rows = [
        (f"chat-{(j // 6) % 997}", f"t-{j // 6}", STAGES[j % 6], "success", 1_790_000_000_000 + j, 40, "muse",
         "gpt-4.1-nano", "openai", 400, 20, 1_790_000_000_000 + j, 52_800, "gpt-4.1-nano", TENANTS[j % 3])
        for j in range(first, min(first + GROUP, N))
    ]
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO events (chat_id, turn_id, stage, status, ts, duration_ms, persona, model, provider, "
        "input_tokens, output_tokens, received_at, cost_nanos, pricing_id, tenant) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    if MODE == "chunks":
        lists = {}
        for k, row in enumerate(rows):
            event_id = next_id + k
            lists.setdefault((row[0], event_id >> SHIFT), []).append(str(event_id & ((1 << SHIFT) - 1)))
        db.executemany(
            "INSERT INTO chat_events (chat_id, block, ids) VALUES (?, ?, ?) "
            "ON CONFLICT (chat_id, block) DO UPDATE SET ids = ids || ',' || excluded.ids",
            [(chat, block, ",".join(ids)) for (chat, block), ids in lists.items()],
        )
    db.execute("COMMIT")
    next_id += len(rows)
elapsed = time.time() - start
sizes = db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY name").fetchall()
print(f"{MODE}: {N / elapsed:,.0f} events/s; " + ", ".join(f"{name} {size / N:.1f} B" for name, size in sizes if size / N >= 0.5))
