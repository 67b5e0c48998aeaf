#!/usr/bin/env bash
# listen-ingest: ingests every new file of a landing directory into the
# warehouse once, for cron (SPEC sections 2 and 6; issue 4).
#
# In:  DIR, where finished export files are renamed into place.
# Out: each file loaded by `listen-load --sha256 HEX -- DB -- listen-parse
#      FILE` (one transaction: its listens and its SHA-256 commit together,
#      or nothing does), then moved to DIR/done/, or to DIR/failed/ when the
#      file is at fault (unreadable, or refused by the parser); its rejects
#      in DIR/rejects/NAME.tsv.  Any other failure is the warehouse's: the
#      file stays in DIR for the next run and the run stops there.  One line
#      per file on stderr; exit 1 when a file failed or the run stopped.
#
# Only listen-load opens the warehouse: whether a file is already stored
# is decided inside its transaction, from the file's SHA-256.
set -uo pipefail

prog=listen-ingest

usage() {
	echo 'usage: listen-ingest [--busy-timeout seconds] [--max-reject-pct pct] db dir'
}

usage_error() {
	printf '%s: %s\n' "$prog" "$1" >&2
	usage >&2
	exit 2
}

say() {
	printf '%s: %s\n' "$prog" "$1" >&2
}

# A directory's files are listed in byte order, whatever the locale.
export LC_ALL=C

# The other tools are taken from beside this script first, so that an
# installed copy run from cron (whose PATH is short) finds its own.
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd) || exit 1
PATH="$here:$PATH"

