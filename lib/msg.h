/*
 * Messages to stderr in the shape "prog: where: what", and the exit codes
 * every tool shares (SPEC section 8).
 */
#ifndef MSG_H
#define MSG_H

#include <stdio.h>

#define EXIT_USAGE 2

void msg_init(const char *prog);
const char *msg_prog(void);
void warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void errmsg(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void usage_set(void (*usage)(FILE *));
int msg_close_stdout(void);
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
const char *quote_value(const char *s, size_t len);

#endif
