#!/usr/bin/env bash
# fuzz.sh runs every Go fuzz target of the module, one at a time (go test
# fuzzes one target per invocation), each for FUZZTIME (default 60s), and
# prints a table: target, execs, new interesting inputs, result. A failing
# input is written by go test to <package>/testdata/fuzz/<Target>/; keep it
# there as a regression seed once the bug is fixed.
#
#   FUZZTIME=3s scripts/fuzz.sh            # the bounded run of make test
#   FUZZTIME=10m scripts/fuzz.sh ./bff/... # longer, on some packages
#
# FUZZ_PARALLEL (default: the number of cores) is the number of fuzzing
# workers. FUZZMINIMIZETIME (default go's 60s) bounds each minimization of
# an input; make test's 3 s runs set 1s, or a slow target (catalog's, a
# few hundred execs a second) spends its whole run minimizing the inputs
# that found new code and hardly fuzzes. It exits non-zero when any target
# fails.
#
# One failure is not the target's: go1.26's fuzz coordinator can report
# "context deadline exceeded" when -fuzztime ends while a worker is still
# answering (golang/go#75804, fixed in go1.27). Its output then holds that
# line and nothing else: no failing input, no panic, no t.Error. Such a run
# fuzzed for its whole time and found nothing, so it is listed as
# "ok(75804)" rather than failed; any other output still fails.
set -uo pipefail

cd "$(dirname "$0")/.." || exit
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-60s}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-60s}
PARALLEL=${FUZZ_PARALLEL:-$(nproc 2>/dev/null || echo 2)}
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)

# Only the packages with a fuzz_test.go are listed: go test -list builds
# every test binary it is given.
mapfile -t dirs < <($GO list -f '{{if .TestGoFiles}}{{.Dir}}{{end}}{{if .XTestGoFiles}} {{.Dir}}{{end}}' "${pkgs[@]}" |
	awk '{print $1}' | sort -u | while read -r d; do [ -n "$d" ] && [ -f "$d/fuzz_test.go" ] && echo "$d"; done)

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# deadline_race reports whether a failed go test -fuzz log ($1) shows only
# the coordinator's deadline race: once the progress lines and go test's
# own FAIL framing are removed, the one line left is the bare error.
deadline_race() {
	local rest
	rest=$(grep -v -e '^fuzz: elapsed:' -e '^--- FAIL: Fuzz' -e '^FAIL' -e '^exit status 1$' -e '^ok ' "$1" |
		sed -e 's/^[[:space:]]*//' -e '/^$/d')
	[ "$rest" = "context deadline exceeded" ]
}
rows=()
status=0
start=$SECONDS
for dir in "${dirs[@]}"; do
	pkg=./${dir#"$PWD"/}
	targets=$($GO test -list '^Fuzz' "$pkg" | grep '^Fuzz') || { rows+=("$pkg (list) - - FAIL"); status=1; continue; }
	for name in $targets; do
		echo "== $pkg $name ($FUZZTIME)"
		$GO test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" -parallel "$PARALLEL" "$pkg" >"$log" 2>&1
		rc=$?
		# The last progress line carries the totals:
		# "fuzz: elapsed: 3s, execs: 1234 (411/sec), new interesting: 5 (total: 20)"
		last=$(grep 'fuzz: elapsed:' "$log" | tail -1)
		execs=$(sed -n 's/.*execs: \([0-9]*\).*/\1/p' <<<"$last")
		fresh=$(sed -n 's/.*new interesting: \([0-9]*\).*/\1/p' <<<"$last")
		result=ok
		if [ $rc -ne 0 ] && deadline_race "$log"; then
			result='ok(75804)'
			echo "   deadline race at -fuzztime's end (golang/go#75804), nothing found"
		elif [ $rc -ne 0 ]; then
			result=FAIL
			status=1
			grep -v '^fuzz: elapsed:' "$log" | tail -40
		fi
		rows+=("$pkg $name ${execs:--} ${fresh:--} $result")
	done
done

printf '\n%-28s %-26s %12s %8s  %s\n' package target execs new result
for row in "${rows[@]}"; do
	# shellcheck disable=SC2086
	printf '%-28s %-26s %12s %8s  %s\n' $row
done
echo "fuzzed ${#rows[@]} targets for $FUZZTIME each in $((SECONDS - start))s"
exit $status