busy=300
pct=5
while (($# > 0)); do
	case $1 in
	-h | --help)
		usage
		exit 0
		;;
	--busy-timeout | --max-reject-pct)
		(($# > 1)) || usage_error "option '$1' requires an argument"
		opt=$1 val=$2
		shift 2
		;;
	--busy-timeout=* | --max-reject-pct=*)
		opt=${1%%=*} val=${1#*=}
		shift
		;;
	--)
		shift
		break
		;;
	-?*) usage_error "unrecognized option '$1'" ;;
	*) break ;;
	esac
	case $opt in
	--busy-timeout)
		if ! [[ $val =~ ^[0-9]{1,7}$ ]] || ((10#$val > 2147483)); then
			usage_error "--busy-timeout: not a whole number of seconds: '$val'"
		fi
		busy=$((10#$val))
		;;
	--max-reject-pct)
		[[ $val =~ ^(1000(\.0{1,3})?|[0-9]{1,3}(\.[0-9]{1,3})?)$ ]] || usage_error \
			"--max-reject-pct: not a percentage 0 to 1000: '$val'"
		pct=$val
		;;
	esac
done
(($# > 0)) || usage_error "missing operand: db"
(($# > 1)) || usage_error "missing operand: dir"
(($# == 2)) || usage_error "unexpected operand '$3'"
db=$1
dir=${2%/}
[[ -n $dir ]] || dir=/

if [[ ! -d $dir ]]; then
	say "$dir: not a directory"
	exit 1
fi

# One run at a time: a second one started while the first works (a slow
# load outlasting the cron interval) leaves, successfully; the next cron
# run takes what is left.  The lock is the open file, so it goes with the
# process, however that ends.
if ! exec 9>> "$dir/.lock"; then
	say "$dir: cannot create the lock file"
	exit 1
fi
if ! flock -n 9; then
	say "$dir: another run holds the lock; nothing done"
	exit 0
fi

# The input: regular files at the top of DIR, not symbolic links, not
# dotfiles (the glob skips them), not names ending in .part or .tmp,
# which are files still being written, and not the warehouse and its
# SQLite side files, should DB be kept in DIR.  Those are compared by
# identity, as DB may be spelt DIR/./w.db, be absolute or be a link; and
# by name in DB's directory too, for side files a crash left without DB.
db_in_dir=0
[[ $dir -ef $(dirname -- "$db") ]] && db_in_dir=1
files=()
shopt -s nullglob
for f in "$dir"/*; do
	case ${f##*/} in
	*.part | *.tmp) continue ;;
	esac
	[[ $f -ef $db ]] && continue
	((db_in_dir)) && [[ ${f##*/} == "${db##*/}" ]] && continue
	base=$f
	case $f in
	*-wal | *-shm | *-journal) base=${f%-*} ;;
	esac
	[[ $base -ef $db ]] && continue
	((db_in_dir)) && [[ ${base##*/} == "${db##*/}" ]] && continue
	[[ -f $f && ! -L $f ]] && files+=("$f")
done
((${#files[@]} > 0)) || exit 0

if ! mkdir -p -- "$dir/done" "$dir/failed" "$dir/rejects"; then
	say "$dir: cannot make done/, failed/ and rejects/"
	exit 1
fi
err=$(mktemp) || exit 1
trap 'rm -f -- "$err"' EXIT

# Moves a file into done/ or failed/; a name already there is kept as
# NAME.~1~ and so on, so that no delivered file is ever lost.
move() {
	mv --backup=numbered -- "$1" "$dir/$2/" ||
		{ say "${1##*/}: cannot move it to $2/" && return 1; }
}

# A file is at fault only when its parser failed on it: listen-load then
# ends with one of these lines.  Any other failure of listen-load is the
# warehouse's or the disk's (missing, locked past the busy timeout, full,
# read-only, of a newer schema): every later file would meet it too, each
# after waiting the busy timeout, so the run stops and leaves the files.
parse_failed='^listen-load: listen-parse: (exited with status [0-9]+|killed by signal [0-9]+); nothing stored$'

nloaded=0 nalready=0 nfailed=0 nleft=0
for ((i = 0; i < ${#files[@]}; i++)); do
	f=${files[i]}
	name=${f##*/}
	# sha256sum writes "\HASH  NAME" for a name with a backslash or a
	# newline; only the hash is taken.
	if ! sum=$(sha256sum -- "$f" 2> "$err"); then
		# Taken away since the listing (by hand, or by another tool
		# that owns the file): nothing to do.
		[[ -e $f || -L $f ]] || continue
		cat -- "$err" >&2
		say "$name: failed (cannot read it)"
		nfailed=$((nfailed + 1))
		move "$f" failed
		continue
	fi
	sum=${sum#\\}
	sum=${sum%% *}
	# listen-parse starts a rejects file with its header line; one that
	# this run started and that holds no reject is not kept.
	rej=$dir/rejects/$name.tsv
	new_rej=0 rej_size=0
	if [[ -f $rej ]]; then
		rej_size=$(stat -c %s -- "$rej")
	elif [[ ! -e $rej ]]; then
		new_rej=1
	fi
	# The parser fails a file whose rejects file it cannot write, as it
	# should; that is the disk's fault, not the file's, so it is checked
	# here first, and the parser's messages about it are looked for after.
	why=
	if ! { : >> "$rej"; } 2> "$err"; then
		why="cannot write its rejects file"
	else
		listen-load --busy-timeout "$busy" --sha256 "$sum" --source "$name" \
			-- "$db" -- listen-parse --max-reject-pct "$pct" \
			--rejects "$rej" -- "$f" 2> "$err"
		rc=$?
		if ((rc == 0)); then
			:
		elif [[ $(< "$err") == *"listen-parse: $rej: "* ]]; then
			why="cannot write its rejects file"
		elif ! [[ $(tail -n 1 -- "$err") =~ $parse_failed ]]; then
			why="warehouse error: listen-load exited with status $rc"
		fi
	fi
	if [[ -n $why ]]; then
		# Nothing was stored, so the rejects file goes back to what it
		# was: the next run's parse must not append the same rejects.
		if ((new_rej)); then
			rm -f -- "$rej"
		elif [[ -f $rej && ! -L $rej ]]; then
			truncate -s "$rej_size" -- "$rej"
		fi
		cat -- "$err" >&2
		say "$name: left for the next run ($why)"
		nleft=$((${#files[@]} - i))
		break
	fi
	if ((new_rej)) && [[ -f $rej && $(wc -l < "$rej") -le 1 ]]; then
		rm -f -- "$rej"
	fi
	cat -- "$err" >&2
	if ((rc != 0)); then
		say "$name: failed (listen-load exited with status $rc)"
		nfailed=$((nfailed + 1))
		move "$f" failed
	elif [[ $(tail -n 1 -- "$err") == *': already ingested in batch '*'; nothing done' ]]; then
		say "$name: already ingested"
		nalready=$((nalready + 1))
		move "$f" "done" || nfailed=$((nfailed + 1))
	else
		say "$name: loaded"
		nloaded=$((nloaded + 1))
		move "$f" "done" || nfailed=$((nfailed + 1))
	fi
done
summary="$dir: loaded $nloaded, already ingested $nalready, failed $nfailed"
((nleft == 0)) || summary+="; stopped, $nleft left for the next run"
say "$summary"
((nfailed == 0 && nleft == 0))
