/*
 * Checked number parsing.  Every function reads the whole field or fails:
 * "12abc", " 12", "+" and "" are not numbers.  No locale is involved.
 */
#include <string.h>

#include "msg.h"
#include "num.h"

/* An optional '-', then digits only; in [min, max]. */
const char *
num_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
	size_t i = 0;
	int neg = 0;
	uint64_t v = 0, limit;

	if (len > 0 && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == len)
		return "not a number";
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9)
			return "not a number";
		if (v > (limit - d) / 10)
			return "out of range";
		v = v * 10 + d;
	}
	if (neg) {
		if (v == (uint64_t)INT64_MAX + 1)
			*out = INT64_MIN;
		else
			*out = -(int64_t)v;
	} else
		*out = (int64_t)v;
	if (*out < min || *out > max)
		return "out of range";
	return NULL;
}

/*
 * A percentage from 0 to 1000 with at most three digits after the point,
 * returned exactly in thousandths (SPEC section 4).
 */
const char *
num_pct(const char *s, int64_t *thousandths)
{
	int64_t whole = 0, frac = 0;
	size_t i = 0, nfrac = 0, nwhole = 0;
	size_t len = strlen(s);

	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, nwhole++) {
		whole = whole * 10 + (s[i] - '0');
		if (whole > 1000)
			return "out of range";
	}
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			if (++nfrac > 3)
				return "more than three decimals";
			frac = frac * 10 + (s[i] - '0');
		}
		if (nfrac == 0)
			return "not a number";
	}
	if (i != len || nwhole == 0)
		return "not a number";
	while (nfrac++ < 3)
		frac *= 10;
	*thousandths = whole * 1000 + frac;
	if (*thousandths > 1000000)
		return "out of range";
	return NULL;
}

/* --threshold style option: a bad value is a usage error (exit 2). */
int64_t
pct_option(const char *opt, const char *arg)
{
	int64_t v;
	const char *err = num_pct(arg, &v);

	if (err != NULL)
		usage_error("%s: %s (a percentage 0 to 1000, at most three "
		            "decimals): '%s'",
		    opt, err, quote_value(arg, strlen(arg)));
	return v;
}

/*
 * A plain decimal number ("288426.0", "-0", "12.5") in a unit of `scale`
 * milliseconds (1 for ms, 1000 for seconds), rounded to the nearest
 * millisecond, half away from zero.  Exponents, hex, NaN, a leading '+' and
 * spaces are not plain decimals and are refused.
 */
const char *
num_decimal_ms(const char *s, size_t len, int64_t scale, int64_t *ms)
{
	size_t i = 0, ndig = 0;
	int neg = 0;
	i128 num = 0, den = 1;

	if (len > 0 && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, ndig++) {
		num = num * 10 + (s[i] - '0');
		if (num > (i128)INT64_MAX)
			return "out of range";
	}
	if (i < len && s[i] == '.') {
		size_t nfrac = 0;

		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			/*
			 * Cutting past 15 digits cannot move the value
			 * across a half-millisecond boundary, and keeps
			 * 2 * num * scale inside 128 bits.
			 */
			if (nfrac < 15) {
				num = num * 10 + (s[i] - '0');
				den *= 10;
			}
			nfrac++;
			ndig++;
		}
		if (nfrac == 0)
			return "not a number";
	}
	if (i != len || ndig == 0)
		return "not a number";
	/* ms = round(num * scale / den), half away from zero. */
	num = (2 * num * scale + den) / (2 * den);
	if (num > (i128)INT64_MAX)
		return "out of range";
	*ms = neg ? -(int64_t)num : (int64_t)num;
	return NULL;
}
