# shellcheck shell=bash
# Loaded by every .bats file: the built tools first on PATH, each test in
# its own directory, $FIX for the fixtures, $REAL for ../shared/real.

TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
FIX="$TOP/tests/fixtures"
REAL="$TOP/../shared/real"
PATH="$TOP/bin:$PATH"
export TOP FIX REAL PATH

# Tests must not depend on today's date: a fixed accepted window.
# shellcheck disable=SC2034 # used by the .bats files
WINDOW=(--min-time 2000-01-01T00:00:00Z --max-time 2030-01-01T00:00:00Z)

cd "$BATS_TEST_TMPDIR" || exit 1

# Skips the test when the shared real exports are not beside the checkout.
need_real() {
	[ -f "$REAL/$1" ] || skip "../shared/real/$1 is not here"
}

# Rows of a query on a warehouse, TAB-separated, no header.
query() {
	sqlite3 -cmd '.timeout 30000' -separator "$(printf '\t')" "$1" "$2"
}
