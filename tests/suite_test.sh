#!/usr/bin/env bash
# femora suite: a passing and a failing case (a deliberately wrong reference)
# give exit 1, a JUnit file with exactly one failure, a history that grows by
# one line per case and run, and a slowdown failure when the history says the
# case used to be much faster.
# usage: suite_test.sh FEMORA SOURCE_DIR
set -u
femora=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mkdir -p "$work/cases/good" "$work/cases/bad"
base="mesh: {file: $src/meshes/test/box_tet4.msh, order: 1}
materials: {solid: {E: 1000, nu: 0.3}}
constraints: [{group: xmin, fix: [x, y, z]}]
load_cases: [{name: pull, loads: [{group: xmax, total_force: [10, 0, 0]}]}]
output: {vtu: false}"
printf '%s\nexpected:\n  - {quantity: reaction, group: xmin, component: x, value: -10, tolerance: 1e-6, kind: closed_form, source: equilibrium}\n' "$base" > "$work/cases/good/pull.yaml"
printf '%s\nexpected:\n  - {quantity: reaction, group: xmin, component: x, value: -11, tolerance: 1e-6, kind: closed_form, source: "a wrong reference"}\n' "$base" > "$work/cases/bad/pull.yaml"
printf 'title: not a validation case\n' > "$work/cases/other.yaml"

"$femora" suite "$work/cases" -o "$work/out" --jobs 2 > "$work/log1" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$work/log1"; fail "exit $rc, expected 1 (one check fails)"; }
grep -q 'failures="1"' "$work/out/junit.xml" || fail "junit.xml does not report exactly one failure"
grep -q 'value -[0-9.]*, reference -11 (closed_form' "$work/out/junit.xml" || fail "junit failure message lacks value and reference"
grep -q '^1 passed, 1 failed$' "$work/log1" || fail "closing line"
[ "$(wc -l < "$work/out/history.csv")" -eq 2 ] || fail "history should have 2 lines"
grep -q '<td class="fail">FAIL</td>' "$work/out/suite.html" || fail "suite.html does not show the failure"

# a history in which the good case took 1 ms: now it is "slower than 1.25x"
printf '2026-01-01T00:00:00Z,good/pull,0.001,1,1\n' > "$work/hist.csv"
rm "$work/cases/bad/pull.yaml"
"$femora" suite "$work/cases" -o "$work/out2" --history "$work/hist.csv" --max-slowdown 1.25 > "$work/log2" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$work/log2"; fail "slowdown not reported (exit $rc)"; }
grep -q 'SLOW' "$work/log2" || fail "no SLOW line"
grep -q '<td>0.00</td></tr>' "$work/out2/suite.html" || fail "suite.html: the history's median time not shown"
[ "$(wc -l < "$work/hist.csv")" -eq 2 ] || fail "history not appended"
# without the slowdown limit the same suite passes
"$femora" suite "$work/cases" -o "$work/out3" > "$work/log3" 2>&1 || { cat "$work/log3"; fail "passing suite failed"; }
# every case through another backend: the plain-C one passes the good case
"$femora" suite "$work/cases" -o "$work/out5" --backend ref > "$work/log5" 2>&1 || { cat "$work/log5"; fail "suite --backend ref failed"; }
grep -rq "assembly: ref backend" "$work/out5" || fail "suite --backend ref did not run the ref backend"
"$femora" suite "$work/cases" -o "$work/out6" --backend gpu > "$work/log6" 2>&1 && fail "suite --backend gpu accepted"
grep -q "usage: femora suite" "$work/log6" || fail "no usage line for a bad backend"
# a run that failed (checks -1) says nothing of the time: the median of
# a history of only such runs is none, so no SLOW
printf '2026-01-01T00:00:00Z,good/pull,0.001,0,-1,nan\n2026-01-02T00:00:00Z,good/pull,0.001,0,-1,nan\n' > "$work/hist2.csv"
"$femora" suite "$work/cases" -o "$work/out7" --history "$work/hist2.csv" --max-slowdown 1.25 > "$work/log7" 2>&1 ||
  { cat "$work/log7"; fail "failed runs in the history made the case SLOW"; }
