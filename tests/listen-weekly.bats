#!/usr/bin/env bats
# listen-weekly: listens summed by ISO 8601 week.  The expected
# *.weekly.tsv were worked out by fixtures/listen-weekly/reference.py
# (Python's datetime.isocalendar), never by running the tool.

bats_require_minimum_version 1.5.0
load test_helper

W="$BATS_TEST_DIRNAME/fixtures/listen-weekly"
HEADER=$'played_at\tuser_id\ttrack_id\tms_played'

@test "listen-weekly: ISO week-years at the year ends (2024-12-30 is 2025 week 1, 2027-01-01 is 2026 week 53)" {
	listen-weekly < "$W/iso-edges.listens.tsv" > out.tsv
	diff -u "$W/iso-edges.weekly.tsv" out.tsv
}

@test "listen-weekly: a week whose listens are all 0 ms still has a row" {
	listen-weekly < "$W/iso-edges.listens.tsv" > out.tsv
	grep -qx $'2025\t23\t0' out.tsv
}

@test "listen-weekly: unsorted input comes out sorted, escaped fields read" {
	listen-weekly < "$W/unsorted.listens.tsv" > out.tsv
	diff -u "$W/unsorted.weekly.tsv" out.tsv
}

@test "listen-weekly: header-only input gives the header only" {
	printf '%s\n' "$HEADER" | listen-weekly > out.tsv
	printf 'year\tweek\tlistening_ms\n' > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-weekly: empty input is refused" {
	run --separate-stderr -1 listen-weekly < /dev/null
	[ "$stderr" = "listen-weekly: <stdin>:1: empty input: expected header 'played_at<TAB>user_id<TAB>track_id<TAB>ms_played'" ]
	[ -z "$output" ]
}

@test "listen-weekly: a weekly stream is refused at line 1" {
	run --separate-stderr -1 listen-weekly < "$W/unsorted.weekly.tsv"
	[ "$stderr" = "listen-weekly: <stdin>:1: expected header 'played_at<TAB>user_id<TAB>track_id<TAB>ms_played', got 'year<TAB>week<TAB>listening_ms'" ]
	[ -z "$output" ]
}

@test "listen-weekly: a played_at not in the stream form is refused with its line" {
	printf '%s\n2022-01-01T00:00:00.000Z\tu\tt\t1\n2022-01-01 00:00:00\tu\tt\t1\n' "$HEADER" > in.tsv
	run --separate-stderr -1 listen-weekly < in.tsv
	[ "$stderr" = "listen-weekly: <stdin>:3: played_at is not a YYYY-MM-DDTHH:MM:SS.mmmZ time: '2022-01-01 00:00:00'" ]
	[ -z "$output" ]
}

@test "listen-weekly: a date that is not in the calendar is refused" {
	printf '%s\n2022-02-29T00:00:00.000Z\tu\tt\t1\n' "$HEADER" > in.tsv
	run --separate-stderr -1 listen-weekly < in.tsv
	[ "$stderr" = "listen-weekly: <stdin>:2: played_at is not a calendar date: '2022-02-29T00:00:00.000Z'" ]
}

@test "listen-weekly: a negative ms_played is refused" {
	printf '%s\n2022-01-01T00:00:00.000Z\tu\tt\t-1\n' "$HEADER" > in.tsv
	run --separate-stderr -1 listen-weekly < in.tsv
	[ "$stderr" = "listen-weekly: <stdin>:2: field 4 is out of range: '-1'" ]
}

@test "listen-weekly: an ms_played that is not a whole number is refused" {
	printf '%s\n2022-01-01T00:00:00.000Z\tu\tt\t1.5\n' "$HEADER" > in.tsv
	run --separate-stderr -1 listen-weekly < in.tsv
	[ "$stderr" = "listen-weekly: <stdin>:2: field 4 is not a number: '1.5'" ]
}

