/*
 * listen-load: keeps the warehouse (SPEC sections 2, 3 and 6).
 *
 * In:  listens TSV (played_at, user_id, track_id, ms_played) on stdin, or
 *      on the stdout of COMMAND when one is given after "--".
 * Out: the warehouse DB, changed in one transaction that commits only when
 *      the stream is complete and COMMAND exited 0; one summary line on
 *      stderr.  With --weekly: weekly TSV (year, week, listening_ms) from
 *      the weekly totals table on stdout.
 * With --sha256 HEX the batch records the SHA-256 of the file it came from,
 * and a file already recorded is not loaded again (listen-ingest's rule).
 *
 * Memory is one chunk of listens (8192, at most 4 MB of keys) plus one slot
 * per week, whatever the input size.
 */
#define _GNU_SOURCE /* F_SETPIPE_SZ */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "isoweek.h"
#include "msg.h"
#include "num.h"
#include "timestamp.h"
#include "tsv.h"
#include "weekmap.h"

extern char **environ;

/* The version share/schema.sql sets with PRAGMA user_version. */
#define SCHEMA_VERSION 2

#define BUSY_TIMEOUT_DEFAULT 300

static const char SCHEMA_SQL[] =
#include "schema.inc"
    ;

/*
 * MIGRATE_SQL[v] brings a warehouse of version v to version v + 1.  Each
 * step leaves the tables as share/schema.sql creates them, column order
 * included, so that a migrated warehouse and a new one are the same.
 */
static const char *const MIGRATE_SQL[SCHEMA_VERSION] = {
    NULL, /* 0 is a new warehouse: SCHEMA_SQL creates it whole */
    /* 1 -> 2: the SHA-256 of the file a batch came from, once only. */
    "ALTER TABLE ingestions ADD COLUMN sha256 TEXT;"
    "CREATE UNIQUE INDEX IF NOT EXISTS ingestions_sha256 "
    "ON ingestions (sha256) WHERE sha256 IS NOT NULL;"
    "PRAGMA user_version = 2;",
};

/* A SHA-256 in hex, as sha256sum prints it. */
#define SHA256_HEX_LEN 64

/*
 * The statements run once per listen or per week.  Prepared once and reset
 * per row; every value goes in through a bound parameter.
 */
enum {
	ST_INSERT,
	ST_STORED,
	ST_SCAN,
	ST_CONFLICT,
	ST_WEEK_GET,
	ST_WEEK_PUT,
	ST_BULK,
	ST_COUNT
};

static const char *const STMT_SQL[ST_COUNT] = {
    /* A key already stored, or earlier in this input, stays. */
    "INSERT INTO listens (played_at, user_id, track_id, ms_played, "
    "batch_id) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
    "SELECT ms_played FROM listens "
    "WHERE played_at = ?1 AND user_id = ?2 AND track_id = ?3",
    /* The stored keys from a chunk's first on, in key order. */
    "SELECT played_at, user_id, track_id, ms_played FROM listens "
    "WHERE played_at >= ?1 ORDER BY played_at, user_id, track_id",
    "INSERT INTO conflicts (played_at, user_id, track_id, ms_played, "
    "batch_id) VALUES (?1, ?2, ?3, ?4, ?5)",
    "SELECT listening_ms, plays FROM weekly_listening "
    "WHERE year = ?1 AND week = ?2",
    /*
     * The new totals are summed here, in C, with an overflow check:
     * SQLite would silently turn an integer sum past 2^63 - 1 into a
     * float.
     */
    "INSERT INTO weekly_listening (year, week, listening_ms, plays) "
    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (year, week) DO UPDATE SET "
    "listening_ms = excluded.listening_ms, plays = excluded.plays",
    /* The chunk's new listens, all in one statement: see listen_chunk. */
    "INSERT INTO listens (played_at, user_id, track_id, ms_played, "
    "batch_id) SELECT played_at, user_id, track_id, ms_played, ?1 "
    "FROM temp.listen_chunk",
};

/*
 * Listens are stored a chunk at a time, in key order: one range scan of
 * the stored keys then tells which are new, instead of a B-tree search
 * per listen, and the inserts land next to each other.
 */
#define CHUNK_ROWS 8192
#define CHUNK_TEXT (4 << 20)
#define PIPE_BYTES (1 << 20)

/* KEY_NEW: absent and the first of its key, for the chunk's INSERT. */
enum { KEY_UNKNOWN, KEY_ABSENT, KEY_STORED, KEY_NEW };

/* A listen waiting in the chunk; its key is text in chunk.text. */
struct listen {
	size_t off[3], len[3]; /* played_at, user_id, track_id */
	int64_t played_at, ms;
	long lineno;
	size_t seq;     /* input order: of equal keys the first wins */
	int state;      /* KEY_*: what the scan found */
	int64_t stored; /* the stored ms_played, when KEY_STORED */
};

struct chunk {
	struct listen *v;
	size_t n;
	char *text;
	size_t len, cap;
};

