#!/usr/bin/env bash
# t605: processes started together share the machine's cores.  Each of N
# MPI ranks on a node, and each of a suite's N cases running at once, takes
# its share of the OpenMP threads (run.h fm_share_cores: the threads it
# would start alone, divided by N, at least 1) unless OMP_NUM_THREADS is
# set; one process alone keeps a thread per core.  The threads in use are
# summary.json's "threads" (rank 0's).
# usage: threads_test.sh FEMORA SOURCE_DIR MPIEXEC
set -u
femora=$1 src=$2 mpiexec=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
unset OMP_NUM_THREADS
cores=$(nproc)
share() { local t=$((cores / $1)); [ "$t" -lt 1 ] && t=1; echo "$t"; }
threads() { python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['threads'])" "$1" ||
              fail "$1: no threads"; }
good="$src/tests/bad/good.yaml"

"$femora" run "$good" -o "$work/one" --quiet || fail "one process"
[ "$(threads "$work/one/summary.json")" = "$cores" ] ||
  fail "one process: $(threads "$work/one/summary.json") threads, expected one per core ($cores)"

# three ranks bound to no core (as OpenMPI leaves oversubscribed ranks; more
# than two it binds to a socket each): without the share each would start
# a thread per core
"$mpiexec" -n 3 --oversubscribe --bind-to none "$femora" run "$good" -o "$work/three" --quiet ||
  fail "three ranks"
[ "$(threads "$work/three/summary.json")" = "$(share 3)" ] ||
  fail "three ranks: $(threads "$work/three/summary.json") threads each, expected $(share 3) of $cores cores"
# the user's setting wins
OMP_NUM_THREADS=2 "$mpiexec" -x OMP_NUM_THREADS -n 3 --oversubscribe --bind-to none "$femora" run "$good" \
  -o "$work/user" --quiet || fail "three ranks, OMP_NUM_THREADS=2"
[ "$(threads "$work/user/summary.json")" = 2 ] ||
  fail "OMP_NUM_THREADS=2: $(threads "$work/user/summary.json") threads"

# a suite's cases running at once
mkdir -p "$work/cases"
for c in a b; do
  sed "s|file: \.\./\.\./|file: $src/|" "$good" > "$work/cases/$c.yaml"
  printf 'expected:\n  - {quantity: reaction, group: xmin, component: x, value: -100, tolerance: 1e-6, kind: closed_form, source: equilibrium}\n' \
    >> "$work/cases/$c.yaml"
done
"$femora" suite "$work/cases" -o "$work/suite" --jobs 2 > "$work/suite.log" 2>&1 ||
  { cat "$work/suite.log"; fail "suite --jobs 2"; }
for c in a b; do
  s=$(find "$work/suite" -path "*$c*" -name summary.json | head -1)
  [ -n "$s" ] || fail "suite: no summary.json of case $c"
  [ "$(threads "$s")" = "$(share 2)" ] ||
    fail "suite --jobs 2: case $c ran $(threads "$s") threads, expected $(share 2) of $cores cores"
done
echo "t605: one process $cores threads, three ranks $(share 3) each, suite --jobs 2 $(share 2) each"
