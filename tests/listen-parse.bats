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
	[ "$stderr" = "listen-parse: <stdin>:1: no duration column in the header (name one with --duration)" ]
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
		echo "listen-parse: in.csv:$i: played_at is not an ISO 8601 time: 'bad'"
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
	[ "$stderr" = "listen-parse: <stdin>:1: no duration column in the header (name one with --duration)" ]
	[ -z "$output" ]
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
	[ "$stderr" = "listen-parse: <stdin>:1: no duration column in the header (name one with --duration)" ]
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
	[[ "$output" == "usage: listen-parse [-hv] [--time col | --end-time col] "*" [file ...]" ]]
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
	[ "${stderr_lines[20]}" = "listen-parse: 1 more rejects not shown" ]
	[ "${stderr_lines[21]}" = "listen-parse: read 3000, written 2732, rejected 21, skipped 247 non-music" ]
	[ "${#lines[@]}" -eq 2733 ]
}

@test "listen-parse: the real Excel-converted Spotify CSV is all rejected and fails" {
	need_real spotify-basic-excel-01.csv
	run --separate-stderr -1 listen-parse "${WINDOW[@]}" < "$REAL/spotify-basic-excel-01.csv"
	[ "${stderr_lines[0]}" = "listen-parse: <stdin>:2: endTime is not an ISO 8601 time: '9/2/20 15:26'" ]
	[ "${stderr_lines[21]}" = "listen-parse: read 345, written 0, rejected 345, skipped 0 non-music" ]
	[ "${stderr_lines[22]}" = "listen-parse: rejected 345 of 345 records (100.0%), more than --max-reject-pct 5" ]
	[ "$output" = "$HEADER" ]
}
