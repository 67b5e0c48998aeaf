bats_require_minimum_version 1.5.0
load test_helper

# listen-ingest: a landing directory ingested once per file (issue 4).

setup() {
	USAGE="usage: listen-ingest [--busy-timeout seconds] [--max-reject-pct pct] db dir"
	mkdir land
	csv a.csv '2024-01-01T10:00:00Z,u1,t1,1000' '2024-01-08T10:00:00Z,u1,t2,2000' '2024-01-15T10:00:00Z,u2,t1,3000'
	csv b.csv '2024-01-08T10:00:00Z,u1,t2,2000' '2024-01-22T10:00:00Z,u3,t3,4000'
	# One record in two rejected: over the default 5 %.
	csv over.csv '2024-02-01T10:00:00Z,u1,t1,500' '2024-02-01T11:00:00Z,u1,t1,-5'
}

teardown() {
	if [ -n "${NOBODY_DIR:-}" ]; then
		rm -rf -- "$NOBODY_DIR"
	fi
	# Ends a background load or reader a failed test left waiting.
	touch "$BATS_TEST_TMPDIR/release"
	# An immutable file would outlive the test directory.
	if [ -e "$BATS_TEST_TMPDIR/w.db" ] && [ "$(id -u)" = 0 ]; then
		chattr -i "$BATS_TEST_TMPDIR/w.db" 2> /dev/null || true
	fi
}

# csv NAME ROW...: an export with the four listens columns.
csv() {
	local name=$1
	shift
	{
		echo 'played_at,user_id,track_id,ms_played'
		printf '%s\n' "$@"
	} > "$name"
}

# The stored listens, and the batches with their names and hashes.
listens() {
	query w.db 'select played_at, user_id, track_id, ms_played from listens order by 1, 2, 3'
}

# wait_for FILE: waits up to 30 s for FILE to appear.
wait_for() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	echo "# $1 did not appear" >&3
	return 1
}

# The lines listen-ingest writes for a file left by a warehouse error, and
# for a run that stopped on one.
left() {
	echo "listen-ingest: $1: left for the next run (warehouse error: listen-load exited with status 1)"
}
stopped() {
	echo "; stopped, $1 left for the next run"
}

