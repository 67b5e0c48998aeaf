/*
 * listen-weekly: sums a listens stream by ISO 8601 week.
 *
 * In:  listens TSV (played_at, user_id, track_id, ms_played) on stdin.
 * Out: weekly TSV (year, week, listening_ms), one row per week that has at
 *      least one listen, sorted by year then week (SPEC section 3).
 *
 * Memory is one line plus one slot per week, whatever the input size.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "isoweek.h"
#include "msg.h"
#include "timestamp.h"
#include "tsv.h"
#include "weekmap.h"

static int
weekly(FILE *in, const char *name)
{
	struct tsv r;
	struct weekmap weeks = {0};
	int64_t ms, played;
	size_t i;
	int rc;

	tsv_open(&r, in, name);
	if (tsv_expect_header(
	        &r, "played_at", "user_id", "track_id", "ms_played", NULL) != 0)
		goto fail;
	while ((rc = tsv_next(&r)) == 1) {
		const char *err = ts_parse_stream(r.f[0].p, r.f[0].len, &ms);

		if (err != NULL) {
			warnmsg("%s:%ld: played_at is %s: '%s'", name, r.lineno,
			    err, quote_value(r.f[0].p, r.f[0].len));
			goto fail;
		}
		if (tsv_int(&r, 3, 0, INT64_MAX, &played) != 0)
			goto fail;
		if (weekmap_add(&weeks, isoweek_index_of_days(ts_days(ms)),
		        played, 1) != 0) {
			warnmsg("%s:%ld: weekly total passes 2^63 - 1 ms", name,
			    r.lineno);
			goto fail;
		}
	}
	if (rc < 0)
		goto fail;

	tsv_put_header(stdout, "year", "week", "listening_ms", NULL);
	for (i = 0; i < weeks.n; i++) {
		int64_t year;
		int week;

		isoweek_of_index(weeks.w[i].index, &year, &week);
		printf("%lld\t%d\t%lld\n", (long long)year, week,
		    (long long)weeks.w[i].ms);
	}
	tsv_close(&r);
	weekmap_free(&weeks);
	return EXIT_SUCCESS;
fail:
	tsv_close(&r);
	weekmap_free(&weeks);
	return EXIT_FAILURE;
}

static void
usage(FILE *fp)
{
	fputs("usage: listen-weekly < listens.tsv > weekly.tsv\n", fp);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch, rc;

	msg_init("listen-weekly");
	usage_set(usage);
	argv[0] = (char *)"listen-weekly"; /* getopt's messages name it */
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h': usage(stdout); return EXIT_SUCCESS;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc)
		usage_error("unexpected operand '%s'", argv[optind]);
	rc = weekly(stdin, "<stdin>");
	return msg_close_stdout() ? EXIT_FAILURE : rc;
}
