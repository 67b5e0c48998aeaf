/*
 * Timestamps in and out.  Everything is integer milliseconds: no time_t,
 * no struct tm, no time zone of the machine.
 */
#include <stdio.h>
#include <string.h>

#include "isoweek.h"
#include "timestamp.h"

#define MS_PER_DAY 86400000LL

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t
ts_days(int64_t ms)
{
	return floordiv(ms, MS_PER_DAY);
}

/* n decimal digits of v at p, zero-padded. */
static void
put_digits(char *p, int64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/*
 * Written digit by digit rather than with snprintf: every listen passes
 * through here, and a format string costs more than the rest of a record.
 * Callers keep years in 0..9999, which the window guarantees.
 */
void
ts_format(int64_t ms, char out[TS_LEN + 1])
{
	int64_t days = ts_days(ms), rest = ms - days * MS_PER_DAY, y;
	int m, d;

	civil_from_days(days, &y, &m, &d);
	memcpy(out, "0000-00-00T00:00:00.000Z", TS_LEN + 1);
	put_digits(out, y, 4);
	put_digits(out + 5, m, 2);
	put_digits(out + 8, d, 2);
	put_digits(out + 11, rest / 3600000, 2);
	put_digits(out + 14, rest / 60000 % 60, 2);
	put_digits(out + 17, rest / 1000 % 60, 2);
	put_digits(out + 20, rest % 1000, 3);
}

/* n digits at s as a number, or -1. */
static int
digits(const char *s, size_t n)
{
	int v = 0;

	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

static const char *
civil_ms(int y, int mo, int d, int h, int mi, int sec, int64_t *ms)
{
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return "not a calendar date";
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
		return "not a time of day";
	*ms = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) *
	      1000;
	return NULL;
}

/*
 * The stream form exactly, 24 characters: tools reading a stream accept
 * nothing else, so that played_at sorts and compares as text.
 */
const char *
ts_parse_stream(const char *s, size_t len, int64_t *ms)
{
	int f;
	const char *err;

	if (len != TS_LEN || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != '.' || s[23] != 'Z' ||
	    (f = digits(s + 20, 3)) < 0)
		return "not a YYYY-MM-DDTHH:MM:SS.mmmZ time";
	err = civil_ms(digits(s, 4), digits(s + 5, 2), digits(s + 8, 2),
	    digits(s + 11, 2), digits(s + 14, 2), digits(s + 17, 2), ms);
	if (err != NULL)
		return err;
	*ms += f;
	return NULL;
}

/*
 * ISO 8601 as exports write it: date, 'T' or one space, HH:MM, optional
 * :SS and fraction, then 'Z', +HH:MM, +HHMM, +HH or nothing (UTC).  A
 * fraction finer than a millisecond is cut, toward the past.
 */
const char *
ts_parse_iso(const char *s, size_t len, int64_t *ms)
{
	int zoned;

	return ts_parse_iso_zone(s, len, ms, &zoned);
}

/*
 * The same, saying whether the time carried a zone: a time without one
 * is read as UTC, which a caller that knows the source's zone corrects.
 */
const char *
ts_parse_iso_zone(const char *s, size_t len, int64_t *ms, int *zoned)
{
	const char *p = s, *end = s + len, *err;
	int y, mo, d, h, mi, sec = 0, frac = 0, nfrac = 0;
	int64_t off = 0;

	if (len < 16 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != ' ') || s[13] != ':')
		return "not an ISO 8601 time";
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	if ((y | mo | d | h | mi) < 0)
		return "not an ISO 8601 time";
	p = s + 16;
	if (p < end && *p == ':') {
		if (end - p < 3 || (sec = digits(p + 1, 2)) < 0)
			return "not an ISO 8601 time";
		p += 3;
		if (p < end && (*p == '.' || *p == ',')) {
			for (p++; p < end && *p >= '0' && *p <= '9'; p++)
				if (nfrac++ < 3)
					frac = frac * 10 + (*p - '0');
			if (nfrac == 0)
				return "not an ISO 8601 time";
			for (; nfrac < 3; nfrac++)
				frac *= 10;
		}
	}
	*zoned = p < end && (*p == 'Z' || *p == '+' || *p == '-');
	if (p < end && *p == 'Z')
		p++;
	else if (p < end && (*p == '+' || *p == '-')) {
		int sign = *p == '-' ? -1 : 1, oh, om = 0;

		p++;
		if (end - p < 2 || (oh = digits(p, 2)) < 0)
			return "not an ISO 8601 time zone";
		p += 2;
		if (p < end && *p == ':')
			p++;
		if (p < end) {
			if (end - p < 2 || (om = digits(p, 2)) < 0)
				return "not an ISO 8601 time zone";
			p += 2;
		}
		if (oh > 23 || om > 59)
			return "not an ISO 8601 time zone";
		off = sign * ((int64_t)oh * 3600000 + om * 60000);
	}
	if (p != end)
		return "not an ISO 8601 time";
	err = civil_ms(y, mo, d, h, mi, sec, ms);
	if (err != NULL)
		return err;
	*ms += frac - off;
	return NULL;
}

/*
 * Unix epoch as an integer or decimal: 10^11 or more is milliseconds, less
 * is seconds.  10^11 s is the year 5138 and 10^11 ms is 1973, so inside the
 * accepted window the two cannot be confused.
 */
const char *
ts_parse_epoch(const char *s, size_t len, int64_t *ms)
{
	size_t i = 0;
	int64_t whole = 0;
	int frac = 0, nfrac = 0;

	if (len == 0)
		return "not an epoch time";
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (whole > (INT64_MAX - 9) / 10)
			return "out of range";
		whole = whole * 10 + (s[i] - '0');
	}
	if (i == 0)
		return "not an epoch time";
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			if (nfrac++ < 3)
				frac = frac * 10 + (s[i] - '0');
		if (nfrac == 0)
			return "not an epoch time";
		for (; nfrac < 3; nfrac++)
			frac *= 10;
	}
	if (i != len)
		return "not an epoch time";
	if (whole >= 100000000000LL) {
		if (frac != 0)
			return "not an epoch time";
		*ms = whole;
	} else
		*ms = whole * 1000 + frac;
	return NULL;
}
