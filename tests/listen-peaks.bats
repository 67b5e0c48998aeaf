#!/usr/bin/env bats
# listen-peaks: the peak rule of SPEC section 4.  Every expected
# *.peaks.tsv was worked out by fixtures/listen-peaks/reference.py, an
# independent Python version of the rule (ISO calendar from the standard
# library, exact Fractions), never by running the tool.

bats_require_minimum_version 1.5.0
load test_helper

P="$BATS_TEST_DIRNAME/fixtures/listen-peaks"

peaks_of() { # fixture name, then listen-peaks options
	local name=$1
	shift
	listen-peaks "$@" < "$P/$name.weekly.tsv" > out.tsv
}

@test "listen-peaks: the SPEC section 4 example gives exactly its three peaks" {
	peaks_of spec-example
	diff -u "$P/spec-example.peaks.tsv" out.tsv
}

@test "listen-peaks: exactly 20 % from the mean is not a peak" {
	peaks_of exactly-20
	diff -u "$P/exactly-20.peaks.tsv" out.tsv
	[ "$(wc -l < out.tsv)" -eq 1 ]
}

@test "listen-peaks: 20 % plus one millisecond is a peak, above and below" {
	peaks_of over-20
	diff -u "$P/over-20.peaks.tsv" out.tsv
}

@test "listen-peaks: a week with no row inside the range counts as 0 ms" {
	peaks_of gap
	diff -u "$P/gap.peaks.tsv" out.tsv
}

@test "listen-peaks: a run of exceptional weeks gives only its first week" {
	peaks_of run
	diff -u "$P/run.peaks.tsv" out.tsv
}

@test "listen-peaks: rows in any order and split weeks add up" {
	peaks_of unordered
	diff -u "$P/spec-example.peaks.tsv" out.tsv
}

@test "listen-peaks: week 53 of a 53-week year lies between week 52 and the next year" {
	peaks_of week53
	diff -u "$P/week53.peaks.tsv" out.tsv
}

@test "listen-peaks: deviation rounds half away from zero, +31.25 to +31.3" {
	peaks_of round-up
	diff -u "$P/round-up.peaks.tsv" out.tsv
}

@test "listen-peaks: deviation rounds half away from zero, -31.25 to -31.3" {
	peaks_of round-down
	diff -u "$P/round-down.peaks.tsv" out.tsv
}

@test "listen-peaks: a deviation that rounds to zero prints +0.0" {
	peaks_of near-zero -t 0
	diff -u "$P/near-zero.t0.peaks.tsv" out.tsv
}

@test "listen-peaks: --threshold 50 keeps only weeks more than 50 % away" {
	peaks_of spec-example --threshold 50
	diff -u "$P/spec-example.t50.peaks.tsv" out.tsv
}

@test "listen-peaks: -t takes three decimals" {
	# 120001 is 20.001 % above the mean of 100000: not more than 20.001 %.
	peaks_of over-20 -t 20.001
	diff -u "$P/exactly-20.peaks.tsv" out.tsv
}

@test "listen-peaks: totals near 2^63 are computed without overflow" {
	peaks_of max
	diff -u "$P/max.peaks.tsv" out.tsv
}

@test "listen-peaks: a mean of 0 gives the header only" {
	peaks_of all-zero
	diff -u "$P/all-zero.peaks.tsv" out.tsv
}

@test "listen-peaks: a header-only input gives the header only" {
	peaks_of empty
	printf 'year\tweek\tlistening_ms\tdeviation_pct\n' > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-peaks: empty input is refused" {
	run --separate-stderr -1 listen-peaks < /dev/null
	[ "$stderr" = "listen-peaks: <stdin>:1: empty input: expected header 'year<TAB>week<TAB>listening_ms'" ]
	[ -z "$output" ]
}

@test "listen-peaks: a listens stream is refused at line 1" {
	printf 'played_at\tuser_id\ttrack_id\tms_played\n' > in.tsv
	run --separate-stderr -1 listen-peaks < in.tsv
	[ "$stderr" = "listen-peaks: <stdin>:1: expected header 'year<TAB>week<TAB>listening_ms', got 'played_at<TAB>user_id<TAB>track_id<TAB>ms_played'" ]
	[ -z "$output" ]
}

@test "listen-peaks: a peaks stream is refused at line 1" {
	run --separate-stderr -1 listen-peaks < "$P/spec-example.peaks.tsv"
	[ "$stderr" = "listen-peaks: <stdin>:1: expected header 'year<TAB>week<TAB>listening_ms', got 'year<TAB>week<TAB>listening_ms<TAB>deviation_pct'" ]
}

@test "listen-peaks: week 53 of a 52-week year is an error" {
	printf 'year\tweek\tlistening_ms\n2021\t53\t5\n' > in.tsv
	run --separate-stderr -1 listen-peaks < in.tsv
	[ "$stderr" = "listen-peaks: <stdin>:2: 2021 has no week 53" ]
	[ -z "$output" ]
}

@test "listen-peaks: week 0 and week 54 are out of range" {
	printf 'year\tweek\tlistening_ms\n2021\t0\t5\n' > in.tsv
	run --separate-stderr -1 listen-peaks < in.tsv
	[ "$stderr" = "listen-peaks: <stdin>:2: field 2 is out of range: '0'" ]
	printf 'year\tweek\tlistening_ms\n2020\t54\t5\n' > in.tsv
	run --separate-stderr -1 listen-peaks < in.tsv
	[ "$stderr" = "listen-peaks: <stdin>:2: field 2 is out of range: '54'" ]
}

