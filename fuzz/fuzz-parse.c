/*
 * libFuzzer target for listen-parse: one input is one file, CSV, TSV or
 * JSON as its content says, read by the same worker the tool runs.  The
 * first byte picks options, so that --tz, --time-format, --columns, -v and
 * a dotted --duration are fuzzed as well; the rest is the file.
 *
 * The tool's source is included whole, with its main renamed: the worker
 * returns on every failure instead of exiting, and frees what it took, so
 * one process runs millions of inputs and a leak is a finding.
 *
 *   make fuzz FUZZ_SECONDS=1800     (see the Makefile and fuzz/run)
 */
#define main listen_parse_main
#include "../src/listen-parse.c"
#undef main

#define SEL_TZ         0x01 /* --tz Europe/Berlin */
#define SEL_FORMAT     0x02 /* --time-format '%d.%m.%Y %H:%M' */
#define SEL_ZONEFORMAT 0x04 /* --time-format '%Y-%m-%dT%H:%M:%S%z' */
#define SEL_COLUMNS    0x08 /* --columns user_id,ts,ms_played,title */
#define SEL_VERBOSE    0x10 /* -v */
#define SEL_NESTED     0x20 /* --duration a.ms --time a.t */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	msg_init("listen-parse");
	/* Listens are written, and thrown away. */
	if (freopen("/dev/null", "w", stdout) == NULL)
		abort();
	tz_option("Europe/Berlin");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char c0[] = "user_id", c1[] = "ts", c2[] = "ms_played",
	            c3[] = "title";
	static char *columns[] = {c0, c1, c2, c3};
	struct opts o;
	struct src src;
	unsigned sel;

	if (size < 2)
		return 0;
	sel = data[0];
	memset(&o, 0, sizeof o);
	o.max_reject = 1000000; /* the share is not what is fuzzed */
	o.min_time = DEFAULT_MIN_TIME;
	o.max_time = 1893456000000LL; /* 2030-01-01 */
	if (sel & SEL_TZ)
		o.tz = "Europe/Berlin";
	if (sel & SEL_FORMAT)
		o.time_format = "%d.%m.%Y %H:%M";
	if (sel & SEL_ZONEFORMAT) {
		o.time_format = "%Y-%m-%dT%H:%M:%S%z";
		o.format_zone = 1;
	}
	if (sel & SEL_COLUMNS) {
		o.columns = columns;
		o.ncolumns = sizeof columns / sizeof columns[0];
	}
	o.verbose = (sel & SEL_VERBOSE) != 0;
	if (sel & SEL_NESTED) {
		o.duration = "a.ms";
		o.time = "a.t";
	}
	memset(&src, 0, sizeof src);
	src.name = "<fuzz>";
	src.fp = fmemopen((void *)(data + 1), size - 1, "r");
	if (src.fp == NULL)
		abort();
	parse_sources(&src, 1, &o);
	fflush(stdout);
	clearerr(stdout);
	return 0;
}
