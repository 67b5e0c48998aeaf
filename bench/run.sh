#!/usr/bin/env bash
# make bench: the toolkit against the two baselines a user would otherwise
# use (bench/baseline-sqlite3.sh, bench/baseline.py), side by side in the
# same go, several rounds each, on fresh warehouses.  Prints a table of
# medians and ratios (ours / baseline) and writes it to bench/results.md.
# Wall time comes from bash's $EPOCHREALTIME around each run (microseconds),
# peak RSS from /usr/bin/time.  Absolute seconds depend on
# the machine and its load; the ratios, measured in the same run, are the
# figures that count.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
W=${BENCH_DIR:-bench/work}
BIG=${BENCH_BIG:-5000000}
SMALL=${BENCH_SMALL:-1000000}
mkdir -p "$W"
export LC_ALL=C

gen() { # file, generator arguments
	local out=$1
	shift
	[ -s "$out" ] && return
	echo "generating $out" >&2
	python3 data/generate.py "$@" > "$out.part"
	mv "$out.part" "$out"
}
gen "$W/small.csv" --listens "$SMALL"
gen "$W/big.csv" --listens "$BIG"
# A new day's data: 1 % of the big file, all later than anything in it.
last_day=$(tail -n 1 "$W/big.csv" | cut -c1-10)
next_day=$(date -u -d "$last_day + 1 day" +%F)
gen "$W/delta.csv" --listens $((BIG / 100)) --start "$next_day" --seed 7

WIN=(--min-time 2000-01-01T00:00:00Z --max-time 2100-01-01T00:00:00Z)
P=bin/listen-parse
L=bin/listen-load

