bats_require_minimum_version 1.5.0
load test_helper

# Faults of the warehouse (issue 4, item 5): each ends in one clear line on
# stderr, exit 1, and a warehouse exactly as it was.

setup() {
	# shellcheck source=tests/crash-test.sh
	source "$TOP/tests/crash-test.sh"
	gen_csv 0 20000 > base.csv
	gen_csv 10000 100000 > big.csv
	listen-load w.db -- listen-parse base.csv 2> /dev/null
	listen-parse big.csv > big.listens.tsv 2> /dev/null
	sqlite3 w.db .dump > before.sql
}

teardown() {
	# An immutable file would outlive the test directory.
	if [ -e w.db ] && [ "$(id -u)" = 0 ]; then
		chattr -i w.db 2> /dev/null || true
	fi
}

unchanged() {
	sqlite3 w.db .dump > after.sql
	diff -q before.sql after.sql
	[ "$(sqlite3 w.db 'pragma integrity_check')" = ok ]
}

one_line() {
	[ -n "$1" ] && [ "$(wc -l <<< "$1")" = 1 ]
}

@test "faults: a disk that fills up during a load: one line, exit 1, warehouse unchanged" {
	# The file size limit is what a full disk is to the process: with
	# SIGXFSZ ignored the write fails with EFBIG.  The WAL can grow by
	# 512 KiB, far less than the load needs.
	local limit=$(($(stat -c %s w.db) / 1024 + 512))
	# shellcheck disable=SC2016 # $1 is the inner bash's
	run --separate-stderr -1 bash -c 'trap "" XFSZ; ulimit -f "$1"; exec listen-load w.db < big.listens.tsv' bash "$limit"
	one_line "$stderr"
	[ "$stderr" = "listen-load: w.db: disk I/O error: File too large" ]
	unchanged
	# With room again, the same load succeeds.
	listen-load w.db < big.listens.tsv 2> /dev/null
	[ "$(query w.db 'select count(*) from listens')" = 110000 ]
	check w.db
}

@test "faults: a disk that fills up under listen-load -- listen-parse stores nothing and stops the parser" {
	local limit=$(($(stat -c %s w.db) / 1024 + 512))
	# shellcheck disable=SC2016 # $1 is the inner bash's
	run --separate-stderr -1 bash -c 'trap "" XFSZ; ulimit -f "$1"; exec listen-load w.db -- listen-parse big.csv' bash "$limit"
	[ "$stderr" = "listen-load: w.db: disk I/O error: File too large" ]
	unchanged
}

@test "faults: a disk that fills up during listen-ingest leaves the file in the landing directory and stores nothing" {
	# A full disk is not the file's fault: the file stays for the next
	# run, which, with room again, loads it.
	mkdir land
	cp big.csv land/
	local limit=$(($(stat -c %s w.db) / 1024 + 512))
	# shellcheck disable=SC2016 # $1 is the inner bash's
	run --separate-stderr -1 bash -c 'trap "" XFSZ; ulimit -f "$1"; exec listen-ingest w.db land' bash "$limit"
	[ "$stderr" = "listen-load: w.db: disk I/O error: File too large
listen-ingest: big.csv: left for the next run (warehouse error: listen-load exited with status 1)
listen-ingest: land: loaded 0, already ingested 0, failed 0; stopped, 1 left for the next run" ]
	[ -f land/big.csv ]
	[ -z "$(find land/done land/failed land/rejects -mindepth 1)" ]
	unchanged
	run --separate-stderr -0 listen-ingest w.db land
	[[ "$stderr" == *"listen-ingest: big.csv: loaded
listen-ingest: land: loaded 1, already ingested 0, failed 0" ]]
	[ -f land/done/big.csv ]
	[ "$(query w.db 'select count(*) from listens')" = 110000 ]
	check w.db
}

@test "faults: a file the parser refuses under listen-ingest still goes to failed/, the others load" {
	mkdir land
	printf 'played_at,user_id,track_id\n1704067200,u1,t1\n' > land/a-no-duration.csv
	cp big.csv land/
	run --separate-stderr -1 listen-ingest w.db land
	[ "$(grep '^listen-ingest: ' <<< "$stderr")" = "listen-ingest: a-no-duration.csv: failed (listen-load exited with status 1)
listen-ingest: big.csv: loaded
listen-ingest: land: loaded 1, already ingested 0, failed 1" ]
	[ -f land/failed/a-no-duration.csv ]
	[ -f land/done/big.csv ]
}

@test "faults: a read-only warehouse file: one line, exit 1, unchanged" {
	chmod 444 w.db
	# Root writes any file whatever its mode: make it immutable too.
	if [ "$(id -u)" = 0 ]; then
		chattr +i w.db
	fi
	cp w.db before.db
	run --separate-stderr -1 listen-load w.db < big.listens.tsv
	[ "$stderr" = "listen-load: w.db: attempt to write a readonly database" ]
	cmp before.db w.db
	unchanged
}

@test "faults: a warehouse in a directory that does not exist: one line, exit 1, nothing made" {
	run --separate-stderr -1 listen-load no/such/dir/w.db < big.listens.tsv
	[ "$stderr" = "listen-load: no/such/dir/w.db: unable to open database file: No such file or directory" ]
	[ ! -e no ]
}

@test "faults: a warehouse file of random bytes: one line, exit 1, unchanged" {
	head -c 65536 /dev/urandom > r.db
	cp r.db before.db
	run --separate-stderr -1 listen-load r.db < big.listens.tsv
	[ "$stderr" = "listen-load: r.db: file is not a database" ]
	cmp before.db r.db
	[ ! -e r.db-wal ]
	run --separate-stderr -1 listen-load --weekly r.db
	[ "$stderr" = "listen-load: r.db: file is not a database" ]
	[ -z "$output" ]
}

@test "faults: a text file as the warehouse: one line, exit 1, unchanged" {
	cp big.csv t.db
	run --separate-stderr -1 listen-load t.db < big.listens.tsv
	[ "$stderr" = "listen-load: t.db: file is not a database" ]
	cmp big.csv t.db
}

@test "faults: an empty file is taken as a new warehouse, as SQLite takes it" {
	# A failed first load can leave an empty file (see listen-load(1)):
	# refusing it would block every later load.
	: > e.db
	run --separate-stderr -0 listen-load e.db < big.listens.tsv
	[ "$stderr" = "listen-load: e.db: read 100000, inserted 100000, duplicates 0, conflicts 0" ]
	[ "$(query e.db 'pragma user_version')" = 2 ]
	check e.db
}

@test "faults: an empty file is no warehouse to report on: no weeks, exit 0" {
	: > e.db
	run --separate-stderr -0 listen-load --weekly e.db
	[ "$output" = "year	week	listening_ms" ]
	[ ! -s e.db ]
}

@test "faults: a warehouse of a newer schema version: one line, exit 1, unchanged" {
	sqlite3 w.db 'pragma user_version = 3'
	cp w.db before.db
	sqlite3 w.db .dump > before.sql
	run --separate-stderr -1 listen-load w.db < big.listens.tsv
	[ "$stderr" = "listen-load: w.db: schema version 3 is newer than this program's version 2" ]
	cmp before.db w.db
	run --separate-stderr -1 listen-load --weekly w.db
	[ "$stderr" = "listen-load: w.db: schema version 3 is newer than this program's version 2" ]
	cmp before.db w.db
}
