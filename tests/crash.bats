bats_require_minimum_version 1.5.0
load test_helper

# Loads that are killed (issue 4, items 2 and 3): the warehouse is always
# exactly as before a load or as after it, and a re-run completes it.  The
# generator and the checks are those of tests/crash-test.sh, whose long
# version is `make crash-test`.

setup() {
	# shellcheck source=tests/crash-test.sh
	source "$TOP/tests/crash-test.sh"
	# A warehouse holding data, and a load that overlaps it.
	gen_csv 0 100000 > big.csv
	gen_csv 75000 50000 > base.csv
	listen-load base.db -- listen-parse base.csv 2> /dev/null
	SUM=$(sha256sum < big.csv | cut -c1-64)
	cp base.db after.db
	# How long an unkilled load takes here: the kills below come within
	# its first half, while the parser is still writing, whatever the
	# speed of the machine (or of a sanitizer build).
	local t0
	t0=$(date +%s%N)
	listen-load --sha256 "$SUM" after.db -- listen-parse big.csv 2> /dev/null
	HALF_MS=$((($(date +%s%N) - t0) / 2000000))
	BEFORE=$(state base.db | cut -d' ' -f1,2)
	AFTER=$(state after.db | cut -d' ' -f1,2)
}

# The stored listens only: count and checksum.
listens_state() {
	state "$1" | cut -d' ' -f1,2
}

# A random delay from 0 to $1 ms, as sleep(1) takes it.
random_delay() {
	local ms=$(((RANDOM * 32768 + RANDOM) % ($1 + 1)))
	printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

@test "crash: kill -9 of a load at 10 random moments leaves the before or the after state, and a re-run completes it" {
	run --separate-stderr bash "$TOP/tests/crash-test.sh" 10 100000
	echo "$output" >&3
	printf '%s\n' "$stderr"
	[ "$status" = 0 ]
	[[ "$output" == *"outcomes: before "*", broken 0 "*"every re-run ended in the after state: yes" ]]
}

@test "crash: a parser killed at random moments under listen-load stores nothing and records no file; a re-run completes it once" {
	local i rc nkilled=0
	for i in 1 2 3 4 5; do
		rm -f t.db t.db-wal t.db-shm parser.pid
		cp base.db t.db
		# shellcheck disable=SC2016 # $$ is the inner bash's
		listen-load --sha256 "$SUM" --source big.csv t.db -- \
			bash -c 'echo $$ > parser.pid; exec listen-parse big.csv' 2> err &
		local load=$!
		until [ -s parser.pid ] || ! kill -0 "$load" 2> /dev/null; do
			sleep 0.001
		done
		sleep "$(random_delay "$HALF_MS")"
		kill -KILL "$(cat parser.pid)" 2> /dev/null || true
		rc=0
		wait "$load" || rc=$?
		check t.db
		if [ "$rc" = 1 ]; then
			nkilled=$((nkilled + 1))
			[ "$(tail -n 1 err)" = "listen-load: bash: killed by signal 9; nothing stored" ]
			[ "$(listens_state t.db)" = "$BEFORE" ]
			[ "$(query t.db "select count(*) from ingestions where sha256 = '$SUM'")" = 0 ]
		else
			[ "$rc" = 0 ]
			[ "$(listens_state t.db)" = "$AFTER" ]
		fi
		listen-load --sha256 "$SUM" --source big.csv t.db -- listen-parse big.csv 2> /dev/null
		[ "$(listens_state t.db)" = "$AFTER" ]
		[ "$(query t.db "select count(*) from ingestions where sha256 = '$SUM'")" = 1 ]
		check t.db
	done
	echo "# parser killed mid-stream in $nkilled of 5 trials" >&3
	[ "$nkilled" -ge 1 ]
}

@test "crash: a parser killed at random moments in a plain pipe: a stream cut mid-line stores nothing; a re-run completes it" {
	local i rc ncut=0 nline=0
	mkfifo p
	for i in 1 2 3 4 5; do
		rm -f t.db t.db-wal t.db-shm got.tsv rc
		cp base.db t.db
		listen-parse big.csv > p 2> /dev/null &
		local parser=$!
		# shellcheck disable=SC2016 # PIPESTATUS is the inner bash's
		bash -c 'tee got.tsv < p | listen-load t.db 2> err; echo "${PIPESTATUS[1]}" > rc' &
		local pipe=$!
		sleep "$(random_delay "$HALF_MS")"
		kill -KILL "$parser" 2> /dev/null || true
		wait "$parser" || true
		wait "$pipe"
		rc=$(cat rc)
		check t.db
		if [ -s got.tsv ] && [ "$(tail -c 1 got.tsv | od -An -c | tr -d ' ')" != '\n' ]; then
			# What listen-load saw ends mid-line: refused whole.
			ncut=$((ncut + 1))
			[ "$rc" = 1 ]
			[[ "$(cat err)" == "listen-load: <stdin>:"*": stream ends in the middle of a line" ]]
			[ "$(listens_state t.db)" = "$BEFORE" ]
		elif [ ! -s got.tsv ]; then
			[ "$rc" = 1 ]
			[ "$(listens_state t.db)" = "$BEFORE" ]
		else
			# Whole lines, all of them or cut at a line end: a pipe
			# cannot tell the latter, which is why ingest runs the
			# parser under listen-load.  Exactly those lines are in.
			nline=$((nline + 1))
			[ "$rc" = 0 ]
			cp base.db ref.db
			listen-load ref.db < got.tsv 2> /dev/null
			[ "$(listens_state t.db)" = "$(listens_state ref.db)" ]
			rm -f ref.db
		fi
		listen-parse big.csv 2> /dev/null | listen-load t.db 2> /dev/null
		[ "$(listens_state t.db)" = "$AFTER" ]
		check t.db
	done
	echo "# stream cut mid-line in $ncut of 5 trials, at a line end or whole in $nline" >&3
	[ "$ncut" -ge 1 ]
}