@test "listen-weekly: a week total past 2^63 - 1 ms is an error, not a wrap" {
	printf '%s\n2022-01-03T00:00:00.000Z\tu\tt\t9223372036854775807\n2022-01-04T00:00:00.000Z\tu\tt\t1\n' "$HEADER" > in.tsv
	run --separate-stderr -1 listen-weekly < in.tsv
	[ "$stderr" = "listen-weekly: <stdin>:3: weekly total passes 2^63 - 1 ms" ]
	[ -z "$output" ]
}

@test "listen-weekly: a row with the wrong field count is refused" {
	printf '%s\n2022-01-01T00:00:00.000Z\tu\t1\n' "$HEADER" > in.tsv
	run --separate-stderr -1 listen-weekly < in.tsv
	[ "$stderr" = "listen-weekly: <stdin>:2: expected 4 fields, got 3" ]
}

@test "listen-weekly: a stream cut in the middle of a line is refused" {
	printf '%s\n2022-01-01T00:00:00.000Z\tu\tt\t1' "$HEADER" > in.tsv
	run --separate-stderr -1 listen-weekly < in.tsv
	[ "$stderr" = "listen-weekly: <stdin>:2: stream ends in the middle of a line" ]
	[ -z "$output" ]
}

@test "listen-weekly: a NUL byte in the stream is refused" {
	printf '%s\n2022-01-01T00:00:00.000Z\tu\0\tt\t1\n' "$HEADER" > in.tsv
	run --separate-stderr -1 listen-weekly < in.tsv
	[ "$stderr" = "listen-weekly: <stdin>:2: NUL byte in stream" ]
}

@test "listen-weekly: a lone backslash at the end of a line is refused" {
	printf '%s\n2022-01-01T00:00:00.000Z\tu\tt\t1\\\n' "$HEADER" > in.tsv
	run --separate-stderr -1 listen-weekly < in.tsv
	[ "$stderr" = "listen-weekly: <stdin>:2: lone backslash at end of line" ]
}

@test "listen-weekly: a million listens run in flat memory" {
	# One line plus one slot per week: the peak RSS for 10^6 rows stays
	# within a few MB of the RSS for 10^3 rows.
	command -v /usr/bin/time > /dev/null || skip "/usr/bin/time is not installed"
	gen() {
		awk -v n="$1" 'BEGIN { print "played_at\tuser_id\ttrack_id\tms_played";
			for (i = 0; i < n; i++)
				printf "20%02d-%02d-%02dT10:00:00.%03dZ\tuser%d\ttrack%d\t%d\n",
				    10 + i % 15, 1 + i % 12, 1 + i % 28, i % 1000, i % 97, i, i % 300000 }'
	}
	gen 1000 > small.tsv
	gen 1000000 > big.tsv
	/usr/bin/time -f %M -o small.rss listen-weekly < small.tsv > /dev/null
	/usr/bin/time -f %M -o big.rss listen-weekly < big.tsv > /dev/null
	[ "$(( $(cat big.rss) - $(cat small.rss) ))" -lt 4096 ]
}

@test "listen-weekly: an unknown option is a usage error" {
	run --separate-stderr -2 listen-weekly -x
	[ "$stderr" = "listen-weekly: invalid option -- 'x'
usage: listen-weekly < listens.tsv > weekly.tsv" ]
	[ -z "$output" ]
}

@test "listen-weekly: an operand is a usage error" {
	run --separate-stderr -2 listen-weekly listens.tsv
	[ "$stderr" = "listen-weekly: unexpected operand 'listens.tsv'
usage: listen-weekly < listens.tsv > weekly.tsv" ]
}

@test "listen-weekly: --help prints the usage line on stdout" {
	run --separate-stderr -0 listen-weekly --help
	[ "$output" = "usage: listen-weekly < listens.tsv > weekly.tsv" ]
}

@test "listen-weekly: a full disk on stdout exits 1" {
	run --separate-stderr -1 bash -c 'listen-weekly < "$1" > /dev/full' _ "$W/unsorted.listens.tsv"
	[ "$stderr" = "listen-weekly: write error: No space left on device" ]
}
