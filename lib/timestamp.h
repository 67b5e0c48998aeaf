/*
 * Instants as integer milliseconds since 1970-01-01T00:00:00Z, and the one
 * way the streams write them: YYYY-MM-DDTHH:MM:SS.mmmZ (SPEC section 3).
 */
#ifndef TIMESTAMP_H
#define TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>

#define TS_LEN 24

void ts_format(int64_t ms, char out[TS_LEN + 1]);
const char *ts_parse_stream(const char *s, size_t len, int64_t *ms);
const char *ts_parse_iso(const char *s, size_t len, int64_t *ms);
const char *ts_parse_iso_zone(
    const char *s, size_t len, int64_t *ms, int *zoned);
const char *ts_parse_epoch(const char *s, size_t len, int64_t *ms);
int64_t ts_days(int64_t ms);

#endif