struct load {
	const char *path; /* DB as given, for messages */
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	int64_t batch_id;
	int64_t nread, ninserted, nduplicate, nconflict;
	struct weekmap weeks; /* what this batch adds, per week */
	const char *in_name;  /* "<stdin>" or the command's name */
	const char *sha256;   /* --sha256, lowercase, or NULL */
	struct chunk chunk;   /* listens read and not yet stored */
	pid_t child;          /* COMMAND, or 0 */
};

/*
 * SQLite's message, and for an I/O failure the system's reason too: "disk
 * I/O error" alone does not tell a full disk from a missing directory.
 */
static void
db_warn(const char *path, sqlite3 *db)
{
	int code = sqlite3_errcode(db) & 0xff, sys = sqlite3_system_errno(db);

	if (sys != 0 && (code == SQLITE_IOERR || code == SQLITE_FULL ||
	                    code == SQLITE_CANTOPEN))
		warnmsg("%s: %s: %s", path, sqlite3_errmsg(db), strerror(sys));
	else
		warnmsg("%s: %s", path, sqlite3_errmsg(db));
}

static int
db_fail(struct load *l)
{
	db_warn(l->path, l->db);
	return -1;
}

static int
exec_sql(struct load *l, const char *sql)
{
	if (sqlite3_exec(l->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(l);
	return 0;
}

/*
 * The schema version, and whether the file holds any table, read in one
 * statement so that both come from one snapshot even while another
 * loader is creating the schema.
 */
static int
user_version(sqlite3 *db, int64_t *version, int *tables)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db,
	        "SELECT (SELECT user_version FROM pragma_user_version), "
	        "EXISTS (SELECT 1 FROM sqlite_schema)",
	        -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int64(st, 0);
		*tables = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Version 0 is a new warehouse (or an empty file): the schema creates it.
 * A newer version than ours was written by a newer listen-load, whose
 * tables this one must not touch.
 */
static int
check_version(struct load *l, int64_t version, int tables)
{
	/* Another application's database: its tables are not ours to add to. */
	if (version == 0 && tables) {
		warnmsg("%s: not a listen warehouse: it holds other tables and "
		        "no schema version",
		    l->path);
		return -1;
	}
	if (version > SCHEMA_VERSION) {
		warnmsg("%s: schema version %" PRId64 " is newer than this "
		        "program's version %d",
		    l->path, version, SCHEMA_VERSION);
		return -1;
	}
	if (version < 0) {
		warnmsg(
		    "%s: unknown schema version %" PRId64, l->path, version);
		return -1;
	}
	return 0;
}

/*
 * Brings the warehouse to SCHEMA_VERSION inside the load's transaction, so
 * that a failed or killed load leaves the old schema too: a new warehouse
 * (0) gets the schema whole, an older one each step from its version on.
 */
static int
migrate(struct load *l)
{
	int64_t version;
	int tables;

	if (user_version(l->db, &version, &tables) != 0)
		return db_fail(l);
	if (check_version(l, version, tables) != 0)
		return -1;
	if (version == 0)
		return exec_sql(l, SCHEMA_SQL);
	for (; version < SCHEMA_VERSION; version++)
		if (exec_sql(l, MIGRATE_SQL[version]) != 0)
			return -1;
	return 0;
}

/*
 * With --sha256: has a committed batch already stored this file?  Asked
 * inside the load's transaction, so that two loads of one file, even under
 * different names, cannot both store it.  1 and the batch's id and source
 * when it has, 0 when not, -1 on error.
 */
static int
find_sha256(struct load *l, int64_t *batch_id, char **source)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(l->db,
	        "SELECT batch_id, source FROM ingestions WHERE sha256 = ?1", -1,
	        &st, NULL) != SQLITE_OK)
		return db_fail(l);
	sqlite3_bind_text(st, 1, l->sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *s = sqlite3_column_text(st, 1);

		*batch_id = sqlite3_column_int64(st, 0);
		*source = xstrdup(s != NULL ? (const char *)s : "");
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return db_fail(l);
	return 0;
}

static void
now_text(char out[TS_LEN + 1])
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts_format((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, out);
}

/*
 * listen_chunk: the KEY_NEW listens of the chunk as a table, so that one
 * INSERT ... SELECT stores a whole chunk and SQLite runs the insert loop
 * itself.  One INSERT statement per listen spent more on the statement
 * (bind, step, reset, a cursor opened and closed) than on the B-tree:
 * loading a 5.3 M-line stream took 8.2 s that way and 5.6 s this way
 * (medians side by side, as the README says).  It is made
 * in the connection's temp schema and named with it, temp.listen_chunk:
 * it writes nothing to the warehouse, and a table of the same name in the
 * warehouse cannot take its place (an eponymous table would be looked up
 * after the warehouse's own tables).
 */
struct chunk_table {
	sqlite3_vtab base;
	const struct chunk *chunk;
};

struct chunk_cursor {
	sqlite3_vtab_cursor base;
	const struct chunk *chunk;
	size_t i;
};

static int
chunk_connect(sqlite3 *db, void *chunk, int argc, const char *const *argv,
    sqlite3_vtab **vtab, char **err)
{
	struct chunk_table *t;
	int rc;

	(void)argc, (void)argv, (void)err;
	rc = sqlite3_declare_vtab(db, "CREATE TABLE x (played_at TEXT, "
	                              "user_id TEXT, track_id TEXT, "
	                              "ms_played INTEGER)");
	if (rc != SQLITE_OK)
		return rc;
	if ((t = sqlite3_malloc(sizeof *t)) == NULL)
		return SQLITE_NOMEM;
	memset(t, 0, sizeof *t);
	t->chunk = chunk;
	*vtab = &t->base;
	return SQLITE_OK;
}

static int
chunk_disconnect(sqlite3_vtab *vtab)
{
	sqlite3_free(vtab);
	return SQLITE_OK;
}

/* A full scan is the only plan: the statement takes every row. */
static int
chunk_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info)
{
	(void)vtab;
	info->estimatedCost = CHUNK_ROWS;
	info->estimatedRows = CHUNK_ROWS;
	return SQLITE_OK;
}

