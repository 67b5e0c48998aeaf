/*
 * JSON records from a byte stream, with yajl's event parser.  Input is fed
 * one line (or one 64 KiB piece of a longer line) at a time, so that every
 * event happens while its line is being fed: that is how a record knows
 * the line where it starts.  Records completed by one piece are queued
 * and handed out by jsonrec_next; the queue is empty before the next
 * piece is read, so memory is one piece plus the records in it.
 *
 * Which values are records: the elements of a top-level array; a
 * top-level object, unless it wraps the listens in an array under
 * "listens" or "payload.listens", whose elements are then the records
 * (the rest of the wrapper is not listens and is passed over); any other
 * top-level value.  A record that is not an object is returned with its
 * kind set, for the caller to reject.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "jsonrec.h"
#include "msg.h"

/* The fuzz build makes pieces tiny, so that records cross them often. */
#ifndef JSONREC_PIECE
#define JSONREC_PIECE 65536
#endif
#define PIECE JSONREC_PIECE

struct level {
	int is_map;
	size_t pathlen; /* the path of the container itself */
	long index;     /* the next element's index, in an array */
};

struct jsonrec {
	FILE *fp;
	const char *name;
	yajl_handle h;
	yajl_gen g;
	long lineno; /* the line being fed */
	const char *head;
	size_t headlen;
	char *buf;
	size_t pos, end;
	int eof, done;
	char *err; /* a failure met while feeding, reported in its turn */
	long errline;

	struct level lv[JSONREC_MAX_DEPTH + 1];
	int depth;     /* containers open */
	int elems;     /* depth of the records of an array, or -1 */
	int in_rec;    /* a record is being built */
	int rec_depth; /* the depth where it started */
	int candidate; /* it is a top-level object, maybe a wrapper */
	char *path;    /* the dotted path of the current value */
	size_t pathlen, pathcap;

	struct jsonrec_record *q; /* records completed, in order */
	size_t nq, head_q, qcap;
};

static void
grow(char **buf, size_t *cap, size_t need)
{
	if (need > *cap) {
		*cap = need * 2 + 64;
		*buf = xrealloc(*buf, *cap);
	}
}

static size_t
add_text(struct jsonrec_record *r, const char *s, size_t n)
{
	size_t at = r->len;

	grow(&r->text, &r->cap, r->len + n + 1);
	if (n > 0)
		memcpy(r->text + at, s, n);
	r->text[at + n] = '\0';
	r->len += n + 1;
	return at;
}

static struct jsonrec_record *
cur(struct jsonrec *j)
{
	return &j->q[j->nq];
}

static void
fail(struct jsonrec *j, const char *what)
{
	if (j->err == NULL) {
		j->err = xstrdup(what);
		j->errline = j->lineno;
	}
}

/* The path of the current value: its container's path, a dot, one part. */
static void
set_part(struct jsonrec *j, const char *s, size_t n)
{
	size_t base = j->depth > 0 ? j->lv[j->depth - 1].pathlen : 0;

	j->pathlen = base;
	grow(&j->path, &j->pathcap, base + n + 2);
	if (base > 0)
		j->path[j->pathlen++] = '.';
	memcpy(j->path + j->pathlen, s, n);
	j->pathlen += n;
	j->path[j->pathlen] = '\0';
}

static void
start_record(struct jsonrec *j)
{
	struct jsonrec_record *r;

	if (j->nq == j->qcap) {
		j->qcap = j->qcap * 2 + 4;
		j->q = xrealloc(j->q, j->qcap * sizeof *j->q);
		memset(j->q + j->nq, 0, (j->qcap - j->nq) * sizeof *j->q);
	}
	r = cur(j);
	r->line = j->lineno;
	r->kind = NULL;
	r->has_nul = 0;
	r->len = r->nf = r->jsonlen = 0;
	j->in_rec = 1;
	j->rec_depth = j->depth;
	j->candidate = j->depth == 0;
	j->pathlen = 0;
	grow(&j->path, &j->pathcap, 1);
	j->path[0] = '\0';
	yajl_gen_clear(j->g);
	yajl_gen_reset(j->g, NULL);
}

static void
end_record(struct jsonrec *j)
{
	struct jsonrec_record *r = cur(j);
	const unsigned char *out;
	size_t n;

	yajl_gen_get_buf(j->g, &out, &n);
	grow(&r->json, &r->jsoncap, n);
	if (n > 0)
		memcpy(r->json, out, n);
	r->jsonlen = n;
	j->in_rec = 0;
	j->nq++;
}

/*
 * Called before every value: names an array element by its index, and
 * says whether the value belongs to a record, starting one where a
 * record begins.
 */
