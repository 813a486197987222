#!/usr/bin/env bash
# Bad command-line values: exit 2 and one line naming the option and the
# value, nothing run.  Numbers are read whole and range-checked (atoi took
# "3x" as 3, "abc" as 0: --max-slowdown abc switched the slowdown gate off,
# --np 4294967297 ran one rank); an option given last without its value
# is named as such (it was "unknown"); an empty value is refused; submit's
# --time and --partition, written into the job script, take nothing else;
# an option given twice is refused (the first was overridden silently);
# unknown backend and preconditioner names are refused before any work.
# usage: cli_args_test.sh FEMORA SOURCE_DIR
set -u
femora=$1 src=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
case=$src/tests/bad/good.yaml
n=0
check() { # FRAGMENT ARGS...
  local frag=$1
  shift
  "$femora" "$@" >out.txt 2>err.txt
  local rc=$?
  n=$((n + 1))
  [ $rc -eq 2 ] || { cat err.txt; fail "femora $*: exit $rc, expected 2"; }
  [ "$(wc -l <err.txt)" -eq 1 ] || { cat err.txt; fail "femora $*: not one line"; }
  grep -qF -- "$frag" err.txt || { cat err.txt; fail "femora $*: message lacks '$frag'"; }
  [ ! -e out.txt ] || [ ! -s out.txt ] || { cat out.txt; fail "femora $*: ran"; }
}
check "femora: error: -o needs a value" run "$case" -o
check "--np '4294967297': expected a whole number from 1 to 4096" run "$case" --np 4294967297
check "--np '2x'" run "$case" --np 2x
check "--backend: the value is empty" run "$case" --backend ""
check "--ratio 'inf': expected a number above 1" converge "$case" --ratio inf
check "--levels '3x'" converge "$case" --levels 3x
check "--step 'abc'" scenario "$case" --step abc
check "--step '-5'" scenario "$case" --step -5
check "suite: --max-slowdown 'abc'" suite "$work" --max-slowdown abc
check "suite: --max-slowdown '0.5'" suite "$work" --max-slowdown 0.5
check "suite: --jobs '2x'" suite "$work" --jobs 2x
check "submit: --nodes '2x'" submit "$case" --nodes 2x --dry-run
check "run: option -o given twice" run "$case" -o a -o b
check "scenario: option --np given twice" scenario "$case" --np 2 --quiet --np 3
check "suite: option --jobs given twice" suite "$work" --jobs 1 --jobs 2
check "submit: option --time given twice" submit "$case" --time 1:00:00 --time 2:00:00 --dry-run
check "generate: option -h given twice" generate implant -h 1 -h 2 -o m.msh
# a misspelt backend or preconditioner, or no case file: one line, before
# anything is meshed or written (run --backend gpu meshed, made OUTDIR and
# wrote mesh.msh and femora.log, then failed with exit 1; run without a case
# printed the whole usage)
check "--backend gpu: unknown (choose cpu, ref, cuda or auto)" run "$case" --backend gpu -o made
[ ! -e made ] || fail "run --backend gpu made its OUTDIR"
check "--backend gpu: unknown" converge "$case" --backend gpu
check "--preconditioner ilu: must be amg, pmg or jacobi" scenario "$case" --preconditioner ilu
check "--preconditioner ilu: must be amg, pmg or jacobi" run "$case" --preconditioner ilu -o made
[ ! -e made ] || fail "run --preconditioner ilu made its OUTDIR"
check "run: no case file given" run
check "scenario: no scenario file given" scenario --quiet
check "usage: femora submit" submit "$case" --time 1:2:3junk --dry-run
check "usage: femora submit" submit "$case" --partition "$(printf 'a\n#SBATCH --x')" --dry-run
check "generate: -h '0x'" generate implant -h 0x -o "$work/m.msh"
[ ! -e "$work/m.msh" ] || fail "generate wrote a mesh"
"$femora" status '1;ls' >out.txt 2>err.txt && fail "status accepted a job id that is no number"
grep -q "job '1;ls': not a Slurm job id" err.txt || { cat err.txt; fail "status: message"; }
echo "cli_args_test: $n bad command lines refused"