static int
chunk_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **cursor)
{
	struct chunk_cursor *c;

	if ((c = sqlite3_malloc(sizeof *c)) == NULL)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof *c);
	c->chunk = ((struct chunk_table *)vtab)->chunk;
	*cursor = &c->base;
	return SQLITE_OK;
}

static int
chunk_close(sqlite3_vtab_cursor *cursor)
{
	sqlite3_free(cursor);
	return SQLITE_OK;
}

/* Moves to the first KEY_NEW listen from i on. */
static void
chunk_skip(struct chunk_cursor *c)
{
	while (c->i < c->chunk->n && c->chunk->v[c->i].state != KEY_NEW)
		c->i++;
}

static int
chunk_filter(sqlite3_vtab_cursor *cursor, int idx, const char *idxstr, int argc,
    sqlite3_value **argv)
{
	struct chunk_cursor *c = (struct chunk_cursor *)cursor;

	(void)idx, (void)idxstr, (void)argc, (void)argv;
	c->i = 0;
	chunk_skip(c);
	return SQLITE_OK;
}

static int
chunk_next(sqlite3_vtab_cursor *cursor)
{
	struct chunk_cursor *c = (struct chunk_cursor *)cursor;

	c->i++;
	chunk_skip(c);
	return SQLITE_OK;
}

static int
chunk_eof(sqlite3_vtab_cursor *cursor)
{
	struct chunk_cursor *c = (struct chunk_cursor *)cursor;

	return c->i >= c->chunk->n;
}

/* The key's text stays in the chunk until the statement is done. */
static int
chunk_column(sqlite3_vtab_cursor *cursor, sqlite3_context *ctx, int col)
{
	struct chunk_cursor *c = (struct chunk_cursor *)cursor;
	const struct listen *x = &c->chunk->v[c->i];

	if (col < 3)
		sqlite3_result_text(ctx, c->chunk->text + x->off[col],
		    (int)x->len[col], SQLITE_STATIC);
	else
		sqlite3_result_int64(ctx, x->ms);
	return SQLITE_OK;
}

static int
chunk_rowid(sqlite3_vtab_cursor *cursor, sqlite3_int64 *rowid)
{
	*rowid = (sqlite3_int64)((struct chunk_cursor *)cursor)->i;
	return SQLITE_OK;
}

static const sqlite3_module CHUNK_MODULE = {
    .xCreate = chunk_connect,
    .xConnect = chunk_connect,
    .xBestIndex = chunk_best_index,
    .xDisconnect = chunk_disconnect,
    .xDestroy = chunk_disconnect,
    .xOpen = chunk_open,
    .xClose = chunk_close,
    .xFilter = chunk_filter,
    .xNext = chunk_next,
    .xEof = chunk_eof,
    .xColumn = chunk_column,
    .xRowid = chunk_rowid,
};

static int
prepare(struct load *l)
{
	int i;

	if (sqlite3_create_module(
	        l->db, "listen_chunk", &CHUNK_MODULE, &l->chunk) != SQLITE_OK)
		return db_fail(l);
	if (exec_sql(l, "CREATE VIRTUAL TABLE temp.listen_chunk "
	                "USING listen_chunk") != 0)
		return -1;
	for (i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(l->db, STMT_SQL[i], -1,
		        SQLITE_PREPARE_PERSISTENT, &l->st[i],
		        NULL) != SQLITE_OK)
			return db_fail(l);
	return 0;
}

/* Steps a bound statement that returns no row, and resets it. */
static int
step_done(struct load *l, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(l);
	return 0;
}

/* The key of a listen in the chunk, whose text outlives the step. */
static void
bind_key(sqlite3_stmt *st, const struct chunk *c, const struct listen *x)
{
	int i;

	for (i = 0; i < 3; i++)
		sqlite3_bind_text(st, i + 1, c->text + x->off[i],
		    (int)x->len[i], SQLITE_STATIC);
}

