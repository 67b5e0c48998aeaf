/*
 * Reading and writing the TSV streams of SPEC section 3.  The reader keeps
 * one line buffer for the whole run, so memory is one line whatever the
 * input size.  Every problem is reported as "prog: FILE:LINE: what" and
 * returned as -1: the caller decides (listen-load has to roll back first).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "num.h"
#include "tsv.h"

void
tsv_open(struct tsv *r, FILE *fp, const char *name)
{
	memset(r, 0, sizeof *r);
	r->fp = fp;
	r->name = name;
}

void
tsv_close(struct tsv *r)
{
	free(r->line);
	free(r->f);
	r->line = NULL;
	r->f = NULL;
}

/*
 * Reads one line into r->line, without its LF.  A stream whose last line
 * has no LF was cut short (SPEC section 3) and is refused.
 */
static ssize_t
read_line(struct tsv *r)
{
	ssize_t n;

	errno = 0;
	n = getline(&r->line, &r->cap, r->fp);
	if (n < 0) {
		if (ferror(r->fp)) {
			warnmsg("%s: read error: %s", r->name, strerror(errno));
			return -2;
		}
		return -1;
	}
	r->lineno++;
	if (r->line[n - 1] != '\n') {
		warnmsg("%s:%ld: stream ends in the middle of a line", r->name,
		    r->lineno);
		return -2;
	}
	r->line[--n] = '\0';
	return n;
}

/*
 * Splits the line at TABs and unescapes each field in place.  A raw CR, a
 * NUL, an unknown escape or a lone trailing backslash is a broken stream.
 */
static int
split(struct tsv *r, size_t len, size_t want)
{
	char *s = r->line, *end = r->line + len, *o;
	size_t n = 0;

	if (memchr(s, '\0', len) != NULL) {
		warnmsg("%s:%ld: NUL byte in stream", r->name, r->lineno);
		return -1;
	}
	for (;;) {
		if (n == want) {
			warnmsg("%s:%ld: expected %zu fields, got more",
			    r->name, r->lineno, want);
			return -1;
		}
		r->f[n].p = o = s;
		while (s < end && *s != '\t') {
			if (*s == '\r') {
				warnmsg("%s:%ld: raw CR in stream", r->name,
				    r->lineno);
				return -1;
			}
			if (*s == '\\') {
				if (++s == end) {
					warnmsg("%s:%ld: lone backslash at end "
					        "of line",
					    r->name, r->lineno);
					return -1;
				}
				switch (*s) {
				case 't': *o++ = '\t'; break;
				case 'n': *o++ = '\n'; break;
				case 'r': *o++ = '\r'; break;
				case '\\': *o++ = '\\'; break;
				default:
					warnmsg("%s:%ld: unknown escape '\\%c'",
					    r->name, r->lineno, *s);
					return -1;
				}
				s++;
			} else
				*o++ = *s++;
		}
		r->f[n].len = (size_t)(o - r->f[n].p);
		n++;
		if (s == end)
			break;
		s++; /* the TAB */
	}
	if (n != want) {
		warnmsg("%s:%ld: expected %zu fields, got %zu", r->name,
		    r->lineno, want, n);
		return -1;
	}
	return 0;
}

/*
 * A header for a message: TABs as <TAB> so that a wrong wiring is easy to
 * see, other control bytes escaped, cut at 120 bytes.
 */
static const char *
show_header(const char *s, size_t len)
{
	static char buf[160];
	size_t i, o = 0;

	for (i = 0; i < len && o < 120; i++) {
		if (s[i] == '\t')
			o += (size_t)snprintf(buf + o, sizeof buf - o, "<TAB>");
		else
			o += (size_t)snprintf(buf + o, sizeof buf - o, "%s",
			    quote_value(s + i, 1));
	}
	if (i < len)
		o += (size_t)snprintf(buf + o, sizeof buf - o, "...");
	return buf;
}

/*
 * Checks the header line against the names given (a NULL ends them), so
 * that a tool wired to the wrong stream fails at line 1 with both headers.
 */
int
tsv_expect_header(struct tsv *r, ...)
{
	char want[256], want_raw[256];
	size_t n = 0, o = 0, oraw = 0;
	ssize_t len;
	const char *name;
	va_list ap;

	va_start(ap, r);
	while ((name = va_arg(ap, const char *)) != NULL) {
		o += (size_t)snprintf(
		    want + o, sizeof want - o, "%s%s", n ? "<TAB>" : "", name);
		oraw += (size_t)snprintf(want_raw + oraw,
		    sizeof want_raw - oraw, "%s%s", n ? "\t" : "", name);
		n++;
	}
	va_end(ap);
	r->nfields = n;
	r->f = xmalloc(n * sizeof *r->f);

	len = read_line(r);
	if (len == -2)
		return -1;
	if (len == -1) {
		warnmsg(
		    "%s:1: empty input: expected header '%s'", r->name, want);
		return -1;
	}
	if ((size_t)len != oraw || memcmp(r->line, want_raw, oraw) != 0) {
		warnmsg("%s:1: expected header '%s', got '%s'", r->name, want,
		    show_header(r->line, (size_t)len));
		return -1;
	}
	return 0;
}

int
tsv_next(struct tsv *r)
{
	ssize_t len = read_line(r);

	if (len == -1)
		return 0;
	if (len == -2)
		return -1;
	return split(r, (size_t)len, r->nfields) ? -1 : 1;
}

/* Field i as an integer in [min, max], or a message naming file and line. */
int
tsv_int(struct tsv *r, size_t i, int64_t min, int64_t max, int64_t *out)
{
	const char *err = num_i64(r->f[i].p, r->f[i].len, min, max, out);

	if (err != NULL) {
		warnmsg("%s:%ld: field %zu is %s: '%s'", r->name, r->lineno,
		    i + 1, err, quote_value(r->f[i].p, r->f[i].len));
		return -1;
	}
	return 0;
}

/*
 * A field with exactly the four escapes of SPEC section 3, into dst, which
 * has room for 2 * len bytes; returns the length written.
 */
size_t
tsv_escape(char *dst, const char *s, size_t len)
{
	char *o = dst;
	size_t i;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '\t':
			*o++ = '\\';
			*o++ = 't';
			break;
		case '\n':
			*o++ = '\\';
			*o++ = 'n';
			break;
		case '\r':
			*o++ = '\\';
			*o++ = 'r';
			break;
		case '\\':
			*o++ = '\\';
			*o++ = '\\';
			break;
		default: *o++ = s[i];
		}
	}
	return (size_t)(o - dst);
}

/* Writes a field with exactly the four escapes of SPEC section 3. */
void
tsv_put(FILE *fp, const char *s, size_t len)
{
	const char *end = s + len, *run = s;

	for (; s < end; s++) {
		const char *esc;

		switch (*s) {
		case '\t': esc = "\\t"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\\': esc = "\\\\"; break;
		default: continue;
		}
		fwrite(run, 1, (size_t)(s - run), fp);
		fputs(esc, fp);
		run = s + 1;
	}
	fwrite(run, 1, (size_t)(end - run), fp);
}

void
tsv_put_header(FILE *fp, ...)
{
	const char *name;
	int first = 1;
	va_list ap;

	va_start(ap, fp);
	while ((name = va_arg(ap, const char *)) != NULL) {
		if (!first)
			fputc('\t', fp);
		fputs(name, fp);
		first = 0;
	}
	va_end(ap);
	fputc('\n', fp);
}
