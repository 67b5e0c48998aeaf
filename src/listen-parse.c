/*
 * listen-parse: turns raw listening exports into the listens stream.
 *
 * In:  CSV or TSV files with a header line (or columns named by --columns),
 *      or JSON: an array of objects, objects one after another (JSON
 *      Lines), or an object wrapping them under "listens" or
 *      "payload.listens"; stdin when no file is named or for "-".  The kind
 *      is told from the content; the delimiter from the header line.
 * Out: listens TSV (played_at, user_id, track_id, ms_played) on stdout.
 *
 * The rules are SPEC section 5: the alias table, the ambiguity stop, end
 * times turned into start times, rejects in a fixed order with the line
 * where the record starts, non-music rows skipped and counted, and the
 * reject share decided in integers at the end.  Every header (for JSON,
 * the first object) is read and mapped before the first byte of output,
 * so a file that cannot be mapped costs nothing downstream.  Memory is one
 * record plus one header per file.  Failures return to the caller rather
 * than exit, so that the fuzz harness (fuzz/) can run the worker again.
 */
#include <csv.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isoweek.h"
#include "jsonrec.h"
#include "msg.h"
#include "num.h"
#include "timestamp.h"
#include "tsv.h"

#define NONE             SIZE_MAX
#define BAD              (SIZE_MAX - 1) /* a column option that failed */
#define MAX_SHOWN        20             /* reject messages shown on stderr */
#define MAX_RECORD       (1 << 20)      /* bytes of one CSV record */
#define MAX_PLAYED       86400000LL /* 24 h: a longer play is not believed */
#define MS_PER_DAY       86400000LL
#define DEFAULT_MIN_TIME 946684800000LL /* 2000-01-01T00:00:00Z */

enum role {
	R_START,
	R_END,
	R_MS,
	R_SEC,
	R_USER,
	R_TRACK,
	R_ARTIST,
	R_TITLE,
	R_NONMUSIC, /* an episode, show or audiobook field: Spotify */
	R_ITEMTYPE, /* Apple's Item Type */
	NROLES
};

/* Header names as real exports write them, normalised (see normalise). */
static const struct alias {
	const char *name;
	enum role role;
} aliases[] = {
    {"playedat", R_START},
    {"listenedat", R_START},
    {"timestamp", R_START},
    {"datetime", R_START},
    {"starttime", R_START},
    {"eventstarttimestamp", R_START},
    {"ts", R_END},
    {"endtime", R_END},
    {"endedat", R_END},
    {"msplayed", R_MS},
    {"playdurationms", R_MS},
    {"playdurationmilliseconds", R_MS},
    {"listenedms", R_MS},
    {"playduration", R_SEC},
    {"secondsplayed", R_SEC},
    {"userid", R_USER},
    {"user", R_USER},
    {"username", R_USER},
    {"trackid", R_TRACK},
    {"spotifytrackuri", R_TRACK},
    {"trackuri", R_TRACK},
    {"recordingmbid", R_TRACK},
    {"artist", R_ARTIST},
    {"artistname", R_ARTIST},
    {"mastermetadataalbumartistname", R_ARTIST},
    {"track", R_TITLE},
    {"trackname", R_TITLE},
    {"title", R_TITLE},
    {"contentname", R_TITLE},
    {"mastermetadatatrackname", R_TITLE},
    {"episodename", R_NONMUSIC},
    {"episodeshowname", R_NONMUSIC},
    {"spotifyepisodeuri", R_NONMUSIC},
    {"audiobooktitle", R_NONMUSIC},
    {"audiobookuri", R_NONMUSIC},
    {"audiobookchapteruri", R_NONMUSIC},
    {"audiobookchaptertitle", R_NONMUSIC},
    {"podcastname", R_NONMUSIC},
    {"showname", R_NONMUSIC},
    {"itemtype", R_ITEMTYPE},
};

/* Apple's item types that are not a play of a song. */
static const char *const apple_nonmusic[] = {
    "AD",
    "NON_SONG_CLIP",
    "AGGREGATE_NON_CATALOG_PLAY_TIME",
};
#define NAPPLE_NONMUSIC (sizeof apple_nonmusic / sizeof apple_nonmusic[0])

/* What the command line asked for; NULL/0 where the header decides. */
struct opts {
	const char *time, *end_time, *duration, *user, *track, *artist;
	const char *title, *set_user, *rejects;
	const char *time_format; /* strptime form of every time, or NULL */
	const char *tz;          /* zone of times written without one */
	int format_zone;         /* time_format reads an offset (%z) */
	char **columns;          /* --columns: the names, the input none */
	size_t ncolumns;
	int64_t scale;      /* --duration-unit: 1 ms, 1000 s, 0 not given */
	int64_t max_reject; /* thousandths of a percent */
	int64_t min_time, max_time;
	int verbose;
};

/* One record: its fields, and its bytes as written for --rejects. */
struct record {
	char *data; /* the fields' bytes, one after another */
	size_t len, cap;
	size_t *off, *flen;
	size_t nf, fcap;
	char *raw;
	size_t rawlen, rawcap;
};

/* The columns a file's header gave each role (NONE when absent). */
struct map {
	size_t ncols;
	char **names; /* as written, made printable for messages */
	size_t time, dur, user, track, artist, title, itemtype;
	int time_is_end;
	int64_t scale;
	size_t *nonmusic, nnonmusic;
	/* JSON: each column's key as written, and whether a record needs it. */
	char **keys;
	size_t *keylen;
	int *used; /* 0 not mapped, 1 read when present, 2 required */
};

struct run {
	const struct opts *o;
	FILE *rejects;
	int64_t nread, nwritten, nrejected, nskipped;
	char *out; /* the output line being built */
	size_t outlen, outcap;
};

struct src {
	FILE *fp;
	const char *name;
	struct run *run;
	char delim;
	int tsv;
	struct csv_parser csv;
	char *line;
	size_t cap, off;
	ssize_t linelen;
	long lineno;   /* physical lines read so far */
	long recline;  /* the line where the current record started */
	int open;      /* a record has begun and not yet ended */
	int cr_lines;  /* lines end in a bare CR (old Mac OS Excel) */
	int in_header; /* the record being read is the header */
	int have_header;
	int csv_ready; /* csv_init was called */
	int pending;   /* the first record, read with the header, is data */
	int json;
	int mapped; /* a JSON source with no record has no map */
	struct jsonrec *jr;
	const struct jsonrec_record *jrec; /* the first JSON record */
	const struct record *hdr;          /* the names being mapped */
	struct record rec;
	struct map map;
};

static void
buf_add(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
	/* Never NULL once used: a field of an empty header still points. */
	if (*len + n > *cap || *buf == NULL) {
		*cap = (*len + n) * 2 + 64;
		*buf = xrealloc(*buf, *cap);
	}
	if (n > 0)
		memcpy(*buf + *len, p, n);
	*len += n;
}

static void
field_add(struct record *r, const char *p, size_t n)
{
	if (r->nf == r->fcap) {
		r->fcap = r->fcap * 2 + 16;
		r->off = xrealloc(r->off, r->fcap * sizeof *r->off);
		r->flen = xrealloc(r->flen, r->fcap * sizeof *r->flen);
	}
	r->off[r->nf] = r->len;
	r->flen[r->nf] = n;
	r->nf++;
	buf_add(&r->data, &r->len, &r->cap, p, n);
}

static void
record_clear(struct record *r)
{
	r->len = r->nf = r->rawlen = 0;
}

static void
record_free(struct record *r)
{
	free(r->data);
	free(r->off);
	free(r->flen);
	free(r->raw);
}

/* Field i of the record; an absent column (NONE) reads as empty. */
static const char *
field(const struct record *r, size_t i, size_t *len)
{
	if (i == NONE || i >= r->nf) {
		*len = 0;
		return "";
	}
	*len = r->flen[i];
	return r->data + r->off[i];
}

/*
 * Header names are compared case-insensitively and without spaces, '_'
 * and '-', so that "Play Duration Milliseconds", "msPlayed" and "ms_played"
 * are found by one table.
 */