static void
bind_listen(struct load *l, sqlite3_stmt *st, const struct listen *x)
{
	bind_key(st, &l->chunk, x);
	sqlite3_bind_int64(st, 4, x->ms);
	sqlite3_bind_int64(st, 5, l->batch_id);
}

/*
 * A key already stored (before this load or earlier in it): a plain
 * duplicate, or a conflict (same key, other ms_played) whose incoming row
 * is kept in `conflicts` for audit.  The stored row stays either way.
 */
static int
already_stored(struct load *l, const struct listen *x, int64_t stored)
{
	if (stored == x->ms) {
		l->nduplicate++;
		return 0;
	}
	l->nconflict++;
	bind_listen(l, l->st[ST_CONFLICT], x);
	return step_done(l, l->st[ST_CONFLICT]);
}

/*
 * A new listen counts in the week of its start of play, in UTC; one that
 * spans midnight on Sunday counts whole in the week it began.
 */
static int
count_new(struct load *l, const struct listen *x)
{
	l->ninserted++;
	if (weekmap_add(&l->weeks, isoweek_index_of_days(ts_days(x->played_at)),
	        x->ms, 1) != 0) {
		warnmsg("%s:%ld: weekly total passes 2^63 - 1 ms", l->in_name,
		    x->lineno);
		return -1;
	}
	return 0;
}

/*
 * Inserts a listen whose key is not stored, or, when the insert finds it
 * after all (a key the scan could not settle), looks up the stored row.
 * *stored is the key's ms_played afterwards.
 */
static int
insert_listen(struct load *l, const struct listen *x, int64_t *stored)
{
	sqlite3_stmt *st;
	int rc;

	bind_listen(l, l->st[ST_INSERT], x);
	if (step_done(l, l->st[ST_INSERT]) != 0)
		return -1;
	if (sqlite3_changes(l->db) == 0) {
		st = l->st[ST_STORED];
		bind_key(st, &l->chunk, x);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW)
			*stored = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW)
			return db_fail(l);
		return already_stored(l, x, *stored);
	}
	*stored = x->ms;
	return count_new(l, x);
}

/* The chunk's text, for qsort's comparison, which takes no context. */
static const char *sort_text;