declare -A SEC RSS
# measure NAME PREPARE COMMAND: runs PREPARE (untimed), then COMMAND under
# /usr/bin/time, ROUNDS times; keeps the median seconds and the peak RSS.
# A sync after PREPARE: otherwise a timed run that syncs (every commit
# does) also pays for writing back what PREPARE or an earlier run left
# dirty, such as the 380 MB copy of the warehouse the daily delta starts
# from, which more than doubled its time.
measure() {
	local name=$1 prepare=$2 cmd=$3 i t=() m=0 r t0 t1
	for ((i = 0; i < ROUNDS; i++)); do
		bash -c "$prepare"
		sync
		t0=$EPOCHREALTIME
		/usr/bin/time -f '%M' -o "$W/time.out" bash -c "$cmd" \
			> /dev/null 2> "$W/stderr.out" ||
			{ cat "$W/stderr.out" >&2; echo "bench: $name failed" >&2; exit 1; }
		t1=$EPOCHREALTIME
		read -r r < "$W/time.out"
		t+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')")
		((r > m)) && m=$r
	done
	SEC[$name]=$(printf '%s\n' "${t[@]}" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
	RSS[$name]=$((m / 1024))
	printf '%-28s %8.3f s %6d MB\n' "$name" "${SEC[$name]}" "${RSS[$name]}" >&2
}

for size in small big; do
	csv="$W/$size.csv"
	measure "ingest-$size-ours" "rm -f $W/$size.db*" \
		"$L $W/$size.db -- $P ${WIN[*]} $csv"
	measure "ingest-$size-sqlite3" "rm -f $W/$size-sq.db*" \
		"bench/baseline-sqlite3.sh $W/$size-sq.db $csv"
	measure "ingest-$size-python" "rm -f $W/$size-py.db*" \
		"python3 bench/baseline.py $W/$size-py.db $csv"
	measure "report-$size-ours" ":" \
		"$L --weekly $W/$size.db | bin/listen-peaks"
	measure "report-$size-sqlite3" ":" \
		"sqlite3 $W/$size-sq.db < bench/peaks.sql"
done

measure "reingest-big-ours" ":" "$L $W/big.db -- $P ${WIN[*]} $W/big.csv"
measure "delta-big-ours" "rm -f $W/delta.db*; cp $W/big.db $W/delta.db" \
	"$L $W/delta.db -- $P ${WIN[*]} $W/delta.csv && $L --weekly $W/delta.db | bin/listen-peaks"
measure "parse-big-ours" ":" "$P ${WIN[*]} $W/big.csv"
measure "parse-big-python" ":" "python3 bench/baseline.py --parse $W/big.csv"
$P "${WIN[@]}" "$W/big.csv" > "$W/big.tsv" 2> /dev/null
measure "load-big-ours" "rm -f $W/load.db*" "$L $W/load.db < $W/big.tsv"

# The two reports must agree on the peak weeks: the baseline is also a
# check of the toolkit.
diff <($L --weekly "$W/big.db" | bin/listen-peaks | tail -n +2 | cut -f1-3) \
	<(sqlite3 -separator "$(printf '\t')" "$W/big-sq.db" < bench/peaks.sql) ||
	{ echo "bench: the toolkit and the baseline disagree on the peaks" >&2; exit 1; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
row() { # what, ours, baseline, target text, pass condition (awk on r)
	local r
	r=$(ratio "${SEC[$2]}" "${SEC[$3]}")
	local ok
	ok=$(awk -v r="$r" "BEGIN { print ($5) ? \"yes\" : \"NO\" }")
	printf '| %s | %.3f s | %.3f s | %s | %s | %s |\n' "$1" "${SEC[$2]}" "${SEC[$3]}" "$r" "$4" "$ok"
}
{
	echo "# make bench results"
	echo
	echo "$(date -u +%F), $(nproc) cores, $ROUNDS rounds each, medians;" \
		"small = $SMALL listens, big = $BIG listens (+ ~5 % duplicates)."
	echo
	echo "| figure | ours | baseline | ours / baseline | target | met |"
	echo "|---|---|---|---|---|---|"
	row "full ingest, big, vs sqlite3 shell" ingest-big-ours ingest-big-sqlite3 "<= 0.67" "r <= 0.667"
	row "full ingest, big, vs Python" ingest-big-ours ingest-big-python "<= 0.67" "r <= 0.667"
	row "full ingest, small, vs sqlite3 shell" ingest-small-ours ingest-small-sqlite3 "-" "1"
	row "full ingest, small, vs Python" ingest-small-ours ingest-small-python "-" "1"
	row "re-ingest big vs its first ingest" reingest-big-ours ingest-big-ours "<= 0.67" "r <= 0.667"
	row "1 % daily delta + report vs full big ingest" delta-big-ours ingest-big-ours "<= 0.03" "r <= 0.03"
	row "report, big, vs SQL peaks query" report-big-ours report-big-sqlite3 "<= 0.01" "r <= 0.01"
	row "report, big vs small (ours)" report-big-ours report-small-ours "<= 1.5" "r <= 1.5"
	row "listen-parse vs Python csv parse" parse-big-ours parse-big-python "<= 0.5" "r <= 0.5"
	row "listen-parse vs listen-load, same rows" parse-big-ours load-big-ours "<= 0.33" "r <= 0.333"
	echo
	echo "| program | peak RSS, small | peak RSS, big |"
	echo "|---|---|---|"
	echo "| listen-load (ingest, parser under it) | ${RSS[ingest-small-ours]} MB | ${RSS[ingest-big-ours]} MB |"
	echo "| listen-load (load from a file) | - | ${RSS[load-big-ours]} MB |"
	echo "| listen-parse | - | ${RSS[parse-big-ours]} MB |"
	echo "| report (listen-load --weekly, listen-peaks) | ${RSS[report-small-ours]} MB | ${RSS[report-big-ours]} MB |"
	echo "| sqlite3 shell baseline | ${RSS[ingest-small-sqlite3]} MB | ${RSS[ingest-big-sqlite3]} MB |"
	echo "| Python baseline | ${RSS[ingest-small-python]} MB | ${RSS[ingest-big-python]} MB |"
} > bench/results.md
cat bench/results.md
