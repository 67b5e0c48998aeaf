bats_require_minimum_version 1.5.0
load test_helper

# listen-load: the warehouse of SPEC section 6.  Expected weekly totals in
# the fixtures are worked out by hand from the listens fixtures.

setup() {
	L="$FIX/listen-load"
	SUM=f64db5c9389cf564e47ea376dba2d9029a279a792f8c00ba7ed83c72f833f235
	SUM_UPPER=${SUM^^}
	HEADER="played_at<TAB>user_id<TAB>track_id<TAB>ms_played"
	USAGE="usage: listen-load [--busy-timeout seconds] [--sha256 hex] [--source name] db [-- command [arg ...]]
       listen-load [--busy-timeout seconds] --weekly db"
}

# A warehouse as listen-load version 1 left it: the v1 schema, and the
# fresh fixture's listens and weekly totals stored by one batch.
v1_warehouse() {
	sqlite3 "$1" < "$L/schema-v1.sql"
	tail -n +2 "$L/fresh.listens.tsv" | sed 's/$/\t1/' > v1.listens.tsv
	sqlite3 "$1" <<-EOF
		.mode tabs
		.import v1.listens.tsv listens
		.import $L/fresh.weekly_listening.tsv weekly_listening
		insert into ingestions values (1, 'v1 load', '2024-06-01T00:00:00.000Z', '2024-06-01T00:00:01.000Z', 5, 5, 0, 0);
	EOF
}

@test "listen-load: a fresh load stores every listen" {
	listen-load w.db < "$L/fresh.listens.tsv"
	query w.db "select played_at, user_id, track_id, ms_played from listens order by 1, 2, 3" > out.tsv
	tail -n +2 "$L/fresh.listens.tsv" | diff -u - out.tsv
}

@test "listen-load: a fresh load stores the weekly totals" {
	listen-load w.db < "$L/fresh.listens.tsv"
	query w.db "select * from weekly_listening order by year, week" > out.tsv
	diff -u "$L/fresh.weekly_listening.tsv" out.tsv
}

@test "listen-load: a fresh load records one ingestions row" {
	listen-load w.db < "$L/fresh.listens.tsv"
	run -0 query w.db "select batch_id, source, rows_read, rows_inserted, rows_duplicate, rows_conflicting, length(started_at), started_at <= finished_at from ingestions"
	[ "$output" = "1	<stdin>	5	5	0	0	24	1" ]
	run -0 query w.db "select count(*) from listens where batch_id = 1"
	[ "$output" = 5 ]
}

@test "listen-load: a fresh load prints the summary line" {
	run --separate-stderr -0 listen-load w.db < "$L/fresh.listens.tsv"
	[ "$stderr" = "listen-load: w.db: read 5, inserted 5, duplicates 0, conflicts 0" ]
	[ -z "$output" ]
}

@test "listen-load: the schema has user_version 2" {
	listen-load w.db < "$L/fresh.listens.tsv"
	run -0 query w.db "pragma user_version"
	[ "$output" = 2 ]
}

@test "listen-load: the warehouse is in WAL mode" {
	listen-load w.db < "$L/fresh.listens.tsv"
	run -0 query w.db "pragma journal_mode"
	[ "$output" = wal ]
}

@test "listen-load: re-loading the same stream inserts nothing" {
	listen-load w.db < "$L/fresh.listens.tsv"
	run --separate-stderr -0 listen-load w.db < "$L/fresh.listens.tsv"
	[ "$stderr" = "listen-load: w.db: read 5, inserted 0, duplicates 5, conflicts 0" ]
	run -0 query w.db "select count(*), max(batch_id) from listens"
	[ "$output" = "5	1" ]
}

@test "listen-load: re-loading the same stream leaves the weekly totals unchanged" {
	listen-load w.db < "$L/fresh.listens.tsv"
	listen-load w.db < "$L/fresh.listens.tsv"
	query w.db "select * from weekly_listening order by year, week" > out.tsv
	diff -u "$L/fresh.weekly_listening.tsv" out.tsv
}