/* Keys compare as SQLite's BINARY collation does: bytes, then length. */
static int
cmp_text(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

static int
cmp_key(
    const char *text, const struct listen *x, int i, const char *p, size_t len)
{
	return cmp_text(text + x->off[i], x->len[i], p, len);
}

static int
cmp_listens(const void *pa, const void *pb)
{
	const struct listen *a = pa, *b = pb;
	int i, c;

	for (i = 0; i < 3; i++)
		if ((c = cmp_key(sort_text, a, i, sort_text + b->off[i],
		         b->len[i])) != 0)
			return c;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

static int
same_key(const char *text, const struct listen *a, const struct listen *b)
{
	int i;

	for (i = 0; i < 3; i++)
		if (cmp_key(text, a, i, text + b->off[i], b->len[i]) != 0)
			return 0;
	return 1;
}

/*
 * Marks each listen of the sorted chunk KEY_STORED or KEY_ABSENT by
 * walking the stored keys from the chunk's first key on, alongside the
 * chunk.  Rows arrive roughly in time order, so the walk covers about as
 * many stored keys as the chunk has; when it would cover many more (an
 * unordered file spans years), it stops and leaves the rest KEY_UNKNOWN,
 * for a search each.
 */
static int
scan_chunk(struct load *l)
{
	struct chunk *c = &l->chunk;
	sqlite3_stmt *st = l->st[ST_SCAN];
	size_t i = 0, budget = 4 * c->n + 64;
	int rc, cmp, k;

	sqlite3_bind_text(st, 1, c->text + c->v[0].off[0], (int)c->v[0].len[0],
	    SQLITE_STATIC);
	rc = sqlite3_step(st);
	while (i < c->n && rc == SQLITE_ROW) {
		struct listen *x = &c->v[i];

		for (cmp = 0, k = 0; k < 3 && cmp == 0; k++)
			cmp = cmp_text((const char *)sqlite3_column_text(st, k),
			    (size_t)sqlite3_column_bytes(st, k),
			    c->text + x->off[k], x->len[k]);
		if (cmp > 0) {
			x->state = KEY_ABSENT;
			i++;
		} else if (cmp == 0) {
			x->state = KEY_STORED;
			x->stored = sqlite3_column_int64(st, 3);
			i++;
		} else if (--budget == 0)
			break;
		else
			rc = sqlite3_step(st);
	}
	if (rc == SQLITE_DONE)
		for (; i < c->n; i++)
			c->v[i].state = KEY_ABSENT;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(l);
	return 0;
}

/*
 * Stores the chunk in key order.  Of listens with one key, the first in
 * the input comes first (the sort breaks ties by input order) and wins;
 * the later ones are duplicates or conflicts of it.  The result is the
 * same as storing the listens one by one in input order.  The keys the
 * scan found absent are inserted together at the end, by one statement;
 * the few it could not settle, one by one on the way.
 */
static int
flush_chunk(struct load *l)
{
	struct chunk *c = &l->chunk;
	int64_t stored = 0;
	size_t i, nnew = 0;

	if (c->n == 0)
		return 0;
	sort_text = c->text;
	qsort(c->v, c->n, sizeof *c->v, cmp_listens);
	if (scan_chunk(l) != 0)
		return -1;
	for (i = 0; i < c->n; i++) {
		struct listen *x = &c->v[i];
		int rc;

		if (i > 0 && same_key(c->text, x, &c->v[i - 1]))
			rc = already_stored(l, x, stored);
		else if (x->state == KEY_STORED) {
			stored = x->stored;
			rc = already_stored(l, x, stored);
		} else if (x->state == KEY_ABSENT) {
			x->state = KEY_NEW;
			stored = x->ms;
			rc = count_new(l, x);
			nnew++;
		} else
			rc = insert_listen(l, x, &stored);
		if (rc != 0)
			return -1;
	}
	if (nnew > 0) {
		sqlite3_bind_int64(l->st[ST_BULK], 1, l->batch_id);
		if (step_done(l, l->st[ST_BULK]) != 0)
			return -1;
	}
	c->n = c->len = 0;
	return 0;
}

/* Adds the current record to the chunk, storing the chunk when full. */
static int
add_listen(struct load *l, struct tsv *r, int64_t played_at, int64_t ms)
{
	struct chunk *c = &l->chunk;
	struct listen *x;
	int i;

	if (c->n == CHUNK_ROWS ||
	    (c->n > 0 &&
	        c->len + r->f[0].len + r->f[1].len + r->f[2].len > CHUNK_TEXT))
		if (flush_chunk(l) != 0)
			return -1;
	if (c->v == NULL)
		c->v = xmalloc(CHUNK_ROWS * sizeof *c->v);
	x = &c->v[c->n];
	for (i = 0; i < 3; i++) {
		if (c->len + r->f[i].len > c->cap) {
			c->cap = (c->len + r->f[i].len) * 2;
			c->text = xrealloc(c->text, c->cap);
		}
		memcpy(c->text + c->len, r->f[i].p, r->f[i].len);
		x->off[i] = c->len;
		x->len[i] = r->f[i].len;
		c->len += r->f[i].len;
	}
	x->played_at = played_at;
	x->ms = ms;
	x->lineno = r->lineno;
	x->seq = c->n;
	x->state = KEY_UNKNOWN;
	c->n++;
	return 0;
}

static int
read_listens(struct load *l, FILE *in)
{
	struct tsv r;
	int64_t played_at, ms_played;
	int rc;

	tsv_open(&r, in, l->in_name);
	if (tsv_expect_header(
	        &r, "played_at", "user_id", "track_id", "ms_played", NULL) != 0)
		goto fail;
	while ((rc = tsv_next(&r)) == 1) {
		const char *err =
		    ts_parse_stream(r.f[0].p, r.f[0].len, &played_at);

		if (err != NULL) {
			warnmsg("%s:%ld: played_at is %s: '%s'", l->in_name,
			    r.lineno, err, quote_value(r.f[0].p, r.f[0].len));
			goto fail;
		}
		if (tsv_int(&r, 3, 0, INT64_MAX, &ms_played) != 0)
			goto fail;
		l->nread++;
		if (add_listen(l, &r, played_at, ms_played) != 0)
			goto fail;
	}
	if (rc < 0 || flush_chunk(l) != 0)
		goto fail;
	tsv_close(&r);
	return 0;
fail:
	tsv_close(&r);
	return -1;
}

/* Adds this batch's weekly totals to the stored ones, checked. */
static int
store_weeks(struct load *l)
{
	sqlite3_stmt *get = l->st[ST_WEEK_GET], *put = l->st[ST_WEEK_PUT];
	size_t i;

	for (i = 0; i < l->weeks.n; i++) {
		const struct week_total *t = &l->weeks.w[i];
		int64_t year, ms = t->ms, plays = t->plays;
		int week, rc, overflow = 0;

		isoweek_of_index(t->index, &year, &week);
		sqlite3_bind_int64(get, 1, year);
		sqlite3_bind_int(get, 2, week);
		rc = sqlite3_step(get);
		if (rc == SQLITE_ROW) {
			if (sqlite3_column_type(get, 0) != SQLITE_INTEGER ||
			    __builtin_add_overflow(
			        ms, sqlite3_column_int64(get, 0), &ms) ||
			    __builtin_add_overflow(
			        plays, sqlite3_column_int64(get, 1), &plays))
				overflow = 1;
			rc = SQLITE_DONE;
		}
		sqlite3_reset(get);
		sqlite3_clear_bindings(get);
		if (rc != SQLITE_DONE)
			return db_fail(l);
		if (overflow) {
			warnmsg("%s: %" PRId64 " week %d: weekly total passes "
			        "2^63 - 1 ms",
			    l->path, year, week);
			return -1;
		}
		sqlite3_bind_int64(put, 1, year);
		sqlite3_bind_int(put, 2, week);
		sqlite3_bind_int64(put, 3, ms);
		sqlite3_bind_int64(put, 4, plays);
		if (step_done(l, put) != 0)
			return -1;
	}
	return 0;
}

static int
begin_batch(struct load *l, const char *source)
{
	sqlite3_stmt *st;
	char started[TS_LEN + 1];
	int rc;

	now_text(started);
	if (sqlite3_prepare_v2(l->db,
	        "INSERT INTO ingestions (source, started_at, sha256) "
	        "VALUES (?1, ?2, ?3)",
	        -1, &st, NULL) != SQLITE_OK)
		return db_fail(l);
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, started, -1, SQLITE_STATIC);
	if (l->sha256 != NULL)
		sqlite3_bind_text(st, 3, l->sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(l);
	l->batch_id = sqlite3_last_insert_rowid(l->db);
	return 0;
}

static int
end_batch(struct load *l)
{
	sqlite3_stmt *st;
	char finished[TS_LEN + 1];
	int rc;

	now_text(finished);
	if (sqlite3_prepare_v2(l->db,
	        "UPDATE ingestions SET finished_at = ?1, rows_read = ?2, "
	        "rows_inserted = ?3, rows_duplicate = ?4, "
	        "rows_conflicting = ?5 WHERE batch_id = ?6",
	        -1, &st, NULL) != SQLITE_OK)
		return db_fail(l);
	sqlite3_bind_text(st, 1, finished, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, l->nread);
	sqlite3_bind_int64(st, 3, l->ninserted);
	sqlite3_bind_int64(st, 4, l->nduplicate);
	sqlite3_bind_int64(st, 5, l->nconflict);
	sqlite3_bind_int64(st, 6, l->batch_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(l);
	return 0;
}

/*
 * Runs COMMAND with its stdout on a pipe we read while it runs; its stdin
 * and stderr are ours.  posix_spawnp reports a command that cannot be run
 * (not found, not executable) here, before any reading.
 */
static FILE *
spawn(struct load *l, char *const cmd[])
{
	posix_spawn_file_actions_t fa;
	int fd[2], err;
	FILE *fp;

	if (pipe(fd) != 0) {
		warnmsg("pipe: %s", strerror(errno));
		return NULL;
	}
	/*
	 * Room for more than a chunk, so that COMMAND goes on writing while a
	 * chunk is stored instead of waiting on a full 64 KiB pipe.  Linux
	 * only; elsewhere, or when refused, the pipe keeps its size.
	 */
#ifdef F_SETPIPE_SZ
	(void)fcntl(fd[0], F_SETPIPE_SZ, PIPE_BYTES);
#endif
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclose(&fa, fd[0]);
	posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, fd[1]);
	err = posix_spawnp(&l->child, cmd[0], &fa, NULL, cmd, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	if (err != 0) {
		l->child = 0;
		close(fd[0]);
		warnmsg("%s: %s", cmd[0], strerror(err));
		return NULL;
	}
	if ((fp = fdopen(fd[0], "r")) == NULL) {
		warnmsg("fdopen: %s", strerror(errno));
		close(fd[0]);
	}
	return fp;
}

/* Waits for COMMAND; 0 when it exited 0, else a message and -1. */
static int
reap(struct load *l)
{
	int status;

	while (waitpid(l->child, &status, 0) < 0)
		if (errno != EINTR) {
			warnmsg("%s: wait: %s", l->in_name, strerror(errno));
			l->child = 0;
			return -1;
		}
	l->child = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		warnmsg("%s: exited with status %d; nothing stored", l->in_name,
		    WEXITSTATUS(status));
	else
		warnmsg("%s: killed by signal %d; nothing stored", l->in_name,
		    WTERMSIG(status));
	return -1;
}

/*
 * We stopped before COMMAND's end of stream: it may be blocked on a full
 * pipe or still running, so end it rather than wait for it.
 */
static void
stop_child(struct load *l)
{
	if (l->child == 0)
		return;
	kill(l->child, SIGTERM);
	while (waitpid(l->child, NULL, 0) < 0 && errno == EINTR)
		;
	l->child = 0;
}

/* COMMAND's words as one line, for the ingestions row. */
static char *
command_line(char *const cmd[])
{
	size_t n = 0, o = 0;
	char *s;
	int i;

	for (i = 0; cmd[i] != NULL; i++)
		n += strlen(cmd[i]) + 1;
	s = xmalloc(n);
	for (i = 0; cmd[i] != NULL; i++) {
		size_t len = strlen(cmd[i]);

		memcpy(s + o, cmd[i], len);
		o += len;
		s[o++] = ' ';
	}
	s[o - 1] = '\0';
	return s;
}

/*
 * Switches the warehouse to WAL.  A new warehouse is switched by the first
 * load; loads started at the same moment on it all ask for the switch, and
 * SQLite answers SQLITE_BUSY at once, without waiting in the busy handler
 * (the lock it needs could deadlock), so the wait is here, up to the same
 * busy timeout.  A warehouse already in WAL needs no lock for it.
 */
static int
set_wal(struct load *l, int busy_seconds)
{
	struct timespec start, now;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((rc = sqlite3_exec(l->db, "PRAGMA journal_mode = WAL", NULL,
	            NULL, NULL)) == SQLITE_BUSY) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= busy_seconds)
			break;
		sqlite3_sleep(20);
	}
	if (rc != SQLITE_OK)
		return db_fail(l);
	return 0;
}

static sqlite3 *
open_db(const char *path, int flags, int busy_seconds)
{
	sqlite3 *db;

	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		if (db != NULL)
			db_warn(path, db);
		else
			warnmsg("%s: out of memory", path);
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, busy_seconds * 1000);
	return db;
}

