#!/usr/bin/env bats
# shellcheck disable=SC2154 # run --separate-stderr sets stderr and stderr_lines
# listen-parse: raw CSV/TSV exports to the listens stream (SPEC section 5).
# Expected outputs were worked out by hand from the fixtures; the counts for
# the real exports come from tests/fixtures/listen-parse/real-expected.py.

bats_require_minimum_version 1.5.0
load test_helper

P="$BATS_TEST_DIRNAME/fixtures/listen-parse"
HEADER=$'played_at\tuser_id\ttrack_id\tms_played'

@test "listen-parse: a plain CSV export becomes a listens stream" {
	listen-parse "${WINDOW[@]}" "$P/happy.csv" > out.tsv
	diff -u "$P/happy.listens.tsv" out.tsv
}

@test "listen-parse: the summary line counts records read, written, rejected and skipped" {
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" "$P/happy.csv"
	[ "$stderr" = "listen-parse: read 3, written 3, rejected 0, skipped 0 non-music" ]
}

@test "listen-parse: in TSV input quotes and backslashes are ordinary characters" {
	listen-parse "${WINDOW[@]}" "$P/literal.tsv" > out.tsv
	diff -u "$P/literal.listens.tsv" out.tsv
}

@test "listen-parse: a TSV file with CRLF line ends loses the CR" {
	printf 'played_at\tms_played\tuser\r\n2024-01-01T00:00:00Z\t5\tu\r\n' > in.tsv
	listen-parse "${WINDOW[@]}" in.tsv > out.tsv
	printf '%s\n2024-01-01T00:00:00.000Z\tu\t\t5\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: a BOM, CRLF line ends and no final line end are normal input" {
	listen-parse "${WINDOW[@]}" "$P/bom-crlf.csv" > out.tsv
	diff -u "$P/bom-crlf.listens.tsv" out.tsv
}

@test "listen-parse: quoted commas, line ends and doubled quotes are read as data" {
	listen-parse "${WINDOW[@]}" "$P/quoted.csv" > out.tsv
	diff -u "$P/quoted.listens.tsv" out.tsv
}