@test "listen-load: a run that inserts nothing still records its batch" {
	listen-load w.db < "$L/fresh.listens.tsv"
	listen-load w.db < "$L/fresh.listens.tsv"
	run -0 query w.db "select batch_id, rows_read, rows_inserted, rows_duplicate, rows_conflicting from ingestions order by 1"
	[ "$output" = "1	5	5	0	0
2	5	0	5	0" ]
}

@test "listen-load: a header-only stream records an empty batch" {
	run --separate-stderr -0 listen-load w.db < "$L/header-only.listens.tsv"
	[ "$stderr" = "listen-load: w.db: read 0, inserted 0, duplicates 0, conflicts 0" ]
	run -0 query w.db "select batch_id, rows_read, rows_inserted from ingestions"
	[ "$output" = "1	0	0" ]
}

@test "listen-load: two overlapping streams give the union" {
	listen-load w.db < "$L/overlap-a.listens.tsv"
	run --separate-stderr -0 listen-load w.db < "$L/overlap-b.listens.tsv"
	[ "$stderr" = "listen-load: w.db: read 4, inserted 2, duplicates 2, conflicts 0" ]
	query w.db "select played_at, user_id, track_id, ms_played from listens order by 1, 2, 3" > out.tsv
	tail -n +2 "$L/fresh.listens.tsv" | diff -u - out.tsv
}

@test "listen-load: two overlapping streams give the weekly totals of the union" {
	listen-load w.db < "$L/overlap-a.listens.tsv"
	listen-load w.db < "$L/overlap-b.listens.tsv"
	query w.db "select * from weekly_listening order by year, week" > out.tsv
	diff -u "$L/fresh.weekly_listening.tsv" out.tsv
}

@test "listen-load: the same key earlier in the same input is a duplicate" {
	run --separate-stderr -0 listen-load w.db < "$L/dup-in-input.listens.tsv"
	[ "$stderr" = "listen-load: w.db: read 3, inserted 2, duplicates 1, conflicts 0" ]
	query w.db "select * from weekly_listening" > out.tsv
	diff -u "$L/dup-in-input.weekly_listening.tsv" out.tsv
}

@test "listen-load: the same key with another ms_played is counted as a conflict" {
	listen-load w.db < "$L/fresh.listens.tsv"
	run --separate-stderr -0 listen-load w.db < "$L/conflict.listens.tsv"
	[ "$stderr" = "listen-load: w.db: read 1, inserted 0, duplicates 0, conflicts 1" ]
	run -0 query w.db "select rows_conflicting from ingestions where batch_id = 2"
	[ "$output" = 1 ]
}

@test "listen-load: a conflicting row is kept in conflicts with its batch" {
	listen-load w.db < "$L/fresh.listens.tsv"
	listen-load w.db < "$L/conflict.listens.tsv"
	query w.db "select * from conflicts" > out.tsv
	diff -u "$L/conflict.conflicts.tsv" out.tsv
}

@test "listen-load: a conflict leaves the stored row and the weekly totals unchanged" {
	listen-load w.db < "$L/fresh.listens.tsv"
	listen-load w.db < "$L/conflict.listens.tsv"
	run -0 query w.db "select ms_played, batch_id from listens where played_at = '2024-12-30T00:00:00.000Z' and user_id = 'alice'"
	[ "$output" = "30000	1" ]
	query w.db "select * from weekly_listening order by year, week" > out.tsv
	diff -u "$L/fresh.weekly_listening.tsv" out.tsv
}

# 200 listens a minute apart in ISO week 2024-W10, 1000 ms each.
many_listens() {
	printf 'played_at\tuser_id\ttrack_id\tms_played\n'
	for i in $(seq 0 199); do
		printf '2024-03-04T%02d:%02d:00.000Z\tu\tt%d\t1000\n' $((i / 60)) $((i % 60)) "$i"
	done
}

@test "listen-load: deep in a re-ingest, a new row is inserted and a changed one is a conflict" {
	# A re-ingest is settled by one ordered scan of the stored keys per
	# chunk; it must still see row 150 changed and one new row at 03:20.
	many_listens > a.tsv
	listen-load w.db < a.tsv 2> /dev/null
	sed -e 's/^\(2024-03-04T02:30:00.000Z\tu\tt150\t\)1000$/\17/' a.tsv > b.tsv
	printf '2024-03-04T03:20:00.000Z\tu\tnew\t500\n' >> b.tsv
	printf '2024-03-04T00:05:00.000Z\tu\tt5\t1000\n' >> b.tsv
	run --separate-stderr -0 listen-load w.db < b.tsv
	[ "$stderr" = "listen-load: w.db: read 202, inserted 1, duplicates 200, conflicts 1" ]
	[ "$(query w.db "SELECT ms_played FROM listens WHERE track_id = 't150'")" = 1000 ]
	[ "$(query w.db "SELECT ms_played FROM conflicts")" = 7 ]
	[ "$(query w.db 'SELECT year, week, listening_ms, plays FROM weekly_listening')" = "2024	10	200500	201" ]
}

@test "listen-load: a key new in this batch and seen again among stored keys is a duplicate" {
	many_listens > a.tsv
	listen-load w.db < a.tsv 2> /dev/null
	{ cat a.tsv; printf '2024-03-04T05:00:00.000Z\tu\tx\t1\n'; tail -n +2 a.tsv; printf '2024-03-04T05:00:00.000Z\tu\tx\t1\n'; } > b.tsv
	run --separate-stderr -0 listen-load w.db < b.tsv
	[ "$stderr" = "listen-load: w.db: read 402, inserted 1, duplicates 401, conflicts 0" ]
}

@test "listen-load: one key three times in a batch: the first wins, an equal one is a duplicate, another a conflict" {
	printf 'played_at\tuser_id\ttrack_id\tms_played\n2024-03-05T10:00:00.000Z\tu\tz\t9\n2024-03-05T10:00:00.000Z\tu\tz\t5\n2024-03-04T10:00:00.000Z\tu\ta\t1\n2024-03-05T10:00:00.000Z\tu\tz\t9\n' > a.tsv
	run --separate-stderr -0 listen-load w.db < a.tsv
	[ "$stderr" = "listen-load: w.db: read 4, inserted 2, duplicates 1, conflicts 1" ]
	[ "$(query w.db "SELECT ms_played FROM listens WHERE track_id = 'z'")" = 9 ]
	[ "$(query w.db 'SELECT track_id, ms_played FROM conflicts')" = "z	5" ]
}

@test "listen-load: a key repeated across the 8192-listen chunks of one load is a duplicate" {
	# 9000 distinct listens, then the first one again: it was stored by
	# the first chunk when the second chunk sees it.
	awk 'BEGIN { print "played_at\tuser_id\ttrack_id\tms_played";
		for (i = 0; i < 9000; i++)
			printf "2024-03-04T%02d:%02d:%02d.000Z\tu\tt\t%d\n", i / 3600, i / 60 % 60, i % 60, 1000 + i;
		print "2024-03-04T00:00:00.000Z\tu\tt\t1000";
		print "2024-03-04T00:00:01.000Z\tu\tt\t7" }' > a.tsv
	run --separate-stderr -0 listen-load w.db < a.tsv
	[ "$stderr" = "listen-load: w.db: read 9002, inserted 9000, duplicates 1, conflicts 1" ]
	[ "$(query w.db "SELECT count(*), sum(ms_played) FROM listens")" = "9000	49495500" ]
}

