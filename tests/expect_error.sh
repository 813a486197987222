#!/usr/bin/env bash
# Bad-input check: `femora run CASE` must exit 1 with exactly one line on
# stderr that starts "femora: error:", names the offending file and contains
# the expected fragment, and leave no result (summary.json, *.vtu, *.tmp*).
# usage: expect_error.sh FEMORA CASE FRAGMENT [FILE_NAMED]
# (FEMORA_RUN_ARGS: more options for `femora run`, e.g. a bad --preconditioner)
set -u
femora=$1 case=$2 fragment=$3 named=${4:-$(basename "$2")}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# shellcheck disable=SC2086 # FEMORA_RUN_ARGS: words on purpose
"$femora" run "$case" -o "$out/res" --quiet ${FEMORA_RUN_ARGS:-} >"$out/stdout" 2>"$out/stderr"
rc=$?
fail() { echo "FAIL: $(basename "$case"): $*"; echo "--- stderr:"; cat "$out/stderr"; exit 1; }
[ "$rc" -eq 1 ] || fail "exit status $rc, expected 1"
[ "$(wc -l <"$out/stderr")" -eq 1 ] || fail "expected exactly one line on stderr"
grep -q '^femora: error: ' "$out/stderr" || fail "no 'femora: error:' prefix"
grep -qF -- "$named" "$out/stderr" || fail "message does not name $named"
grep -qF -- "$fragment" "$out/stderr" || fail "message does not contain '$fragment'"
if [ -d "$out/res" ]; then
  left=$(find "$out/res" -name summary.json -o -name '*.vtu' -o -name '*.tmp*')
  [ -z "$left" ] || fail "partial results left: $left"
fi
exit 0