static int
begin_value(struct jsonrec *j, int is_array)
{
	if (j->depth > 0 && !j->lv[j->depth - 1].is_map) {
		char num[24];
		int n = snprintf(
		    num, sizeof num, "%ld", j->lv[j->depth - 1].index++);

		set_part(j, num, (size_t)n);
	}
	if (j->in_rec)
		return 1;
	if (j->depth == 0 && is_array) {
		j->elems = 1;
		return 0;
	}
	if (j->depth == 0 || j->depth == j->elems) {
		start_record(j);
		return 1;
	}
	return 0;
}

static int
has_nul(const unsigned char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

/* A scalar: a field of the record, or a whole record that is no object. */
static int
scalar(struct jsonrec *j, const char *kind, const char *s, size_t n, int null)
{
	struct jsonrec_record *r;
	struct jsonrec_field *f;
	size_t base;

	r = cur(j);
	if (j->depth == j->rec_depth) {
		r->kind = kind;
		end_record(j);
		return 1;
	}
	if (r->nf == r->fcap) {
		r->fcap = r->fcap * 2 + 16;
		r->f = xrealloc(r->f, r->fcap * sizeof *r->f);
	}
	f = &r->f[r->nf++];
	f->name = add_text(r, j->path, j->pathlen);
	f->namelen = j->pathlen;
	base = j->lv[j->depth - 1].pathlen;
	f->leaf = base > 0 ? base + 1 : 0;
	f->depth = j->depth - 1 - j->rec_depth;
	f->value = add_text(r, s, n);
	f->valuelen = n;
	f->null = null;
	return 1;
}

static int
on_null(void *ctx)
{
	struct jsonrec *j = ctx;

	if (!begin_value(j, 0))
		return 1;
	yajl_gen_null(j->g);
	return scalar(j, "null", "", 0, 1);
}

static int
on_boolean(void *ctx, int b)
{
	struct jsonrec *j = ctx;

	if (!begin_value(j, 0))
		return 1;
	yajl_gen_bool(j->g, b);
	return scalar(j, "a boolean", b ? "true" : "false", b ? 4 : 5, 0);
}

/* Numbers keep their text: "1720688852", "288426.0", "1e5" as written. */
static int
on_number(void *ctx, const char *s, size_t n)
{
	struct jsonrec *j = ctx;

	if (!begin_value(j, 0))
		return 1;
	yajl_gen_number(j->g, s, n);
	return scalar(j, "a number", s, n, 0);
}

static int
on_string(void *ctx, const unsigned char *s, size_t n)
{
	struct jsonrec *j = ctx;

	if (!begin_value(j, 0))
		return 1;
	yajl_gen_string(j->g, s, n);
	if (j->in_rec && has_nul(s, n))
		cur(j)->has_nul = 1;
	return scalar(j, "a string", (const char *)s, n, 0);
}

static int
on_key(void *ctx, const unsigned char *s, size_t n)
{
	struct jsonrec *j = ctx;

	set_part(j, (const char *)s, n);
	if (j->in_rec) {
		yajl_gen_string(j->g, s, n);
		if (has_nul(s, n))
			cur(j)->has_nul = 1;
	}
	return 1;
}

static int
open_container(struct jsonrec *j, int is_map)
{
	struct level *l;

	if (j->depth == JSONREC_MAX_DEPTH) {
		fail(j, "JSON nested more than 64 levels deep");
		return 0;
	}
	l = &j->lv[j->depth++];
	l->is_map = is_map;
	l->pathlen = j->pathlen;
	l->index = 0;
	return 1;
}

static int
on_start_map(void *ctx)
{
	struct jsonrec *j = ctx;

	if (begin_value(j, 0))
		yajl_gen_map_open(j->g);
	return open_container(j, 1);
}

static int
on_start_array(void *ctx)
{
	struct jsonrec *j = ctx;
	int rec = begin_value(j, 1);

	/* A top-level object holding the listens is a wrapper, not one. */
	if (rec && j->candidate &&
	    ((j->depth == 1 && strcmp(j->path, "listens") == 0) ||
	        (j->depth == 2 && j->lv[1].is_map &&
	            strcmp(j->path, "payload.listens") == 0))) {
		j->in_rec = 0;
		j->candidate = 0;
		j->elems = j->depth + 1;
		rec = 0;
	}
	if (rec)
		yajl_gen_array_open(j->g);
	return open_container(j, 0);
}

static int
close_container(struct jsonrec *j, int is_map)
{
	j->depth--;
	j->pathlen = j->lv[j->depth].pathlen;
	j->path[j->pathlen] = '\0';
	if (j->in_rec) {
		if (is_map)
			yajl_gen_map_close(j->g);
		else
			yajl_gen_array_close(j->g);
		if (j->depth == j->rec_depth) {
			cur(j)->kind = is_map ? NULL : "an array";
			end_record(j);
		}
	} else if (j->depth + 1 == j->elems)
		j->elems = -1;
	return 1;
}

static int
on_end_map(void *ctx)
{
	return close_container(ctx, 1);
}

static int
on_end_array(void *ctx)
{
	return close_container(ctx, 0);
}

static const yajl_callbacks callbacks = {
    on_null,
    on_boolean,
    NULL,
    NULL,
    on_number,
    on_string,
    on_start_map,
    on_key,
    on_end_map,
    on_start_array,
    on_end_array,
};

struct jsonrec *
jsonrec_open(
    FILE *fp, const char *name, const char *head, size_t headlen, long lineno)
{
	struct jsonrec *j = xmalloc(sizeof *j);

	memset(j, 0, sizeof *j);
	j->fp = fp;
	j->name = name;
	j->head = head;
	j->headlen = headlen;
	j->lineno = lineno;
	j->elems = -1;
	j->buf = xmalloc(PIECE);
	j->pathcap = 64;
	j->path = xmalloc(j->pathcap);
	j->path[0] = '\0';
	j->h = yajl_alloc(&callbacks, NULL, j);
	j->g = yajl_gen_alloc(NULL);
	if (j->h == NULL || j->g == NULL)
		errmsg("out of memory");
	/* Strings are checked by the caller: a bad byte rejects a record. */
	yajl_config(j->h, yajl_dont_validate_strings, 1);
	yajl_config(j->h, yajl_allow_multiple_values, 1);
	return j;
}

void
jsonrec_close(struct jsonrec *j)
{
	size_t i;

	if (j == NULL)
		return;
	yajl_free(j->h);
	yajl_gen_free(j->g);
	for (i = 0; i < j->qcap; i++) {
		free(j->q[i].text);
		free(j->q[i].f);
		free(j->q[i].json);
	}
	free(j->q);
	free(j->path);
	free(j->buf);
	free(j->err);
	free(j);
}

/* yajl's message, less its "parse error: " framing and final newline. */
static void
fail_yajl(struct jsonrec *j, const unsigned char *p, size_t n)
{
	unsigned char *e = yajl_get_error(j->h, 0, p, n);
	char msg[256];
	size_t len;

	snprintf(msg, sizeof msg, "JSON %s", (const char *)e);
	yajl_free_error(j->h, e);
	len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '.'))
		msg[--len] = '\0';
	fail(j, msg);
}

