bats_require_minimum_version 1.5.0
load test_helper

# Hostile names and values (issue 4, item 6): paths with spaces, quotes,
# leading dashes and non-ASCII letters, and ids with quotes, backslashes,
# tabs, newlines and SQL in them, through every way in.

setup() {
	# Relative, each starting with a dash; one space between words (make
	# joins a path's words with one).
	D="-land 'q' \"dq\" é"
	DB="-ware 'it\"s' ü.db"
	IN="-in put 'x' \"y\" ñ.csv"
	mkdir -- "$D"
	printf 'played_at,user_id,track_id,ms_played\n2024-01-01T10:00:00Z,u1,t1,1000\n2024-01-08T10:00:00Z,u2,t2,2000\n2024-01-08T11:00:00Z,u2,t2,-1\n' > "$IN"
	# The values, and their hex as Python writes it, independently of
	# SQLite and of the tools.
	python3 - <<-'EOF'
		import csv
		vals = ["O'Brien", 'a"b', 'back\\slash', 'tab\there', 'new\nline',
		        'cr\rhere', "'; DROP TABLE listens; --",
		        "Robert'); DROP TABLE listens;--", '\\N', 'NULL', '\\t literal',
		        ' spaced ', 'é ü ñ 中文', '"quoted"', 'x,y;z']
		with open('values.csv', 'w', newline='') as f:
		    w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator='\n')
		    w.writerow(['played_at', 'user_id', 'track_id', 'ms_played'])
		    for i, v in enumerate(vals):
		        w.writerow(['2024-05-%02dT10:00:00Z' % (i + 1), v,
		                    'SELECT ' + v + ' FROM', 1000 + i])
		with open('values.hex', 'w') as f:
		    f.write('hex(user_id)\thex(track_id)\tms_played\n')
		    for i, v in enumerate(vals):
		        f.write('%s\t%s\t%d\n' % (v.encode().hex().upper(),
		                ('SELECT ' + v + ' FROM').encode().hex().upper(), 1000 + i))
	EOF
}

