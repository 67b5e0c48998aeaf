#!/usr/bin/env bash
# Baseline: what a user does without the toolkit, with the sqlite3 shell.
# .import the CSV into a staging table, then INSERT OR IGNORE into a table
# with the SPEC's schema and key, in one transaction.
#   usage: baseline-sqlite3.sh DB FILE.csv
set -euo pipefail
db=$1 csv=$2
sqlite3 "$db" <<SQL
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS listens (
	played_at TEXT NOT NULL, user_id TEXT NOT NULL, track_id TEXT NOT NULL,
	ms_played INTEGER NOT NULL, batch_id INTEGER NOT NULL,
	PRIMARY KEY (played_at, user_id, track_id)) WITHOUT ROWID;
CREATE TEMP TABLE staging (played_at TEXT, user_id TEXT, track_id TEXT,
	ms_played INTEGER);
.import --csv --skip 1 '$csv' staging
BEGIN;
INSERT OR IGNORE INTO listens
	SELECT played_at, user_id, track_id, ms_played, 1 FROM staging;
COMMIT;
SQL
