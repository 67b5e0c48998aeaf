/*
 * listen-peaks: the peak rule of SPEC section 4.
 *
 * In:  weekly TSV (year, week, listening_ms) on stdin, rows in any order;
 *      rows of the same week add up.
 * Out: peaks TSV (year, week, listening_ms, deviation_pct), sorted.
 *
 * Every calendar week from the first to the last counts, 0 ms when it has
 * no row.  A week is exceptional when its total is more than PCT % away
 * from the mean week, decided in 128-bit integers so that exactly PCT % is
 * never exceptional whatever floating point would say; it is a peak when
 * the calendar week before it was not exceptional.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "isoweek.h"
#include "msg.h"
#include "num.h"
#include "tsv.h"
#include "weekmap.h"

static i128
abs128(i128 v)
{
	return v < 0 ? -v : v;
}

/*
 * |total - mean| > pct% of mean, with mean = sum / n, multiplied out:
 * 100000 * |total * n - sum| > pct_thousandths * sum.  total < 2^63,
 * n < 2^20 weeks and sum < 2^83 keep both sides far inside 127 bits.
 */
static int
exceptional(int64_t total, int64_t n, i128 sum, int64_t pct)
{
	return 100000 * abs128((i128)total * n - sum) > (i128)pct * sum;
}

/*
 * 100 * (total - mean) / mean in tenths of a percent, rounded half away
 * from zero from the exact fraction, then printed with a sign and one
 * decimal.  Zero prints "+0.0".
 */
static void
put_deviation(int64_t total, int64_t n, i128 sum)
{
	i128 num = 1000 * ((i128)total * n - sum);
	i128 tenths = (2 * abs128(num) + sum) / (2 * sum);

	printf("%c%lld.%d", num < 0 && tenths != 0 ? '-' : '+',
	    (long long)(tenths / 10), (int)(tenths % 10));
}

static int
read_weeks(struct tsv *r, struct weekmap *weeks)
{
	int64_t year, week, ms;
	int rc;

	if (tsv_expect_header(r, "year", "week", "listening_ms", NULL) != 0)
		return -1;
	while ((rc = tsv_next(r)) == 1) {
		if (tsv_int(r, 0, 1, 9999, &year) != 0 ||
		    tsv_int(r, 1, 1, 53, &week) != 0 ||
		    tsv_int(r, 2, 0, INT64_MAX, &ms) != 0)
			return -1;
		if (week > isoweek_weeks_in_year(year)) {
			warnmsg("%s:%ld: %lld has no week %lld", r->name,
			    r->lineno, (long long)year, (long long)week);
			return -1;
		}
		if (weekmap_add(weeks, isoweek_index(year, (int)week), ms, 1)) {
			warnmsg("%s:%ld: total of %lld week %lld passes 2^63 - "
			        "1 ms",
			    r->name, r->lineno, (long long)year,
			    (long long)week);
			return -1;
		}
	}
	return rc;
}

static int
peaks(FILE *in, const char *name, int64_t pct)
{
	struct tsv r;
	struct weekmap weeks = {0};
	int64_t first, last, n, idx;
	i128 sum = 0;
	size_t i;
	int prev_exceptional = 0, rc = EXIT_FAILURE;

	tsv_open(&r, in, name);
	if (read_weeks(&r, &weeks) != 0)
		goto done;
	tsv_put_header(
	    stdout, "year", "week", "listening_ms", "deviation_pct", NULL);
	rc = EXIT_SUCCESS;
	for (i = 0; i < weeks.n; i++)
		sum += weeks.w[i].ms;
	if (sum == 0) /* no weeks, or a mean of 0: no peaks */
		goto done;
	first = weeks.w[0].index;
	last = weeks.w[weeks.n - 1].index;
	n = last - first + 1;
	for (i = 0, idx = first; idx <= last; idx++) {
		int64_t total = 0, year;
		int week, exc;

		if (weeks.w[i].index == idx)
			total = weeks.w[i++].ms;
		exc = exceptional(total, n, sum, pct);
		if (exc && !prev_exceptional) {
			isoweek_of_index(idx, &year, &week);
			printf("%lld\t%d\t%lld\t", (long long)year, week,
			    (long long)total);
			put_deviation(total, n, sum);
			putchar('\n');
		}
		prev_exceptional = exc;
	}
done:
	tsv_close(&r);
	weekmap_free(&weeks);
	return rc;
}

static void
usage(FILE *fp)
{
	fputs("usage: listen-peaks [-t pct] < weekly.tsv > peaks.tsv\n", fp);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"threshold", required_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	int64_t threshold = PCT_DEFAULT; /* 20.000 %, in thousandths */
	int ch, rc;

	msg_init("listen-peaks");
	usage_set(usage);
	argv[0] = (char *)"listen-peaks"; /* getopt's messages name it */
	while ((ch = getopt_long(argc, argv, "ht:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h': usage(stdout); return EXIT_SUCCESS;
		case 't': threshold = pct_option("--threshold", optarg); break;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc)
		usage_error("unexpected operand '%s'", argv[optind]);
	rc = peaks(stdin, "<stdin>", threshold);
	return msg_close_stdout() ? EXIT_FAILURE : rc;
}