@test "listen-ingest: every new file is loaded and moved to done/" {
	mv a.csv b.csv land/
	run --separate-stderr -0 listen-ingest w.db land
	[ -z "$output" ]
	[ "$(grep '^listen-ingest: ' <<< "$stderr")" = "listen-ingest: a.csv: loaded
listen-ingest: b.csv: loaded
listen-ingest: land: loaded 2, already ingested 0, failed 0" ]
	[ "$(cd land/done && echo *)" = "a.csv b.csv" ]
	[ "$(cd land && echo *)" = "done failed rejects" ]
	run -0 query w.db 'select count(*) from listens'
	[ "$output" = 4 ]
}

@test "listen-ingest: each file's name and SHA-256 are recorded with its batch" {
	cp a.csv b.csv land/
	listen-ingest w.db land 2> /dev/null
	query w.db 'select source, sha256, rows_read, rows_inserted from ingestions order by batch_id' > out.tsv
	printf 'a.csv\t%s\t3\t3\nb.csv\t%s\t2\t1\n' \
		"$(sha256sum < a.csv | cut -c1-64)" "$(sha256sum < b.csv | cut -c1-64)" | diff -u - out.tsv
	run -0 query w.db 'select count(*) from listens l join ingestions i using (batch_id) where i.source = '"'a.csv'"
	[ "$output" = 3 ]
}

@test "listen-ingest: the warehouse holds what listen-load gives for the same files" {
	cp a.csv b.csv land/
	listen-ingest w.db land 2> /dev/null
	listen-load ref.db -- listen-parse a.csv 2> /dev/null
	listen-load ref.db -- listen-parse b.csv 2> /dev/null
	listens > got.tsv
	query ref.db 'select played_at, user_id, track_id, ms_played from listens order by 1, 2, 3' | diff -u - got.tsv
	listen-load --weekly ref.db | diff -u - <(listen-load --weekly w.db)
}

@test "listen-ingest: a renamed copy of an ingested file is not loaded again" {
	cp a.csv land/
	listen-ingest w.db land 2> /dev/null
	cp a.csv land/a-again.csv
	run --separate-stderr -0 listen-ingest w.db land
	[[ "$stderr" == *"listen-load: w.db: already ingested in batch 1 (a.csv); nothing done
listen-ingest: a-again.csv: already ingested
listen-ingest: land: loaded 0, already ingested 1, failed 0" ]]
	[ -f land/done/a-again.csv ]
	run -0 query w.db 'select count(*) from ingestions'
	[ "$output" = 1 ]
}

@test "listen-ingest: a file moved back from done/ is not loaded again" {
	cp a.csv land/
	listen-ingest w.db land 2> /dev/null
	sqlite3 w.db .dump > before.sql
	mv land/done/a.csv land/
	run --separate-stderr -0 listen-ingest w.db land
	[[ "$stderr" == *"listen-ingest: a.csv: already ingested"* ]]
	sqlite3 w.db .dump > after.sql
	diff -u before.sql after.sql
	[ -f land/done/a.csv ]
}

@test "listen-ingest: a new file under a name already in done/ is loaded, both kept" {
	cp a.csv land/x.csv
	listen-ingest w.db land 2> /dev/null
	cp b.csv land/x.csv
	run --separate-stderr -0 listen-ingest w.db land
	[[ "$stderr" == *"listen-ingest: x.csv: loaded"* ]]
	cmp land/done/x.csv b.csv
	cmp land/done/x.csv.~1~ a.csv
}

@test "listen-ingest: a file over the reject limit fails, is named, stores nothing and goes to failed/" {
	cp over.csv land/
	run --separate-stderr -1 listen-ingest w.db land
	[[ "$stderr" == *"listen-load: listen-parse: exited with status 1; nothing stored
listen-ingest: over.csv: failed (listen-load exited with status 1)
listen-ingest: land: loaded 0, already ingested 0, failed 1" ]]
	[ -f land/failed/over.csv ]
	[ ! -e land/over.csv ]
	run -0 query w.db "select count(*) from sqlite_schema where name = 'listens'"
	[ "$output" = 0 ]
}

@test "listen-ingest: a failed file's rejects go to rejects/NAME.tsv" {
	cp over.csv land/
	run -1 listen-ingest w.db land
	[ "$(cut -f2- land/rejects/over.csv.tsv)" = "line	reason	record
3	ms_played is negative: '-5'	2024-02-01T11:00:00Z,u1,t1,-5" ]
}

@test "listen-ingest: --max-reject-pct lets a file with more rejects load" {
	cp over.csv land/
	run --separate-stderr -0 listen-ingest --max-reject-pct 50 w.db land
	[[ "$stderr" == *"listen-ingest: over.csv: loaded"* ]]
	[ -s land/rejects/over.csv.tsv ]
	run -0 query w.db 'select count(*) from listens'
	[ "$output" = 1 ]
}

@test "listen-ingest: a file without rejects leaves no rejects file" {
	cp a.csv land/
	listen-ingest w.db land 2> /dev/null
	[ -z "$(ls land/rejects)" ]
}

@test "listen-ingest: a file that is not an export fails and goes to failed/" {
	printf 'hello,world\n1,2\n' > land/notes.csv
	run --separate-stderr -1 listen-ingest w.db land
	[[ "$stderr" == *"listen-ingest: notes.csv: failed (listen-load exited with status 1)"* ]]
	[ -f land/failed/notes.csv ]
}

@test "listen-ingest: a file that cannot be read fails and goes to failed/" {
	# Root reads any file: then the run is made as nobody, in a directory
	# nobody may write.
	local dir=. runas=()
	if [ "$(id -u)" = 0 ]; then
		NOBODY_DIR=$(mktemp -d /tmp/listen-ingest.XXXXXX)
		dir=$NOBODY_DIR
		runas=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	fi
	mkdir -p "$dir/l2"
	cp a.csv b.csv "$dir/l2/"
	chmod 000 "$dir/l2/a.csv"
	[ "$(id -u)" != 0 ] || chown -R 65534:65534 "$dir"
	run --separate-stderr -1 env TMPDIR="$dir" "${runas[@]}" listen-ingest "$dir/w.db" "$dir/l2"
	[[ "$stderr" == *"sha256sum: $dir/l2/a.csv: Permission denied
listen-ingest: a.csv: failed (cannot read it)
"*"listen-ingest: b.csv: loaded
listen-ingest: $dir/l2: loaded 1, already ingested 0, failed 1" ]]
	[ -f "$dir/l2/failed/a.csv" ]
	[ -f "$dir/l2/done/b.csv" ]
}

@test "listen-ingest: one bad file does not stop the others but makes the status 1" {
	cp a.csv over.csv b.csv land/
	run --separate-stderr -1 listen-ingest w.db land
	[ "$(grep '^listen-ingest: ' <<< "$stderr")" = "listen-ingest: a.csv: loaded
listen-ingest: b.csv: loaded
listen-ingest: over.csv: failed (listen-load exited with status 1)
listen-ingest: land: loaded 2, already ingested 0, failed 1" ]
	run -0 query w.db 'select count(*) from ingestions'
	[ "$output" = 2 ]
}

@test "listen-ingest: a warehouse in a missing directory leaves the files in place, and a next run loads them" {
	cp a.csv b.csv land/
	run --separate-stderr -1 listen-ingest no/such/w.db land
	# One line for the problem, not one per file: the run stops there.
	[ "$stderr" = "listen-load: no/such/w.db: unable to open database file: No such file or directory
$(left a.csv)
listen-ingest: land: loaded 0, already ingested 0, failed 0$(stopped 2)" ]
	[ -f land/a.csv ] && [ -f land/b.csv ]
	[ -z "$(find land/done land/failed land/rejects -mindepth 1)" ]
	[ ! -e no ]
	mkdir -p no/such
	run --separate-stderr -0 listen-ingest no/such/w.db land
	[ "$(grep '^listen-ingest: ' <<< "$stderr")" = "listen-ingest: a.csv: loaded
listen-ingest: b.csv: loaded
listen-ingest: land: loaded 2, already ingested 0, failed 0" ]
	[ "$(cd land/done && echo *)" = "a.csv b.csv" ]
}

@test "listen-ingest: a warehouse locked by another load past --busy-timeout leaves the file for the next run" {
	# The other load holds its write transaction until "release" appears.
	# shellcheck disable=SC2016 # $1 is the inner bash's
	listen-load w.db -- bash -c 'touch held
		for ((i = 0; i < 600; i++)); do [ -e release ] && break; sleep 0.05; done
		exec listen-parse "$1"' bash b.csv > holder.out 2>&1 3>&- &
	local holder=$!
	wait_for held
	cp a.csv land/
	run --separate-stderr -1 listen-ingest --busy-timeout 1 w.db land
	touch release
	wait "$holder"
	[ "$stderr" = "listen-load: w.db: database is locked
$(left a.csv)
listen-ingest: land: loaded 0, already ingested 0, failed 0$(stopped 1)" ]
	[ -f land/a.csv ]
	[ -z "$(find land/done land/failed -mindepth 1)" ]
	run --separate-stderr -0 listen-ingest w.db land
	[[ "$stderr" == *"listen-ingest: a.csv: loaded
listen-ingest: land: loaded 1, already ingested 0, failed 0" ]]
	[ -f land/done/a.csv ]
	# The other load's batch, then this one's.
	run -0 query w.db "select count(*), sum(source = 'a.csv') from ingestions"
	[ "$output" = "2	1" ]
}

@test "listen-ingest: a warehouse file that is not a database leaves the file in place" {
	cp b.csv w.db
	cp a.csv land/
	run --separate-stderr -1 listen-ingest w.db land
	[ "$stderr" = "listen-load: w.db: file is not a database
$(left a.csv)
listen-ingest: land: loaded 0, already ingested 0, failed 0$(stopped 1)" ]
	[ -f land/a.csv ]
	cmp b.csv w.db
	rm w.db
	run --separate-stderr -0 listen-ingest w.db land
	[[ "$stderr" == *"listen-ingest: a.csv: loaded"* ]]
}

@test "listen-ingest: a read-only warehouse leaves the file in place" {
	listen-load w.db -- listen-parse b.csv 2> /dev/null
	chmod 444 w.db
	# Root writes any file whatever its mode: make it immutable too.
	if [ "$(id -u)" = 0 ]; then
		chattr +i w.db
	fi
	cp a.csv land/
	run --separate-stderr -1 listen-ingest w.db land
	[ "$stderr" = "listen-load: w.db: attempt to write a readonly database
$(left a.csv)
listen-ingest: land: loaded 0, already ingested 0, failed 0$(stopped 1)" ]
	[ -f land/a.csv ]
	if [ "$(id -u)" = 0 ]; then
		chattr -i w.db
	fi
	chmod 644 w.db
	run --separate-stderr -0 listen-ingest w.db land
	[[ "$stderr" == *"listen-ingest: a.csv: loaded"* ]]
}

@test "listen-ingest: a warehouse of a newer schema version leaves the file in place" {
	listen-load w.db -- listen-parse b.csv 2> /dev/null
	sqlite3 w.db 'pragma user_version = 3'
	cp a.csv land/
	run --separate-stderr -1 listen-ingest w.db land
	[ "$stderr" = "listen-load: w.db: schema version 3 is newer than this program's version 2
$(left a.csv)
listen-ingest: land: loaded 0, already ingested 0, failed 0$(stopped 1)" ]
	[ -f land/a.csv ]
}

@test "listen-ingest: a warehouse error stops the run: what was done stays done, the rest is left" {
	mkdir fake
	cp "$TOP/bin/listen-ingest" fake/
	# A listen-load that finds the warehouse locked for b.csv only.
	cat > fake/listen-load <<- EOF
		#!/bin/sh
		echo "\$*" >> '$PWD/calls'
		case " \$* " in
		*" --source b.csv "*)
			echo 'listen-load: w.db: database is locked' >&2
			exit 1
			;;
		esac
		exec '$TOP/bin/listen-load' "\$@"
	EOF
	chmod +x fake/listen-load
	csv c.csv '2024-03-01T10:00:00Z,u4,t4,100'
	cp over.csv land/a-over.csv
	cp a.csv b.csv c.csv land/
	run --separate-stderr -1 fake/listen-ingest w.db land
	[ "$(grep '^listen-ingest: ' <<< "$stderr")" = "listen-ingest: a-over.csv: failed (listen-load exited with status 1)
listen-ingest: a.csv: loaded
$(left b.csv)
listen-ingest: land: loaded 1, already ingested 0, failed 1$(stopped 2)" ]
	# c.csv was not tried.
	[ "$(grep -c -e '--source' calls)" = 3 ]
	run ! grep -q c.csv calls
	[ "$(cd land && echo *)" = "b.csv c.csv done failed rejects" ]
	[ -f land/failed/a-over.csv ] && [ -f land/done/a.csv ]
	run --separate-stderr -0 listen-ingest w.db land
	[ "$(grep '^listen-ingest: ' <<< "$stderr")" = "listen-ingest: b.csv: loaded
listen-ingest: c.csv: loaded
listen-ingest: land: loaded 2, already ingested 0, failed 0" ]
}

@test "listen-ingest: a file left for the next run leaves its rejects file as it was" {
	mkdir fake
	cp "$TOP/bin/listen-ingest" fake/
	# A listen-load whose parser writes rejects before the disk fails.
	cat > fake/listen-load <<- 'EOF'
		#!/bin/sh
		while [ $# -gt 0 ]; do
			if [ "$1" = --rejects ]; then
				[ -e "$2" ] || printf 'source\tline\treason\trecord\n' > "$2"
				printf 'x\t3\tbad\tr\n' >> "$2"
			fi
			shift
		done
		echo 'listen-load: w.db: disk I/O error' >&2
		exit 1
	EOF
	chmod +x fake/listen-load
	cp a.csv land/
	run -1 fake/listen-ingest w.db land
	[ -f land/a.csv ]
	[ ! -e land/rejects/a.csv.tsv ]
	printf 'earlier rejects\n' > land/rejects/a.csv.tsv
	run -1 fake/listen-ingest w.db land
	[ "$(cat land/rejects/a.csv.tsv)" = "earlier rejects" ]
}

@test "listen-ingest: a file whose parser is killed by a signal goes to failed/" {
	mkdir fake
	cp "$TOP/bin/listen-ingest" fake/
	# listen-load runs the listen-parse beside listen-ingest.
	printf '#!/bin/sh\nkill -SEGV $$\n' > fake/listen-parse
	chmod +x fake/listen-parse
	cp a.csv land/
	run --separate-stderr -1 fake/listen-ingest w.db land
	[[ "$stderr" == *"listen-load: listen-parse: killed by signal 11; nothing stored
listen-ingest: a.csv: failed (listen-load exited with status 1)
listen-ingest: land: loaded 0, already ingested 0, failed 1" ]]
	[ -f land/failed/a.csv ]
}

@test "listen-ingest: a warehouse whose own name ends in -journal, -wal or -shm is not input" {
	local db
	for db in music-journal music-wal music-shm; do
		rm -rf land
		mkdir land
		cp a.csv land/
		listen-ingest "land/$db" land 2> /dev/null
		cp b.csv land/
		run --separate-stderr -0 listen-ingest "land/$db" land
		[ "$(grep '^listen-ingest: ' <<< "$stderr")" = "listen-ingest: b.csv: loaded
listen-ingest: land: loaded 1, already ingested 0, failed 0" ]
		[ -f "land/$db" ]
		[ -z "$(ls land/failed)" ]
	done
}

@test "listen-ingest: a rejects file that cannot be written leaves the file for the next run" {
	cp a.csv b.csv land/
	# In the way: a directory where a.csv's rejects file would go.
	mkdir -p land/rejects/a.csv.tsv
	run --separate-stderr -1 listen-ingest w.db land
	[ "$(grep '^listen-ingest: ' <<< "$stderr")" = "listen-ingest: a.csv: left for the next run (cannot write its rejects file)
listen-ingest: land: loaded 0, already ingested 0, failed 0$(stopped 2)" ]
	[ -f land/a.csv ] && [ -f land/b.csv ]
	[ -z "$(ls land/failed)" ]
	rmdir land/rejects/a.csv.tsv
	run --separate-stderr -0 listen-ingest w.db land
	[ "$(cd land/done && echo *)" = "a.csv b.csv" ]
}

@test "listen-ingest: a full disk under the rejects file leaves the file for the next run" {
	# A rejects file that cannot take a byte: the parser's write fails.
	csv bad.csv '2024-01-01T10:00:00Z,u1,t1,1000' 'x,u1,t2,2000' '2024-01-15T10:00:00Z,u2,t1,3000' '2024-01-16T10:00:00Z,u2,t1,3000' \
		'2024-01-17T10:00:00Z,u2,t1,3000' '2024-01-18T10:00:00Z,u2,t1,3000'
	cp bad.csv land/
	mkdir -p land/rejects
	ln -s /dev/full land/rejects/bad.csv.tsv
	run --separate-stderr -1 listen-ingest --max-reject-pct 50 w.db land
	[[ "$stderr" == *"listen-ingest: bad.csv: left for the next run (cannot write its rejects file)"* ]]
	[ -f land/bad.csv ]
	[ -z "$(ls land/failed)" ]
}

@test "listen-ingest: a file taken away between the listing and its load is skipped quietly" {
	cp a.csv b.csv land/
	mkdir fake
	# sha256sum, first on the way to each file, takes a.csv away first.
	cat > fake/sha256sum <<- 'EOF'
		#!/bin/sh
		case $2 in */a.csv) rm -f -- "$2" ;; esac
		exec /usr/bin/sha256sum "$@"
	EOF
	chmod +x fake/sha256sum
	PATH="$PWD/fake:$PATH" run --separate-stderr -0 listen-ingest w.db land
	[ "$(grep '^listen-ingest: ' <<< "$stderr")" = "listen-ingest: b.csv: loaded
listen-ingest: land: loaded 1, already ingested 0, failed 0" ]
	[ -z "$(ls land/failed)" ]
}

@test "listen-ingest: a warehouse in the landing directory is not input, however it is named" {
	cp a.csv land/
	run --separate-stderr -0 listen-ingest land/w.db land
	[[ "$stderr" == *"listen-ingest: a.csv: loaded"* ]]
	# SQLite's side files, as a crash leaves them (empty: no load opens
	# them, as there is nothing new).
	: > land/w.db-wal
	: > land/w.db-shm
	: > land/w.db-journal
	ln -s land/w.db link.db
	local db
	for db in land/w.db land/./w.db "$PWD/land/w.db" land/../land/w.db link.db; do
		run --separate-stderr -0 listen-ingest "$db" land
		[ -z "$stderr" ]
		run --separate-stderr -0 listen-ingest "$db" "$PWD/land/"
		[ -z "$stderr" ]
	done
	[ "$(cd land && echo *)" = "done failed rejects w.db w.db-journal w.db-shm w.db-wal" ]
	[ -z "$(ls land/failed)" ]
	rm land/w.db-wal land/w.db-shm land/w.db-journal
	# Side files a crash left without their warehouse: known by name.
	mkdir l2
	: > l2/gone.db-journal
	run --separate-stderr -0 listen-ingest l2/gone.db l2
	[ -z "$stderr" ]
	[ "$(cd l2 && echo *)" = "gone.db-journal" ]
	run -0 query land/w.db 'select count(*) from listens'
	[ "$output" = 3 ]
}

@test "listen-ingest: a warehouse in the landing directory, open elsewhere, stays while new files load" {
	cp a.csv land/
	listen-ingest land/w.db land 2> /dev/null
	# A reader keeps the warehouse open, and so its -wal and -shm files.
	cat > wait.sh <<- 'EOF'
		touch reading
		i=0
		while [ ! -e release ] && [ "$i" -lt 600 ]; do
			sleep 0.05
			i=$((i + 1))
		done
	EOF
	sqlite3 land/w.db 'select count(*) from listens;' '.shell sh wait.sh' > reader.out 2>&1 3>&- &
	local reader=$!
	wait_for reading
	[ -f land/w.db-wal ] && [ -f land/w.db-shm ]
	cp b.csv land/
	run --separate-stderr -0 listen-ingest land/w.db land
	touch release
	wait "$reader"
	[ "$(grep '^listen-ingest: ' <<< "$stderr")" = "listen-ingest: b.csv: loaded
listen-ingest: land: loaded 1, already ingested 0, failed 0" ]
	[ -z "$(ls land/failed)" ]
	[ "$(cd land/done && echo *)" = "a.csv b.csv" ]
	run -0 query land/w.db 'select count(*) from listens'
	[ "$output" = 4 ]
	run -0 query land/w.db 'pragma integrity_check'
	[ "$output" = ok ]
}

@test "listen-ingest: a failed file is not tried again until it is moved back" {
	cp over.csv land/
	run -1 listen-ingest w.db land
	run --separate-stderr -0 listen-ingest w.db land
	[ -z "$stderr" ]
	csv land/failed/over.csv '2024-02-01T10:00:00Z,u1,t1,500' '2024-02-01T11:00:00Z,u1,t1,5'
	mv land/failed/over.csv land/
	run --separate-stderr -0 listen-ingest w.db land
	[[ "$stderr" == *"listen-ingest: over.csv: loaded"* ]]
	run -0 query w.db 'select count(*) from listens'
	[ "$output" = 2 ]
}

@test "listen-ingest: dotfiles, .part and .tmp files, links and subdirectories are not input" {
	cp a.csv land/.hidden.csv
	cp a.csv land/coming.csv.part
	cp a.csv land/coming.csv.tmp
	ln -s "$PWD/a.csv" land/link.csv
	mkdir land/sub
	cp a.csv land/sub/
	mkdir -p land/done land/failed land/rejects
	cp b.csv land/done/
	cp b.csv land/failed/
	cp b.csv land/rejects/
	run --separate-stderr -0 listen-ingest w.db land
	[ -z "$stderr" ]
	[ ! -e w.db ]
	[ "$(find land -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort | tr '\n' ' ')" = ".hidden.csv .lock coming.csv.part coming.csv.tmp done failed link.csv rejects sub " ]
}

@test "listen-ingest: a run with nothing new does not run listen-load" {
	mkdir fake
	cp "$TOP/bin/listen-ingest" fake/
	printf '#!/bin/sh\ntouch "%s/called"\nexit 1\n' "$PWD" > fake/listen-load
	chmod +x fake/listen-load
	cp a.csv land/a.csv.part
	run --separate-stderr -0 fake/listen-ingest w.db land
	[ -z "$stderr" ]
	[ ! -e called ]
	# The same fake is run when there is a file.
	cp a.csv land/
	run -1 fake/listen-ingest w.db land
	[ -e called ]
}

@test "listen-ingest: an empty directory is a quiet success that leaves no warehouse" {
	run --separate-stderr -0 listen-ingest w.db land
	[ -z "$stderr" ]
	[ -z "$output" ]
	[ ! -e w.db ]
}

@test "listen-ingest: a run while another holds the lock exits 0 and touches nothing" {
	cp a.csv land/
	flock land/.lock sleep 30 &
	local holder=$!
	until ! flock -n land/.lock true; do
		kill -0 "$holder"
		sleep 0.05
	done
	run --separate-stderr -0 listen-ingest w.db land
	kill "$holder"
	[ "$stderr" = "listen-ingest: land: another run holds the lock; nothing done" ]
	[ -f land/a.csv ]
	[ ! -e w.db ]
}

@test "listen-ingest: two runs started at once ingest each file once" {
	# A load long enough for the two runs to overlap.
	awk 'BEGIN { print "played_at,user_id,track_id,ms_played"
		for (i = 0; i < 60000; i++)
			printf "2024-03-%02dT%02d:%02d:%02dZ,u%d,t%d,%d\n", 1 + i % 28, i % 24, i % 60, int(i / 60) % 60, i % 50, i, 1000 + i }' > land/big.csv
	cp a.csv b.csv land/
	# Both wait for a shared lock on "gate", held here until both started.
	exec 8> gate
	flock 8
	local pids=()
	for i in 1 2; do
		{
			flock -s gate true
			exec listen-ingest w.db land
		} 8>&- > "out$i" 2> "err$i" &
		pids+=($!)
	done
	sleep 0.2
	flock -u 8
	exec 8>&-
	local rc1=0 rc2=0
	wait "${pids[0]}" || rc1=$?
	wait "${pids[1]}" || rc2=$?
	[ "$rc1" = 0 ] && [ "$rc2" = 0 ]
	# Usually the second run finds the lock held and says so; on a busy
	# machine it may start only after the first ended and find nothing
	# new.  Either way each file is loaded by exactly one of them.
	[ "$(cat err1 err2 | grep -c 'another run holds the lock')" -le 1 ]
	[ "$(cat err1 err2 | grep -c ': loaded$')" = 3 ]
	run -0 query w.db 'select count(*), count(distinct sha256) from ingestions'
	[ "$output" = "3	3" ]
	[ "$(cd land/done && echo *)" = "a.csv b.csv big.csv" ]
}

@test "listen-ingest: a run killed during a load leaves nothing half-done, and the next run completes it" {
	awk 'BEGIN { print "played_at,user_id,track_id,ms_played"
		for (i = 0; i < 150000; i++)
			printf "2024-04-%02dT%02d:%02d:%02dZ,u%d,t%d,%d\n", 1 + i % 28, i % 24, i % 60, int(i / 60) % 60, i % 50, i, 1000 + i }' > land/big.csv
	cp a.csv land/
	listen-load ref.db -- listen-parse land/a.csv 2> /dev/null
	listen-load a.db -- listen-parse land/a.csv 2> /dev/null
	local t0 ms
	t0=$(date +%s%N)
	listen-load ref.db -- listen-parse land/big.csv 2> /dev/null
	ms=$((($(date +%s%N) - t0) / 1000000))
	setsid listen-ingest w.db land 2> /dev/null &
	local pid=$!
	# Killed, with its loader and parser, once the big file is loading
	# (a.csv, first in byte order, is done): at a random moment within
	# the first half of the time a load of it takes.
	until [ -f land/done/a.csv ]; do
		kill -0 "$pid"
		sleep 0.01
	done
	ms=$(((RANDOM * 32768 + RANDOM) % (ms / 2 + 1)))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	kill -KILL -- -"$pid" 2> /dev/null || true
	wait "$pid" || true
	# Nothing half-done: the listens are those of a.csv alone, or (had
	# the kill come late) those of both files, with big.csv recorded.
	run -0 query w.db 'select count(*) from ingestions'
	if [ "$output" = 1 ]; then
		[ -f land/big.csv ]
		listens | diff -q - <(query a.db 'select played_at, user_id, track_id, ms_played from listens order by 1, 2, 3')
	else
		echo "# the kill came after the commit" >&3
		listens | diff -q - <(query ref.db 'select played_at, user_id, track_id, ms_played from listens order by 1, 2, 3')
	fi
	run --separate-stderr -0 listen-ingest w.db land
	[ -f land/done/big.csv ]
	run -0 query w.db 'select count(*), count(distinct sha256) from ingestions'
	[ "$output" = "2	2" ]
	listens > got.tsv
	query ref.db 'select played_at, user_id, track_id, ms_played from listens order by 1, 2, 3' | diff -q - got.tsv
	run -0 query w.db 'pragma integrity_check'
	[ "$output" = ok ]
}

@test "listen-ingest: make ingest-dir ingests DIR into DB" {
	cp a.csv land/
	run --separate-stderr -0 make -s -C "$TOP" ingest-dir DB="$PWD/w.db" DIR="$PWD/land"
	[[ "$stderr" == *"listen-ingest: a.csv: loaded"* ]]
	[ -f land/done/a.csv ]
}

@test "listen-ingest: make ingest-dir without DIR is a usage error" {
	run --separate-stderr -2 make -s -C "$TOP" ingest-dir DB="$PWD/w.db"
	[[ "$stderr" == "usage: make ingest-dir DIR=landing [DB=warehouse.db]"* ]]
}

@test "listen-ingest: a dir that is not a directory fails" {
	run --separate-stderr -1 listen-ingest w.db a.csv
	[ "$stderr" = "listen-ingest: a.csv: not a directory" ]
}

@test "listen-ingest: --help prints the usage to stdout" {
	run --separate-stderr -0 listen-ingest --help
	[ "$output" = "$USAGE" ]
	[ -z "$stderr" ]
}

@test "listen-ingest: an unknown option is a usage error" {
	run --separate-stderr -2 listen-ingest --bogus w.db land
	[ "$stderr" = "listen-ingest: unrecognized option '--bogus'
$USAGE" ]
}

@test "listen-ingest: missing operands are usage errors" {
	run --separate-stderr -2 listen-ingest
	[ "$stderr" = "listen-ingest: missing operand: db
$USAGE" ]
	run --separate-stderr -2 listen-ingest w.db
	[ "$stderr" = "listen-ingest: missing operand: dir
$USAGE" ]
	run --separate-stderr -2 listen-ingest w.db land extra
	[ "$stderr" = "listen-ingest: unexpected operand 'extra'
$USAGE" ]
}

@test "listen-ingest: bad option values are usage errors" {
	run --separate-stderr -2 listen-ingest --busy-timeout 1.5 w.db land
	[ "$stderr" = "listen-ingest: --busy-timeout: not a whole number of seconds: '1.5'
$USAGE" ]
	run --separate-stderr -2 listen-ingest --max-reject-pct=1001 w.db land
	[ "$stderr" = "listen-ingest: --max-reject-pct: not a percentage 0 to 1000: '1001'
$USAGE" ]
	run --separate-stderr -2 listen-ingest --max-reject-pct
	[ "$stderr" = "listen-ingest: option '--max-reject-pct' requires an argument
$USAGE" ]
	[ ! -e land/.lock ]
}