@test "listen-parse: text after a closing quote rejects that line only, and the next lines are read" {
	printf 'ts,ms_played,user,track\n2025-01-06T10:00:00Z,1000,u1,"Heroes" (Remaster)\n2025-01-07T10:00:00Z,2000,u1,t2\n2025-01-08T10:00:00Z,3000,u1,t3\n' > in.csv
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 50 in.csv
	[ "$output" = "$HEADER
2025-01-07T09:59:58.000Z	u1	t2	2000
2025-01-08T09:59:57.000Z	u1	t3	3000" ]
	[ "$stderr" = "listen-parse: in.csv:2: malformed quotes: a quote inside an unquoted field, or text after a closing quote
listen-parse: read 3, written 2, rejected 1, skipped 0 non-music" ]
}

@test "listen-parse: a quote inside an unquoted field is a reject, never read as a guess" {
	printf 'played_at,ms_played,track_id\n2025-01-06T10:00:00Z,1000,12" Mix\n2025-01-07T10:00:00Z,2000,"12"" Mix"\n' > in.csv
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 50 --rejects rej.tsv in.csv
	[ "$output" = "$HEADER
2025-01-07T10:00:00.000Z		12\" Mix	2000" ]
	[ "${stderr_lines[0]}" = "listen-parse: in.csv:2: malformed quotes: a quote inside an unquoted field, or text after a closing quote" ]
	[ "$(tail -n 1 rej.tsv)" = 'in.csv	2	malformed quotes: a quote inside an unquoted field, or text after a closing quote	2025-01-06T10:00:00Z,1000,12" Mix' ]
}

@test "listen-parse: a bad quote after a quoted line end rejects the record from its first line" {
	printf 'played_at,ms_played,track_id\n2025-01-06T10:00:00Z,1000,"a\nb" c\n2025-01-07T10:00:00Z,2000,t\n' > in.csv
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 50 in.csv
	[ "$output" = "$HEADER
2025-01-07T10:00:00.000Z		t	2000" ]
	[ "${stderr_lines[0]}" = "listen-parse: in.csv:2: malformed quotes: a quote inside an unquoted field, or text after a closing quote" ]
}

@test "listen-parse: a quoted field still open at the end of the file fails it, naming the record's line" {
	printf 'played_at,ms_played,track\n2025-01-06T10:00:00Z,1000,t1\n2025-01-07T10:00:00Z,2000,"cut\n2025-01-08T10:00:00Z,3000,t3\n' > in.csv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" in.csv
	[ "$stderr" = "listen-parse: in.csv:3: a quoted field is still open at the end of the file
listen-parse: read 1, written 1, rejected 0, skipped 0 non-music" ]
}

@test "listen-parse: a CSV with bare CR line ends (old Mac Excel) is read line by line, with its line numbers" {
	printf 'played_at,ms_played,track_id\r2025-01-06T10:00:00Z,1000,t1\r2025-13-07T10:00:00Z,2000,t2\r2025-01-08T10:00:00Z,3000,t3\r' > in.csv
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 50 --rejects rej.tsv in.csv
	[ "$output" = "$HEADER
2025-01-06T10:00:00.000Z		t1	1000
2025-01-08T10:00:00.000Z		t3	3000" ]
	[ "${stderr_lines[0]}" = "listen-parse: in.csv:3: played_at is not a calendar date: '2025-13-07T10:00:00Z'" ]
	[ "$(tail -n 1 rej.tsv)" = "in.csv	3	played_at is not a calendar date: '2025-13-07T10:00:00Z'	2025-13-07T10:00:00Z,2000,t2" ]
}

@test "listen-parse: a stray quote in a CSV with bare CR line ends rejects its line only, and the rest is read" {
	printf 'played_at,ms_played,track_id\r2025-01-06T10:00:00Z,1000,12" Mix\r2025-01-07T10:00:00Z,2000,t2\r2025-01-08T10:00:00Z,3000,"t3"\r' > in.csv
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 50 --rejects rej.tsv in.csv
	[ "$output" = "$HEADER
2025-01-07T10:00:00.000Z		t2	2000
2025-01-08T10:00:00.000Z		t3	3000" ]
	[ "$stderr" = "listen-parse: in.csv:2: malformed quotes: a quote inside an unquoted field, or text after a closing quote
listen-parse: read 3, written 2, rejected 1, skipped 0 non-music" ]
	[ "$(tail -n 1 rej.tsv)" = 'in.csv	2	malformed quotes: a quote inside an unquoted field, or text after a closing quote	2025-01-06T10:00:00Z,1000,12" Mix' ]
}

@test "listen-parse: a quote left open that runs past 1 MiB of lines fails the file at its record, in bounded memory" {
	{
		printf 'played_at,ms_played,track_id\n2025-01-06T10:00:00Z,1000,t1\n2025-01-07T10:00:00Z,2000,"open\n'
		for i in $(seq 40000); do printf '2025-01-08T10:00:00Z,3000,t%d\n' "$i"; done
	} > in.csv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" in.csv
	[ "${stderr_lines[0]}" = "listen-parse: in.csv:3: a record longer than 1 MiB: is a quote left open?" ]
}

@test "listen-parse: malformed quotes in the header fail the file before any output" {
	printf 'played_at,"ms" played,track_id\n2025-01-06T10:00:00Z,1000,t1\n' > in.csv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" in.csv
	[ "$output" = "" ]
	[ "$stderr" = "listen-parse: in.csv:1: malformed quotes in the header: a quote inside an unquoted name, or text after a closing quote" ]
}

@test "listen-parse: a quoted header name still open at the end of the file fails it before any output" {
	printf 'played_at,"ms_played\n2025-01-06T10:00:00Z,1000,t1\n' > in.csv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" in.csv
	[ "$output" = "" ]
	[ "$stderr" = "listen-parse: in.csv:1: a quoted name in the header is still open at the end of the file" ]
}

@test "listen-parse: a quote left open in the header that runs past 1 MiB fails the file before any output" {
	{
		printf '"played_at,ms_played\n'
		for i in $(seq 50000); do printf '2025-01-08T10:00:00Z,%d\n' "$i"; done
	} > in.csv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" in.csv
	[ "$output" = "" ]
	[ "$stderr" = "listen-parse: in.csv:1: a header longer than 1 MiB: is a quote left open?" ]
}

@test "listen-parse: with --columns, malformed quotes on the first line are named as the first line's, not a header's" {
	printf '2025-01-06T10:00:00Z,12" Mix,1000\n2025-01-07T10:00:00Z,t2,2000\n' > in.csv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" --columns played_at,track_id,ms_played in.csv
	[ "$stderr" = "listen-parse: in.csv:1: malformed quotes in the first line: a quote inside an unquoted field, or text after a closing quote" ]
}

@test "listen-parse: spaces and TABs around fields are kept, not trimmed" {
	listen-parse "${WINDOW[@]}" "$P/spaces.csv" > out.tsv
	diff -u "$P/spaces.listens.tsv" out.tsv
}

@test "listen-parse: a semicolon header is read with semicolons, commas in quotes not counted" {
	listen-parse "${WINDOW[@]}" "$P/semicolon.csv" > out.tsv
	diff -u "$P/semicolon.listens.tsv" out.tsv
}

@test "listen-parse: every start-time alias is found" {
	for col in played_at listened_at timestamp datetime start_time \
	    'Event Start Timestamp' PlayedAt; do
		printf '%s,ms_played\n2024-01-01T00:01:00Z,60000\n' "$col" > in.csv
		run --separate-stderr -0 listen-parse "${WINDOW[@]}" in.csv
		[ "${lines[1]}" = $'2024-01-01T00:01:00.000Z\t\t\t60000' ]
	done
}

@test "listen-parse: every end-time alias gives the start as end minus time played" {
	for col in ts endTime end_time ended_at 'End Time'; do
		printf '%s,ms_played\n2024-01-01T00:01:00Z,60000\n' "$col" > in.csv
		run --separate-stderr -0 listen-parse "${WINDOW[@]}" in.csv
		[ "${lines[1]}" = $'2024-01-01T00:00:00.000Z\t\t\t60000' ]
	done
}

@test "listen-parse: every milliseconds alias is found" {
	for col in ms_played msPlayed play_duration_ms \
	    'Play Duration Milliseconds' listened_ms; do
		printf 'played_at,%s\n2024-01-01T00:00:00Z,1234\n' "$col" > in.csv
		run --separate-stderr -0 listen-parse "${WINDOW[@]}" in.csv
		[ "${lines[1]}" = $'2024-01-01T00:00:00.000Z\t\t\t1234' ]
	done
}

@test "listen-parse: every seconds alias is found and turned into milliseconds" {
	for col in play_duration seconds_played; do
		printf 'played_at,%s\n2024-01-01T00:00:00Z,12.5\n' "$col" > in.csv
		run --separate-stderr -0 listen-parse "${WINDOW[@]}" in.csv
		[ "${lines[1]}" = $'2024-01-01T00:00:00.000Z\t\t\t12500' ]
	done
}

@test "listen-parse: every user alias is found" {
	for col in user_id userid user username user_name; do
		printf 'played_at,ms_played,%s\n2024-01-01T00:00:00Z,1,u7\n' "$col" > in.csv
		run --separate-stderr -0 listen-parse "${WINDOW[@]}" in.csv
		[ "${lines[1]}" = $'2024-01-01T00:00:00.000Z\tu7\t\t1' ]
	done
}

@test "listen-parse: every track id alias is found" {
	for col in track_id spotify_track_uri track_uri recording_mbid; do
		printf 'played_at,ms_played,%s\n2024-01-01T00:00:00Z,1,id9\n' "$col" > in.csv
		run --separate-stderr -0 listen-parse "${WINDOW[@]}" in.csv
		[ "${lines[1]}" = $'2024-01-01T00:00:00.000Z\t\tid9\t1' ]
	done
}

@test "listen-parse: every artist alias is found" {
	for col in artist artistName artist_name 'Artist Name' \
	    master_metadata_album_artist_name; do
		printf 'played_at,ms_played,%s,title\n2024-01-01T00:00:00Z,1,A,T\n' "$col" > in.csv
		run --separate-stderr -0 listen-parse "${WINDOW[@]}" in.csv
		[ "${lines[1]}" = $'2024-01-01T00:00:00.000Z\t\tA - T\t1' ]
	done
}

@test "listen-parse: every title alias is found" {
	for col in track trackName track_name title 'Content Name' \
	    master_metadata_track_name; do
		printf 'played_at,ms_played,artist,%s\n2024-01-01T00:00:00Z,1,A,T\n' "$col" > in.csv
		run --separate-stderr -0 listen-parse "${WINDOW[@]}" in.csv
		[ "${lines[1]}" = $'2024-01-01T00:00:00.000Z\t\tA - T\t1' ]
	done
}

@test "listen-parse: a track id wins over artist and title, which stand in when it is empty" {
	printf 'played_at,ms_played,track_id,artist,title\n%s\n%s\n%s\n%s\n' \
	    '2024-01-01T00:00:00Z,1,id,A,T' '2024-01-01T00:00:01Z,2,,A,T' \
	    '2024-01-01T00:00:02Z,3,,A,' '2024-01-01T00:00:03Z,4,,,T' > in.csv
	listen-parse "${WINDOW[@]}" in.csv > out.tsv
	printf '%s\n' "$HEADER" $'2024-01-01T00:00:00.000Z\t\tid\t1' \
	    $'2024-01-01T00:00:01.000Z\t\tA - T\t2' \
	    $'2024-01-01T00:00:02.000Z\t\tA\t3' \
	    $'2024-01-01T00:00:03.000Z\t\tT\t4' > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: an end-time column gives played_at = end - ms_played" {
	listen-parse "${WINDOW[@]}" "$P/end.csv" > out.tsv
	diff -u "$P/end.listens.tsv" out.tsv
}

@test "listen-parse: a start column wins over an end column" {
	listen-parse "${WINDOW[@]}" "$P/start-end.csv" > out.tsv
	diff -u "$P/start-end.listens.tsv" out.tsv
}

@test "listen-parse: two start columns stop before any output and are both named" {
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" < "$P/ambiguous.csv"
	[ "$stderr" = "listen-parse: <stdin>:1: columns 'timestamp' and 'played_at' both match the start time (name one with --time)" ]
	[ -z "$output" ]
}

@test "listen-parse: a milliseconds and a seconds column are two durations and stop" {
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" < "$P/ambiguous-duration.csv"
	[ "$stderr" = "listen-parse: <stdin>:1: columns 'ms_played' and 'seconds_played' both match the time played (name one with --duration)" ]
	[ -z "$output" ]
}

@test "listen-parse: --time settles two start columns" {
	listen-parse "${WINDOW[@]}" --time played_at < "$P/ambiguous.csv" > out.tsv
	printf '%s\n2024-05-01T12:00:00.000Z\tu\t\t1000\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: --time names the start column" {
	listen-parse "${WINDOW[@]}" --time when --duration length < "$P/custom.csv" > out.tsv
	printf '%s\n2024-06-01T10:00:00.000Z\tbob\t\t60000\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: --end-time names an end column" {
	listen-parse "${WINDOW[@]}" --end-time finished --duration length < "$P/custom.csv" > out.tsv
	printf '%s\n2024-06-01T10:00:00.000Z\tbob\t\t60000\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: --time and --end-time together are a usage error" {
	run --separate-stderr -2 listen-parse --time when --end-time finished "$P/custom.csv"
	[ "${stderr_lines[0]}" = "listen-parse: --time and --end-time cannot be used together" ]
	[[ "${stderr_lines[1]}" == "usage: listen-parse "* ]]
	[ -z "$output" ]
}

@test "listen-parse: --duration-unit s reads the named column as seconds" {
	listen-parse "${WINDOW[@]}" --time when --duration secs --duration-unit s < "$P/custom.csv" > out.tsv
	printf '%s\n2024-06-01T10:00:00.000Z\tbob\t\t60000\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: --duration-unit other than ms or s is a usage error" {
	run --separate-stderr -2 listen-parse --duration-unit min "$P/happy.csv"
	[ "${stderr_lines[0]}" = "listen-parse: --duration-unit: expected 'ms' or 's', got 'min'" ]
	[ -z "$output" ]
}

@test "listen-parse: a track length column (duration_ms) is not time played" {
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" < "$P/track-length.csv"
	[ "$stderr" = "listen-parse: <stdin>:1: no duration (time played) column in the header: listening time cannot be computed from this source; to count a track length as time played, name its column with --duration" ]
	[ -z "$output" ]
}

@test "listen-parse: --duration takes a track length column when named" {
	listen-parse "${WINDOW[@]}" --duration duration_ms < "$P/track-length.csv" > out.tsv
	printf '%s\n2024-06-01T10:00:00.000Z\t\tt\t240000\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: --user names the user column" {
	listen-parse "${WINDOW[@]}" --time when --duration length --user who < "$P/custom.csv" > out.tsv
	printf '%s\n2024-06-01T10:00:00.000Z\talice\t\t60000\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: --track names the track id column" {
	listen-parse "${WINDOW[@]}" --time when --duration length --track id < "$P/custom.csv" > out.tsv
	printf '%s\n2024-06-01T10:00:00.000Z\tbob\tx1\t60000\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: --artist names the artist column" {
	listen-parse "${WINDOW[@]}" --time when --duration length --artist singer < "$P/custom.csv" > out.tsv
	printf '%s\n2024-06-01T10:00:00.000Z\tbob\tS\t60000\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: --title names the title column" {
	listen-parse "${WINDOW[@]}" --time when --duration length --artist singer --title song < "$P/custom.csv" > out.tsv
	printf '%s\n2024-06-01T10:00:00.000Z\tbob\tS - T\t60000\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: a column name in an option is compared like header names" {
	listen-parse "${WINDOW[@]}" --time WHEN --duration Length < "$P/custom.csv" > out.tsv
	printf '%s\n2024-06-01T10:00:00.000Z\tbob\t\t60000\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: an option naming a column not in the header stops before any output" {
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" --user nobody < "$P/happy.csv"
	[ "$stderr" = "listen-parse: <stdin>:1: --user: no column 'nobody' in the header" ]
	[ -z "$output" ]
}

@test "listen-parse: --set-user gives every listen the same user" {
	listen-parse "${WINDOW[@]}" --set-user me < "$P/happy.csv" > out.tsv
	sed 's/\tu[12]\t/\tme\t/' "$P/happy.listens.tsv" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: --user and --set-user together are a usage error" {
	run --separate-stderr -2 listen-parse --user user_id --set-user me "$P/happy.csv"
	[ "${stderr_lines[0]}" = "listen-parse: --user and --set-user cannot be used together" ]
	[ -z "$output" ]
}

@test "listen-parse: -v prints the mapping it chose to stderr" {
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" -v < "$P/end.csv"
	[ "$stderr" = "listen-parse: <stdin>: delimiter comma
listen-parse: <stdin>: end time: 'ts' (column 1)
listen-parse: <stdin>: duration: 'ms_played' (column 2, ms)
listen-parse: <stdin>: user: none
listen-parse: <stdin>: track id: 'spotify_track_uri' (column 3)
listen-parse: <stdin>: artist: none
listen-parse: <stdin>: title: none
listen-parse: read 2, written 2, rejected 0, skipped 0 non-music" ]
}

@test "listen-parse: each reject reason is reported at the line where its record starts" {
	cp "$P/rejects.csv" .
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 100 rejects.csv
	diff -u "$P/rejects.stderr" <(printf '%s\n' "$stderr")
}

@test "listen-parse: rejected records are not written, the good ones are" {
	listen-parse "${WINDOW[@]}" --max-reject-pct 100 "$P/rejects.csv" > out.tsv 2> /dev/null
	diff -u "$P/rejects.listens.tsv" out.tsv
}

@test "listen-parse: --rejects keeps every rejected record, escaped, with its reason" {
	cp "$P/rejects.csv" .
	listen-parse "${WINDOW[@]}" --max-reject-pct 100 --rejects rej.tsv rejects.csv > /dev/null 2>&1
	diff -u "$P/rejects.rejects.tsv" rej.tsv
}

@test "listen-parse: --rejects appends, writing its header only to a new file" {
	cp "$P/rejects.csv" .
	listen-parse "${WINDOW[@]}" --max-reject-pct 100 --rejects rej.tsv rejects.csv > /dev/null 2>&1
	listen-parse "${WINDOW[@]}" --max-reject-pct 100 --rejects rej.tsv rejects.csv > /dev/null 2>&1
	{ cat "$P/rejects.rejects.tsv"; tail -n +2 "$P/rejects.rejects.tsv"; } > want.tsv
	diff -u want.tsv rej.tsv
}

@test "listen-parse: a wrong field count is the first reason, before a NUL or a bad time" {
	printf 'played_at,ms_played\nnow\0\xff,1,2\n' > in.csv
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 100 in.csv
	[ "${stderr_lines[0]}" = "listen-parse: in.csv:2: expected 2 fields, got 3" ]
}

@test "listen-parse: a NUL is reported before invalid UTF-8" {
	printf 'played_at,ms_played\nnow\0\xff,1\n' > in.csv
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 100 in.csv
	[ "${stderr_lines[0]}" = "listen-parse: in.csv:2: NUL byte in record" ]
}

@test "listen-parse: a TSV record with a wrong field count is rejected at its line" {
	printf 'played_at\tms_played\n\n2024-01-01T00:00:00Z\t1\textra\n' > in.tsv
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 100 in.tsv
	[ "${stderr_lines[0]}" = "listen-parse: in.tsv:3: expected 2 fields, got 3" ]
}

@test "listen-parse: only the first 20 rejects are shown, then a count" {
	{ echo played_at,ms_played; for _ in $(seq 25); do echo bad,1; done; } > in.csv
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 100 in.csv
	for i in $(seq 2 21); do
		echo "listen-parse: in.csv:$i: played_at is not an ISO 8601 time: 'bad' (name its form with --time-format)"
	done > want.txt
	echo "listen-parse: 5 more rejects not shown" >> want.txt
	echo "listen-parse: read 25, written 0, rejected 25, skipped 0 non-music" >> want.txt
	diff -u want.txt <(printf '%s\n' "$stderr")
}

@test "listen-parse: blank lines are not records and are skipped silently" {
	printf 'played_at,ms_played\n\n2024-01-01T00:00:00Z,1\n\r\n\n2024-01-01T00:00:01Z,2\n\n' > in.csv
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" in.csv
	[ "$stderr" = "listen-parse: read 2, written 2, rejected 0, skipped 0 non-music" ]
	[ "${#lines[@]}" -eq 3 ]
}

@test "listen-parse: a reject share of exactly 5 % passes" {
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" < "$P/share-5.0.csv"
	[ "${stderr_lines[1]}" = "listen-parse: read 20, written 19, rejected 1, skipped 0 non-music" ]
	[ "${#stderr_lines[@]}" -eq 2 ]
	[ "${#lines[@]}" -eq 20 ]
}

@test "listen-parse: a reject share just over 5 % fails after writing the good rows" {
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" < "$P/share-5.3.csv"
	[ "$stderr" = "listen-parse: <stdin>:20: played_at is not a time of day: '2024-01-01T00:00:99Z'
listen-parse: read 19, written 18, rejected 1, skipped 0 non-music
listen-parse: rejected 1 of 19 records (5.3%), more than --max-reject-pct 5" ]
	[ "${#lines[@]}" -eq 19 ]
}

@test "listen-parse: --max-reject-pct is decided exactly to the thousandth" {
	# 1 of 19 is 5.263157... %
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 5.264 < "$P/share-5.3.csv"
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" --max-reject-pct 5.263 < "$P/share-5.3.csv"
	[ "${stderr_lines[2]}" = "listen-parse: rejected 1 of 19 records (5.3%), more than --max-reject-pct 5.263" ]
}

@test "listen-parse: a bad --max-reject-pct is a usage error" {
	run --separate-stderr -2 listen-parse --max-reject-pct 5% "$P/happy.csv"
	[ "${stderr_lines[0]}" = "listen-parse: --max-reject-pct: not a number (a percentage 0 to 1000, at most three decimals): '5%'" ]
	[ -z "$output" ]
}

@test "listen-parse: Spotify episode and audiobook rows are skipped as non-music, not rejected" {
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" < "$P/nonmusic-spotify.csv"
	[ "$stderr" = "listen-parse: read 5, written 2, rejected 0, skipped 3 non-music" ]
	diff -u "$P/nonmusic-spotify.listens.tsv" <(printf '%s\n' "$output")
}

@test "listen-parse: Spotify basic podcast rows (podcastName, episodeName) are skipped" {
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" < "$P/nonmusic-podcast.csv"
	[ "$stderr" = "listen-parse: read 2, written 1, rejected 0, skipped 1 non-music" ]
	diff -u "$P/nonmusic-podcast.listens.tsv" <(printf '%s\n' "$output")
}

@test "listen-parse: Apple AD, NON_SONG_CLIP and aggregate rows are skipped before their time is checked" {
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" < "$P/nonmusic-apple.csv"
	[ "$stderr" = "listen-parse: read 5, written 2, rejected 0, skipped 3 non-music" ]
	diff -u "$P/nonmusic-apple.listens.tsv" <(printf '%s\n' "$output")
}

@test "listen-parse: a non-music row with a wrong field count is rejected, not skipped" {
	printf 'ts,ms_played,episode_name\n2024-01-01T00:00:00Z,1,Ep,x\n' > in.csv
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 100 in.csv
	[ "${stderr_lines[1]}" = "listen-parse: read 1, written 0, rejected 1, skipped 0 non-music" ]
}

@test "listen-parse: a header without a time column fails before any output" {
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" < "$P/no-time.csv"
	[ "$stderr" = "listen-parse: <stdin>:1: no time column in the header (name one with --time or --end-time)" ]
	[ -z "$output" ]
}

@test "listen-parse: a header without a duration column fails before any output" {
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" < "$P/no-duration.csv"
	[ "$stderr" = "listen-parse: <stdin>:1: no duration (time played) column in the header: listening time cannot be computed from this source; to count a track length as time played, name its column with --duration" ]
	[ -z "$output" ]
}

@test "listen-parse: a UTF-16 export (Excel's Unicode Text) fails before any output, saying to convert it" {
	printf 'played_at\tms_played\n2024-01-01T00:00:00Z\t5\n' | iconv -f UTF-8 -t UTF-16 > in.tsv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" in.tsv
	[ "$output" = "" ]
	[ "$stderr" = "listen-parse: in.tsv: UTF-16 or UTF-32 text (it starts with that byte order mark): convert it to UTF-8 first, e.g. with iconv -f UTF-16 -t UTF-8" ]
}

@test "listen-parse: a binary file (a SQLite database) fails before any output as not text" {
	sqlite3 in.db 'create table t (x)'
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" in.db
	[ "$output" = "" ]
	[ "$stderr" = "listen-parse: in.db:1: not a text export: a NUL byte where the header should be" ]
}

@test "listen-parse: empty input has no header and fails" {
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" < /dev/null
	[ "$stderr" = "listen-parse: <stdin>: empty input: no header line" ]
	[ -z "$output" ]
}

@test "listen-parse: a header with no records gives the listens header only" {
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" < "$P/header-only.csv"
	[ "$output" = "$HEADER" ]
	[ "$stderr" = "listen-parse: read 0, written 0, rejected 0, skipped 0 non-music" ]
}

@test "listen-parse: several files give one header, each file mapped by its own" {
	listen-parse "${WINDOW[@]}" "$P/multi-a.csv" "$P/multi-b.tsv" > out.tsv
	diff -u "$P/multi.listens.tsv" out.tsv
}

@test "listen-parse: a bad header in a later file stops before any output" {
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" "$P/happy.csv" - < "$P/no-duration.csv"
	[ "$stderr" = "listen-parse: <stdin>:1: no duration (time played) column in the header: listening time cannot be computed from this source; to count a track length as time played, name its column with --duration" ]
	[ -z "$output" ]
}

@test "listen-parse: a file that cannot be read fails before any output" {
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" "$P/happy.csv" missing.csv
	[ "$stderr" = "listen-parse: missing.csv: No such file or directory" ]
	[ -z "$output" ]
}

@test "listen-parse: decimal durations round to the millisecond, half away from zero" {
	listen-parse "${WINDOW[@]}" < "$P/decimals.csv" > out.tsv
	diff -u "$P/decimals.listens.tsv" out.tsv
}

@test "listen-parse: seconds round to the millisecond, half away from zero" {
	listen-parse "${WINDOW[@]}" < "$P/seconds.csv" > out.tsv
	diff -u "$P/seconds.listens.tsv" out.tsv
}

@test "listen-parse: -0.5 ms rounds away from zero and is negative" {
	printf 'played_at,ms_played\n2024-01-01T00:00:00Z,-0.5\n' > in.csv
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 100 in.csv
	[ "${stderr_lines[0]}" = "listen-parse: in.csv:2: ms_played is negative: '-0.5'" ]
}

@test "listen-parse: epoch seconds, decimal seconds and milliseconds are read" {
	listen-parse "${WINDOW[@]}" < "$P/epoch.csv" > out.tsv
	diff -u "$P/epoch.listens.tsv" out.tsv
}

@test "listen-parse: offsets +HH:MM, +HHMM and negative ones are turned into UTC" {
	listen-parse "${WINDOW[@]}" < "$P/offsets.csv" > out.tsv
	diff -u "$P/offsets.listens.tsv" out.tsv
}

@test "listen-parse: a fraction finer than a millisecond is cut toward the past" {
	listen-parse "${WINDOW[@]}" < "$P/fraction.csv" > out.tsv
	diff -u "$P/fraction.listens.tsv" out.tsv
}

@test "listen-parse: both ends of the window are accepted, a millisecond outside is not" {
	run --separate-stderr -0 listen-parse --min-time 2024-01-01T00:00:00Z \
	    --max-time 2024-12-31T23:59:59.999Z --max-reject-pct 50 < "$P/window.csv"
	diff -u "$P/window.listens.tsv" <(printf '%s\n' "$output")
	[ "${stderr_lines[0]}" = "listen-parse: <stdin>:2: played_at is outside the accepted window: '2023-12-31T23:59:59.999Z'" ]
	[ "${stderr_lines[1]}" = "listen-parse: <stdin>:5: played_at is outside the accepted window: '2025-01-01T00:00:00.000Z'" ]
}

@test "listen-parse: an end time is checked against the window as written" {
	printf 'ts,ms_played\n2024-01-01T00:00:00Z,1000\n' > in.csv
	listen-parse --min-time 2024-01-01T00:00:00Z --max-time 2024-12-31T00:00:00Z in.csv > out.tsv
	printf '%s\n2023-12-31T23:59:59.000Z\t\t\t1000\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: --min-time and --max-time take a date alone as its midnight, UTC" {
	printf 'played_at,ms_played\n2024-01-01T23:59:59.999Z,1\n2024-01-02T00:00:00Z,2\n2024-01-03T00:00:00Z,3\n2024-01-03T00:00:00.001Z,4\n' > in.csv
	run --separate-stderr -0 listen-parse --min-time 2024-01-02 --max-time 2024-01-03 --max-reject-pct 100 in.csv
	[ "$output" = "$HEADER
2024-01-02T00:00:00.000Z			2
2024-01-03T00:00:00.000Z			3" ]
}

@test "listen-parse: a bad --min-time is a usage error" {
	run --separate-stderr -2 listen-parse --min-time yesterday "$P/happy.csv"
	[ "${stderr_lines[0]}" = "listen-parse: --min-time: not an ISO 8601 time: 'yesterday'" ]
	[ -z "$output" ]
}

@test "listen-parse: an unknown option is a usage error" {
	run --separate-stderr -2 listen-parse --bogus "$P/happy.csv"
	[ "${stderr_lines[0]}" = "listen-parse: unrecognized option '--bogus'" ]
	[[ "${stderr_lines[1]}" == "usage: listen-parse [-hv] "* ]]
	[ -z "$output" ]
}

@test "listen-parse: --help prints the usage line on stdout" {
	run --separate-stderr -0 listen-parse --help
	[[ "$output" == "usage: listen-parse [-hv] [--columns name,...] [--time col | --end-time col] "*" [file ...]" ]]
	[ -z "$stderr" ]
}

@test "listen-parse: a full disk on stdout exits 1" {
	run --separate-stderr -1 bash -c 'listen-parse "$@" > /dev/full' _ "${WINDOW[@]}" "$P/happy.csv"
	[ "${stderr_lines[1]}" = "listen-parse: write error: No space left on device" ]
}

@test "listen-parse: the real Spotify extended CSV gives 3000 listens, no rejects, no non-music" {
	need_real spotify-extended-pandas-01.csv
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" < "$REAL/spotify-extended-pandas-01.csv"
	[ "$stderr" = "listen-parse: read 3000, written 3000, rejected 0, skipped 0 non-music" ]
	[ "${#lines[@]}" -eq 3001 ]
	[ "${lines[1]}" = $'2025-08-13T14:10:18.825Z\t\tspotify:track:3cWmqvMwVQKDigWLSZ3w9h\t183175' ]
}

@test "listen-parse: the real Apple play activity gives 2732 listens, 21 rejects, 247 non-music" {
	need_real apple-play-activity-01.csv
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" < "$REAL/apple-play-activity-01.csv"
	[ "${stderr_lines[0]}" = "listen-parse: <stdin>:83: Event Start Timestamp is missing" ]
	[ "${stderr_lines[20]}" = "listen-parse: 1 more reject not shown" ]
	[ "${stderr_lines[21]}" = "listen-parse: read 3000, written 2732, rejected 21, skipped 247 non-music" ]
	[ "${#lines[@]}" -eq 2733 ]
}

@test "listen-parse: the real Excel-converted Spotify CSV without --time-format is all rejected, pointing at the option" {
	need_real spotify-basic-excel-01.csv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" < "$REAL/spotify-basic-excel-01.csv"
	[ "${stderr_lines[0]}" = "listen-parse: <stdin>:2: endTime is not an ISO 8601 time: '9/2/20 15:26' (name its form with --time-format)" ]
	[ "${stderr_lines[21]}" = "listen-parse: read 345, written 0, rejected 345, skipped 0 non-music" ]
	[ "${stderr_lines[22]}" = "listen-parse: rejected 345 of 345 records (100.0%), more than --max-reject-pct 5" ]
	[ "$output" = "$HEADER" ]
}

# JSON input (issue 3).

@test "listen-parse: a JSON array of Spotify extended objects becomes a listens stream" {
	listen-parse "${WINDOW[@]}" "$P/spotify-extended.json" > out.tsv
	diff -u "$P/spotify-extended.listens.tsv" out.tsv
}

@test "listen-parse: a JSON podcast object (episode set, no track) is skipped as non-music" {
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" "$P/spotify-extended.json"
	[ "$stderr" = "listen-parse: read 3, written 2, rejected 0, skipped 1 non-music" ]
}

@test "listen-parse: JSON Lines give one listen per line, numbers and strings alike" {
	listen-parse "${WINDOW[@]}" "$P/lines.jsonl" > out.tsv
	diff -u "$P/lines.listens.tsv" out.tsv
}

@test "listen-parse: JSON is told from the content, not the file name" {
	cp "$P/lines.jsonl" export.csv
	listen-parse "${WINDOW[@]}" - < export.csv > out.tsv
	diff -u "$P/lines.listens.tsv" out.tsv
}

@test "listen-parse: JSON after a BOM, blank lines and spaces is still JSON" {
	{ printf '\xef\xbb\xbf\n  \r\n  '; cat "$P/lines.jsonl"; } > in.json
	listen-parse "${WINDOW[@]}" in.json > out.tsv
	diff -u "$P/lines.listens.tsv" out.tsv
}

@test "listen-parse: the listens under payload.listens are the records, the wrapper is not" {
	listen-parse "${WINDOW[@]}" --duration track_metadata.additional_info.duration_ms "$P/wrapped.json" > out.tsv
	diff -u "$P/wrapped.listens.tsv" out.tsv
}

@test "listen-parse: the listens under a top-level listens key are the records, other keys passed over" {
	printf '{"stats": {"n": 1}, "listens": [\n{"listened_at": 1709546400, "ms": 5},\n{"listened_at": 1709546401, "ms": 6}\n], "other": [{"listened_at": 1}]}\n' > in.json
	listen-parse "${WINDOW[@]}" --duration ms in.json > out.tsv
	printf '%s\n' "$HEADER" $'2024-03-04T10:00:00.000Z\t\t\t5' $'2024-03-04T10:00:01.000Z\t\t\t6' > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: a single top-level object is one listen" {
	printf '{"played_at": "2024-03-04T10:00:00Z", "ms_played": 7}' > in.json
	listen-parse "${WINDOW[@]}" in.json > out.tsv
	printf '%s\n2024-03-04T10:00:00.000Z\t\t\t7\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: an empty JSON array gives the listens header only" {
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" <<< '[]'
	[ "$output" = "$HEADER" ]
	[ "$stderr" = "listen-parse: read 0, written 0, rejected 0, skipped 0 non-music" ]
}

@test "listen-parse: JSON null is an empty value" {
	printf '[{"ts": "2024-03-04T10:00:00Z", "ms_played": null, "user": null}]' > in.json
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 100 in.json
	[ "${stderr_lines[0]}" = "listen-parse: in.json:1: ms_played is missing" ]
}

@test "listen-parse: a JSON time may be an epoch number" {
	printf '{"listened_at": 1709546400.25, "ms_played": 1}\n' > in.jsonl
	listen-parse "${WINDOW[@]}" in.jsonl > out.tsv
	printf '%s\n2024-03-04T10:00:00.250Z\t\t\t1\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: a JSON number with an exponent is not a plain decimal duration" {
	printf '{"played_at": "2024-03-04T10:00:00Z", "ms_played": 1e5}\n' > in.jsonl
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 100 in.jsonl
	[ "${stderr_lines[0]}" = "listen-parse: in.jsonl:1: ms_played is not a number: '1e5'" ]
}

@test "listen-parse: a later JSON object without a mapped field is rejected at the line where it starts" {
	printf '[\n  {\n    "ts": "2024-03-04T10:00:00Z",\n    "ms_played": 1\n  },\n  {\n    "ts": "2024-03-04T10:00:00Z"\n  }\n]\n' > in.json
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 100 in.json
	[ "${stderr_lines[0]}" = "listen-parse: in.json:6: no field 'ms_played' in the object" ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "listen-parse: a later JSON object without a non-music marker is music, not a reject" {
	printf '%s\n' '{"ts": "2024-03-04T10:00:00Z", "ms_played": 1, "episode_name": null}' \
	    '{"ts": "2024-03-04T10:00:01Z", "ms_played": 2}' > in.jsonl
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" in.jsonl
	[ "$stderr" = "listen-parse: read 2, written 2, rejected 0, skipped 0 non-music" ]
}

@test "listen-parse: a JSON object holding a mapped field twice is rejected" {
	printf '%s\n' '{"ts": "2024-03-04T10:00:00Z", "ms_played": 1}' \
	    '{"ts": "2024-03-04T10:00:00Z", "ms_played": 1, "ms_played": 2}' > in.jsonl
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 100 in.jsonl
	[ "${stderr_lines[0]}" = "listen-parse: in.jsonl:2: field 'ms_played' appears twice in the object" ]
}

@test "listen-parse: a first JSON object holding a key twice stops before any output" {
	printf '{"ts": "2024-03-04T10:00:00Z", "ms_played": 1, "ts": 5}\n' > in.jsonl
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" in.jsonl
	[ "$stderr" = "listen-parse: in.jsonl:1: field 'ts' appears twice in the first object" ]
	[ -z "$output" ]
}

@test "listen-parse: a later JSON value that is not an object is rejected" {
	printf '[{"ts": "2024-03-04T10:00:00Z", "ms_played": 1},\n "x"]' > in.json
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 100 in.json
	[ "${stderr_lines[0]}" = "listen-parse: in.json:2: expected a JSON object, got a string" ]
}

@test "listen-parse: JSON that is not objects stops before any output" {
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" <<< '[1, 2, 3]'
	[ "$stderr" = "listen-parse: <stdin>:1: expected a JSON object, got a number" ]
	[ -z "$output" ]
}

@test "listen-parse: JSON cut short fails after the listens before the cut" {
	printf '[{"ts": "2024-03-04T10:00:00Z", "ms_played": 1},\n {"ts": "2024-03' > in.json
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" in.json
	[ "${stderr_lines[0]}" = "listen-parse: in.json:2: JSON is cut short: the input ends inside a value" ]
	[ "${stderr_lines[1]}" = "listen-parse: read 1, written 1, rejected 0, skipped 0 non-music" ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "listen-parse: JSON that is not well-formed fails at the line of the error" {
	printf '{"ts": "2024-03-04T10:00:00Z", "ms_played": 1}\n{"ts" "x"}\n' > in.jsonl
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" in.jsonl
	[ "${stderr_lines[0]}" = "listen-parse: in.jsonl:2: JSON parse error: object key and value must be separated by a colon (':')" ]
}

@test "listen-parse: JSON nested deeper than 64 levels fails instead of recursing" {
	printf '{"a": %s1%s}' "$(printf '[%.0s' $(seq 70))" "$(printf ']%.0s' $(seq 70))" > in.json
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" in.json
	[ "$stderr" = "listen-parse: in.json:1: JSON nested more than 64 levels deep" ]
	[ -z "$output" ]
}

@test "listen-parse: a JSON \\u0000 in a string is a NUL and rejects the record" {
	printf '%s\n' '{"ts": "2024-03-04T10:00:00Z", "ms_played": 1, "t": "a"}' \
	    '{"ts": "2024-03-04T10:00:00Z", "ms_played": 1, "t": "a\u0000b"}' > in.jsonl
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 100 in.jsonl
	[ "${stderr_lines[0]}" = "listen-parse: in.jsonl:2: NUL byte in record" ]
}

@test "listen-parse: invalid UTF-8 in a JSON string rejects the record, not the file" {
	printf '{"ts": "2024-03-04T10:00:00Z", "ms_played": 1, "t": "\xff"}\n{"ts": "2024-03-04T10:00:00Z", "ms_played": 2}\n' > in.jsonl
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --max-reject-pct 100 in.jsonl
	[ "${stderr_lines[0]}" = "listen-parse: in.jsonl:1: invalid UTF-8 in record" ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "listen-parse: a rejected JSON record is kept in --rejects as one line of compact JSON" {
	printf '[\n {"ts": "2024-03-04T10:00:00Z", "ms_played": 1},\n {"ts": "bad",\n  "ms_played": 1, "x": {"y": [1, "a\\tb"]}}\n]\n' > in.json
	listen-parse "${WINDOW[@]}" --max-reject-pct 100 --rejects rej.tsv in.json > /dev/null 2>&1
	printf 'source\tline\treason\trecord\n' > want.tsv
	printf '%s\t3\t%s\t%s\n' in.json "ts is not an ISO 8601 time: 'bad' (name its form with --time-format)" \
	    '{"ts":"bad","ms_played":1,"x":{"y":[1,"a\\tb"]}}' >> want.tsv
	diff -u want.tsv rej.tsv
}

@test "listen-parse: -v prints the JSON mapping with dotted names" {
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" -v --duration track_metadata.additional_info.duration_ms - < "$P/wrapped.json"
	[ "$stderr" = "listen-parse: <stdin>: JSON
listen-parse: <stdin>: start time: 'listened_at'
listen-parse: <stdin>: duration: 'track_metadata.additional_info.duration_ms' (ms)
listen-parse: <stdin>: user: 'user_name'
listen-parse: <stdin>: track id: none
listen-parse: <stdin>: artist: 'track_metadata.artist_name'
listen-parse: <stdin>: title: 'track_metadata.track_name'
listen-parse: read 2, written 2, rejected 0, skipped 0 non-music" ]
}

@test "listen-parse: a nested JSON key is found by its last part when no shallower key has its role" {
	printf '{"played_at": "2024-03-04T10:00:00Z", "ms_played": 1, "meta": {"artist": "A", "title": "T", "played_at": "x"}}\n' > in.jsonl
	listen-parse "${WINDOW[@]}" in.jsonl > out.tsv
	printf '%s\n2024-03-04T10:00:00.000Z\t\tA - T\t1\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: two nested JSON keys of one role at one depth stop and are both named" {
	printf '{"played_at": 1709546400, "ms_played": 1, "a": {"title": "T"}, "b": {"title": "U"}}\n' > in.jsonl
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" in.jsonl
	[ "$stderr" = "listen-parse: in.jsonl:1: fields 'a.title' and 'b.title' both match the title (name one with --title)" ]
	[ -z "$output" ]
}

@test "listen-parse: --time and --duration take dotted paths into JSON objects" {
	printf '{"t": 1, "a": {"when": "2024-03-04T10:00:00Z", "len": {"ms": 9}}}\n' > in.jsonl
	listen-parse "${WINDOW[@]}" --time a.when --duration a.len.ms in.jsonl > out.tsv
	printf '%s\n2024-03-04T10:00:00.000Z\t\t\t9\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: an option naming a JSON field the first object lacks stops before any output" {
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" --duration a.b < "$P/lines.jsonl"
	[ "$stderr" = "listen-parse: <stdin>:1: --duration: no field 'a.b' in the first object" ]
	[ -z "$output" ]
}

@test "listen-parse: a JSON source without a duration fails before any output, saying so" {
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" <<< '{"listens": [{"listened_at": 1709546400, "track_metadata": {"track_name": "T"}}]}'
	[ "$stderr" = "listen-parse: <stdin>:1: no duration (time played) field in the first object: listening time cannot be computed from this source; to count a track length as time played, name its field with --duration" ]
	[ -z "$output" ]
}

@test "listen-parse: --columns does not apply to JSON and stops before any output" {
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" --columns a,b < "$P/lines.jsonl"
	[ "$stderr" = "listen-parse: <stdin>:1: --columns names the columns of CSV or TSV without a header line, and this is JSON" ]
	[ -z "$output" ]
}

@test "listen-parse: a JSON source whose mapping fails stops a run of several files before any output" {
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" "$P/happy.csv" - <<< '[{"ts": 1709546400}]'
	[ "$stderr" = "listen-parse: <stdin>:1: no duration (time played) field in the first object: listening time cannot be computed from this source; to count a track length as time played, name its field with --duration" ]
	[ -z "$output" ]
}

@test "listen-parse: a one-line JSON array read in pieces gives the same listens as JSON Lines" {
	# 3000 objects on one line (>64 KiB): objects cross the reader's pieces.
	awk 'BEGIN { for (i = 0; i < 3000; i++)
		printf "{\"ts\": \"2024-%02d-%02dT10:00:%02dZ\", \"ms_played\": %d, \"track_id\": \"t%d\"}\n",
		    1 + i % 12, 1 + i % 28, i % 60, i, i }' > in.jsonl
	{ printf '['; paste -sd, in.jsonl; printf ']'; } > in.json
	listen-parse "${WINDOW[@]}" in.jsonl > want.tsv
	listen-parse "${WINDOW[@]}" in.json > out.tsv
	[ "$(wc -l < out.tsv)" -eq 3001 ]
	diff -u want.tsv out.tsv
}

@test "listen-parse: a million JSON Lines run in flat memory" {
	command -v /usr/bin/time > /dev/null || skip "/usr/bin/time is not installed"
	gen() {
		awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
			printf "{\"ts\": \"20%02d-%02d-%02dT10:00:00Z\", \"ms_played\": %d, \"episode_name\": null}\n",
			    10 + i % 15, 1 + i % 12, 1 + i % 28, i % 300000 }'
	}
	gen 1000 > small.jsonl
	gen 1000000 > big.jsonl
	/usr/bin/time -f %M -o small.rss listen-parse "${WINDOW[@]}" small.jsonl > /dev/null 2>&1
	/usr/bin/time -f %M -o big.rss listen-parse "${WINDOW[@]}" big.jsonl > /dev/null 2>&1
	[ "$(( $(tail -n 1 big.rss) - $(tail -n 1 small.rss) ))" -lt 4096 ]
}

# Spotify (issue 3).

@test "listen-parse: Spotify's minute endTime becomes a start time, end minus msPlayed" {
	printf '[{"endTime": "2024-07-09 10:09", "artistName": "A", "trackName": "T", "msPlayed": 172292}]' > in.json
	listen-parse "${WINDOW[@]}" in.json > out.tsv
	printf '%s\n2024-07-09T10:06:07.708Z\t\tA - T\t172292\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: Spotify basic podcast JSON (podcastName, episodeName) is all skipped as non-music" {
	printf '[{"endTime": "2024-07-09 10:09", "podcastName": "P", "episodeName": "E", "msPlayed": 1}]' > in.json
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" in.json
	[ "$stderr" = "listen-parse: read 1, written 0, rejected 0, skipped 1 non-music" ]
}

# Times: --time-format and --tz (issue 3).

@test "listen-parse: --time-format reads Excel's M/D/YY H:MM" {
	printf 'endTime,msPlayed\n9/2/20 15:26,60000\n3/10/21 1:14,1000\n' > in.csv
	listen-parse "${WINDOW[@]}" --time-format '%m/%d/%y %H:%M' in.csv > out.tsv
	printf '%s\n' "$HEADER" $'2020-09-02T15:25:00.000Z\t\t\t60000' $'2021-03-10T01:13:59.000Z\t\t\t1000' > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: --time-format reads DD.MM.YYYY HH:MM" {
	printf 'played_at;ms_played\n02.09.2020 15:26;1\n' > in.csv
	listen-parse "${WINDOW[@]}" --time-format '%d.%m.%Y %H:%M' in.csv > out.tsv
	printf '%s\n2020-09-02T15:26:00.000Z\t\t\t1\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: a DD.MM.YYYY time without --time-format is rejected, pointing at the option" {
	printf 'played_at;ms_played\n02.09.2020 15:26;1\n' > in.csv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" in.csv
	[ "${stderr_lines[0]}" = "listen-parse: in.csv:2: played_at is not an ISO 8601 time: '02.09.2020 15:26' (name its form with --time-format)" ]
}

@test "listen-parse: a value that does not match --time-format is rejected" {
	printf 'played_at,ms_played\n2020-09-02 15:26,1\n' > in.csv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" --time-format '%d.%m.%Y %H:%M' in.csv
	[ "${stderr_lines[0]}" = "listen-parse: in.csv:2: played_at does not match --time-format '%d.%m.%Y %H:%M': '2020-09-02 15:26'" ]
}

@test "listen-parse: a --time-format value that is no calendar date is rejected" {
	printf 'played_at,ms_played\n30.02.2020 15:26,1\n' > in.csv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" --time-format '%d.%m.%Y %H:%M' in.csv
	[ "${stderr_lines[0]}" = "listen-parse: in.csv:2: played_at is not a calendar date: '30.02.2020 15:26'" ]
}

@test "listen-parse: --time-format with %z applies the offset it reads" {
	printf 'played_at,ms_played\n02/09/2020 15:26 +0200,1\n' > in.csv
	listen-parse "${WINDOW[@]}" --time-format '%d/%m/%Y %H:%M %z' in.csv > out.tsv
	printf '%s\n2020-09-02T13:26:00.000Z\t\t\t1\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: a --time-format conversion it does not read is a usage error" {
	run --separate-stderr -2 listen-parse --time-format '%Y-%m-%d %H:%M %Z' "$P/happy.csv"
	[ "${stderr_lines[0]}" = "listen-parse: --time-format: '%Z' is not a conversion listen-parse reads" ]
	[[ "${stderr_lines[1]}" == "usage: listen-parse "* ]]
	[ -z "$output" ]
}

@test "listen-parse: a --time-format without a year is a usage error" {
	run --separate-stderr -2 listen-parse --time-format '%d.%m. %H:%M' "$P/happy.csv"
	[ "${stderr_lines[0]}" = "listen-parse: --time-format: '%d.%m. %H:%M' has no year (%Y or %y)" ]
	[ -z "$output" ]
}

@test "listen-parse: a --time-format ending in a lone % is a usage error" {
	run --separate-stderr -2 listen-parse --time-format '%Y-%m-%d %H:%M%' "$P/happy.csv"
	[ "${stderr_lines[0]}" = "listen-parse: --time-format: '%Y-%m-%d %H:%M%' ends in a lone '%'" ]
}

@test "listen-parse: a --time-format value with second 60 is not a time of day" {
	printf 'played_at,ms_played\n2024-01-01 10:00:60,1\n' > in.csv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" --time-format '%Y-%m-%d %H:%M:%S' in.csv
	[ "${stderr_lines[0]}" = "listen-parse: in.csv:2: played_at is not a time of day: '2024-01-01 10:00:60'" ]
}

@test "listen-parse: a 12-hour --time-format without AM or PM is a usage error" {
	run --separate-stderr -2 listen-parse --time-format '%m/%d/%Y %I:%M' "$P/happy.csv"
	[ "${stderr_lines[0]}" = "listen-parse: --time-format: '%m/%d/%Y %I:%M' has no AM or PM (%p) for the 12-hour %I" ]
}

@test "listen-parse: --time-format reads a 12-hour clock with AM and PM" {
	printf 'played_at,ms_played\n"9/2/2020 3:26 PM",1\n"9/2/2020 12:05 AM",1\n' > in.csv
	listen-parse "${WINDOW[@]}" --time-format '%m/%d/%Y %I:%M %p' in.csv > out.tsv
	printf '%s\n' "$HEADER" $'2020-09-02T15:26:00.000Z\t\t\t1' $'2020-09-02T00:05:00.000Z\t\t\t1' > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: a --tz that climbs out of the zone database is a usage error" {
	run --separate-stderr -2 listen-parse --tz ../../etc/passwd "$P/happy.csv"
	[ "${stderr_lines[0]}" = "listen-parse: --tz: unknown time zone '../../etc/passwd' (not in /usr/share/zoneinfo)" ]
}

@test "listen-parse: --tz reads local times in the zone, winter and summer offsets" {
	printf 'played_at,ms_played\n2024-01-15 12:00,1\n2024-07-15T12:00:00.5,1\n' > in.csv
	listen-parse "${WINDOW[@]}" --tz Europe/Berlin in.csv > out.tsv
	printf '%s\n' "$HEADER" $'2024-01-15T11:00:00.000Z\t\t\t1' $'2024-07-15T10:00:00.500Z\t\t\t1' > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: --tz rejects a time in the repeated autumn hour as ambiguous" {
	printf 'played_at,ms_played\n2024-10-27 02:30,1\n2024-10-27 03:00,1\n' > in.csv
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --tz Europe/Berlin --max-reject-pct 100 in.csv
	[ "${stderr_lines[0]}" = "listen-parse: in.csv:2: played_at is ambiguous in Europe/Berlin (the clocks went back over it): '2024-10-27 02:30'" ]
	[ "${lines[1]}" = $'2024-10-27T02:00:00.000Z\t\t\t1' ]
}

@test "listen-parse: --tz rejects a time in the skipped spring hour as nonexistent" {
	printf 'played_at,ms_played\n2024-03-31 02:30,1\n2024-03-31 03:00,1\n' > in.csv
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --tz Europe/Berlin --max-reject-pct 100 in.csv
	[ "${stderr_lines[0]}" = "listen-parse: in.csv:2: played_at does not exist in Europe/Berlin (the clocks skipped it): '2024-03-31 02:30'" ]
	[ "${lines[1]}" = $'2024-03-31T01:00:00.000Z\t\t\t1' ]
}

@test "listen-parse: --tz leaves times with Z, an offset or an epoch as they are" {
	printf 'played_at,ms_played\n2024-07-15T12:00:00Z,1\n2024-07-15T12:00:00+01:00,1\n1721044800,1\n' > in.csv
	listen-parse "${WINDOW[@]}" --tz America/New_York in.csv > out.tsv
	printf '%s\n' "$HEADER" $'2024-07-15T12:00:00.000Z\t\t\t1' $'2024-07-15T11:00:00.000Z\t\t\t1' \
	    $'2024-07-15T12:00:00.000Z\t\t\t1' > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: --tz applies to times read with --time-format" {
	printf 'endTime,msPlayed\n7/15/24 12:00,60000\n' > in.csv
	listen-parse "${WINDOW[@]}" --time-format '%m/%d/%y %H:%M' --tz America/New_York in.csv > out.tsv
	printf '%s\n2024-07-15T15:59:00.000Z\t\t\t60000\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: an unknown --tz is a usage error" {
	run --separate-stderr -2 listen-parse --tz Mars/Olympus_Mons "$P/happy.csv"
	[ "${stderr_lines[0]}" = "listen-parse: --tz: unknown time zone 'Mars/Olympus_Mons' (not in /usr/share/zoneinfo)" ]
	[ -z "$output" ]
}

@test "listen-parse: a --tz that is a POSIX rule rather than a zone name is a usage error" {
	run --separate-stderr -2 listen-parse --tz 'CET-1CEST,M3.5.0,M10.5.0/3' "$P/happy.csv"
	[ "${stderr_lines[0]}" = "listen-parse: --tz: unknown time zone 'CET-1CEST,M3.5.0,M10.5.0/3' (not in /usr/share/zoneinfo)" ]
}

@test "listen-parse: Apple's UTC Offset In Seconds is not applied to a time with Z" {
	printf 'Event Start Timestamp,Play Duration Milliseconds,UTC Offset In Seconds\n2024-01-01T10:00:00.000Z,1000,25200.0\n' > in.csv
	listen-parse "${WINDOW[@]}" in.csv > out.tsv
	printf '%s\n2024-01-01T10:00:00.000Z\t\t\t1000\n' "$HEADER" > want.tsv
	diff -u want.tsv out.tsv
}

# Headerless input: --columns (issue 3).

@test "listen-parse: --columns names a headerless TSV, whose first line is data" {
	printf 'u1\t2024-03-04T10:00:00Z\t5\tT\nu2\t2024-03-04T10:00:01Z\t6\tU\n' > in.tsv
	listen-parse "${WINDOW[@]}" --columns user_id,timestamp,ms_played,title in.tsv > out.tsv
	printf '%s\n' "$HEADER" $'2024-03-04T10:00:00.000Z\tu1\tT\t5' $'2024-03-04T10:00:01.000Z\tu2\tU\t6' > want.tsv
	diff -u want.tsv out.tsv
}

@test "listen-parse: --columns names a headerless CSV, and its first line can be rejected at line 1" {
	printf 'bad,"A, B",1\n2024-03-04T10:00:00Z,"A, B",2\n' > in.csv
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --columns played_at,artist,ms_played --max-reject-pct 100 --rejects rej.tsv in.csv
	[ "${stderr_lines[0]}" = "listen-parse: in.csv:1: played_at is not an ISO 8601 time: 'bad' (name its form with --time-format)" ]
	[ "${lines[1]}" = $'2024-03-04T10:00:00.000Z\t\tA, B\t2' ]
	[ "$(tail -n 1 rej.tsv | cut -f 2,4)" = $'1\tbad,"A, B",1' ]
}

@test "listen-parse: --columns naming another count than the first line has stops before any output" {
	printf 'u1\t2024-03-04T10:00:00Z\t5\n' > in.tsv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" --columns user_id,timestamp,ms_played,title in.tsv
	[ "$stderr" = "listen-parse: in.tsv:1: --columns names 4 columns, the first line has 3 fields" ]
	[ -z "$output" ]
}

@test "listen-parse: a later line with another count than --columns names is rejected" {
	printf 'u1\t2024-03-04T10:00:00Z\t5\nu2\t2024-03-04T10:00:00Z\n' > in.tsv
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --columns user_id,timestamp,ms_played --max-reject-pct 100 in.tsv
	[ "${stderr_lines[0]}" = "listen-parse: in.tsv:2: expected 3 fields, got 2" ]
}

@test "listen-parse: an empty name in --columns is a usage error" {
	run --separate-stderr -2 listen-parse --columns user_id,,ms_played "$P/happy.csv"
	[ "${stderr_lines[0]}" = "listen-parse: --columns: an empty column name in 'user_id,,ms_played'" ]
	[ -z "$output" ]
}

@test "listen-parse: a first line holding a time is reported as data, with a hint to use --columns" {
	printf 'u1\t2024-03-04T10:00:00Z\t5\n' > in.tsv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" in.tsv
	[ "$stderr" = "listen-parse: in.tsv:1: the first line holds a time ('2024-03-04T10:00:00Z'), so it is data, not a header: name the columns with --columns" ]
	[ -z "$output" ]
}

@test "listen-parse: a first line holding an epoch time is reported as data too" {
	printf '1709546400,5,T\n' > in.csv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" in.csv
	[ "$stderr" = "listen-parse: in.csv:1: the first line holds a time ('1709546400'), so it is data, not a header: name the columns with --columns" ]
}

# Sources without a duration (issue 3).

@test "listen-parse: a header with neither time nor duration is told about the duration first" {
	printf 'uts,artist,track\n1709546400,A,T\n' > in.csv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" in.csv
	[ "$stderr" = "listen-parse: in.csv:1: no duration (time played) column in the header: listening time cannot be computed from this source; to count a track length as time played, name its column with --duration" ]
}

@test "listen-parse: a headerless source without a duration says so for --columns" {
	printf 'u1\t2024-03-04T10:00:00Z\n' > in.tsv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" --columns user,timestamp in.tsv
	[ "$stderr" = "listen-parse: in.tsv:1: no duration (time played) column in --columns: listening time cannot be computed from this source; to count a track length as time played, name its column with --duration" ]
}

# Regressions found by the fuzzer (fuzz/regressions; the first byte of
# each file is the harness's option byte).

@test "listen-parse: a header of empty names is mapped without touching a null buffer (fuzz)" {
	tail -c +2 "$TOP/fuzz/regressions/empty-header-fields" > in.csv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" --tz Europe/Berlin --time-format '%d.%m.%Y %H:%M' in.csv
	[ "$stderr" = "listen-parse: in.csv:1: no duration (time played) column in the header: listening time cannot be computed from this source; to count a track length as time played, name its column with --duration" ]
}

# The real exports of ../shared/real (issue 3).  Counts and weekly totals
# come from tests/fixtures/listen-parse/real-expected.py, which reads the
# files with Python's json, csv and datetime modules, not with the tool.

@test "listen-parse: the real Spotify basic music JSON gives 3000 listens, no rejects, no non-music" {
	need_real spotify-basic-music-01.json
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" "$REAL/spotify-basic-music-01.json"
	[ "$stderr" = "listen-parse: read 3000, written 3000, rejected 0, skipped 0 non-music" ]
	[ "${#lines[@]}" -eq 3001 ]
}

@test "listen-parse: the real Spotify basic music JSON gives the reference weekly totals" {
	need_real spotify-basic-music-01.json
	listen-parse "${WINDOW[@]}" "$REAL/spotify-basic-music-01.json" 2> /dev/null > listens.tsv
	listen-weekly < listens.tsv > out.tsv
	diff -u "$P/real-spotify-basic-music-01.weekly.tsv" out.tsv
}

@test "listen-parse: the real Spotify basic podcast JSON is all skipped as non-music" {
	need_real spotify-basic-podcast-01.json
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" "$REAL/spotify-basic-podcast-01.json"
	[ "$stderr" = "listen-parse: read 597, written 0, rejected 0, skipped 597 non-music" ]
	[ "$output" = "$HEADER" ]
}

@test "listen-parse: the real Spotify basic podcast JSON gives the reference weekly totals (none)" {
	need_real spotify-basic-podcast-01.json
	listen-parse "${WINDOW[@]}" "$REAL/spotify-basic-podcast-01.json" 2> /dev/null > listens.tsv
	listen-weekly < listens.tsv > out.tsv
	diff -u "$P/real-spotify-basic-podcast-01.weekly.tsv" out.tsv
}

@test "listen-parse: the real Spotify extended JSON gives 2284 listens, no rejects, 35 non-music" {
	need_real spotify-extended-02.json
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" "$REAL/spotify-extended-02.json"
	[ "$stderr" = "listen-parse: read 2319, written 2284, rejected 0, skipped 35 non-music" ]
	[ "${#lines[@]}" -eq 2285 ]
}

@test "listen-parse: the real Spotify extended JSON gives the reference weekly totals" {
	need_real spotify-extended-02.json
	listen-parse "${WINDOW[@]}" "$REAL/spotify-extended-02.json" 2> /dev/null > listens.tsv
	listen-weekly < listens.tsv > out.tsv
	diff -u "$P/real-spotify-extended-02.weekly.tsv" out.tsv
}

@test "listen-parse: the real Spotify extended video JSON is all skipped as non-music" {
	need_real spotify-extended-video-01.json
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" "$REAL/spotify-extended-video-01.json"
	[ "$stderr" = "listen-parse: read 13, written 0, rejected 0, skipped 13 non-music" ]
	[ "$output" = "$HEADER" ]
}

@test "listen-parse: the real Spotify extended video JSON gives the reference weekly totals (none)" {
	need_real spotify-extended-video-01.json
	listen-parse "${WINDOW[@]}" "$REAL/spotify-extended-video-01.json" 2> /dev/null > listens.tsv
	listen-weekly < listens.tsv > out.tsv
	diff -u "$P/real-spotify-extended-video-01.weekly.tsv" out.tsv
}

@test "listen-parse: the real Spotify extended CSV gives the reference weekly totals" {
	need_real spotify-extended-pandas-01.csv
	listen-parse "${WINDOW[@]}" "$REAL/spotify-extended-pandas-01.csv" 2> /dev/null > listens.tsv
	listen-weekly < listens.tsv > out.tsv
	diff -u "$P/real-spotify-extended-pandas-01.weekly.tsv" out.tsv
}

@test "listen-parse: the real Apple play activity gives the reference weekly totals" {
	need_real apple-play-activity-01.csv
	listen-parse "${WINDOW[@]}" "$REAL/apple-play-activity-01.csv" 2> /dev/null > listens.tsv
	listen-weekly < listens.tsv > out.tsv
	diff -u "$P/real-apple-play-activity-01.weekly.tsv" out.tsv
}

@test "listen-parse: the real Excel-converted Spotify CSV with --time-format gives 345 listens, no rejects" {
	need_real spotify-basic-excel-01.csv
	run --separate-stderr -0 listen-parse "${WINDOW[@]}" --time-format '%m/%d/%y %H:%M' "$REAL/spotify-basic-excel-01.csv"
	[ "$stderr" = "listen-parse: read 345, written 345, rejected 0, skipped 0 non-music" ]
	[ "${#lines[@]}" -eq 346 ]
}

@test "listen-parse: the real Excel-converted Spotify CSV with --time-format gives the reference weekly totals" {
	need_real spotify-basic-excel-01.csv
	listen-parse "${WINDOW[@]}" --time-format '%m/%d/%y %H:%M' "$REAL/spotify-basic-excel-01.csv" 2> /dev/null > listens.tsv
	listen-weekly < listens.tsv > out.tsv
	diff -u "$P/real-spotify-basic-excel-01.weekly.tsv" out.tsv
}

@test "listen-parse: the real Last.fm CSV fails before any output: no duration" {
	need_real lastfm-csv-02.csv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" "$REAL/lastfm-csv-02.csv"
	[ "$stderr" = "listen-parse: $REAL/lastfm-csv-02.csv:1: no duration (time played) column in the header: listening time cannot be computed from this source; to count a track length as time played, name its column with --duration" ]
	[ -z "$output" ]
}

@test "listen-parse: the real Last.fm-1K TSV fails before any output: its first line is data" {
	need_real lastfm1k-sample.tsv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" - < "$REAL/lastfm1k-sample.tsv"
	[ "$stderr" = "listen-parse: <stdin>:1: the first line holds a time ('2009-05-04T23:08:57Z'), so it is data, not a header: name the columns with --columns" ]
	[ -z "$output" ]
}

@test "listen-parse: the real Last.fm-1K TSV named with --columns fails before any output: no duration" {
	need_real lastfm1k-sample.tsv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" \
	    --columns user_id,timestamp,artist_mbid,artist,track_mbid,title - < "$REAL/lastfm1k-sample.tsv"
	[ "$stderr" = "listen-parse: <stdin>:1: no duration (time played) column in --columns: listening time cannot be computed from this source; to count a track length as time played, name its column with --duration" ]
	[ -z "$output" ]
}

@test "listen-parse: the real ListenBrainz JSON fails before any output: no duration" {
	need_real listenbrainz-01.json
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" - < "$REAL/listenbrainz-01.json"
	[ "$stderr" = "listen-parse: <stdin>:3: no duration (time played) field in the first object: listening time cannot be computed from this source; to count a track length as time played, name its field with --duration" ]
	[ -z "$output" ]
}

@test "listen-parse: the real poller CSV fails before any output: no duration" {
	need_real spotify-api-poller-02.csv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" - < "$REAL/spotify-api-poller-02.csv"
	[ "$stderr" = "listen-parse: <stdin>:1: no duration (time played) column in the header: listening time cannot be computed from this source; to count a track length as time played, name its column with --duration" ]
	[ -z "$output" ]
}

@test "listen-parse: plain and fully quoted CSV lines give the same listens, rejects and line numbers" {
	# plain-mixed.csv leaves fields unquoted where CSV allows (the direct
	# split), all-quoted.csv quotes every field (libcsv): same data.
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" --rejects a.rej "$P/plain-mixed.csv"
	printf '%s\n' "$output" > a.tsv
	printf '%s\n' "$stderr" | sed 's/plain-mixed/X/' > a.err
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" --rejects b.rej "$P/all-quoted.csv"
	printf '%s\n' "$output" > b.tsv
	printf '%s\n' "$stderr" | sed 's/all-quoted/X/' > b.err
	diff -u a.tsv b.tsv
	diff -u a.err b.err
	[ "$(wc -l < a.tsv)" -eq 6 ]
	[ "$(cut -f2,3 a.rej)" = "$(cut -f2,3 b.rej)" ]
}