static char *
normalise(const char *s, size_t len)
{
	char *out = xmalloc(len + 1);
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == ' ' || c == '_' || c == '-')
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

static int
role_of(const char *s, size_t len)
{
	char *n = normalise(s, len);
	size_t i;
	int role = -1;

	for (i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (strcmp(n, aliases[i].name) == 0) {
			role = (int)aliases[i].role;
			break;
		}
	free(n);
	return role;
}

/* The length of the UTF-8 sequence at p (shortest form, no surrogates). */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t need, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] < 0xc2)
		return 0;
	need = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : p[0] < 0xf5 ? 4 : 0;
	if (need == 0 || n < need)
		return 0;
	for (i = 1; i < need; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return need;
}

static int
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n;

	for (; p < end; p += n) {
		/* Eight ASCII bytes at a time: most text is ASCII. */
		while (end - p >= 8) {
			uint64_t w;

			memcpy(&w, p, 8);
			if (w & 0x8080808080808080ULL)
				break;
			p += 8;
		}
		if (p == end)
			break;
		if ((n = utf8_len(p, (size_t)(end - p))) == 0)
			return 0;
	}
	return 1;
}

/*
 * The raw record for the rejects file: the four stream escapes, a NUL as
 * \0 and a byte that is not UTF-8 as \xHH, so that every byte survives.
 */
static void
put_raw(FILE *fp, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n;

	while (p < end) {
		n = utf8_len(p, (size_t)(end - p));
		if (n == 0) {
			fprintf(fp, "\\x%02x", *p++);
			continue;
		}
		if (*p == '\0')
			fputs("\\0", fp);
		else
			tsv_put(fp, (const char *)p, n);
		p += n;
	}
}

static void reject(struct src *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reject(struct src *s, const char *fmt, ...)
{
	struct run *run = s->run;
	const struct record *r = &s->rec;
	char reason[512];
	size_t rawlen = r->rawlen;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	if (++run->nrejected <= MAX_SHOWN)
		warnmsg("%s:%ld: %s", s->name, s->recline, reason);
	if (run->rejects == NULL)
		return;
	/* The record as written, less the line end that closed it. */
	if (rawlen > 0 && r->raw[rawlen - 1] == '\n')
		rawlen--;
	if (rawlen > 0 && r->raw[rawlen - 1] == '\r')
		rawlen--;
	tsv_put(run->rejects, s->name, strlen(s->name));
	fprintf(run->rejects, "\t%ld\t", s->recline);
	tsv_put(run->rejects, reason, strlen(reason));
	fputc('\t', run->rejects);
	put_raw(run->rejects, r->raw, rawlen);
	fputc('\n', run->rejects);
}

/*
 * Spotify marks a podcast or audiobook by leaving the track empty and
 * filling an episode, show or chapter field; Apple names the item type.
 */
static int
is_nonmusic(const struct map *m, const struct record *r)
{
	const char *p;
	size_t i, len, len2;

	if (m->itemtype != NONE) {
		p = field(r, m->itemtype, &len);
		for (i = 0; i < NAPPLE_NONMUSIC; i++)
			if (len == strlen(apple_nonmusic[i]) &&
			    memcmp(p, apple_nonmusic[i], len) == 0)
				return 1;
	}
	field(r, m->track, &len);
	field(r, m->title, &len2);
	if (len != 0 || len2 != 0)
		return 0;
	for (i = 0; i < m->nnonmusic; i++) {
		field(r, m->nonmusic[i], &len);
		if (len != 0)
			return 1;
	}
	return 0;
}

/*
 * The one instant a local time in --tz names, or 1 when the clocks skip
 * it (spring forward) and 2 when they pass it twice (fall back): never a
 * guess.  The zone's offsets around the time (a day before, at, a day
 * after; transitions are further apart than that) are each tried, and an
 * instant counts when the zone's offset at that instant is the one tried.
 */
static int
local_to_utc(int64_t local_ms, int64_t *utc_ms)
{
	int64_t secs = local_ms / 1000 - (local_ms % 1000 < 0);
	int64_t frac = local_ms - secs * 1000;
	long offs[3];
	time_t t, hit = 0;
	struct tm tm;
	int i, k, noffs = 0, nhits = 0;

	for (i = -1; i <= 1; i++) {
		t = (time_t)(secs + i * 86400);
		if (localtime_r(&t, &tm) == NULL)
			return 1;
		for (k = 0; k < noffs && offs[k] != tm.tm_gmtoff; k++)
			;
		if (k == noffs)
			offs[noffs++] = tm.tm_gmtoff;
	}
	for (k = 0; k < noffs; k++) {
		t = (time_t)(secs - offs[k]);
		if (localtime_r(&t, &tm) != NULL && tm.tm_gmtoff == offs[k] &&
		    (nhits == 0 || t != hit)) {
			hit = t;
			nhits++;
		}
	}
	if (nhits != 1)
		return nhits == 0 ? 1 : 2;
	*utc_ms = (int64_t)hit * 1000 + frac;
	return 0;
}

/* A local time turned into UTC with --tz, or a reject saying why not. */
static int
zone_time(
    struct src *s, const char *name, const char *p, size_t len, int64_t *t)
{
	const char *tz = s->run->o->tz;

	switch (local_to_utc(*t, t)) {
	case 0: return 0;
	case 1:
		reject(s,
		    "%s does not exist in %s (the clocks skipped it): '%s'",
		    name, tz, quote_value(p, len));
		return -1;
	default:
		reject(s,
		    "%s is ambiguous in %s (the clocks went back over it): "
		    "'%s'",
		    name, tz, quote_value(p, len));
		return -1;
	}
}

/* A time read with --time-format: the whole value, a real date. */
static int
formatted_time(
    struct src *s, const char *name, const char *p, size_t len, int64_t *t)
{
	const struct opts *o = s->run->o;
	char buf[128];
	const char *end;
	struct tm tm;
	int64_t y;

	memset(&tm, 0, sizeof tm);
	end = NULL;
	if (len < sizeof buf && memchr(p, '\0', len) == NULL) {
		memcpy(buf, p, len);
		buf[len] = '\0';
		end = strptime(buf, o->time_format, &tm);
	}
	if (end == NULL || *end != '\0') {
		reject(s, "%s does not match --time-format '%s': '%s'", name,
		    o->time_format, quote_value(p, len));
		return -1;
	}
	y = (int64_t)tm.tm_year + 1900;
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_mday > days_in_month(y, tm.tm_mon + 1) || y < 0) {
		reject(s, "%s is not a calendar date: '%s'", name,
		    quote_value(p, len));
		return -1;
	}
	if (tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
	    tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 59) {
		reject(s, "%s is not a time of day: '%s'", name,
		    quote_value(p, len));
		return -1;
	}
	*t = (days_from_civil(y, tm.tm_mon + 1, tm.tm_mday) * 86400 +
	         tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) *
	     1000;
	if (o->format_zone) {
		*t -= (int64_t)tm.tm_gmtoff * 1000;
		return 0;
	}
	return o->tz != NULL ? zone_time(s, name, p, len, t) : 0;
}

/*
 * A time as written: --time-format when given; else digits (and a point)
 * are epoch and the rest ISO 8601.  A form the tool does not know is
 * rejected with a pointer to --time-format, never read in a guessed order
 * (9/2/20 is September 2 or February 9).
 */
static int
read_time(
    struct src *s, const char *name, const char *p, size_t len, int64_t *t)
{
	const char *err;
	size_t i;
	int zoned = 1;

	if (s->run->o->time_format != NULL)
		return formatted_time(s, name, p, len, t);
	for (i = 0; i < len; i++)
		if ((p[i] < '0' || p[i] > '9') && p[i] != '.')
			break;
	if (i == len)
		err = ts_parse_epoch(p, len, t);
	else
		err = ts_parse_iso_zone(p, len, t, &zoned);
	if (err != NULL && (strcmp(err, "not an ISO 8601 time") == 0 ||
	                       strcmp(err, "not an epoch time") == 0)) {
		reject(s, "%s is %s: '%s' (name its form with --time-format)",
		    name, err, quote_value(p, len));
		return -1;
	}
	if (err != NULL) {
		reject(s, "%s is %s: '%s'", name, err, quote_value(p, len));
		return -1;
	}
	if (!zoned && s->run->o->tz != NULL)
		return zone_time(s, name, p, len, t);
	return 0;
}

