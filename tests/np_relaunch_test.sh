#!/usr/bin/env bash
# t721: `femora run --np N` starts mpiexec quiet (-q: a rank's error is its
# one line, without mpiexec's box) and waits for it: a rank that died of a
# signal (mpiexec's exit status 128 + S) and mpiexec killed by one are
# reported in one line each, a SIGTERM sent to femora reaches mpiexec, and
# the exit status is mpiexec's.  A stand-in mpiexec on PATH plays each part.
# usage: np_relaunch_test.sh FEMORA SOURCE_DIR
set -u
femora=$1 src=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mkdir "$work/bin"
cat > "$work/bin/mpiexec" <<'EOS'
#!/usr/bin/env bash
echo "$@" > "$T721_DIR/args"
case $T721_MODE in
  segv) exit 139 ;;
  self) kill -TERM $$; sleep 5 ;;
  wait) trap 'echo got TERM > "$T721_DIR/term"; exit 143' TERM
        touch "$T721_DIR/started"; for _ in $(seq 100); do sleep 0.1; done; exit 0 ;;
  bad) echo "femora: error: case.yaml: something" >&2; exit 1 ;;
esac
EOS
chmod +x "$work/bin/mpiexec"
export T721_DIR=$work PATH="$work/bin:$PATH"
good="$src/tests/bad/good.yaml"

T721_MODE=bad "$femora" run "$good" --np 3 -o "$work/o" 2> "$work/err"
rc=$?
[ $rc -eq 1 ] || fail "a rank's error: exit $rc"
[ "$(cat "$work/err")" = "femora: error: case.yaml: something" ] || fail "a rank's error: stderr $(cat "$work/err")"
case " $(cat "$work/args") " in *" -q "*" -n 3 "*) ;; *) fail "mpiexec's arguments: $(cat "$work/args")" ;; esac

T721_MODE=segv "$femora" run "$good" --np 2 -o "$work/o" 2> "$work/err"
rc=$?
[ $rc -eq 139 ] || fail "a rank's signal: exit $rc"
grep -q "^femora: error: --np 2: a rank ended on signal 11 (Segmentation fault)$" "$work/err" || fail "a rank's signal: $(cat "$work/err")"

T721_MODE=self "$femora" run "$good" --np 2 -o "$work/o" 2> "$work/err"
rc=$?
[ $rc -eq 143 ] || fail "mpiexec's signal: exit $rc"
grep -q "^femora: error: --np 2: mpiexec ended on signal 15 (Terminated)$" "$work/err" || fail "mpiexec's signal: $(cat "$work/err")"

T721_MODE=wait "$femora" run "$good" --np 2 -o "$work/o" 2> "$work/err" &
pid=$!
for _ in $(seq 50); do [ -e "$work/started" ] && break; sleep 0.1; done
[ -e "$work/started" ] || fail "the stand-in mpiexec did not start"
kill -TERM $pid
wait $pid
rc=$?
[ -e "$work/term" ] || fail "SIGTERM to femora did not reach mpiexec"
[ $rc -eq 143 ] || fail "after SIGTERM: exit $rc"
grep -q "^femora: error: --np 2: stopped by signal 15 (Terminated), passed to mpiexec$" "$work/err" || fail "after SIGTERM: $(cat "$work/err")"
echo PASS