/*
 * The load, all in one BEGIN IMMEDIATE transaction: killed at any moment,
 * SQLite's journal leaves the warehouse as before or as after, never half.
 * The only write outside it is the switch to WAL, which lets a reader see
 * the state before a running load instead of failing on a lock.
 */
static int
load(const char *path, const char *source, const char *sha256,
    char *const cmd[], int busy_seconds)
{
	struct load l;
	char *cmdline = NULL, *done_source = NULL;
	FILE *in = stdin;
	int64_t version, done_batch;
	int ok = 0, i, found, c, tables;

	memset(&l, 0, sizeof l);
	l.path = path;
	l.sha256 = sha256;
	l.in_name = cmd != NULL ? cmd[0] : "<stdin>";
	if (source == NULL && cmd != NULL)
		source = cmdline = command_line(cmd);
	else if (source == NULL)
		source = "<stdin>";

	/* One connection, one thread: SQLite's own mutexes only cost. */
	l.db = open_db(path,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    busy_seconds);
	if (l.db == NULL)
		goto out;
	/*
	 * 16 KiB pages for a new warehouse (a no-op on an existing one): a
	 * 5 M-listen load took a sixth less time than with 4 KiB pages, as
	 * fewer, fuller pages mean fewer splits and writes.  It is set before
	 * the first read of the schema: set after it, a load measured twice
	 * the memory (12 MB, not 6).  A bigger page cache measured no better,
	 * so SQLite's default stays.
	 */
	if (exec_sql(&l, "PRAGMA page_size = 16384") != 0)
		goto out;
	/* A newer or foreign database is refused before the WAL switch. */
	if (user_version(l.db, &version, &tables) != 0) {
		db_fail(&l);
		goto out;
	}
	if (check_version(&l, version, tables) != 0 ||
	    set_wal(&l, busy_seconds) != 0 ||
	    exec_sql(&l, "BEGIN IMMEDIATE") != 0)
		goto out;
	if (migrate(&l) != 0 || prepare(&l) != 0)
		goto out;
	/*
	 * A file already stored: nothing is run and nothing written, not even
	 * the migration, and that is a success, so that a retried or
	 * re-delivered file is a no-op.
	 */
	if (sha256 != NULL) {
		if ((found = find_sha256(&l, &done_batch, &done_source)) < 0)
			goto out;
		if (found) {
			warnmsg("%s: already ingested in batch %" PRId64
			        " (%s); nothing done",
			    path, done_batch,
			    quote_value(done_source, strlen(done_source)));
			ok = 1;
			goto out;
		}
	}
	if (begin_batch(&l, source) != 0)
		goto out;
	if (cmd != NULL && (in = spawn(&l, cmd)) == NULL)
		goto out;
	/*
	 * A COMMAND that failed before writing anything has said why: its
	 * status is the whole story, not an "empty input" of ours too.
	 */
	if (cmd != NULL && (c = getc(in)) == EOF) {
		if (!ferror(in) && reap(&l) != 0)
			goto out;
	} else if (cmd != NULL)
		ungetc(c, in);
	if (read_listens(&l, in) != 0) {
		/*
		 * A stream that ended badly (empty, cut mid-line) usually
		 * means COMMAND failed: it has closed its output, so wait for
		 * it and say how it ended too.
		 */
		if (cmd != NULL && feof(in) && l.child != 0) {
			fclose(in);
			in = NULL;
			reap(&l);
		}
		goto out;
	}
	if (cmd != NULL) {
		fclose(in);
		in = NULL;
		if (reap(&l) != 0)
			goto out;
	}
	if (store_weeks(&l) != 0 || end_batch(&l) != 0 ||
	    exec_sql(&l, "COMMIT") != 0)
		goto out;
	ok = 1;
	warnmsg("%s: read %" PRId64 ", inserted %" PRId64
	        ", duplicates %" PRId64 ", conflicts %" PRId64,
	    path, l.nread, l.ninserted, l.nduplicate, l.nconflict);
out:
	/* Closed first: a COMMAND still writing then gets SIGPIPE too. */
	if (cmd != NULL && in != NULL)
		fclose(in);
	stop_child(&l);
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(l.st[i]);
	/* Closing with the transaction open rolls it back. */
	if (l.db != NULL && !sqlite3_get_autocommit(l.db))
		sqlite3_exec(l.db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(l.db);
	weekmap_free(&l.weeks);
	free(l.chunk.v);
	free(l.chunk.text);
	free(cmdline);
	free(done_source);
	return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * --weekly: the weekly totals table as a weekly stream.  Opened read-only,
 * so that asking for a report never creates a warehouse.
 */
static int
weekly(const char *path, int busy_seconds)
{
	struct load l;
	sqlite3_stmt *st = NULL;
	int64_t version;
	int rc = SQLITE_DONE, tables;

	memset(&l, 0, sizeof l);
	l.path = path;
	if ((l.db = open_db(path, SQLITE_OPEN_READONLY, busy_seconds)) == NULL)
		return EXIT_FAILURE;
	if (user_version(l.db, &version, &tables) != 0) {
		db_fail(&l);
		goto fail;
	}
	if (check_version(&l, version, tables) != 0)
		goto fail;
	tsv_put_header(stdout, "year", "week", "listening_ms", NULL);
	/* Version 0 is a warehouse no load has committed to: no weeks. */
	if (version > 0) {
		if (sqlite3_prepare_v2(l.db,
		        "SELECT year, week, listening_ms FROM weekly_listening "
		        "ORDER BY year, week",
		        -1, &st, NULL) != SQLITE_OK) {
			db_fail(&l);
			goto fail;
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (sqlite3_column_type(st, 2) != SQLITE_INTEGER) {
				warnmsg("%s: %" PRId64 " week %d: weekly total "
				        "is not an integer",
				    path, (int64_t)sqlite3_column_int64(st, 0),
				    sqlite3_column_int(st, 1));
				goto fail;
			}
			printf("%" PRId64 "\t%d\t%" PRId64 "\n",
			    (int64_t)sqlite3_column_int64(st, 0),
			    sqlite3_column_int(st, 1),
			    (int64_t)sqlite3_column_int64(st, 2));
		}
		if (rc != SQLITE_DONE) {
			db_fail(&l);
			goto fail;
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(l.db);
	return EXIT_SUCCESS;
fail:
	sqlite3_finalize(st);
	sqlite3_close(l.db);
	return EXIT_FAILURE;
}

/* --sha256: 64 hex digits, kept lowercase as sha256sum prints them. */
static char *
sha256_option(const char *arg)
{
	size_t i, len = strlen(arg);
	char *hex;

	if (len != SHA256_HEX_LEN ||
	    strspn(arg, "0123456789abcdefABCDEF") != len)
		usage_error(
		    "--sha256: not 64 hex digits: '%s'", quote_value(arg, len));
	hex = xstrdup(arg);
	for (i = 0; i < len; i++)
		if (hex[i] >= 'A' && hex[i] <= 'F')
			hex[i] = (char)(hex[i] - 'A' + 'a');
	return hex;
}

static void
usage(FILE *fp)
{
	fputs("usage: listen-load [--busy-timeout seconds] [--sha256 hex] "
	      "[--source name] db [-- command [arg ...]]\n"
	      "       listen-load [--busy-timeout seconds] --weekly db\n",
	    fp);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"busy-timeout", required_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},
	    {"sha256", required_argument, NULL, 'x'},
	    {"source", required_argument, NULL, 's'},
	    {"weekly", no_argument, NULL, 'w'},
	    {NULL, 0, NULL, 0},
	};
	const char *source = NULL, *path, *err;
	char *sha256 = NULL;
	char *const *cmd = NULL;
	int64_t busy = BUSY_TIMEOUT_DEFAULT;
	int ch, rc, weekly_mode = 0;

	msg_init("listen-load");
	usage_set(usage);
	argv[0] = (char *)"listen-load"; /* getopt's messages name it */
	/*
	 * "+": options end at the first operand, as for timeout(1), so that
	 * COMMAND's own options after "--" are never ours.
	 */
	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			/* sqlite3_busy_timeout takes an int of milliseconds. */
			err = num_i64(
			    optarg, strlen(optarg), 0, INT32_MAX / 1000, &busy);
			if (err != NULL)
				usage_error("--busy-timeout: %s: '%s'", err,
				    quote_value(optarg, strlen(optarg)));
			break;
		case 'h': usage(stdout); return EXIT_SUCCESS;
		case 's': source = optarg; break;
		case 'x': sha256 = sha256_option(optarg); break;
		case 'w': weekly_mode = 1; break;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind == argc)
		usage_error("missing operand: db");
	path = argv[optind++];
	if (optind < argc) {
		if (weekly_mode || strcmp(argv[optind], "--") != 0)
			usage_error("unexpected operand '%s'", argv[optind]);
		if (++optind == argc)
			usage_error("missing command after '--'");
		cmd = argv + optind;
	}
	if (weekly_mode) {
		if (source != NULL)
			usage_error("--source is for a load, not --weekly");
		if (sha256 != NULL)
			usage_error("--sha256 is for a load, not --weekly");
		rc = weekly(path, (int)busy);
		return msg_close_stdout() ? EXIT_FAILURE : rc;
	}
	rc = load(path, source, sha256, cmd, (int)busy);
	free(sha256);
	return rc;
}
