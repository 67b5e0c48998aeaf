/*
 * Messages to stderr: one line per problem, "prog: where: what".  The
 * program name is fixed by msg_init, never taken from argv[0], so that tests
 * can compare messages exactly.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

static const char *progname = "listen";
static void (*usage_fn)(FILE *);

void
msg_init(const char *prog)
{
	progname = prog;
}

const char *
msg_prog(void)
{
	return progname;
}

void
usage_set(void (*usage)(FILE *))
{
	usage_fn = usage;
}

static void
vmsg(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
warnmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void
errmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}

void
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	if (usage_fn != NULL)
		usage_fn(stderr);
	exit(EXIT_USAGE);
}

/*
 * A full disk or a closed pipe shows up only when stdout is flushed: report
 * it, so that a truncated output never exits 0.
 */
int
msg_close_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warnmsg("write error: %s", strerror(errno ? errno : EIO));
		return 1;
	}
	if (fclose(stdout) != 0) {
		warnmsg("write error: %s", strerror(errno));
		return 1;
	}
	return 0;
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		errmsg("out of memory");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		errmsg("out of memory");
	return p;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

/*
 * A bad value for a message: cut to 80 bytes (a SHA-256 or a dotted JSON
 * path fits whole), and made printable so that a TAB or newline in the
 * data cannot break the one-line-per-problem rule.
 * Returns a static buffer, valid until the next call.
 */
const char *
quote_value(const char *s, size_t len)
{
	static char buf[4 * 80 + 8];
	size_t i, o = 0;

	for (i = 0; i < len && i < 80; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\t')
			o += (size_t)snprintf(buf + o, sizeof buf - o, "\\t");
		else if (c == '\n')
			o += (size_t)snprintf(buf + o, sizeof buf - o, "\\n");
		else if (c == '\r')
			o += (size_t)snprintf(buf + o, sizeof buf - o, "\\r");
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(
			    buf + o, sizeof buf - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (i < len)
		o += (size_t)snprintf(buf + o, sizeof buf - o, "...");
	buf[o] = '\0';
	return buf;
}
