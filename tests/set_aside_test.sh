#!/usr/bin/env bash
# t718: a run that fails leaves no earlier run's results where its own would
# be.  Results go into OUTDIR only once all are written, so a failed run
# writes none; an earlier run's summary.json, checks and VTU files there
# are moved (not removed) to OUTDIR/previous, and femora.log says so.
# usage: set_aside_test.sh FEMORA SOURCE_DIR
set -u
femora=$1 src=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
good="$src/tests/bad/good.yaml"
sed -e "s|file: *\([^,}]*\)msh|file: $work/missing.msh|" "$good" > "$work/bad.yaml"
grep -q "$work/missing.msh" "$work/bad.yaml" || fail "could not make the failing case"
out="$work/out"

"$femora" run "$good" -o "$out" --quiet || fail "first run"
cp "$out/summary.json" "$work/first.json"
ls "$out"/*.vtu > /dev/null 2>&1 || fail "first run: no VTU"

echo "not femora's" > "$out/mine.vtu" # a user's file in the folder stays
"$femora" run "$work/bad.yaml" -o "$out" --quiet 2> "$work/err" && fail "the failing case ran"
[ -e "$out/mine.vtu" ] || fail "a file femora did not write was moved"
grep -q "missing.msh" "$work/err" || fail "the error does not name the mesh: $(cat "$work/err")"
[ ! -e "$out/summary.json" ] || fail "a failed run left a summary.json in place"
[ "$(ls "$out"/*.vtu)" = "$out/mine.vtu" ] || fail "a failed run left VTU files in place: $(ls "$out")"
cmp -s "$out/previous/summary.json" "$work/first.json" || fail "previous/summary.json is not the first run's"
[ -e "$out/previous/pull.vtu" ] || fail "the first run's VTU file was not kept in previous/"
grep -q "moved to .*previous: they are not this run's" "$out/femora.log" || fail "the log does not say so"
# the earlier run's log goes with its results (it was overwritten)
grep -q "^results: " "$out/previous/femora.log" || fail "previous/femora.log is not the first run's log"
grep -q "^error: " "$out/previous/femora.log" && fail "previous/femora.log is the failed run's"
[ ! -e "$out/femora.log.earlier" ] || fail "femora.log.earlier left behind"
# a case file that cannot be read touches no folder
"$femora" run "$work/no-such-case.yaml" -o "$work/never" --quiet 2> /dev/null && fail "a missing case ran"
[ ! -e "$work/never" ] || fail "a missing case made its output folder"

# failing again moves nothing: previous/ keeps the first run's
"$femora" run "$work/bad.yaml" -o "$out" --quiet 2> /dev/null && fail "the failing case ran"
cmp -s "$out/previous/summary.json" "$work/first.json" || fail "a second failure changed previous/"

# a run that succeeds puts its results in place; a failure after it sets
# those aside, replacing the older ones in previous/ (a user's file there
# stays)
"$femora" run "$good" -o "$out" --quiet || fail "third run"
[ -e "$out/summary.json" ] || fail "third run: no summary"
cp "$out/summary.json" "$work/third.json"
echo "not femora's" > "$out/previous/mine.vtu"
"$femora" run "$work/bad.yaml" -o "$out" --quiet 2> /dev/null && fail "the failing case ran"
cmp -s "$out/previous/summary.json" "$work/third.json" || fail "previous/ does not hold the last finished run"
[ -e "$out/previous/mine.vtu" ] || fail "a file femora did not write was removed from previous/"

# with fatigue and checks, into the same folder: every file of that run
# goes, by the load case names its summary.json gives, and none of the
# older run's (its pull.vtu) stays beside them in previous/
fb="$src/cases/validation/closed_form/fatigue_bar.yaml"
rm -f "$out/previous/mine.vtu"
"$femora" run "$fb" -o "$out" --quiet || fail "the fatigue bar"
before=$(cd "$out" && ls | grep -v 'femora.log\|mesh.msh\|previous\|mine.vtu' | sort | tr '\n' ' ')
case $before in *checks.txt*fatigue.vtu*summary.json*) ;; *) fail "the fatigue bar wrote: $before" ;; esac
"$femora" run "$work/bad.yaml" -o "$out" --quiet 2> /dev/null && fail "the failing case ran"
after=$(cd "$out/previous" && ls | grep -v 'femora.log' | sort | tr '\n' ' ')
[ "$after" = "$before" ] || fail "previous/ holds '$after', the earlier run wrote '$before'"
[ "$(ls "$out" | grep -v 'mesh.msh\|mine.vtu')" = "$(printf 'femora.log\nprevious')" ] || fail "left in place: $(ls "$out")"

# a load case name with a character not kept in file names (a blank: its
# VTU pu_ll.vtu; control characters are refused in names since the
# sixteenth session)
sed -e 's|name: pull|name: "pu ll"|' "$good" > "$work/tab.yaml"
grep -q 'pu ll' "$work/tab.yaml" || fail "could not make the tab case"
sed -e "s|file: ../../meshes|file: $src/meshes|" -i "$work/tab.yaml"
"$femora" run "$work/tab.yaml" -o "$work/tab" --quiet || fail "the tab case"
[ -e "$work/tab/pu_ll.vtu" ] || fail "the tab case wrote: $(ls "$work/tab")"
"$femora" run "$work/bad.yaml" -o "$work/tab" --quiet 2> /dev/null && fail "the failing case ran"
[ -e "$work/tab/previous/pu_ll.vtu" ] && [ ! -e "$work/tab/pu_ll.vtu" ] ||
  fail "the tab case's VTU was not set aside: $(ls "$work/tab" "$work/tab/previous")"

# renaming into place failing half way (fatigue.vtu a folder here: the
# load case's VTU is renamed before it): no summary.json stands beside
# files that are not its run's, the new VTU renamed already is removed,
# no temporary file stays, and the earlier run's results are set aside as
# by any failure (its summary and checks in previous/)
half="$work/half"
"$femora" run "$fb" -o "$half" --quiet || fail "the fatigue bar (half)"
cp "$half/summary.json" "$work/half-first.json"
lcvtu=$(cd "$half" && ls *.vtu | grep -v fatigue.vtu | head -1)
[ -n "$lcvtu" ] || fail "the fatigue bar wrote no load case VTU: $(ls "$half")"
rm "$half/fatigue.vtu" && mkdir "$half/fatigue.vtu" && touch "$half/fatigue.vtu/x"
"$femora" run "$fb" -o "$half" --quiet 2> "$work/err" && fail "a run whose rename fails passed"
grep -q "fatigue.vtu: cannot rename into place" "$work/err" || fail "the error: $(cat "$work/err")"
[ ! -e "$half/summary.json" ] || fail "a summary.json stays beside another run's files"
[ ! -e "$half/$lcvtu" ] || fail "the failed run's $lcvtu stays in place"
[ ! -e "$half/checks.txt" ] || fail "the earlier run's checks.txt stays in place"
ls "$half" | grep -q 'tmp\|earlier' && fail "temporary files left: $(ls "$half")"
cmp -s "$half/previous/summary.json" "$work/half-first.json" || fail "previous/summary.json is not the earlier run's"
[ -e "$half/previous/checks.txt" ] || fail "the earlier run's checks.txt was not set aside: $(ls "$half/previous")"
rm -rf "$half/fatigue.vtu" "$half/previous/fatigue.vtu"
"$femora" run "$fb" -o "$half" --quiet || fail "the fatigue bar after the half rename"
[ -e "$half/summary.json" ] && [ -e "$half/$lcvtu" ] || fail "the run after: $(ls "$half")"
ls "$half" | grep -q 'tmp\|earlier' && fail "temporary files left after a good run: $(ls "$half")"
echo PASS
