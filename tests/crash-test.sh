#!/usr/bin/env bash
# crash-test.sh [TRIALS [ROWS]]: kill -9 a load at random moments and check
# that the warehouse is always exactly as before the load or as after it.
#
# A warehouse already holding data gets a load of ROWS generated listens
# (`listen-load DB -- listen-parse big.csv`, overlapping what is stored), and
# the loader is killed with SIGKILL after a random delay: before it opens the
# warehouse, while it inserts, around the commit, or after it has ended.
# Then, each time:
#   - PRAGMA integrity_check is ok;
#   - the listens are exactly the before set or exactly the after set (their
#     count and a SHA-256 of every row), and the batches match;
#   - weekly_listening equals the totals recomputed from the stored listens,
#     twice: by SQL with the ISO week worked out from the calendar (the year
#     and day of the Thursday of the week), and by listen-weekly over the
#     dumped listens compared with listen-load --weekly;
#   - a re-run of the load exits 0 and ends in the after state.
# Prints the count of each outcome; exits 1 when any trial broke a rule.
# `make crash-test` runs it with 50 trials; tests/crash.bats with 10.
#
# Sourced (by tests/crash.bats), it only defines the functions.

# sqlite3 with a busy timeout: the first reader after a kill -9 recovers
# the WAL under an exclusive lock, and check_weekly starts two readers at
# once, which without it would fail "database is locked" now and then.
sq() {
	sqlite3 -cmd '.timeout 30000' "$@"
}

# gen_csv FROM N: an export of listens FROM to FROM + N - 1, one every 97
# seconds from 2024-01-01 (epoch seconds, which listen-parse reads), for
# 97 users and 1009 tracks; listen i is always the same row.
gen_csv() {
	awk -v from="$1" -v n="$2" 'BEGIN {
		print "played_at,user_id,track_id,ms_played"
		for (i = from; i < from + n; i++)
			printf "%d,user %d,t%d,%d\n", 1704067200 + i * 97, i % 97,
			    i % 1009, 1000 + (i * 7919) % 300000
	}'
}

# state DB: the count and SHA-256 of every stored listen, the number of
# batches and the sum of their rows_inserted.
state() {
	local sum
	sum=$(sq "$1" "SELECT played_at, user_id, track_id, ms_played FROM listens ORDER BY 1, 2, 3" |
		sha256sum | cut -c1-64)
	printf '%s %s %s\n' "$(sq "$1" 'SELECT count(*) FROM listens')" "$sum" \
		"$(sq "$1" 'SELECT count(*), coalesce(sum(rows_inserted), 0) FROM ingestions' | tr '|' ' ')"
}

# The weekly totals recomputed from the listens, by SQL that finds the ISO
# week from the calendar: the week's Thursday (Monday + 3 days) is in the
# ISO week-year, and its day of the year gives the week number.  Prints the
# number of rows that differ either way: 0 when the table is right.
WEEKLY_DIFF_SQL="
WITH t AS (
	SELECT ms_played, date(substr(played_at, 1, 10),
		'-' || ((CAST(strftime('%w', substr(played_at, 1, 10)) AS INTEGER) + 6) % 7) || ' days',
		'+3 days') AS thu
	FROM listens),
r AS (
	SELECT CAST(strftime('%Y', thu) AS INTEGER) AS year,
		(CAST(strftime('%j', thu) AS INTEGER) - 1) / 7 + 1 AS week,
		sum(ms_played) AS listening_ms, count(*) AS plays
	FROM t GROUP BY 1, 2),
w AS (SELECT year, week, listening_ms, plays FROM weekly_listening)
SELECT (SELECT count(*) FROM (SELECT * FROM r EXCEPT SELECT * FROM w)) +
	(SELECT count(*) FROM (SELECT * FROM w EXCEPT SELECT * FROM r));"

# check_weekly DB: 0 when both recomputations agree with the table.
check_weekly() {
	[ "$(sq "$1" "$WEEKLY_DIFF_SQL")" = 0 ] || {
		echo "weekly_listening differs from the SQL recomputation" >&2
		return 1
	}
	cmp -s <(listen-load --weekly "$1") <({
		printf 'played_at\tuser_id\ttrack_id\tms_played\n'
		sq -separator "$(printf '\t')" "$1" \
			'SELECT played_at, user_id, track_id, ms_played FROM listens'
	} | listen-weekly) || {
		echo "listen-load --weekly differs from listen-weekly over the listens" >&2
		return 1
	}
}

# check DB: integrity, then the weekly totals; prints the problem.
check() {
	local ic
	ic=$(sq "$1" 'PRAGMA integrity_check' 2>&1) || true
	[ "$ic" = ok ] || {
		echo "integrity_check: $ic" >&2
		return 1
	}
	check_weekly "$1"
}

now_ms() {
	local t
	t=$(date +%s%N)
	echo $((t / 1000000))
}

