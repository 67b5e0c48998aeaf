#!/usr/bin/env python3
"""Baseline: the usual few lines of Python (csv + sqlite3.executemany)
loading a CSV into a table with the SPEC's schema and key, one transaction.
    usage: baseline.py DB FILE.csv        load
           baseline.py --parse FILE.csv   parse only (csv.reader pass)
"""
import csv
import sqlite3
import sys

if sys.argv[1] == "--parse":
    n = 0
    with open(sys.argv[2], newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            n += 1
    print(n - 1, "rows", file=sys.stderr)
    sys.exit(0)

db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA journal_mode = WAL")
db.execute("""CREATE TABLE IF NOT EXISTS listens (
    played_at TEXT NOT NULL, user_id TEXT NOT NULL, track_id TEXT NOT NULL,
    ms_played INTEGER NOT NULL, batch_id INTEGER NOT NULL,
    PRIMARY KEY (played_at, user_id, track_id)) WITHOUT ROWID""")
with open(sys.argv[2], newline="", encoding="utf-8") as f:
    rows = csv.reader(f)
    next(rows)
    with db:
        db.executemany(
            "INSERT OR IGNORE INTO listens VALUES (?, ?, ?, ?, 1)",
            ((t, u, k, int(ms)) for t, u, k, ms in rows))
db.close()