/* Room for n more bytes in the output line. */
static char *
out_room(struct run *run, size_t n)
{
	if (run->outlen + n > run->outcap) {
		run->outcap = (run->outlen + n) * 2;
		run->out = xrealloc(run->out, run->outcap);
	}
	return run->out + run->outlen;
}

/* A field, escaped, onto the output line. */
static void
out_field(struct run *run, const char *p, size_t len)
{
	run->outlen += tsv_escape(out_room(run, 2 * len), p, len);
}

static void
out_bytes(struct run *run, const char *p, size_t len)
{
	memcpy(out_room(run, len), p, len);
	run->outlen += len;
}

/*
 * track_id: the source's id when it has one; else "artist - title", or
 * whichever of the two is not empty; else empty (SPEC section 3).
 */
static void
out_track(struct run *run, const struct map *m, const struct record *r)
{
	const char *id, *artist, *title;
	size_t idlen, alen, tlen;

	id = field(r, m->track, &idlen);
	if (idlen > 0) {
		out_field(run, id, idlen);
		return;
	}
	artist = field(r, m->artist, &alen);
	title = field(r, m->title, &tlen);
	out_field(run, artist, alen);
	if (alen > 0 && tlen > 0)
		out_bytes(run, " - ", 3);
	out_field(run, title, tlen);
}

/*
 * One listen as a line of the listens stream, built in one buffer and
 * written with one fwrite: per-field stdio calls and printf cost more
 * than the rest of the record.
 */
static void
put_listen(struct src *s, int64_t at, int64_t ms)
{
	struct run *run = s->run;
	const char *user = run->o->set_user;
	size_t ulen;
	char digits[24], *d = digits + sizeof digits;
	int64_t v = ms;

	run->outlen = 0;
	ts_format(at, out_room(run, TS_LEN + 1));
	run->outlen += TS_LEN;
	out_bytes(run, "\t", 1);
	if (user != NULL)
		ulen = strlen(user);
	else
		user = field(&s->rec, s->map.user, &ulen);
	out_field(run, user, ulen);
	out_bytes(run, "\t", 1);
	out_track(run, &s->map, &s->rec);
	*--d = '\n';
	do
		*--d = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	*--d = '\t';
	out_bytes(run, d, (size_t)(digits + sizeof digits - d));
	fwrite(run->out, 1, run->outlen, stdout);
}

/*
 * A record past its structural checks: skipped as non-music, rejected
 * for its time or duration (SPEC order), or written.
 */
static void
emit_record(struct src *s)
{
	const struct opts *o = s->run->o;
	const struct map *m = &s->map;
	const struct record *r = &s->rec;
	const char *p, *err, *tname = m->names[m->time];
	const char *dname = m->names[m->dur];
	int64_t t, ms;
	size_t len;

	if (is_nonmusic(m, r)) {
		s->run->nskipped++;
		return;
	}

	p = field(r, m->time, &len);
	if (len == 0) {
		reject(s, "%s is missing", tname);
		return;
	}
	if (read_time(s, tname, p, len, &t) != 0)
		return;
	/* The time as written is checked: it is what the source claims. */
	if (t < o->min_time || t > o->max_time) {
		reject(s, "%s is outside the accepted window: '%s'", tname,
		    quote_value(p, len));
		return;
	}

	p = field(r, m->dur, &len);
	if (len == 0) {
		reject(s, "%s is missing", dname);
		return;
	}
	if ((err = num_decimal_ms(p, len, m->scale, &ms)) != NULL) {
		if (strcmp(err, "out of range") != 0)
			reject(s, "%s is %s: '%s'", dname, err,
			    quote_value(p, len));
		else if (p[0] == '-')
			reject(s, "%s is negative: '%s'", dname,
			    quote_value(p, len));
		else
			reject(s, "%s is longer than 24 h: '%s'", dname,
			    quote_value(p, len));
		return;
	}
	if (ms < 0) {
		reject(s, "%s is negative: '%s'", dname, quote_value(p, len));
		return;
	}
	if (ms > MAX_PLAYED) {
		reject(s, "%s is longer than 24 h: '%s'", dname,
		    quote_value(p, len));
		return;
	}

	/* Spotify's ts and endTime are the end of the play. */
	put_listen(s, m->time_is_end ? t - ms : t, ms);
	s->run->nwritten++;
}

/* The byte checks every record passes, in SPEC order, then the rest. */
static void
check_bytes(struct src *s, int has_nul)
{
	if (has_nul) {
		reject(s, "NUL byte in record");
		return;
	}
	if (!utf8_valid(s->rec.raw, s->rec.rawlen)) {
		reject(s, "invalid UTF-8 in record");
		return;
	}
	emit_record(s);
}

/* One CSV or TSV record: the field count, a NUL, UTF-8, then the rest. */
static void
take_record(struct src *s)
{
	const struct record *r = &s->rec;

	s->run->nread++;
	if (r->nf != s->map.ncols) {
		reject(s, "expected %zu fields, got %zu", s->map.ncols, r->nf);
		return;
	}
	check_bytes(s, memchr(r->raw, '\0', r->rawlen) != NULL);
}

/*
 * A JSON record laid out in the first object's columns.  A mapped field
 * the object lacks, or holds twice, rejects it (the JSON form of a wrong
 * field count); an absent non-music marker is only not set.
 */
static int
align_json(struct src *s, const struct jsonrec_record *jr)
{
	const struct map *m = &s->map;
	struct record *r = &s->rec;
	const struct jsonrec_field *f, *found;
	size_t c, i;

	r->len = r->nf = 0;
	for (c = 0; c < m->ncols; c++) {
		found = NULL;
		for (i = 0; m->used[c] && i < jr->nf; i++) {
			f = &jr->f[i];
			if (f->namelen != m->keylen[c] ||
			    memcmp(jr->text + f->name, m->keys[c],
			        f->namelen) != 0)
				continue;
			if (found != NULL) {
				reject(s,
				    "field '%s' appears twice in the "
				    "object",
				    m->names[c]);
				return -1;
			}
			found = f;
		}
		if (found == NULL && m->used[c] == 2) {
			reject(s, "no field '%s' in the object", m->names[c]);
			return -1;
		}
		if (found != NULL)
			field_add(r, jr->text + found->value, found->valuelen);
		else
			field_add(r, "", 0);
	}
	return 0;
}

/* One JSON record: an object, its fields, a NUL, UTF-8, then the rest. */
static void
take_json(struct src *s, const struct jsonrec_record *jr)
{
	struct record *r = &s->rec;

	s->run->nread++;
	s->recline = jr->line;
	record_clear(r);
	buf_add(&r->raw, &r->rawlen, &r->rawcap, jr->json, jr->jsonlen);
	if (jr->kind != NULL) {
		reject(s, "expected a JSON object, got %s", jr->kind);
		return;
	}
	if (align_json(s, jr) != 0)
		return;
	check_bytes(s, jr->has_nul);
}

static void
end_record(struct src *s)
{
	s->open = 0;
	if (s->in_header) {
		/* Kept for map_header, which clears it. */
		s->in_header = 0;
		s->have_header = 1;
		return;
	}
	take_record(s);
	record_clear(&s->rec);
}

static void
csv_field_cb(void *p, size_t len, void *data)
{
	struct src *s = data;

	if (!s->open) {
		s->open = 1;
		s->recline = s->lineno;
	}
	field_add(&s->rec, p, len);
}

static void
csv_record_cb(int c, void *data)
{
	(void)c;
	end_record(data);
}