@test "listen-peaks: a negative total is out of range" {
	printf 'year\tweek\tlistening_ms\n2021\t3\t-1\n' > in.tsv
	run --separate-stderr -1 listen-peaks < in.tsv
	[ "$stderr" = "listen-peaks: <stdin>:2: field 3 is out of range: '-1'" ]
}

@test "listen-peaks: a total that is not a number is refused with its line" {
	printf 'year\tweek\tlistening_ms\n2021\t3\t5\n2021\t4\t5.0\n' > in.tsv
	run --separate-stderr -1 listen-peaks < in.tsv
	[ "$stderr" = "listen-peaks: <stdin>:3: field 3 is not a number: '5.0'" ]
	[ -z "$output" ]
}

@test "listen-peaks: a total of 2^63 is out of range" {
	printf 'year\tweek\tlistening_ms\n2021\t3\t9223372036854775808\n' > in.tsv
	run --separate-stderr -1 listen-peaks < in.tsv
	[ "$stderr" = "listen-peaks: <stdin>:2: field 3 is out of range: '9223372036854775808'" ]
}

@test "listen-peaks: rows of one week adding past 2^63 - 1 are an error, not a wrap" {
	printf 'year\tweek\tlistening_ms\n2021\t3\t9223372036854775807\n2021\t3\t1\n' > in.tsv
	run --separate-stderr -1 listen-peaks < in.tsv
	[ "$stderr" = "listen-peaks: <stdin>:3: total of 2021 week 3 passes 2^63 - 1 ms" ]
	[ -z "$output" ]
}

@test "listen-peaks: a row with too few fields is refused" {
	printf 'year\tweek\tlistening_ms\n2021\t3\n' > in.tsv
	run --separate-stderr -1 listen-peaks < in.tsv
	[ "$stderr" = "listen-peaks: <stdin>:2: expected 3 fields, got 2" ]
}

@test "listen-peaks: a row with too many fields is refused" {
	printf 'year\tweek\tlistening_ms\n2021\t3\t4\t5\n' > in.tsv
	run --separate-stderr -1 listen-peaks < in.tsv
	[ "$stderr" = "listen-peaks: <stdin>:2: expected 3 fields, got more" ]
}

@test "listen-peaks: a stream cut in the middle of a line is refused" {
	printf 'year\tweek\tlistening_ms\n2021\t3\t4' > in.tsv
	run --separate-stderr -1 listen-peaks < in.tsv
	[ "$stderr" = "listen-peaks: <stdin>:2: stream ends in the middle of a line" ]
	[ -z "$output" ]
}

@test "listen-peaks: CRLF line ends are refused" {
	printf 'year\tweek\tlistening_ms\r\n' > in.tsv
	run --separate-stderr -1 listen-peaks < in.tsv
	[ "$stderr" = "listen-peaks: <stdin>:1: expected header 'year<TAB>week<TAB>listening_ms', got 'year<TAB>week<TAB>listening_ms\\r'" ]
}

@test "listen-peaks: an unknown escape is refused" {
	printf 'year\tweek\tlistening_ms\n2021\t3\t\\x4\n' > in.tsv
	run --separate-stderr -1 listen-peaks < in.tsv
	[ "$stderr" = "listen-peaks: <stdin>:2: unknown escape '\\x'" ]
}

@test "listen-peaks: a bad --threshold is a usage error" {
	for bad in abc 1000.001 1.2345 -1 '' 5. .5 1e2; do
		run --separate-stderr -2 listen-peaks --threshold "$bad" < "$P/spec-example.weekly.tsv"
		[[ "$stderr" == "listen-peaks: --threshold: "*"'$bad'"*"usage: listen-peaks [-t pct] < weekly.tsv > peaks.tsv" ]]
		[ -z "$output" ]
	done
}

@test "listen-peaks: --threshold 1000 and 0 are accepted" {
	peaks_of spec-example --threshold 1000
	[ "$(wc -l < out.tsv)" -eq 1 ]
	peaks_of spec-example --threshold 0
	[ "$(wc -l < out.tsv)" -gt 1 ]
}

@test "listen-peaks: a missing --threshold value is a usage error" {
	run --separate-stderr -2 listen-peaks --threshold
	[ "${stderr%%$'\n'*}" = "listen-peaks: option '--threshold' requires an argument" ]
}

@test "listen-peaks: an unknown option is a usage error" {
	run --separate-stderr -2 listen-peaks --nope
	[ "$stderr" = "listen-peaks: unrecognized option '--nope'
usage: listen-peaks [-t pct] < weekly.tsv > peaks.tsv" ]
	[ -z "$output" ]
}

@test "listen-peaks: an operand is a usage error" {
	run --separate-stderr -2 listen-peaks weekly.tsv
	[ "$stderr" = "listen-peaks: unexpected operand 'weekly.tsv'
usage: listen-peaks [-t pct] < weekly.tsv > peaks.tsv" ]
}

@test "listen-peaks: --help prints the usage line on stdout" {
	run --separate-stderr -0 listen-peaks --help
	[ "$output" = "usage: listen-peaks [-t pct] < weekly.tsv > peaks.tsv" ]
	[ -z "$stderr" ]
}

@test "listen-peaks: a full disk on stdout exits 1" {
	run --separate-stderr -1 bash -c 'listen-peaks < "$1" > /dev/full' _ "$P/spec-example.weekly.tsv"
	[ "$stderr" = "listen-peaks: write error: No space left on device" ]
}
