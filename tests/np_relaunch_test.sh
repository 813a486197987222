#!/usr/bin/env bash
# t721: `femora run --np N` runs `mpiexec --oversubscribe -n N femora
# run ...` (a signal sent to femora goes on to mpiexec; mpiexec's exit
# status is femora's): the arguments without --np, everything after --
# kept, the exit status passed through, for a rank's error (its one line,
# without mpiexec's two notice boxes that only repeat it) and a rank's
# signal (mpiexec's box kept), a SIGTERM to femora reaching mpiexec.  A
# stand-in mpiexec on PATH plays each part.
# usage: np_relaunch_test.sh FEMORA SOURCE_DIR
set -u
femora=$1 src=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mkdir "$work/bin"
cat > "$work/bin/mpiexec" <<'EOS'
#!/usr/bin/env bash
printf '%s\n' "$@" > "$T721_DIR/args"
env | grep -q '^OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1$' && touch "$T721_DIR/root-ok"
dashes=--------------------------------------------------------------------------
box() { printf '%s\n' "$dashes" "$@" "$dashes" >&2; }
primary() { box "Primary job  terminated normally, but 1 process returned" \
  "a non-zero exit code. Per user-direction, the job has been aborted."; }
case $T721_MODE in
  segv)
    primary
    box "mpiexec noticed that process rank 1 with PID 0 on node x exited on signal 11 (Segmentation fault)."
    exit 139 ;;
  bad)
    echo "femora: error: case.yaml: something" >&2
    primary
    box "mpiexec detected that one or more processes exited with non-zero status, thus causing" \
      "the job to be terminated. The first process to do so was:" "" \
      "  Process name: [[30496,1],0]" "  Exit code:    1"
    exit 1 ;;
  good) exit 0 ;;
  term)
    trap 'echo got-term > "$T721_DIR/term"; exit 143' TERM
    touch "$T721_DIR/started"
    for _ in $(seq 300); do sleep 0.1; done
    exit 0 ;;
esac
EOS
chmod +x "$work/bin/mpiexec"
export T721_DIR=$work PATH="$work/bin:$PATH"
unset OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
good="$src/tests/bad/good.yaml"

T721_MODE=good "$femora" run "$good" --np 3 -o "$work/o" --quiet -- -ksp_view --np 7
rc=$?
[ $rc -eq 0 ] || fail "exit $rc"
args=$(tr '\n' ' ' < "$work/args")
case "$args" in
  "--oversubscribe -n 3 "*"femora run $good -o $work/o --quiet -- -ksp_view --np 7 ") ;;
  *) fail "mpiexec's arguments: $args" ;;
esac
if [ "$(id -u)" = 0 ]; then
  [ -e "$work/root-ok" ] || fail "as root, OMPI_ALLOW_RUN_AS_ROOT_CONFIRM not set for mpiexec"
fi

T721_MODE=bad "$femora" run "$good" --np 2 -o "$work/o" 2> "$work/err"
rc=$?
[ $rc -eq 1 ] || fail "a rank's error: exit $rc"
[ "$(cat "$work/err")" = "femora: error: case.yaml: something" ] || fail "a rank's error: $(cat "$work/err")"

T721_MODE=segv "$femora" run "$good" --np 2 -o "$work/o" 2> "$work/err"
rc=$?
[ $rc -eq 139 ] || fail "a rank's signal: exit $rc"
grep -q "exited on signal 11" "$work/err" || fail "a rank's signal: mpiexec's box lost: $(cat "$work/err")"
grep -q "Primary job" "$work/err" && fail "a rank's signal: notice kept: $(cat "$work/err")"

T721_MODE=term "$femora" run "$good" --np 2 -o "$work/o" 2> "$work/err" &
pid=$!
for _ in $(seq 100); do [ -e "$work/started" ] && break; sleep 0.1; done
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 143 ] || fail "SIGTERM to femora: exit $rc"
[ -e "$work/term" ] || fail "SIGTERM to femora did not reach mpiexec"
echo PASS