# a case whose expected: is empty checked nothing: no pass
mkdir -p "$work/empty"
printf '%s\nexpected:\n' "$base" > "$work/empty/none.yaml"
"$femora" suite "$work/empty" -o "$work/out9" > "$work/log9" 2>&1 && { cat "$work/log9"; fail "a case with no checks passed"; }
grep -q "none .*FAIL: no checks" "$work/log9" || { cat "$work/log9"; fail "no-checks line"; }
grep -q 'failures="1"' "$work/out9/junit.xml" || fail "junit.xml: the case without checks is no failure"
grep -q 'no checks: its expected: section is empty' "$work/out9/junit.xml" || fail "junit.xml: no-checks message"
# two cases that would share a results folder (a/b.yaml, a.b.yaml)
mkdir -p "$work/dup/a"
cp "$work/cases/good/pull.yaml" "$work/dup/a/b.yaml"
cp "$work/cases/good/pull.yaml" "$work/dup/a.b.yaml"
"$femora" suite "$work/dup" -o "$work/out8" > "$work/log8" 2>&1 && fail "cases sharing a results folder accepted"
grep -q "femora: error: .*cases .*/dup/a.b.yaml and .*/dup/a/b.yaml would share the results folder" "$work/log8" || { cat "$work/log8"; fail "shared folder message"; }
# a case is one whose YAML has a top-level expected: in any style (flow,
# quoted key) and either extension; one nested deeper is not; a file that
# is not YAML but mentions expected runs and fails with its syntax error
mkdir -p "$work/styles"
flow=$(printf '%s' "$base" | paste -sd, -)
printf '{%s, expected: [{quantity: reaction, group: xmin, component: x, value: -10, tolerance: 1e-6, kind: closed_form, source: equilibrium}]}\n' "$flow" > "$work/styles/flow.yaml"
printf '%s\n"expected":\n  - {quantity: reaction, group: xmin, component: x, value: -10, tolerance: 1e-6, kind: closed_form, source: equilibrium}\n' "$base" > "$work/styles/quoted.yml"
printf 'title: a note\nnotes: {expected: none}\n' > "$work/styles/nested.yaml"
printf '%s\nexpected: [\n' "$base" > "$work/styles/broken.yaml"
"$femora" suite "$work/styles" -o "$work/out10" > "$work/log10" 2>&1 && { cat "$work/log10"; fail "a broken case passed"; }
grep -q "^suite: 3 cases from" "$work/log10" || { cat "$work/log10"; fail "cases found: expected flow, quoted, broken"; }
grep -q "^2 passed, 1 failed$" "$work/log10" || { cat "$work/log10"; fail "flow and quoted should pass, broken fail"; }
grep -q "broken .*did not run" "$work/log10" || { cat "$work/log10"; fail "the broken case should not run"; }
grep -q 'YAML syntax error' "$work/out10/cases/broken/stderr.txt" || fail "the broken case's syntax error"
# a history that cannot be written fails the suite before any case runs
"$femora" suite "$work/cases" -o "$work/out11" --history /proc/nope/h.csv > "$work/log11" 2>&1 && fail "an unwritable history accepted"
grep -q "femora: error: /proc/nope/h.csv: --history: cannot append to it" "$work/log11" || { cat "$work/log11"; fail "history message"; }
[ ! -e "$work/out11/cases" ] || fail "cases ran before the history was found unwritable"
# a signal to the suite reaches the case running (a long one: the
# default model), no case starts after it, the reports are written and
# the suite fails saying so
mkdir -p "$work/long"
sed -e "s|geo: ../meshes|geo: $src/meshes|" "$src/cases/segmental_walking.yaml" > "$work/long/a.yaml"
printf 'expected:\n  - {quantity: reaction, group: distal, component: z, value: 1, tolerance: 1e9, kind: closed_form, source: none}\n' >> "$work/long/a.yaml"
cp "$work/cases/good/pull.yaml" "$work/long/b.yaml"
"$femora" suite "$work/long" -o "$work/out9" > "$work/log9" 2>&1 &
spid=$!
for _ in $(seq 100); do [ -e "$work/out9/cases/a/stderr.txt" ] && break; sleep 0.1; done
[ -e "$work/out9/cases/a/stderr.txt" ] || fail "the long case did not start"
sleep 0.5
kill -TERM $spid
wait $spid
rc=$?
[ $rc -eq 1 ] || { cat "$work/log9"; fail "suite stopped by SIGTERM: exit $rc"; }
grep -q "femora: error: .*stopped by signal 15 (Terminated), passed on to the cases running: 2 of 2 cases did not run through" "$work/log9" || { cat "$work/log9"; fail "stop message"; }
[ ! -e "$work/out9/cases/b" ] || fail "a case started after the signal"
[ -e "$work/out9/junit.xml" ] || fail "no reports after the signal"
sleep 0.5
pgrep -f "$work/long/a.yaml" > /dev/null && fail "the running case outlived the suite"
# a suite started with SIGHUP ignored (nohup) goes on through a hangup,
# its case too; SIGTERM still stops both
"$femora" suite "$work/long" -o "$work/out12" > "$work/log12" 2>&1 &
spid=$!
for _ in $(seq 100); do [ -e "$work/out12/cases/a/stderr.txt" ] && break; sleep 0.1; done
sleep 0.5
kill -HUP $spid 2>/dev/null
sleep 0.5
kill -0 $spid 2>/dev/null && fail "setup: the suite's SIGHUP should have stopped it here (not ignored)"
wait $spid
sh -c 'trap "" HUP; exec "$0" suite "$1" -o "$2" > "$3" 2>&1' "$femora" "$work/long" "$work/out13" "$work/log13" &
spid=$!
for _ in $(seq 100); do [ -e "$work/out13/cases/a/stderr.txt" ] && break; sleep 0.1; done
sleep 0.5
kill -HUP $spid
sleep 0.5
kill -0 $spid 2>/dev/null || { cat "$work/log13"; fail "an ignored SIGHUP stopped the suite"; }
pgrep -f "$work/long/a.yaml" > /dev/null || fail "an ignored SIGHUP stopped the case"
kill -TERM $spid
wait $spid
sleep 0.5
pgrep -f "$work/long/a.yaml" > /dev/null && fail "the case outlived the suite (SIGHUP ignored)"
# no folder / no cases
"$femora" suite "$work/nothing" -o "$work/out4" > "$work/log4" 2>&1 && fail "missing folder accepted"
grep -q "femora: error: .*nothing: not a folder" "$work/log4" || fail "missing folder message"
exit 0