static void
feed(struct jsonrec *j, const char *p, size_t n)
{
	yajl_status st;

	st = yajl_parse(j->h, (const unsigned char *)p, n);
	if (st == yajl_status_error)
		fail_yajl(j, (const unsigned char *)p, n);
	else if (st != yajl_status_ok)
		fail(j, "JSON could not be read");
	if (n > 0 && p[n - 1] == '\n')
		j->lineno++;
}

/* Feeds the next piece: up to a line end, or what the buffer holds. */
static void
feed_more(struct jsonrec *j)
{
	const char *p, *nl;
	size_t n;

	if (j->headlen > 0) {
		/* The caller's first line, in pieces too: it may be all. */
		n = j->headlen < PIECE ? j->headlen : PIECE;
		p = j->head;
		j->head += n;
		j->headlen -= n;
		feed(j, p, n);
		return;
	}
	if (j->pos == j->end) {
		j->pos = 0;
		errno = 0;
		j->end = fread(j->buf, 1, PIECE, j->fp);
		if (j->end == 0) {
			if (ferror(j->fp)) {
				char msg[128];

				snprintf(msg, sizeof msg, "read error: %s",
				    strerror(errno));
				fail(j, msg);
			} else if (yajl_complete_parse(j->h) != yajl_status_ok)
				fail(j, "JSON is cut short: the input ends "
				        "inside a value");
			j->eof = 1;
			return;
		}
	}
	p = j->buf + j->pos;
	nl = memchr(p, '\n', j->end - j->pos);
	n = nl != NULL ? (size_t)(nl - p) + 1 : j->end - j->pos;
	j->pos += n;
	feed(j, p, n);
}

/*
 * The next record: 1 and *rec (valid until the next call), 0 at the end,
 * -1 after a message for input that is not well-formed JSON.  Records
 * read before a failure are handed out first.
 */
int
jsonrec_next(struct jsonrec *j, const struct jsonrec_record **rec)
{
	for (;;) {
		if (j->head_q < j->nq) {
			*rec = &j->q[j->head_q++];
			return 1;
		}
		/* A record still being built moves to the front. */
		if (j->in_rec && j->nq > 0) {
			struct jsonrec_record t = j->q[0];

			j->q[0] = j->q[j->nq];
			j->q[j->nq] = t;
		}
		j->head_q = j->nq = 0;
		if (j->done)
			return j->err != NULL ? -1 : 0;
		if (j->err != NULL || j->eof) {
			j->done = 1;
			if (j->err != NULL)
				warnmsg(
				    "%s:%ld: %s", j->name, j->errline, j->err);
			continue;
		}
		feed_more(j);
		/* A record cut short by a failure is not handed out. */
		if (j->err != NULL)
			j->in_rec = 0;
	}
}
