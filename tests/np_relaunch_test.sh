#!/usr/bin/env bash
# t721: `femora run --np N` becomes `mpiexec --oversubscribe -n N femora
# run ...` (exec: signals reach mpiexec itself, its exit status is
# femora's): the arguments without --np, everything after -- kept, the
# exit status passed through, for a rank's error and a rank's signal.  A
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
case $T721_MODE in
  segv) exit 139 ;;
  bad) echo "femora: error: case.yaml: something" >&2; exit 1 ;;
  good) exit 0 ;;
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

# only the --np option goes, not another option's value "--np"
T721_MODE=good "$femora" run "$good" -o --np --np 2
args=$(tr '\n' ' ' < "$work/args")
case "$args" in
  "--oversubscribe -n 2 "*"femora run $good -o --np ") ;;
  *) fail "a value --np: mpiexec's arguments: $args" ;;
esac

T721_MODE=bad "$femora" run "$good" --np 2 -o "$work/o" 2> "$work/err"
rc=$?
[ $rc -eq 1 ] || fail "a rank's error: exit $rc"
grep -q "^femora: error: case.yaml: something$" "$work/err" || fail "a rank's error: $(cat "$work/err")"

T721_MODE=segv "$femora" run "$good" --np 2 -o "$work/o" 2> "$work/err"
rc=$?
[ $rc -eq 139 ] || fail "a rank's signal: exit $rc"
echo PASS