main() {
	set -euo pipefail
	local trials=${1:-50} rows=${2:-200000}
	local top work
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	work=$(mktemp -d "${TMPDIR:-/tmp}/crash-test.XXXXXX")
	# shellcheck disable=SC2064 # expanded now, on purpose
	trap "rm -rf -- '$work'" EXIT
	# The tools are copied first, so that a rebuild of bin/ during the
	# minutes this runs cannot change them under it.
	mkdir "$work/bin"
	cp "$top/bin/listen-load" "$top/bin/listen-parse" "$top/bin/listen-weekly" "$work/bin/"
	PATH="$work/bin:$PATH"
	cd "$work"

	# The warehouse before: a quarter of the big load's listens and as
	# many of its own, in the same weeks and after them.
	gen_csv 0 "$rows" > big.csv
	gen_csv $((rows * 3 / 4)) $((rows / 2)) > base.csv
	listen-load base.db -- listen-parse base.csv 2> /dev/null
	# The load's time, the median of three runs.  Not the longest: one
	# slow run (a cold cache, another process) put the window aimed at
	# the commit past the end of most loads, and most kills came late.
	local t0 t1 took _ runs=()
	for _ in 1 2 3; do
		rm -f after.db after.db-wal after.db-shm
		cp base.db after.db
		t0=$(now_ms)
		listen-load after.db -- listen-parse big.csv 2> /dev/null
		t1=$(now_ms)
		runs+=($((t1 - t0)))
	done
	took=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p)
	local before after
	before=$(state base.db)
	after=$(state after.db)
	check base.db
	check after.db
	[ "$before" != "$after" ]

	echo "crash-test: $trials trials: kill -9 a load of $rows listens (${took} ms" \
		"unkilled) into a warehouse of $(sq base.db 'SELECT count(*) FROM listens')"
	local i delay span pid rc killed got
	local n_before=0 n_after_killed=0 n_after_done=0 n_broken=0 n_near=0
	for ((i = 1; i <= trials; i++)); do
		rm -f t.db t.db-wal t.db-shm
		cp base.db t.db
		# Half the trials anywhere from the start to past the end, half
		# from 60 % of the load's time to 120 %, around the commit
		# (which ends the load's work; closing checkpoints the WAL).
		span=$((took + took / 5 + 1))
		if ((i % 2)); then
			delay=$(((RANDOM * 32768 + RANDOM) % span))
		else
			delay=$((took * 3 / 5 + (RANDOM * 32768 + RANDOM) % (took * 3 / 5 + 1)))
			n_near=$((n_near + 1))
		fi
		listen-load t.db -- listen-parse big.csv 2> /dev/null &
		pid=$!
		sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
		killed=0
		kill -KILL "$pid" 2> /dev/null && killed=1
		rc=0
		wait "$pid" 2> /dev/null || rc=$?

		got=$(state t.db)
		local verdict=ok
		if ! check t.db; then
			verdict=broken
		elif [ "$got" = "$before" ]; then
			verdict=before
		elif [ "$got" = "$after" ]; then
			# Killed between the commit and the exit.
			verdict=after
		else
			echo "trial $i: neither the before nor the after state: $got" >&2
			verdict=broken
		fi
		# A kill that missed means the load ended: it must have
		# committed.
		if [ "$verdict" = before ] && ((!killed)); then
			echo "trial $i: the load ended (status $rc) but stored nothing" >&2
			verdict=broken
		fi
		# The re-run completes it, whatever the kill left: the same
		# listens, and the batches insert the same in all (a re-run
		# after the commit adds a batch that inserts nothing).
		if [ "$verdict" != broken ]; then
			if ! listen-load t.db -- listen-parse big.csv 2> rerun.err; then
				echo "trial $i: the re-run failed: $(cat rerun.err)" >&2
				verdict=broken
			elif [ "$(state t.db | cut -d' ' -f1,2,4)" != "$(cut -d' ' -f1,2,4 <<< "$after")" ] ||
				! check t.db; then
				echo "trial $i: the re-run did not end in the after state" >&2
				verdict=broken
			fi
		fi
		case $verdict in
		before) n_before=$((n_before + 1)) ;;
		after)
			if ((killed)); then
				n_after_killed=$((n_after_killed + 1))
			else
				n_after_done=$((n_after_done + 1))
			fi
			;;
		*)
			n_broken=$((n_broken + 1))
			echo "trial $i: killed at ${delay} ms: broken" >&2
			;;
		esac
	done
	echo "crash-test: killed before its commit was done, exactly as before: $n_before"
	echo "crash-test: killed after its commit, before it exited, as after:  $n_after_killed"
	echo "crash-test: ended before the kill came, exactly as after:         $n_after_done"
	echo "crash-test: broken (a check failed, or neither state):            $n_broken"
	echo "crash-test: outcomes: before $n_before, after $((n_after_killed + n_after_done)), broken $n_broken" \
		"($n_near trials aimed at the commit); every re-run ended in the after state: $([ "$n_broken" = 0 ] && echo yes || echo no)"
	[ "$n_broken" = 0 ]
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
