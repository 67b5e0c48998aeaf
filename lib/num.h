/*
 * Numbers checked whole, strtonum-style: a string that is not entirely a
 * number in range is an error, named by the returned string.
 */
#ifndef NUM_H
#define NUM_H

#include <stddef.h>
#include <stdint.h>

__extension__ typedef __int128 i128;

/* 20.000 % kept as thousandths of a percent, so the rule stays integral. */
#define PCT_DEFAULT 20000

const char *num_i64(
    const char *s, size_t len, int64_t min, int64_t max, int64_t *out);
const char *num_pct(const char *s, int64_t *thousandths);
const char *num_decimal_ms(
    const char *s, size_t len, int64_t scale, int64_t *ms);
int64_t pct_option(const char *opt, const char *arg);

#endif