@test "listen-load: a table of the user's named listen_chunk in the warehouse is left alone" {
	# The loader inserts each chunk from a table of its own in memory; a
	# table of that name in the warehouse must neither be read in its
	# place nor changed.
	printf 'played_at\tuser_id\ttrack_id\tms_played\n2024-01-01T00:00:00.000Z\tu\tt\t5\n' > one.tsv
	printf 'played_at\tuser_id\ttrack_id\tms_played\n2024-01-02T00:00:00.000Z\tu\tt\t7\n' > two.tsv
	listen-load w.db < one.tsv 2> /dev/null
	sqlite3 w.db "CREATE TABLE listen_chunk (played_at TEXT, user_id TEXT, track_id TEXT, ms_played INTEGER);
		INSERT INTO listen_chunk VALUES ('2020-01-01T00:00:00.000Z', 'other', 'x', 1)"
	run --separate-stderr -0 listen-load w.db < two.tsv
	[ "$stderr" = "listen-load: w.db: read 1, inserted 1, duplicates 0, conflicts 0" ]
	[ "$(query w.db 'SELECT played_at, ms_played FROM listens ORDER BY 1')" = "2024-01-01T00:00:00.000Z	5
2024-01-02T00:00:00.000Z	7" ]
	[ "$(query w.db 'SELECT * FROM listen_chunk')" = "2020-01-01T00:00:00.000Z	other	x	1" ]
}

@test "listen-load: an unordered re-ingest over a large warehouse finds every stored key" {
	# 20000 stored listens over a year; then 40 listens in no order over
	# the same year (stored, changed and new ones), more stored keys in
	# their span than the ordered walk is allowed to cover.
	awk 'BEGIN { print "played_at\tuser_id\ttrack_id\tms_played";
		for (i = 0; i < 20000; i++)
			printf "2024-%02d-%02dT%02d:00:00.000Z\tu%d\tt\t100\n", 1 + i % 12, 1 + i % 28, i % 24, i }' > a.tsv
	listen-load w.db < a.tsv 2> /dev/null
	{
		printf 'played_at\tuser_id\ttrack_id\tms_played\n'
		awk 'NR > 1 && NR % 1000 == 7' a.tsv | sort -r
		awk 'NR > 1 && NR % 1000 == 9 { sub(/100$/, "55"); print }' a.tsv
		printf '2024-06-15T12:30:00.000Z\tnew\tt\t1\n2024-01-01T00:30:00.000Z\tnew\tt\t2\n'
	} > b.tsv
	run --separate-stderr -0 listen-load w.db < b.tsv
	[ "$stderr" = "listen-load: w.db: read 42, inserted 2, duplicates 20, conflicts 20" ]
	[ "$(query w.db "SELECT count(*), sum(ms_played) FROM listens")" = "20002	2000003" ]
	[ "$(query w.db "SELECT count(*), sum(ms_played) FROM conflicts")" = "20	1100" ]
}

