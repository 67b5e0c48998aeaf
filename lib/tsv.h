/*
 * The TSV streams of SPEC section 3: one header line, LF line ends (the last
 * line too), fields split by one TAB, and TAB, LF, CR and backslash written
 * as \t \n \r \\ inside a field.  Nothing is quoted.
 */
#ifndef TSV_H
#define TSV_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct tsv_field {
	char *p; /* unescaped in place; not NUL-terminated */
	size_t len;
};

struct tsv {
	FILE *fp;
	const char *name; /* "<stdin>" or the file name, for messages */
	char *line;
	size_t cap;
	long lineno;    /* the header is line 1 */
	size_t nfields; /* the header's field count */
	struct tsv_field *f;
};

void tsv_open(struct tsv *r, FILE *fp, const char *name);
int tsv_expect_header(struct tsv *r, ...); /* names, then NULL; 0 or -1 */
int tsv_next(struct tsv *r);               /* 1 record, 0 end, -1 error */
int tsv_int(struct tsv *r, size_t i, int64_t min, int64_t max, int64_t *out);
void tsv_close(struct tsv *r);

size_t tsv_escape(char *dst, const char *s, size_t len);
void tsv_put(FILE *fp, const char *s, size_t len);
void tsv_put_header(FILE *fp, ...); /* names, then NULL */

#endif