@test "hostile: listen-load and listen-parse take paths with spaces, quotes, leading dashes and non-ASCII" {
	run --separate-stderr -0 listen-load -- "$DB" -- listen-parse --max-reject-pct 50 --rejects "$D/r.tsv" -- "$IN"
	[[ "$stderr" == *"listen-load: $DB: read 2, inserted 2, duplicates 0, conflicts 0" ]]
	[ "$(query "./$DB" 'select count(*) from listens')" = 2 ]
	[ "$(tail -n 1 -- "$D/r.tsv" | cut -f1,2)" = "$IN	4" ]
	run -0 listen-load --weekly -- "$DB"
	[ "$output" = "year	week	listening_ms
2024	1	1000
2024	2	2000" ]
}

@test "hostile: listen-ingest takes a hostile directory, warehouse and file names" {
	cp -- "$IN" "$D/"
	cp -- values.csv "$D/-v 'a' \"b\" ç.csv"
	run --separate-stderr -0 listen-ingest --max-reject-pct 50 -- "$DB" "$D"
	[[ "$stderr" == *"listen-ingest: $IN: loaded
"*"listen-ingest: -v 'a' \"b\" ç.csv: loaded
listen-ingest: $D: loaded 2, already ingested 0, failed 0" ]]
	[ -f "$D/done/$IN" ]
	[ -f "$D/done/-v 'a' \"b\" ç.csv" ]
	[ "$(tail -n 1 -- "$D/rejects/$IN.tsv" | cut -f2)" = 4 ]
	# The names are stored byte for byte.
	query "./$DB" 'select hex(source) from ingestions order by batch_id' > got.hex
	printf '%s\n%s\n' "$IN" "-v 'a' \"b\" ç.csv" |
		python3 -c 'import sys; [print(l.rstrip("\n").encode().hex().upper()) for l in sys.stdin]' |
		diff -u - got.hex
	# Copied back under another hostile name: already ingested.
	cp -- "$D/done/$IN" "$D/-again ' \" ø.csv"
	run --separate-stderr -0 listen-ingest -- "$DB" "$D"
	[[ "$stderr" == *"listen-ingest: -again ' \" ø.csv: already ingested"* ]]
}

@test "hostile: make run takes hostile INPUT and DB paths" {
	local db="$PWD/$D/$DB" in="$PWD/$IN"
	run --separate-stderr -0 make -s -C "$TOP" run INPUT="$in" DB="$db" PARSE_FLAGS="--max-reject-pct 50"
	[[ "$stderr" == *"listen-load: $db: read 2, inserted 2, duplicates 0, conflicts 0"* ]]
	[ "$(query "$db" 'select count(*) from listens')" = 2 ]
	# The rejects file is named after DB.
	[ -s "$PWD/$D/-ware 'it\"s' ü.rejects.tsv" ]
	run --separate-stderr -0 make -s -C "$TOP" run INPUT="$in" DB="$db" PARSE_FLAGS="--max-reject-pct 50"
	[[ "$stderr" == *"inserted 0, duplicates 2"* ]]
}

@test "hostile: make run names its rejects file after DB, whatever dots and spaces DB's directories have" {
	mkdir -p -- "$D/my.dir  x"
	local db="$PWD/$D/my.dir  x/w.db" in="$PWD/$IN"
	run --separate-stderr -0 make -s -C "$TOP" run INPUT="$in" DB="$db" PARSE_FLAGS="--max-reject-pct 50"
	[ -s "$PWD/$D/my.dir  x/w.rejects.tsv" ]
}

@test "hostile: make run never deletes or empties what REJECTS names unless it is a plain rejects file" {
	local db="$PWD/$D/$DB" in="$PWD/$IN"
	run --separate-stderr -2 make -s -C "$TOP" run INPUT="$in" DB="$db" REJECTS="$in"
	[[ "$stderr" == *"REJECTS '$in' is INPUT or DB"* ]]
	[ -s "$in" ]
	# A device stays a device (make run as root once turned /dev/null
	# into a file this way); a copy of /dev/null stands in for it.
	mknod null c 1 3 2> /dev/null || skip "cannot make a device node here"
	run --separate-stderr -0 make -s -C "$TOP" run INPUT="$in" DB="$db" REJECTS="$PWD/null" PARSE_FLAGS="--max-reject-pct 50"
	[ -c null ]
}

@test "hostile: make ingest-dir and make run-query take hostile paths" {
	cp -- "$IN" "$D/"
	cp -- values.csv "$D/-v 'a' \"b\" ç.csv"
	local db="$PWD/$DB"
	# make says "Error 1" and exits 2 when its command fails.
	run --separate-stderr -2 make -s -C "$TOP" ingest-dir DIR="$PWD/$D" DB="$db"
	[[ "$stderr" == *"listen-ingest: $IN: failed (listen-load exited with status 1)"* ]]
	[[ "$stderr" == *"listen-ingest: -v 'a' \"b\" ç.csv: loaded"* ]]
	[ -f "$D/failed/$IN" ]
	run --separate-stderr -0 make -s -C "$TOP" run-query DB="$db" query="select count(*) from listens where user_id in ('u1', 'O''Brien')"
	[ "$output" = "count(*)
1" ]
}

@test "hostile: ids with quotes, backslashes, tabs, newlines and SQL round-trip byte for byte from a quoted CSV to make run-query" {
	local db="$PWD/$D/$DB"
	make -s -C "$TOP" run INPUT="$PWD/values.csv" DB="$db" PARSE_FLAGS="${WINDOW[*]}" > /dev/null 2> err
	run --separate-stderr -0 make -s -C "$TOP" run-query DB="$db" query="select hex(user_id), hex(track_id), ms_played from listens order by played_at"
	diff -u values.hex <(printf '%s\n' "$output")
	# Stored as data: every table is still there, every row too.
	run -0 query "$db" "select count(*) from sqlite_schema where type = 'table'"
	[ "$output" = 4 ]
	run -0 query "$db" "select count(*), count(distinct user_id) from listens"
	[ "$output" = "15	15" ]
}

@test "hostile: ids read back through a query equal the export's, by value, with SQL keywords and quotes bound, never spliced" {
	listen-load w.db -- listen-parse "${WINDOW[@]}" values.csv 2> /dev/null
	run -0 query w.db "select count(*) from listens where user_id = 'Robert''); DROP TABLE listens;--' and track_id = 'SELECT Robert''); DROP TABLE listens;-- FROM'"
	[ "$output" = 1 ]
	run -0 query w.db "select count(*) from listens where user_id = 'new' || char(10) || 'line' and instr(track_id, char(13)) = 0"
	[ "$output" = 1 ]
	run -0 query w.db "select count(*) from listens where user_id = 'tab' || char(9) || 'here'"
	[ "$output" = 1 ]
}