@test "listen-load: escaped fields are stored unescaped" {
	listen-load w.db < "$L/escapes.listens.tsv"
	run -0 query w.db "select user_id = 'AC\\DC', track_id = 'T.N.T.' || char(9) || 'live' from listens"
	[ "$output" = "1	1" ]
}

@test "listen-load: weeks are ISO week-years of the start of play" {
	listen-load w.db < "$L/iso-edges.listens.tsv"
	query w.db "select * from weekly_listening order by year, week" > out.tsv
	diff -u "$L/iso-edges.weekly_listening.tsv" out.tsv
}

@test "listen-load: --source names the batch" {
	listen-load --source spotify-2024.csv w.db < "$L/fresh.listens.tsv"
	run -0 query w.db "select source from ingestions"
	[ "$output" = spotify-2024.csv ]
}

@test "listen-load: a COMMAND's stream is loaded and the batch named by the command line" {
	cp "$L/fresh.listens.tsv" in.tsv
	run --separate-stderr -0 listen-load w.db -- cat in.tsv
	[ "$stderr" = "listen-load: w.db: read 5, inserted 5, duplicates 0, conflicts 0" ]
	run -0 query w.db "select source, rows_inserted from ingestions"
	[ "$output" = "cat in.tsv	5" ]
}

@test "listen-load: a COMMAND that exits 1 after good rows stores nothing" {
	listen-load w.db < "$L/fresh.listens.tsv"
	sqlite3 w.db .dump > before.sql
	# shellcheck disable=SC2016 # $1 is the inner bash's
	run --separate-stderr -1 listen-load w.db -- bash -c 'cat "$1"; exit 1' bash "$L/one-more.listens.tsv"
	[ "$stderr" = "listen-load: bash: exited with status 1; nothing stored" ]
	sqlite3 w.db .dump > after.sql
	diff -u before.sql after.sql
}

