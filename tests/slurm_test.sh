#!/usr/bin/env bash
# femora submit / femora status against a real Slurm: a single-node Slurm
# (slurmctld + slurmd, munge for authentication) started here on loopback
# with its own configuration, spool and state under a temporary folder;
# a small validation suite goes in as a job array, a growth scenario as an
# array plus a dependent summary job, one case as an MPI job on 2 tasks.
# Every result is checked; the daemons started here are stopped at the end.
# Skips (exit 77) only when Slurm or munge is not installed.
# usage: slurm_test.sh FEMORA SOURCE_DIR
set -u
femora=$1 src=$2
for t in slurmctld slurmd munged sbatch squeue sinfo; do
  command -v "$t" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
  command -v "$t" >/dev/null 2>&1 || { echo "skipped: $t is not installed (Debian packages slurm-wlm and munge; scripts/setup installs them)"; exit 77; }
done
T=$(mktemp -d /tmp/femora-slurm.XXXXXX)
pids=()
cleanup() {
  [ -f "$T/slurmd.pid" ] && kill "$(cat "$T/slurmd.pid")" 2>/dev/null
  [ -f "$T/slurmctld.pid" ] && kill "$(cat "$T/slurmctld.pid")" 2>/dev/null
  [ -f "$T/munged.pid" ] && kill "$(cat "$T/munged.pid")" 2>/dev/null
  sleep 1
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$T"/log/*.log; do echo "--- $f"; tail -20 "$f"; done; exit 1; }
mkdir -p "$T/state" "$T/spool" "$T/log" "$T/jobs"
head -c 1024 /dev/urandom > "$T/munge.key"; chmod 600 "$T/munge.key"
munged --force --key-file="$T/munge.key" --socket="$T/munge.sock" --pid-file="$T/munged.pid" \
  --log-file="$T/log/munged.log" --seed-file="$T/munge.seed" || fail "munged did not start"
port=$((20000 + RANDOM % 20000))
host=$(hostname -s)
cat > "$T/slurm.conf" <<CONF
ClusterName=femoratest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$T/munge.sock
CredType=cred/munge
SlurmUser=$(id -un)
SlurmdUser=root
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=femoratest Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$T/slurm.conf FEMORA_JOBS_DIR=$T/jobs
slurmctld -c || fail "slurmctld did not start"
slurmd || fail "slurmd did not start"
for i in $(seq 60); do
  [ "$(sinfo -h -o %T 2>/dev/null)" = idle ] && break
  sleep 1
done
[ "$(sinfo -h -o %T)" = idle ] || fail "the node did not become idle"

# a small suite, as a job array
mkdir -p "$T/suite/a" "$T/suite/b"
case="mesh: {file: $src/meshes/test/box_tet4.msh, order: 1}
materials: {solid: {E: 1000, nu: 0.3}}
constraints: [{group: xmin, fix: [x, y, z]}]
load_cases: [{name: pull, loads: [{group: xmax, total_force: [10, 0, 0]}]}]
output: {vtu: false}
expected:
  - {quantity: reaction, group: xmin, component: x, value: -10, tolerance: 1e-6, kind: closed_form, source: equilibrium}"
printf '%s\n' "$case" > "$T/suite/a/pull.yaml"
printf '%s\n' "$case" | sed 's/\[10, 0, 0\]/[20, 0, 0]/; s/value: -10/value: -20/' > "$T/suite/b/pull.yaml"
"$femora" submit "$T/suite" -o "$T/out-suite" --time 00:05:00 --dry-run | grep -q '#SBATCH --array=0-1' || fail "dry run: no job array of 2"
js=$("$femora" submit "$T/suite" -o "$T/out-suite" --time 00:05:00) || fail "submit suite"
# a scenario written in flow style is one (it was taken for a case: the
# `ages:` line was looked for)
printf '{case: %s, ages: [8, 9, 10], body_mass: [30, 30, 30], steps_per_day: 100, activities: [{name: pull, loads: [{group: xmax, percent_bw: [1, 0, 0]}]}]}\n' "$src/cases/test/scenario_bar_case.yaml" > "$T/flow_scen.yaml"
"$femora" submit "$T/flow_scen.yaml" -o "$T/out-flow" --dry-run | grep -q '#SBATCH --array=0-2' || fail "dry run: a flow-style scenario is no job array of 3"
# the default OUTDIR: ./NAME.job, NAME without .yaml and trailing slashes
# (a folder target made a hidden .job inside it, a case NAME.yaml.job)
(cd "$T" && "$femora" submit "$src/tests/bad/good.yaml" --dry-run >/dev/null &&
   "$femora" submit "$T/suite/" --dry-run >/dev/null) || fail "dry runs without -o"
[ -d "$T/good.job" ] && [ -d "$T/suite.job" ] && [ ! -e "$T/suite/.job" ] ||
  fail "default OUTDIR: $(ls -a "$T" "$T/suite" | tr '\n' ' ')"
# a target that fails its check makes no OUTDIR
mkdir -p "$T/empty"
(cd "$T" && ! "$femora" submit "$T/empty" --dry-run >/dev/null 2>&1) || fail "an empty suite folder submitted"
[ ! -e "$T/empty.job" ] || fail "a failed submit left its OUTDIR"

# a folder with a blank and a quote: the sbatch command quotes it, --output
# goes there rather than into an #SBATCH line
"$femora" submit "$src/tests/bad/good.yaml" -o "$T/out case's" --dry-run | grep -q "^# (--output: on sbatch's command line" || fail "dry run: --output of a path with blanks"
jc=$("$femora" submit "$src/tests/bad/good.yaml" -o "$T/out case's" --ntasks-per-node 2 --time 00:05:00) || fail "submit case"
jz=$("$femora" submit "$src/cases/test/scenario_zero_growth.yaml" -o "$T/out-scen" --time 00:05:00 2>/dev/null) || fail "submit scenario"
for i in $(seq 120); do
  [ -z "$(squeue -h 2>/dev/null)" ] && break
  squeue -h -o %r 2>/dev/null | grep -q DependencyNeverSatisfied &&
    fail "a job's dependency failed: $(cat "$T"/out-*/slurm-*.out 2>/dev/null | grep -i error | head -3)"
  sleep 1
done
[ -z "$(squeue -h)" ] || fail "jobs still queued after 120 s: $(squeue)"
"$femora" status "$js" | tee "$T/status-suite" | grep -q '2 finished (0 with failed checks), 0 failed' || fail "suite status: $(cat "$T/status-suite")"
for n in a.pull b.pull; do
  grep -q '^pass' "$T/out-suite/cases/$n/checks.txt" || fail "suite case $n: no passing check"
done
"$femora" status "$jc" | grep -q '1 finished' || fail "case status"
grep -q '"ranks": 2' "$T/out case's/summary.json" || fail "the case did not run on 2 MPI ranks"
ls "$T/out case's"/slurm-*.out > /dev/null 2>&1 || fail "no Slurm log in the folder with a blank"
"$femora" status "$jz" | tee "$T/status-scen" | grep -q '3 finished, 0 failed.*summary written' || fail "scenario status: $(cat "$T/status-scen")"
[ -f "$T/out-scen/report.html" ] || fail "scenario report missing"
"$femora" status 999999 >/dev/null 2>&1 && fail "status of an unknown job succeeded"
exit 0