/* Nothing is trimmed: fields are taken exactly as written. */
static int
no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static int
feed(struct src *s, const char *p, size_t n)
{
	if (csv_parse(&s->csv, p, n, csv_field_cb, csv_record_cb, s) == n)
		return 0;
	if (csv_error(&s->csv) == CSV_EPARSE && s->run->o->columns != NULL)
		warnmsg(
		    "%s:%ld: malformed quotes in the first line: a quote "
		    "inside an unquoted field, or text after a closing quote",
		    s->name, s->lineno);
	else if (csv_error(&s->csv) == CSV_EPARSE)
		warnmsg(
		    "%s:%ld: malformed quotes in the header: a quote inside "
		    "an unquoted name, or text after a closing quote",
		    s->name, s->lineno);
	else
		warnmsg("%s:%ld: %s", s->name, s->lineno,
		    csv_strerror(csv_error(&s->csv)));
	return -1;
}

/*
 * A data line for libcsv, which runs strict: a quote inside an unquoted
 * field, or text after a closing quote, would otherwise be read as data
 * and could carry every later line into one field.  Such a record is
 * rejected up to the end of this line, never guessed at, and parsing
 * starts again on the next line.
 */
static int
feed_data(struct src *s, const char *p, size_t n)
{
	if (csv_parse(&s->csv, p, n, csv_field_cb, csv_record_cb, s) == n)
		return 0;
	if (csv_error(&s->csv) != CSV_EPARSE) {
		warnmsg("%s:%ld: %s", s->name, s->lineno,
		    csv_strerror(csv_error(&s->csv)));
		return -1;
	}
	s->run->nread++;
	reject(s, "malformed quotes: a quote inside an unquoted field, or "
	          "text after a closing quote");
	csv_fini(&s->csv, NULL, NULL, NULL);
	record_clear(&s->rec);
	s->open = 0;
	return 0;
}

/*
 * The first line, a byte at a time, to learn how the file ends its lines:
 * LF or CRLF, or a bare CR as Excel for the old Mac OS writes, which is
 * then the byte every later line is read up to.  Otherwise a CR-only file
 * is one line: no line numbers, and nothing to resume at after a reject.
 */
static ssize_t
first_line(struct src *s)
{
	size_t n = 0;
	int c;

	while ((c = getc_unlocked(s->fp)) != EOF) {
		if (n + 3 > s->cap) {
			s->cap = s->cap * 2 + 256;
			s->line = xrealloc(s->line, s->cap);
		}
		s->line[n++] = (char)c;
		if (c == '\n')
			break;
		if (c == '\r') {
			if ((c = getc_unlocked(s->fp)) == '\n')
				s->line[n++] = '\n';
			else {
				s->cr_lines = 1;
				if (c != EOF)
					ungetc(c, s->fp);
			}
			break;
		}
	}
	if (n == 0)
		return -1;
	s->line[n] = '\0';
	return (ssize_t)n;
}

/* 1 a line, 0 the end, -1 a read error (reported). */
static int
next_line(struct src *s)
{
	errno = 0;
	if (s->lineno == 0)
		s->linelen = first_line(s);
	else
		s->linelen = getdelim(
		    &s->line, &s->cap, s->cr_lines ? '\r' : '\n', s->fp);
	s->off = 0;
	if (s->linelen < 0) {
		s->linelen = 0;
		if (ferror(s->fp)) {
			warnmsg("%s: read error: %s", s->name, strerror(errno));
			return -1;
		}
		return 0;
	}
	s->lineno++;
	return 1;
}

static int
blank(const char *p, size_t n)
{
	for (; n > 0; p++, n--)
		if (*p != '\r' && *p != '\n')
			return 0;
	return 1;
}

/* A TSV line without its line end, split at every TAB. */
static void
split_tsv(struct src *s, const char *p, size_t n)
{
	const char *end, *tab;

	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	end = p + n;
	record_clear(&s->rec);
	buf_add(&s->rec.raw, &s->rec.rawlen, &s->rec.rawcap, p, n);
	for (;;) {
		tab = memchr(p, '\t', (size_t)(end - p));
		if (tab == NULL)
			break;
		field_add(&s->rec, p, (size_t)(tab - p));
		p = tab + 1;
	}
	field_add(&s->rec, p, (size_t)(end - p));
}

/*
 * A CSV line outside any record that holds no quote and no CR before its
 * line end is split at the delimiter directly: libcsv would give the very
 * same fields, one byte at a time, and most lines of most exports are like
 * this.  Returns 0 to leave the line to libcsv.
 */
static int
plain_line(struct src *s, const char *p, size_t n)
{
	const char *end, *d;
	size_t m = n;

	if (m > 0 && p[m - 1] == '\n')
		m--;
	if (m > 0 && p[m - 1] == '\r')
		m--;
	if (m == 0 || memchr(p, '"', m) != NULL || memchr(p, '\r', m) != NULL)
		return 0;
	s->recline = s->lineno;
	record_clear(&s->rec);
	buf_add(&s->rec.raw, &s->rec.rawlen, &s->rec.rawcap, p, n);
	for (end = p + m; (d = memchr(p, s->delim, (size_t)(end - p)));
	     p = d + 1)
		field_add(&s->rec, p, (size_t)(d - p));
	field_add(&s->rec, p, (size_t)(end - p));
	take_record(s);
	record_clear(&s->rec);
	return 1;
}

/*
 * The delimiter is the candidate the header line holds most of, commas and
 * semicolons counted outside quotes.  A tie goes to TAB, then comma: a TSV
 * header may well hold a comma inside a name, a CSV header hardly a TAB.
 */
static char
detect_delim(const char *p, size_t n)
{
	size_t tabs = 0, commas = 0, semis = 0, i;
	int quoted = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '\t')
			tabs++;
		else if (p[i] == '"')
			quoted = !quoted;
		else if (!quoted && p[i] == ',')
			commas++;
		else if (!quoted && p[i] == ';')
			semis++;
	}
	if (tabs > 0 && tabs >= commas && tabs >= semis)
		return '\t';
	if (semis > commas)
		return ';';
	return ',';
}

