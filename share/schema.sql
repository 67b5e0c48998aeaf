-- The warehouse of listen-load (SPEC section 6), schema version 2.
-- listen-load runs this inside its load transaction when the warehouse has
-- user_version 0; every statement is idempotent.  A warehouse of version 1
-- is migrated by the steps in listen-load.c (MIGRATE_SQL), which end in
-- exactly these tables: a column added later is added last here too.

CREATE TABLE IF NOT EXISTS listens (
	played_at TEXT NOT NULL,	-- start of play, YYYY-MM-DDTHH:MM:SS.mmmZ
	user_id TEXT NOT NULL,		-- '' when the source has no user
	track_id TEXT NOT NULL,		-- '' when the record has no track info
	ms_played INTEGER NOT NULL CHECK (ms_played >= 0),
	batch_id INTEGER NOT NULL,	-- ingestions.batch_id that stored it
	PRIMARY KEY (played_at, user_id, track_id)
) WITHOUT ROWID;

-- Kept equal to the sums over listens, in the same transaction, so that a
-- report reads O(weeks) rows instead of every listen.
CREATE TABLE IF NOT EXISTS weekly_listening (
	year INTEGER NOT NULL,		-- ISO 8601 week-year
	week INTEGER NOT NULL CHECK (week BETWEEN 1 AND 53),
	listening_ms INTEGER NOT NULL,
	plays INTEGER NOT NULL,
	PRIMARY KEY (year, week)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS ingestions (
	batch_id INTEGER PRIMARY KEY,
	source TEXT,			-- --source NAME (listen-ingest: the file's
					-- name), or the command run
	started_at TEXT NOT NULL,
	finished_at TEXT,
	rows_read INTEGER,
	rows_inserted INTEGER,
	rows_duplicate INTEGER,
	rows_conflicting INTEGER,
	sha256 TEXT			-- --sha256: the SHA-256 of the file, in hex
);

-- A file is stored once, whatever its name (version 2).
CREATE UNIQUE INDEX IF NOT EXISTS ingestions_sha256
	ON ingestions (sha256) WHERE sha256 IS NOT NULL;

-- Incoming rows whose key was already stored with another ms_played: the
-- stored row wins, the incoming one is kept here for audit.
CREATE TABLE IF NOT EXISTS conflicts (
	played_at TEXT NOT NULL,
	user_id TEXT NOT NULL,
	track_id TEXT NOT NULL,
	ms_played INTEGER NOT NULL,
	batch_id INTEGER NOT NULL
);

PRAGMA user_version = 2;
