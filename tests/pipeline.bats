#!/usr/bin/env bats
# The tools composed, as the Makefile and a user compose them.  Expected
# values for the bundled sample come from fixtures/pipeline/
# sample-reference.py (Python's csv and datetime), not from the tools.

bats_require_minimum_version 1.5.0
load test_helper

S="$TOP/data/sample.csv"
PF="$BATS_TEST_DIRNAME/fixtures/pipeline"

ingest() { # db, then files: the ingest line of SPEC section 2
	local db=$1
	shift
	listen-load "$db" -- listen-parse "${WINDOW[@]}" "$@"
}

# The listens stored, as a listens stream (the sample's ids need no escapes).
stored_listens() {
	printf 'played_at\tuser_id\ttrack_id\tms_played\n'
	query "$1" 'SELECT played_at, user_id, track_id, ms_played FROM listens ORDER BY 1, 2, 3'
}

@test "pipeline: the bundled sample gives the peaks worked out independently" {
	ingest w.db "$S" 2> err
	listen-load --weekly w.db | listen-peaks > out.tsv
	diff -u "$PF/sample.peaks.tsv" out.tsv
}

@test "pipeline: the bundled sample's weekly totals match the independent reference" {
	ingest w.db "$S" 2> err
	listen-load --weekly w.db > out.tsv
	diff -u "$PF/sample.weekly.tsv" out.tsv
}

@test "pipeline: the sample's duplicates are skipped and its bad rows rejected" {
	run --separate-stderr -0 ingest w.db "$S"
	[[ "$stderr" == *"listen-load: w.db: read 27835, inserted 27823, duplicates 12, conflicts 0" ]]
	[ "$(grep -c '^listen-parse: .*sample.csv:[0-9]*: ' <<< "$stderr")" -eq 8 ]
}

@test "pipeline: re-ingesting the sample inserts nothing and leaves the weekly totals unchanged" {
	ingest w.db "$S" 2> /dev/null
	listen-load --weekly w.db > before.tsv
	run --separate-stderr -0 ingest w.db "$S"
	[[ "$stderr" == *"listen-load: w.db: read 27835, inserted 0, duplicates 27835, conflicts 0" ]]
	listen-load --weekly w.db > after.tsv
	diff -u before.tsv after.tsv
	[ "$(query w.db 'SELECT count(*) FROM ingestions')" -eq 2 ]
}

@test "pipeline: listen-load --weekly equals listen-weekly over every stored listen" {
	ingest w.db "$S" 2> /dev/null
	listen-load --weekly w.db > from-table.tsv
	stored_listens w.db | listen-weekly > from-listens.tsv
	diff -u from-listens.tsv from-table.tsv
}

@test "pipeline: two overlapping files give their union" {
	head -n 20001 "$S" > a.csv
	{ head -n 1 "$S"; tail -n +15001 "$S"; } > b.csv
	ingest w.db a.csv 2> /dev/null
	ingest w.db b.csv 2> /dev/null
	[ "$(query w.db 'SELECT count(*) FROM listens')" -eq 27823 ]
	listen-load --weekly w.db > out.tsv
	diff -u "$PF/sample.weekly.tsv" out.tsv
}

@test "pipeline: a parser over its reject limit under listen-load stores nothing" {
	ingest w.db "$S" 2> /dev/null
	query w.db 'SELECT * FROM listens ORDER BY 1, 2, 3' > before.txt
	printf 'played_at,user_id,track_id,ms_played\n2026-01-01T00:00:00Z,u,t,5\n2026-01-01T00:00:01Z,u,t,-5\n' > bad.csv
	run --separate-stderr -1 ingest w.db bad.csv
	[[ "$stderr" == *"listen-load: listen-parse: exited with status 1; nothing stored" ]]
	query w.db 'SELECT * FROM listens ORDER BY 1, 2, 3' > after.txt
	diff -u before.txt after.txt
	[ "$(query w.db 'SELECT count(*) FROM ingestions')" -eq 1 ]
}

@test "pipeline: a file that cannot be read stores nothing" {
	run --separate-stderr -1 ingest w.db no-such.csv
	[[ "$stderr" == *"listen-load: listen-parse: exited with status 1; nothing stored" ]]
	[ "$(query w.db 'SELECT count(*) FROM sqlite_master WHERE name = '"'listens'")" -eq 0 ]
}

@test "pipeline: the ad hoc pipe without a warehouse finds the same peaks" {
	# The sample's 12 duplicates are exact copies: without the warehouse
	# they count twice, so the totals differ, but not the peak weeks.
	listen-parse "${WINDOW[@]}" "$S" 2> /dev/null | listen-weekly | listen-peaks > out.tsv
	cut -f1,2 "$PF/sample.peaks.tsv" > want.tsv
	cut -f1,2 out.tsv | diff -u want.tsv -
}

@test "pipeline: a parse piped into listen-load works too" {
	listen-parse "${WINDOW[@]}" "$S" 2> /dev/null | listen-load w.db 2> /dev/null
	listen-load --weekly w.db > out.tsv
	diff -u "$PF/sample.weekly.tsv" out.tsv
}

@test "pipeline: make run twice inserts nothing the second time and prints the same peaks" {
	mk() { make -s -C "$TOP" run DB="$BATS_TEST_TMPDIR/w.db" PARSE_FLAGS="${WINDOW[*]}"; }
	run --separate-stderr -0 mk
	first=$output
	[[ "$stderr" == *"inserted 27823, duplicates 12"* ]]
	run --separate-stderr -0 mk
	[[ "$stderr" == *"inserted 0, duplicates 27835"* ]]
	[ "$output" = "$first" ]
	diff -u "$PF/sample.peaks.tsv" <(printf '%s\n' "$output" | grep -v '^bin/\|^make')
	[ -s "$BATS_TEST_TMPDIR/w.rejects.tsv" ]
}

@test "pipeline: the rejects file of make run holds the rejects of the last run, not of every run" {
	local i
	for i in 1 2; do
		make -s -C "$TOP" run DB="$BATS_TEST_TMPDIR/w.db" PARSE_FLAGS="${WINDOW[*]}" > /dev/null 2>&1
		# The sample has 8 rejects: a header and 8 lines.
		[ "$(wc -l < w.rejects.tsv)" = 9 ]
		cp w.rejects.tsv "run$i.tsv"
	done
	diff -u run1.tsv run2.tsv
}

@test "pipeline: make run-query runs SQL on the warehouse" {
	ingest w.db "$S" 2> /dev/null
	run --separate-stderr -0 make -s -C "$TOP" run-query DB="$BATS_TEST_TMPDIR/w.db" query="select count(*) from listens"
	[ "$output" = "count(*)
27823" ]
}