/* A header problem: said at the header's line, and the run stops. */
static int header_error(const struct src *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
header_error(const struct src *s, const char *fmt, ...)
{
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	warnmsg("%s:%ld: %s", s->name, s->recline, what);
	return -1;
}

/* Only spaces, TABs and line ends: no header, no record. */
static int
white(const char *p, size_t n)
{
	for (; n > 0; p++, n--)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			return 0;
	return 1;
}

/*
 * JSON is told from its first byte that is not white space: a CSV or TSV
 * header does not start with '[' or '{'.  Reads the first record, which
 * the header decisions are made on; a file of no records has no map.
 */
static int
open_json(struct src *s)
{
	const char *p = s->line + s->off;
	size_t n = (size_t)s->linelen - s->off;
	int rc;

	s->json = 1;
	s->jr = jsonrec_open(s->fp, s->name, p, n, s->lineno);
	if ((rc = jsonrec_next(s->jr, &s->jrec)) <= 0)
		return rc;
	s->recline = s->jrec->line;
	if (s->run->o->columns != NULL)
		return header_error(s, "--columns names the columns of CSV "
		                       "or TSV without a header line, and "
		                       "this is JSON");
	if (s->jrec->kind != NULL)
		return header_error(
		    s, "expected a JSON object, got %s", s->jrec->kind);
	s->mapped = 1;
	return 0;
}

/* Reads the header record (or the first JSON record); 0, or -1. */
static int
read_header(struct src *s)
{
	struct record *r = &s->rec;
	size_t skip;
	int rc;

	for (;;) {
		if ((rc = next_line(s)) < 0)
			return -1;
		if (rc == 0) {
			warnmsg("%s: empty input: no header line", s->name);
			return -1;
		}
		if (s->lineno == 1 && s->linelen >= 3 &&
		    memcmp(s->line, "\xef\xbb\xbf", 3) == 0)
			s->off = 3;
		/* Excel's "Unicode Text" is UTF-16 with a byte order mark. */
		if (s->lineno == 1 && s->linelen >= 2 &&
		    (memcmp(s->line, "\xff\xfe", 2) == 0 ||
		        memcmp(s->line, "\xfe\xff", 2) == 0)) {
			warnmsg(
			    "%s: UTF-16 or UTF-32 text (it starts with that "
			    "byte order mark): convert it to UTF-8 first, "
			    "e.g. with iconv -f UTF-16 -t UTF-8",
			    s->name);
			return -1;
		}
		if (!white(s->line + s->off, (size_t)s->linelen - s->off))
			break;
	}
	s->recline = s->lineno;
	/*
	 * A NUL where the header should be is a binary file (a database, an
	 * archive), not an export with no duration column.  With --columns
	 * the line is data, and a NUL in it only rejects that record.
	 */
	if (s->run->o->columns == NULL &&
	    memchr(s->line, '\0', (size_t)s->linelen) != NULL) {
		warnmsg(
		    "%s:%ld: not a text export: a NUL byte where the header "
		    "should be",
		    s->name, s->lineno);
		return -1;
	}
	skip = s->off + strspn(s->line + s->off, " \t");
	if (s->line[skip] == '[' || s->line[skip] == '{') {
		s->off = skip;
		return open_json(s);
	}
	s->mapped = 1;
	s->delim = detect_delim(s->line + s->off, (size_t)s->linelen - s->off);
	s->tsv = s->delim == '\t';
	if (s->tsv) {
		split_tsv(s, s->line + s->off, (size_t)s->linelen - s->off);
		s->off = (size_t)s->linelen;
		s->have_header = 1;
		return 0;
	}
	if (csv_init(&s->csv, CSV_STRICT | CSV_STRICT_FINI) != 0)
		errmsg("out of memory");
	s->csv_ready = 1;
	csv_set_delim(&s->csv, (unsigned char)s->delim);
	csv_set_space_func(&s->csv, no_space);
	s->in_header = s->open = 1;
	/*
	 * Feed up to one line end at a time and stop at the end of the
	 * header: the rest of the line belongs to the data, read later.  The
	 * bytes are kept: with --columns the first record is data.
	 */
	while (!s->have_header) {
		const char *p = s->line + s->off, *end = s->line + s->linelen;
		size_t n = 0;

		if (p == end) {
			if ((rc = next_line(s)) < 0)
				return -1;
			if (rc == 0) {
				if (csv_fini(&s->csv, csv_field_cb,
				        csv_record_cb, s) != 0) {
					warnmsg("%s:%ld: a quoted %s is still "
					        "open at the end of the file",
					    s->name, s->recline,
					    s->run->o->columns != NULL
					        ? "field in the first line"
					        : "name in the header");
					return -1;
				}
				break;
			}
			continue;
		}
		while (p + n < end && p[n] != '\r' && p[n] != '\n')
			n++;
		if (p + n < end)
			n++;
		buf_add(&r->raw, &r->rawlen, &r->rawcap, p, n);
		if (r->rawlen > MAX_RECORD) {
			warnmsg(
			    "%s:%ld: a %s longer than 1 MiB: is a quote left "
			    "open?",
			    s->name, s->recline,
			    s->run->o->columns != NULL ? "first line"
			                               : "header");
			return -1;
		}
		if (feed(s, p, n) != 0)
			return -1;
		s->off += n;
	}
	return 0;
}

/* "column" and "in the header", or the JSON and --columns words. */
static const char *
col_word(const struct src *s)
{
	return s->json ? "field" : "column";
}

static const char *
where_word(const struct src *s)
{
	return s->json                      ? "in the first object"
	       : s->run->o->columns != NULL ? "in --columns"
	                                    : "in the header";
}

/* The column an option names: the exact name, else the normalised one. */
static size_t
find_column(const struct src *s, const char *opt, const char *name)
{
	const struct record *h = s->hdr;
	char *want = normalise(name, strlen(name)), *got;
	size_t i, found = NONE, nfound = 0;

	for (i = 0; i < h->nf; i++)
		if (h->flen[i] == strlen(name) &&
		    memcmp(h->data + h->off[i], name, h->flen[i]) == 0) {
			free(want);
			return i;
		}
	for (i = 0; i < h->nf; i++) {
		got = normalise(h->data + h->off[i], h->flen[i]);
		if (strcmp(got, want) == 0 && nfound++ == 0)
			found = i;
		free(got);
	}
	free(want);
	if (nfound == 0) {
		header_error(s, "%s: no %s '%s' %s", opt, col_word(s),
		    quote_value(name, strlen(name)), where_word(s));
		return BAD;
	}
	if (nfound > 1) {
		header_error(s, "%s: more than one %s matches '%s'", opt,
		    col_word(s), quote_value(name, strlen(name)));
		return BAD;
	}
	return found;
}

/* The one column of a role, NONE, or BAD after naming two candidates. */
static size_t
one_of(const struct src *s, const size_t *cols, size_t n, const char *what,
    const char *opt)
{
	const struct map *m = &s->map;

	if (n > 1) {
		header_error(s,
		    "%ss '%s' and '%s' both match the %s (name "
		    "one with %s)",
		    col_word(s), m->names[cols[0]], m->names[cols[1]], what,
		    opt);
		return BAD;
	}
	return n == 1 ? cols[0] : NONE;
}

static void
say_column(const struct src *s, const char *role, size_t col)
{
	if (col == NONE)
		warnmsg("%s: %s: none", s->name, role);
	else if (s->json)
		warnmsg("%s: %s: '%s'", s->name, role, s->map.names[col]);
	else
		warnmsg("%s: %s: '%s' (column %zu)", s->name, role,
		    s->map.names[col], col + 1);
}

static void
say_mapping(const struct src *s)
{
	const struct map *m = &s->map;
	const struct opts *o = s->run->o;
	size_t i;

	if (s->json)
		warnmsg("%s: JSON", s->name);
	else
		warnmsg("%s: delimiter %s", s->name,
		    s->tsv            ? "TAB"
		    : s->delim == ',' ? "comma"
		                      : "semicolon");
	say_column(s, m->time_is_end ? "end time" : "start time", m->time);
	if (s->json)
		warnmsg("%s: duration: '%s' (%s)", s->name, m->names[m->dur],
		    m->scale == 1 ? "ms" : "s");
	else
		warnmsg("%s: duration: '%s' (column %zu, %s)", s->name,
		    m->names[m->dur], m->dur + 1, m->scale == 1 ? "ms" : "s");
	if (o->set_user != NULL)
		warnmsg("%s: user: set to '%s'", s->name,
		    quote_value(o->set_user, strlen(o->set_user)));
	else
		say_column(s, "user", m->user);
	say_column(s, "track id", m->track);
	say_column(s, "artist", m->artist);
	say_column(s, "title", m->title);
	for (i = 0; i < m->nnonmusic; i++)
		say_column(s, "non-music marker", m->nonmusic[i]);
	if (m->itemtype != NONE)
		say_column(s, "item type", m->itemtype);
}

/* A column named by an option, else the one the alias table found. */
static size_t
pick(const struct src *s, const char *optval, const char *opt,
    size_t *const *by, const size_t *nby, enum role role, const char *what)
{
	if (optval != NULL)
		return find_column(s, opt, optval);
	return one_of(s, by[role], nby[role], what, opt);
}

/*
 * The roles of a file's columns (SPEC section 5).  Time played is decided
 * first: without it nothing else matters, and a source that has none
 * (Last.fm, ListenBrainz) is told so rather than asked for a time column.
 */
static int
map_roles(struct src *s, size_t **by, size_t *nby)
{
	const struct opts *o = s->run->o;
	struct map *m = &s->map;
	size_t nd;

	/* Milliseconds and seconds are one role: time played. */
	m->scale = 1;
	if (o->duration != NULL)
		m->dur = find_column(s, "--duration", o->duration);
	else {
		nd = nby[R_MS];
		memcpy(
		    by[R_MS] + nd, by[R_SEC], nby[R_SEC] * sizeof *by[R_SEC]);
		nd += nby[R_SEC];
		m->dur = one_of(s, by[R_MS], nd, "time played", "--duration");
		if (nby[R_MS] == 0 && nby[R_SEC] == 1)
			m->scale = 1000;
	}
	if (m->dur == BAD)
		return -1;
	if (m->dur == NONE)
		return header_error(s,
		    "no duration (time played) %s %s: listening time cannot "
		    "be computed from this source; to count a track length "
		    "as time played, name its %s with --duration",
		    col_word(s), where_word(s), col_word(s));
	if (o->scale != 0)
		m->scale = o->scale;

	/* A start column wins over an end column: no guess is needed. */
	m->time_is_end = 0;
	if (o->time != NULL)
		m->time = find_column(s, "--time", o->time);
	else if (o->end_time != NULL) {
		m->time = find_column(s, "--end-time", o->end_time);
		m->time_is_end = 1;
	} else if (nby[R_START] > 0)
		m->time = one_of(
		    s, by[R_START], nby[R_START], "start time", "--time");
	else {
		m->time =
		    one_of(s, by[R_END], nby[R_END], "end time", "--end-time");
		m->time_is_end = 1;
	}
	if (m->time == BAD)
		return -1;
	if (m->time == NONE)
		return header_error(s,
		    "no time %s %s (name one with --time or --end-time)",
		    col_word(s), where_word(s));

	m->user = NONE;
	if (o->set_user == NULL && (m->user = pick(s, o->user, "--user", by,
	                                nby, R_USER, "user")) == BAD)
		return -1;
	if ((m->track = pick(s, o->track, "--track", by, nby, R_TRACK,
	         "track id")) == BAD ||
	    (m->artist = pick(s, o->artist, "--artist", by, nby, R_ARTIST,
	         "artist")) == BAD ||
	    (m->title = pick(
	         s, o->title, "--title", by, nby, R_TITLE, "title")) == BAD)
		return -1;
	m->itemtype = nby[R_ITEMTYPE] > 0 ? by[R_ITEMTYPE][0] : NONE;
	return 0;
}

/*
 * A first line holding a time is data: the file has no header, and its
 * columns are named with --columns rather than guessed.
 */
static int
first_line_is_data(const struct src *s)
{
	const struct record *h = s->hdr;
	const char *p;
	int64_t ms;
	size_t i, len, k;

	for (i = 0; i < h->nf; i++) {
		p = h->data + h->off[i];
		len = h->flen[i];
		for (k = 0; k < len && p[k] >= '0' && p[k] <= '9'; k++)
			;
		if (ts_parse_iso(p, len, &ms) == NULL || (len >= 9 && k == len))
			return header_error(s,
			    "the first line holds a time ('%s'), so it is "
			    "data, not a header: name the columns with "
			    "--columns",
			    quote_value(p, len));
	}
	return 0;
}

struct name {
	const char *p;
	size_t len;
};

static int
cmp_names(const void *a, const void *b)
{
	const struct name *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);

	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

/* A key the first object holds twice cannot be mapped without a guess. */
static int
check_twice(const struct src *s)
{
	const struct record *h = s->hdr;
	struct name *v = xmalloc(h->nf * sizeof *v);
	size_t i;
	int rc = 0;

	for (i = 0; i < h->nf; i++) {
		v[i].p = h->data + h->off[i];
		v[i].len = h->flen[i];
	}
	qsort(v, h->nf, sizeof *v, cmp_names);
	for (i = 1; i < h->nf && rc == 0; i++)
		if (cmp_names(&v[i - 1], &v[i]) == 0)
			rc = header_error(s,
			    "field '%s' appears twice in the first object",
			    quote_value(v[i].p, v[i].len));
	free(v);
	return rc;
}

/* The names a file's columns go by: its header, --columns, or JSON keys. */
static void
header_names(struct src *s, struct record *h)
{
	const struct jsonrec_record *jr = s->jrec;
	size_t i;

	memset(h, 0, sizeof *h);
	if (s->json)
		for (i = 0; i < jr->nf; i++)
			field_add(
			    h, jr->text + jr->f[i].name, jr->f[i].namelen);
	else
		for (i = 0; i < s->run->o->ncolumns; i++)
			field_add(h, s->run->o->columns[i],
			    strlen(s->run->o->columns[i]));
}

/*
 * For JSON, a key is matched by its last part ("artist_name" in
 * "track_metadata.artist_name"), and only the shallowest matches count:
 * a listen's own "ts" is not confused with one nested deeper.
 */
static void
collect_roles(struct src *s, size_t **by, size_t *nby)
{
	const struct record *h = s->hdr;
	int depth[NROLES], d, role;
	size_t i, leaf;

	for (i = 0; i < NROLES; i++)
		depth[i] = INT_MAX;
	for (i = 0; i < h->nf; i++) {
		const char *p = h->data + h->off[i];

		leaf = s->json ? s->jrec->f[i].leaf : 0;
		d = s->json ? s->jrec->f[i].depth : 0;
		if ((role = role_of(p + leaf, h->flen[i] - leaf)) < 0 ||
		    d > depth[role])
			continue;
		if (d < depth[role]) {
			depth[role] = d;
			nby[role] = 0;
		}
		by[role][nby[role]++] = i;
	}
}

/* JSON: the keys each record is searched for, and which it must hold. */
static void
map_keys(struct src *s, const struct record *h)
{
	struct map *m = &s->map;
	const size_t need[] = {
	    m->time, m->dur, m->user, m->track, m->artist, m->title};
	size_t i;

	m->keys = xmalloc(h->nf * sizeof *m->keys);
	m->keylen = xmalloc(h->nf * sizeof *m->keylen);
	m->used = xmalloc(h->nf * sizeof *m->used);
	for (i = 0; i < h->nf; i++) {
		m->keylen[i] = h->flen[i];
		m->keys[i] = xmalloc(h->flen[i] + 1);
		memcpy(m->keys[i], h->data + h->off[i], h->flen[i]);
		m->keys[i][h->flen[i]] = '\0';
		m->used[i] = 0;
	}
	for (i = 0; i < m->nnonmusic; i++)
		m->used[m->nonmusic[i]] = 1;
	if (m->itemtype != NONE)
		m->used[m->itemtype] = 1;
	for (i = 0; i < sizeof need / sizeof need[0]; i++)
		if (need[i] != NONE)
			m->used[need[i]] = 2;
}

/* Maps the header to roles (SPEC section 5); 0, or -1 after a message. */
static int
map_header(struct src *s)
{
	const struct opts *o = s->run->o;
	struct record names;
	const struct record *h = &s->rec;
	struct map *m = &s->map;
	size_t *by[NROLES], nby[NROLES] = {0}, i;
	int rc;

	if (s->json || o->columns != NULL) {
		header_names(s, &names);
		h = &names;
		s->pending = 1;
	}
	s->hdr = h;
	if (s->json)
		rc = check_twice(s);
	else if (o->columns != NULL && s->rec.nf != o->ncolumns)
		rc = header_error(s,
		    "--columns names %zu columns, the first line has %zu "
		    "fields",
		    o->ncolumns, s->rec.nf);
	else if (o->columns == NULL)
		rc = first_line_is_data(s);
	else
		rc = 0;

	m->ncols = h->nf;
	m->names = xmalloc(h->nf * sizeof *m->names);
	for (i = 0; i < NROLES; i++)
		by[i] = xmalloc(h->nf * sizeof *by[i]);
	for (i = 0; i < h->nf; i++)
		m->names[i] =
		    xstrdup(quote_value(h->data + h->off[i], h->flen[i]));
	if (rc == 0) {
		collect_roles(s, by, nby);
		rc = map_roles(s, by, nby);
	}
	m->nnonmusic = nby[R_NONMUSIC];
	m->nonmusic = by[R_NONMUSIC];
	by[R_NONMUSIC] = NULL;
	for (i = 0; i < NROLES; i++)
		free(by[i]);
	if (s->json && rc == 0)
		map_keys(s, h);
	if (h == &names)
		record_free(&names);
	s->hdr = NULL;
	if (!s->pending)
		record_clear(&s->rec);
	return rc;
}

/* Reads the data records of one file; 0, or -1 on a read error. */
static int
parse_data(struct src *s)
{
	const struct jsonrec_record *jr = s->jrec;
	struct record *r = &s->rec;
	int rc;

	if (s->json) {
		if (jr == NULL)
			return 0;
		take_json(s, jr);
		while ((rc = jsonrec_next(s->jr, &jr)) > 0)
			take_json(s, jr);
		return rc;
	}
	if (s->pending) {
		take_record(s);
		record_clear(r);
	}
	if (s->tsv) {
		while ((rc = next_line(s)) > 0) {
			if (blank(s->line, (size_t)s->linelen))
				continue;
			s->recline = s->lineno;
			split_tsv(s, s->line, (size_t)s->linelen);
			take_record(s);
		}
		return rc;
	}
	/* The rest of the header's last line, then line by line. */
	rc = 1;
	do {
		const char *p = s->line + s->off;
		size_t n = (size_t)s->linelen - s->off;

		if (!s->open && plain_line(s, p, n))
			continue;
		if (!s->open && !blank(p, n)) {
			s->open = 1;
			s->recline = s->lineno;
		}
		if (s->open)
			buf_add(&r->raw, &r->rawlen, &r->rawcap, p, n);
		/*
		 * No listen is this long: a quote left open would otherwise
		 * take the rest of the file into memory as one field.
		 */
		if (r->rawlen > MAX_RECORD) {
			warnmsg(
			    "%s:%ld: a record longer than 1 MiB: is a quote "
			    "left open?",
			    s->name, s->recline);
			return -1;
		}
		if (feed_data(s, p, n) != 0)
			return -1;
	} while ((rc = next_line(s)) > 0);
	if (rc < 0)
		return -1;
	if (csv_fini(&s->csv, csv_field_cb, csv_record_cb, s) != 0) {
		/* What follows the open quote cannot be told apart. */
		warnmsg("%s:%ld: a quoted field is still open at the end of "
		        "the file",
		    s->name, s->recline);
		return -1;
	}
	return 0;
}

static void
close_src(struct src *s)
{
	size_t i;

	if (s->csv_ready)
		csv_free(&s->csv);
	jsonrec_close(s->jr);
	if (s->fp != NULL && s->fp != stdin)
		fclose(s->fp);
	for (i = 0; i < s->map.ncols; i++) {
		free(s->map.names[i]);
		if (s->map.keys != NULL)
			free(s->map.keys[i]);
	}
	free(s->map.names);
	free(s->map.keys);
	free(s->map.keylen);
	free(s->map.used);
	free(s->map.nonmusic);
	free(s->line);
	record_free(&s->rec);
}

/* A percentage kept in thousandths, written back the way it was given. */
static void
format_pct(char *out, size_t size, int64_t thousandths)
{
	int n = snprintf(out, size, "%lld.%03lld",
	    (long long)(thousandths / 1000), (long long)(thousandths % 1000));

	while (n > 0 && out[n - 1] == '0')
		out[--n] = '\0';
	if (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
}

/* The end of the run: the counts, and the verdict on the reject share. */
static int
verdict(const struct run *run)
{
	char limit[32];
	i128 tenths;

	if (run->nrejected > MAX_SHOWN)
		warnmsg("%lld more reject%s not shown",
		    (long long)(run->nrejected - MAX_SHOWN),
		    run->nrejected - MAX_SHOWN == 1 ? "" : "s");
	warnmsg("read %lld, written %lld, rejected %lld, skipped %lld "
	        "non-music",
	    (long long)run->nread, (long long)run->nwritten,
	    (long long)run->nrejected, (long long)run->nskipped);
	/* rejected / read > pct / 100, in integers: no float at the edge. */
	if ((i128)run->nrejected * 100000 <=
	    (i128)run->o->max_reject * run->nread)
		return 0;
	tenths =
	    ((i128)run->nrejected * 2000 + run->nread) / (2 * (i128)run->nread);
	format_pct(limit, sizeof limit, run->o->max_reject);
	warnmsg("rejected %lld of %lld records (%lld.%lld%%), more than "
	        "--max-reject-pct %s",
	    (long long)run->nrejected, (long long)run->nread,
	    (long long)(tenths / 10), (long long)(tenths % 10), limit);
	return -1;
}

/*
 * The worker: every source's header read and mapped before any output,
 * then the data of each in turn, then the verdict.  Closes the sources.
 */
static int
parse_sources(struct src *srcs, int n, const struct opts *o)
{
	struct run run = {0};
	int i, rc = EXIT_SUCCESS;

	run.o = o;
	for (i = 0; i < n && rc == EXIT_SUCCESS; i++) {
		srcs[i].run = &run;
		if (read_header(&srcs[i]) != 0 ||
		    (srcs[i].mapped && map_header(&srcs[i]) != 0))
			rc = EXIT_FAILURE;
		else if (o->verbose && srcs[i].mapped)
			say_mapping(&srcs[i]);
	}
	if (rc == EXIT_SUCCESS && o->rejects != NULL) {
		if ((run.rejects = fopen(o->rejects, "a")) == NULL) {
			warnmsg("%s: %s", o->rejects, strerror(errno));
			rc = EXIT_FAILURE;
		} else if (fseek(run.rejects, 0, SEEK_END) == 0 &&
		           ftell(run.rejects) == 0)
			tsv_put_header(run.rejects, "source", "line", "reason",
			    "record", NULL);
	}
	if (rc != EXIT_SUCCESS) {
		for (i = 0; i < n; i++)
			close_src(&srcs[i]);
		return rc;
	}

	/* Stdout carries only data: a big buffer, fewer write calls. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	tsv_put_header(
	    stdout, "played_at", "user_id", "track_id", "ms_played", NULL);
	for (i = 0; i < n; i++) {
		if (parse_data(&srcs[i]) != 0)
			rc = EXIT_FAILURE;
		close_src(&srcs[i]);
	}
	if (run.rejects != NULL &&
	    (ferror(run.rejects) | fclose(run.rejects)) != 0) {
		warnmsg("%s: write error: %s", o->rejects, strerror(errno));
		rc = EXIT_FAILURE;
	}
	free(run.out);
	if (verdict(&run) != 0)
		rc = EXIT_FAILURE;
	return rc;
}

static int
parse(char **files, int nfiles, const struct opts *o)
{
	struct src *srcs;
	int i, rc;

	srcs = xmalloc((size_t)nfiles * sizeof *srcs);
	memset(srcs, 0, (size_t)nfiles * sizeof *srcs);
	for (i = 0; i < nfiles; i++) {
		if (strcmp(files[i], "-") == 0) {
			srcs[i].fp = stdin;
			srcs[i].name = "<stdin>";
		} else if ((srcs[i].fp = fopen(files[i], "r")) != NULL)
			srcs[i].name = files[i];
		else {
			warnmsg("%s: %s", files[i], strerror(errno));
			while (i-- > 0)
				close_src(&srcs[i]);
			free(srcs);
			return EXIT_FAILURE;
		}
	}
	rc = parse_sources(srcs, nfiles, o);
	free(srcs);
	return rc;
}

/*
 * --time-format: strptime conversions that make one instant, checked
 * before any input is read.  Conversions that strptime reads and then
 * ignores (%Z) or that depend on the machine's zone (%s) are refused.
 */
static int
time_format_option(const char *fmt)
{
	int year = 0, mon = 0, day = 0, hour = 0, min = 0, ampm = 0;
	int twelve = 0, zone = 0;
	const char *p, *miss = NULL;

	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		switch (*++p) {
		case 'Y':
		case 'y': year = 1; break;
		case 'b':
		case 'B':
		case 'h':
		case 'm': mon = 1; break;
		case 'd':
		case 'e': day = 1; break;
		case 'I': twelve = 1; /* FALLTHROUGH */
		case 'H': hour = 1; break;
		case 'M': min = 1; break;
		case 'p': ampm = 1; break;
		case 'R':
		case 'T': hour = min = 1; break;
		case 'D':
		case 'F': year = mon = day = 1; break;
		case 'z': zone = 1; break;
		case 'a':
		case 'A':
		case 'n':
		case 't':
		case 'S':
		case '%': break;
		case '\0':
			usage_error("--time-format: '%s' ends in a lone '%%'",
			    quote_value(fmt, strlen(fmt)));
		default:
			usage_error("--time-format: '%%%c' is not a "
			            "conversion listen-parse reads",
			    *p);
		}
	}
	if (!year)
		miss = "year (%Y or %y)";
	else if (!mon)
		miss = "month (%m or %b)";
	else if (!day)
		miss = "day of the month (%d)";
	else if (!hour)
		miss = "hour (%H, or %I with %p)";
	else if (!min)
		miss = "minutes (%M)";
	else if (twelve && !ampm)
		miss = "AM or PM (%p) for the 12-hour %I";
	if (miss != NULL)
		usage_error("--time-format: '%s' has no %s",
		    quote_value(fmt, strlen(fmt)), miss);
	return zone;
}

/*
 * --tz: an IANA zone name from the system's tz database.  glibc reads an
 * unknown TZ as UTC without a word, so the zone file is checked here.
 */
static void
tz_option(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[PATH_MAX], magic[4];
	FILE *fp = NULL;
	int ok = 0;

	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	if (*zone != '\0' && *zone != '/' && strstr(zone, "..") == NULL &&
	    (size_t)snprintf(path, sizeof path, "%s/%s", dir, zone) <
	        sizeof path &&
	    (fp = fopen(path, "r")) != NULL)
		ok = fread(magic, 1, 4, fp) == 4 &&
		     memcmp(magic, "TZif", 4) == 0;
	if (fp != NULL)
		fclose(fp);
	if (!ok)
		usage_error("--tz: unknown time zone '%s' (not in %s)",
		    quote_value(zone, strlen(zone)), dir);
	setenv("TZ", zone, 1);
	tzset();
}

/* --columns a,b,c: the names, each one not empty. */
static void
columns_option(struct opts *o, const char *arg)
{
	const char *p = arg, *comma;
	size_t n;

	for (;;) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n == 0)
			usage_error("--columns: an empty column name in '%s'",
			    quote_value(arg, strlen(arg)));
		o->columns = xrealloc(
		    o->columns, (o->ncolumns + 1) * sizeof *o->columns);
		o->columns[o->ncolumns] = xmalloc(n + 1);
		memcpy(o->columns[o->ncolumns], p, n);
		o->columns[o->ncolumns++][n] = '\0';
		if (comma == NULL)
			break;
		p = comma + 1;
	}
}