@test "listen-load: a COMMAND that fails before writing anything is reported in one line, its own" {
	run --separate-stderr -1 listen-load w.db -- listen-parse no-such-file.csv
	[ "$stderr" = "listen-parse: no-such-file.csv: No such file or directory
listen-load: listen-parse: exited with status 1; nothing stored" ]
	run -0 query w.db "select count(*) from sqlite_schema"
	[ "$output" = 0 ]
}

@test "listen-load: a COMMAND that exits 0 without writing anything is an empty stream" {
	run --separate-stderr -1 listen-load w.db -- true
	[ "$stderr" = "listen-load: true:1: empty input: expected header '$HEADER'" ]
}

@test "listen-load: a COMMAND killed by a signal stores nothing" {
	listen-load w.db < "$L/fresh.listens.tsv"
	sqlite3 w.db .dump > before.sql
	# shellcheck disable=SC2016 # $1 is the inner bash's
	run --separate-stderr -1 listen-load w.db -- bash -c 'cat "$1"; kill -KILL $$' bash "$L/one-more.listens.tsv"
	[ "$stderr" = "listen-load: bash: killed by signal 9; nothing stored" ]
	sqlite3 w.db .dump > after.sql
	diff -u before.sql after.sql
}

@test "listen-load: a COMMAND that does not exist fails" {
	run --separate-stderr -1 listen-load w.db -- no-such-command-here x
	[ "$stderr" = "listen-load: no-such-command-here: No such file or directory" ]
	run -0 query w.db "select count(*) from sqlite_schema"
	[ "$output" = 0 ]
}

@test "listen-load: a bad row from a COMMAND names it and stops it" {
	# shellcheck disable=SC2016 # $1 is the inner bash's
	run --separate-stderr -1 timeout 20 listen-load w.db -- bash -c 'cat "$1"; exec sleep 60' bash "$L/negative-ms.listens.tsv"
	[ "$stderr" = "listen-load: bash:3: field 4 is out of range: '-5'" ]
}

@test "listen-load: a COMMAND's stderr passes through" {
	# shellcheck disable=SC2016 # $1 is the inner bash's
	run --separate-stderr -0 listen-load w.db -- bash -c 'echo "parse: 1 rejected" >&2; cat "$1"' bash "$L/header-only.listens.tsv"
	[ "$stderr" = "parse: 1 rejected
listen-load: w.db: read 0, inserted 0, duplicates 0, conflicts 0" ]
}

@test "listen-load: a stream cut mid-line stores nothing" {
	run --separate-stderr -1 listen-load w.db < "$L/cut.listens.tsv"
	[ "$stderr" = "listen-load: <stdin>:3: stream ends in the middle of a line" ]
	run -0 query w.db "select count(*) from sqlite_schema"
	[ "$output" = 0 ]
}

@test "listen-load: a stream cut mid-line leaves a loaded warehouse as it was" {
	listen-load w.db < "$L/fresh.listens.tsv"
	sqlite3 w.db .dump > before.sql
	run --separate-stderr -1 listen-load w.db < "$L/cut.listens.tsv"
	[ "$stderr" = "listen-load: <stdin>:3: stream ends in the middle of a line" ]
	sqlite3 w.db .dump > after.sql
	diff -u before.sql after.sql
}

@test "listen-load: a wrong header fails at line 1 and stores nothing" {
	run --separate-stderr -1 listen-load w.db < "$L/weekly-stream.tsv"
	[ "$stderr" = "listen-load: <stdin>:1: expected header '$HEADER', got 'year<TAB>week<TAB>listening_ms'" ]
	run -0 query w.db "select count(*) from sqlite_schema"
	[ "$output" = 0 ]
}

@test "listen-load: empty input fails" {
	run --separate-stderr -1 listen-load w.db < /dev/null
	[ "$stderr" = "listen-load: <stdin>:1: empty input: expected header '$HEADER'" ]
	[ -z "$output" ]
}

@test "listen-load: a played_at that is not a date fails with its line and stores nothing" {
	run --separate-stderr -1 listen-load w.db < "$L/bad-date.listens.tsv"
	[ "$stderr" = "listen-load: <stdin>:4: played_at is not a calendar date: '2024-02-30T10:00:00.000Z'" ]
	run -0 query w.db "select count(*) from sqlite_schema"
	[ "$output" = 0 ]
}

@test "listen-load: a played_at not in the stream form fails with its line" {
	run --separate-stderr -1 listen-load w.db < "$L/bad-time.listens.tsv"
	[ "$stderr" = "listen-load: <stdin>:3: played_at is not a YYYY-MM-DDTHH:MM:SS.mmmZ time: '2024-05-01 10:05:00'" ]
}

@test "listen-load: a negative ms_played fails with its line and stores nothing" {
	run --separate-stderr -1 listen-load w.db < "$L/negative-ms.listens.tsv"
	[ "$stderr" = "listen-load: <stdin>:3: field 4 is out of range: '-5'" ]
	run -0 query w.db "select count(*) from sqlite_schema"
	[ "$output" = 0 ]
}

@test "listen-load: a wrong field count fails with its line and stores nothing" {
	run --separate-stderr -1 listen-load w.db < "$L/short-row.listens.tsv"
	[ "$stderr" = "listen-load: <stdin>:3: expected 4 fields, got 3" ]
	run -0 query w.db "select count(*) from sqlite_schema"
	[ "$output" = 0 ]
}

@test "listen-load: a weekly total of exactly 2^63 - 1 ms is stored" {
	listen-load w.db < "$L/max.listens.tsv"
	run -0 query w.db "select listening_ms, typeof(listening_ms) from weekly_listening"
	[ "$output" = "9223372036854775807	integer" ]
}

@test "listen-load: a stored weekly total pushed past 2^63 - 1 ms rolls back" {
	listen-load w.db < "$L/max.listens.tsv"
	sqlite3 w.db .dump > before.sql
	run --separate-stderr -1 listen-load w.db < "$L/plus-one.listens.tsv"
	[ "$stderr" = "listen-load: w.db: 2024 week 1: weekly total passes 2^63 - 1 ms" ]
	sqlite3 w.db .dump > after.sql
	diff -u before.sql after.sql
}

@test "listen-load: a stream whose weekly total passes 2^63 - 1 ms stores nothing" {
	run --separate-stderr -1 listen-load w.db < "$L/overflow.listens.tsv"
	[ "$stderr" = "listen-load: <stdin>:3: weekly total passes 2^63 - 1 ms" ]
	run -0 query w.db "select count(*) from sqlite_schema"
	[ "$output" = 0 ]
}

@test "listen-load: a warehouse of a newer schema version fails and is left unchanged" {
	sqlite3 w.db "create table t (a); insert into t values (1); pragma user_version = 3"
	cp w.db before.db
	run --separate-stderr -1 listen-load w.db < "$L/fresh.listens.tsv"
	[ "$stderr" = "listen-load: w.db: schema version 3 is newer than this program's version 2" ]
	cmp before.db w.db
}

@test "listen-load: a file that is not SQLite fails and is left unchanged" {
	printf 'played_at\tuser_id\ttrack_id\tms_played\n' > w.db
	cp w.db before.db
	run --separate-stderr -1 listen-load w.db < "$L/fresh.listens.tsv"
	[ "$stderr" = "listen-load: w.db: file is not a database" ]
	cmp before.db w.db
}

@test "listen-load: a reader during a load sees the warehouse as before it" {
	listen-load w.db < "$L/fresh.listens.tsv"
	# shellcheck disable=SC2016 # $1 is the inner bash's
	listen-load w.db -- bash -c 'cat "$1"; sleep 0.5; sqlite3 w.db "select count(*) from listens" > during.txt' bash "$L/one-more.listens.tsv"
	[ "$(cat during.txt)" = 5 ]
	run -0 query w.db "select count(*) from listens"
	[ "$output" = 6 ]
}

@test "listen-load: a second load with --busy-timeout 0 fails while a load runs" {
	listen-load w.db < "$L/fresh.listens.tsv"
	# shellcheck disable=SC2016 # $1 is the inner bash's
	run --separate-stderr -0 listen-load w.db -- bash -c 'listen-load --busy-timeout 0 w.db < "$1" 2> second.err; echo "$?" > second.rc; cat "$1"' bash "$L/one-more.listens.tsv"
	[ "$(cat second.rc)" = 1 ]
	[ "$(cat second.err)" = "listen-load: w.db: database is locked" ]
}

@test "listen-load: another application's SQLite database is no warehouse: one line, exit 1, unchanged" {
	sqlite3 w.db 'create table foo (x); insert into foo values (1)'
	cp w.db before.db
	run --separate-stderr -1 listen-load w.db < "$L/fresh.listens.tsv"
	[ "$stderr" = "listen-load: w.db: not a listen warehouse: it holds other tables and no schema version" ]
	cmp before.db w.db
}

@test "listen-load: --weekly refuses another application's SQLite database" {
	sqlite3 w.db 'create table foo (x)'
	run --separate-stderr -1 listen-load --weekly w.db
	[ "$output" = "" ]
	[ "$stderr" = "listen-load: w.db: not a listen warehouse: it holds other tables and no schema version" ]
}

@test "listen-load: --sha256 is recorded with the batch, in lowercase" {
	listen-load --sha256 "$SUM_UPPER" --source a.tsv w.db < "$L/fresh.listens.tsv"
	run -0 query w.db "select source, sha256, rows_inserted from ingestions"
	[ "$output" = "a.tsv	$SUM	5" ]
}

@test "listen-load: a batch without --sha256 records none" {
	listen-load w.db < "$L/fresh.listens.tsv"
	run -0 query w.db "select count(*) from ingestions where sha256 is null"
	[ "$output" = 1 ]
}

@test "listen-load: --sha256 already recorded says so, runs nothing, stores nothing and exits 0" {
	listen-load --sha256 "$SUM" --source a.tsv w.db < "$L/fresh.listens.tsv"
	sqlite3 w.db .dump > before.sql
	run --separate-stderr -0 listen-load --sha256 "$SUM" --source b.tsv w.db -- touch ran
	[ "$stderr" = "listen-load: w.db: already ingested in batch 1 (a.tsv); nothing done" ]
	[ ! -e ran ]
	sqlite3 w.db .dump > after.sql
	diff -u before.sql after.sql
}

@test "listen-load: --sha256 already recorded does not read stdin" {
	listen-load --sha256 "$SUM" w.db < "$L/fresh.listens.tsv"
	run --separate-stderr -0 bash -c 'listen-load --sha256 "$1" w.db; cat' bash "$SUM" < "$L/one-more.listens.tsv"
	[ "$output" = "$(cat "$L/one-more.listens.tsv")" ]
}

@test "listen-load: another --sha256 loads as usual" {
	listen-load --sha256 "$SUM" w.db < "$L/fresh.listens.tsv"
	run --separate-stderr -0 listen-load --sha256 "${SUM/f/0}" w.db < "$L/one-more.listens.tsv"
	[ "$stderr" = "listen-load: w.db: read 1, inserted 1, duplicates 0, conflicts 0" ]
	run -0 query w.db "select count(*) from ingestions where sha256 is not null"
	[ "$output" = 2 ]
}

@test "listen-load: a failed load with --sha256 does not record it, and a re-run loads" {
	listen-load w.db < "$L/fresh.listens.tsv"
	# shellcheck disable=SC2016 # $1 is the inner bash's
	run --separate-stderr -1 listen-load --sha256 "$SUM" w.db -- bash -c 'cat "$1"; exit 1' bash "$L/one-more.listens.tsv"
	run -0 query w.db "select count(*) from ingestions where sha256 is not null"
	[ "$output" = 0 ]
	run --separate-stderr -0 listen-load --sha256 "$SUM" w.db -- cat "$L/one-more.listens.tsv"
	[ "$stderr" = "listen-load: w.db: read 1, inserted 1, duplicates 0, conflicts 0" ]
}

@test "listen-load: two batches cannot record the same SHA-256" {
	listen-load --sha256 "$SUM" w.db < "$L/fresh.listens.tsv"
	run ! sqlite3 w.db "insert into ingestions (source, started_at, sha256) values ('x', 'now', '$SUM')"
	[[ "$output" == *"UNIQUE constraint failed: ingestions.sha256"* ]]
}

@test "listen-load: 'already ingested' stays one line when the first file's name has a newline" {
	listen-load --sha256 "$SUM" --source $'a\nb.tsv' w.db < "$L/fresh.listens.tsv"
	run --separate-stderr -0 listen-load --sha256 "$SUM" --source b.tsv w.db -- true
	[ "$stderr" = 'listen-load: w.db: already ingested in batch 1 (a\nb.tsv); nothing done' ]
}

@test "listen-load: a bad --sha256 is a usage error" {
	run --separate-stderr -2 listen-load --sha256 "${SUM}0" w.db
	[ "$stderr" = "listen-load: --sha256: not 64 hex digits: '${SUM}0'
$USAGE" ]
	run --separate-stderr -2 listen-load --sha256 "${SUM/f/g}" w.db
	[[ "$stderr" == "listen-load: --sha256: not 64 hex digits: "* ]]
	[ ! -e w.db ]
}

@test "listen-load: --sha256 with --weekly is a usage error" {
	run --separate-stderr -2 listen-load --sha256 "$SUM" --weekly w.db
	[ "$stderr" = "listen-load: --sha256 is for a load, not --weekly
$USAGE" ]
}

@test "listen-load: a version 1 warehouse is migrated to version 2 by a load, its rows kept" {
	v1_warehouse w.db
	sqlite3 w.db .dump > v1.sql
	listen-load --sha256 "$SUM" w.db < "$L/one-more.listens.tsv"
	run -0 query w.db "pragma user_version"
	[ "$output" = 2 ]
	query w.db "select batch_id, source, rows_inserted, sha256 from ingestions order by 1" > out.tsv
	printf '1	v1 load	5	
2	<stdin>	1	%s
' "$SUM" | diff -u - out.tsv
	run -0 query w.db "select count(*) from listens where batch_id = 1"
	[ "$output" = 5 ]
	run -0 query w.db "pragma integrity_check"
	[ "$output" = ok ]
}

@test "listen-load: a migrated warehouse has the tables and indexes of a new one" {
	v1_warehouse w.db
	listen-load w.db < "$L/one-more.listens.tsv"
	listen-load new.db < "$L/one-more.listens.tsv"
	for db in w.db new.db; do
		for t in listens weekly_listening ingestions conflicts; do
			query "$db" "select '$t', * from pragma_table_info('$t')"
			query "$db" "select '$t', name, \"unique\", partial from pragma_index_list('$t') order by name"
		done > "$db.schema"
	done
	diff -u new.db.schema w.db.schema
	grep -q 'ingestions	ingestions_sha256	1	1' w.db.schema
}

@test "listen-load: the weekly totals of a migrated warehouse still equal its listens" {
	v1_warehouse w.db
	listen-load w.db < "$L/one-more.listens.tsv"
	listen-load --weekly w.db > from-table.tsv
	{ printf 'played_at\tuser_id\ttrack_id\tms_played\n'; query w.db "select played_at, user_id, track_id, ms_played from listens"; } | listen-weekly > from-listens.tsv
	diff -u from-listens.tsv from-table.tsv
}

@test "listen-load: a failed load leaves a version 1 warehouse at version 1, unchanged" {
	v1_warehouse w.db
	sqlite3 w.db .dump > before.sql
	run --separate-stderr -1 listen-load w.db < "$L/cut.listens.tsv"
	sqlite3 w.db .dump > after.sql
	diff -u before.sql after.sql
	run -0 query w.db "pragma user_version"
	[ "$output" = 1 ]
}

@test "listen-load: --weekly reads a version 1 warehouse" {
	v1_warehouse w.db
	listen-load --weekly w.db > out.tsv
	diff -u "$L/fresh.weekly.tsv" out.tsv
}

@test "listen-load: --weekly prints the weekly stream of the warehouse" {
	listen-load w.db < "$L/fresh.listens.tsv"
	listen-load --weekly w.db > out.tsv
	diff -u "$L/fresh.weekly.tsv" out.tsv
}

@test "listen-load: --weekly on a missing warehouse fails and does not create it" {
	run --separate-stderr -1 listen-load --weekly nope.db
	[ "$stderr" = "listen-load: nope.db: unable to open database file: No such file or directory" ]
	[ -z "$output" ]
	[ ! -e nope.db ]
}

@test "listen-load: --weekly to /dev/full exits 1" {
	listen-load w.db < "$L/fresh.listens.tsv"
	run --separate-stderr -1 bash -c 'listen-load --weekly w.db > /dev/full'
	[ "$stderr" = "listen-load: write error: No space left on device" ]
}

@test "listen-load: --weekly with an extra operand is a usage error" {
	run --separate-stderr -2 listen-load --weekly w.db -- cat
	[ "$stderr" = "listen-load: unexpected operand '--'
$USAGE" ]
}

@test "listen-load: an unknown option is a usage error" {
	run --separate-stderr -2 listen-load --bogus w.db
	[ "$stderr" = "listen-load: unrecognized option '--bogus'
$USAGE" ]
	[ -z "$output" ]
}

@test "listen-load: a missing db operand is a usage error" {
	run --separate-stderr -2 listen-load
	[ "$stderr" = "listen-load: missing operand: db
$USAGE" ]
	[ -z "$output" ]
}

@test "listen-load: an operand without -- before it is a usage error" {
	run --separate-stderr -2 listen-load w.db extra
	[ "$stderr" = "listen-load: unexpected operand 'extra'
$USAGE" ]
}

@test "listen-load: -- without a command is a usage error" {
	run --separate-stderr -2 listen-load w.db --
	[ "$stderr" = "listen-load: missing command after '--'
$USAGE" ]
}

@test "listen-load: a bad --busy-timeout is a usage error" {
	run --separate-stderr -2 listen-load --busy-timeout 1.5 w.db
	[ "$stderr" = "listen-load: --busy-timeout: not a number: '1.5'
$USAGE" ]
	[ ! -e w.db ]
}

@test "listen-load: --help prints the usage to stdout" {
	run --separate-stderr -0 listen-load --help
	[ "$output" = "$USAGE" ]
	[ -z "$stderr" ]
}
