/*
 * JSON input as a stream of records, for listen-parse (SPEC section 5):
 * the objects of a top-level array, top-level objects one after another
 * (JSON Lines), or the array under "listens" or "payload.listens" of a
 * wrapping object.  Each record comes flattened: one field per scalar,
 * named by its dotted path ("track_metadata.artist_name"), with the line
 * where the record starts and the record written again as one line of
 * compact JSON for the rejects file.  yajl parses as a stream, so memory
 * is one read buffer plus the records that one buffer completes.
 */
#ifndef JSONREC_H
#define JSONREC_H

#include <stddef.h>
#include <stdio.h>

#define JSONREC_MAX_DEPTH 64 /* deeper nesting is refused, not recursed */

struct jsonrec_field {
	size_t name, namelen; /* offsets into text; NUL-terminated there */
	size_t leaf;          /* offset of the last path component in name */
	size_t value, valuelen;
	int depth; /* 0: a key of the record itself */
	int null;  /* JSON null: the value is empty */
};

struct jsonrec_record {
	long line;        /* where the record's value starts */
	const char *kind; /* NULL for an object, else "a number", ... */
	int has_nul;      /* a key or string held \u0000 */
	char *text;       /* names and values, each NUL-terminated */
	size_t len, cap;
	struct jsonrec_field *f;
	size_t nf, fcap;
	char *json; /* the record as compact JSON, not NUL-terminated */
	size_t jsonlen, jsoncap;
};

struct jsonrec;

struct jsonrec *jsonrec_open(
    FILE *fp, const char *name, const char *head, size_t headlen, long lineno);
int jsonrec_next(struct jsonrec *j, const struct jsonrec_record **rec);
void jsonrec_close(struct jsonrec *j);

#endif