static int64_t
time_option(const char *opt, const char *arg)
{
	char day[32];
	int64_t ms;
	const char *err, *iso = arg;

	/* A date alone (ISO 8601 too) is the midnight that starts it, UTC. */
	if (strlen(arg) == 10 && strspn(arg, "0123456789-") == 10) {
		snprintf(day, sizeof day, "%sT00:00:00Z", arg);
		iso = day;
	}
	err = ts_parse_iso(iso, strlen(iso), &ms);

	if (err != NULL)
		usage_error(
		    "%s: %s: '%s'", opt, err, quote_value(arg, strlen(arg)));
	return ms;
}

static void
usage(FILE *fp)
{
	fputs("usage: listen-parse [-hv] [--columns name,...] "
	      "[--time col | --end-time col] [--time-format fmt] "
	      "[--tz zone] "
	      "[--duration col] [--duration-unit ms|s] [--user col | "
	      "--set-user id] [--track col] [--artist col] [--title col] "
	      "[--rejects file] [--max-reject-pct pct] [--min-time iso] "
	      "[--max-time iso] [file ...]\n",
	    fp);
}

enum {
	OPT_ARTIST = 256,
	OPT_COLUMNS,
	OPT_DURATION,
	OPT_DURATION_UNIT,
	OPT_END_TIME,
	OPT_MAX_REJECT_PCT,
	OPT_MAX_TIME,
	OPT_MIN_TIME,
	OPT_REJECTS,
	OPT_SET_USER,
	OPT_TIME,
	OPT_TIME_FORMAT,
	OPT_TITLE,
	OPT_TRACK,
	OPT_TZ,
	OPT_USER,
};

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"artist", required_argument, NULL, OPT_ARTIST},
	    {"columns", required_argument, NULL, OPT_COLUMNS},
	    {"duration", required_argument, NULL, OPT_DURATION},
	    {"duration-unit", required_argument, NULL, OPT_DURATION_UNIT},
	    {"end-time", required_argument, NULL, OPT_END_TIME},
	    {"help", no_argument, NULL, 'h'},
	    {"max-reject-pct", required_argument, NULL, OPT_MAX_REJECT_PCT},
	    {"max-time", required_argument, NULL, OPT_MAX_TIME},
	    {"min-time", required_argument, NULL, OPT_MIN_TIME},
	    {"rejects", required_argument, NULL, OPT_REJECTS},
	    {"set-user", required_argument, NULL, OPT_SET_USER},
	    {"time", required_argument, NULL, OPT_TIME},
	    {"time-format", required_argument, NULL, OPT_TIME_FORMAT},
	    {"title", required_argument, NULL, OPT_TITLE},
	    {"track", required_argument, NULL, OPT_TRACK},
	    {"tz", required_argument, NULL, OPT_TZ},
	    {"user", required_argument, NULL, OPT_USER},
	    {"verbose", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	struct opts o = {0};
	struct timespec now;
	char *stdin_only[] = {(char *)"-"};
	int ch, max_time_given = 0, rc;

	msg_init("listen-parse");
	usage_set(usage);
	argv[0] = (char *)"listen-parse"; /* getopt's messages name it */
	o.max_reject = 5000;              /* 5 %, in thousandths */
	o.min_time = DEFAULT_MIN_TIME;
	while ((ch = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h': usage(stdout); return EXIT_SUCCESS;
		case 'v': o.verbose = 1; break;
		case OPT_ARTIST: o.artist = optarg; break;
		case OPT_COLUMNS: columns_option(&o, optarg); break;
		case OPT_DURATION: o.duration = optarg; break;
		case OPT_DURATION_UNIT:
			if (strcmp(optarg, "ms") == 0)
				o.scale = 1;
			else if (strcmp(optarg, "s") == 0)
				o.scale = 1000;
			else
				usage_error("--duration-unit: expected 'ms' or "
				            "'s', got '%s'",
				    quote_value(optarg, strlen(optarg)));
			break;
		case OPT_END_TIME: o.end_time = optarg; break;
		case OPT_MAX_REJECT_PCT:
			o.max_reject = pct_option("--max-reject-pct", optarg);
			break;
		case OPT_MAX_TIME:
			o.max_time = time_option("--max-time", optarg);
			max_time_given = 1;
			break;
		case OPT_MIN_TIME:
			o.min_time = time_option("--min-time", optarg);
			break;
		case OPT_REJECTS: o.rejects = optarg; break;
		case OPT_SET_USER: o.set_user = optarg; break;
		case OPT_TIME: o.time = optarg; break;
		case OPT_TIME_FORMAT:
			o.format_zone = time_format_option(optarg);
			o.time_format = optarg;
			break;
		case OPT_TITLE: o.title = optarg; break;
		case OPT_TRACK: o.track = optarg; break;
		case OPT_TZ:
			tz_option(optarg);
			o.tz = optarg;
			break;
		case OPT_USER: o.user = optarg; break;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (o.time != NULL && o.end_time != NULL)
		usage_error("--time and --end-time cannot be used together");
	if (o.user != NULL && o.set_user != NULL)
		usage_error("--user and --set-user cannot be used together");
	if (!max_time_given) {
		/* One day after now: a clock a little ahead is not an error. */
		clock_gettime(CLOCK_REALTIME, &now);
		o.max_time = (int64_t)now.tv_sec * 1000 +
		             now.tv_nsec / 1000000 + MS_PER_DAY;
	}
	if (o.min_time > o.max_time)
		usage_error("--min-time is after --max-time");
	if (optind == argc)
		rc = parse(stdin_only, 1, &o);
	else
		rc = parse(argv + optind, argc - optind, &o);
	while (o.ncolumns > 0)
		free(o.columns[--o.ncolumns]);
	free(o.columns);
	return msg_close_stdout() ? EXIT_FAILURE : rc;
}
