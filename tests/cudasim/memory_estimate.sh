#!/usr/bin/env bash
# The GPU memory estimate covers the peak (t904, the CUDA simulator's
# build): `femora run CASE --backend cuda` with the preconditioner PC runs
# once on a large simulated device (CUDASIM_PEAK_FILE: the most device
# memory it held at once), then on a device one byte smaller than that
# peak, where it must be refused by the estimate before allocating ("model
# needs ... of GPU memory"; exit 1, one line), not fail in a cudaMalloc
# half way.  Since the estimate's refusal only gets likelier as the device
# shrinks, every smaller device is refused by it too.
# usage: memory_estimate.sh FEMORA CASE PC
set -u
femora=$1 case=$2 pc=$3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
CUDASIM_PEAK_FILE="$out/peak" "$femora" run "$case" -o "$out/a" --quiet \
  --backend cuda --preconditioner "$pc" >/dev/null 2>"$out/err1" ||
  { echo "FAIL: the run on a large device failed:"; cat "$out/err1"; exit 1; }
peak=$(cat "$out/peak")
CUDASIM_MEMORY=$((peak - 1)) "$femora" run "$case" -o "$out/b" --quiet \
  --backend cuda --preconditioner "$pc" >/dev/null 2>"$out/err2"
rc=$?
echo "$pc: peak $peak bytes; on $((peak - 1)) bytes: $(cat "$out/err2")"
[ "$rc" -eq 1 ] || { echo "FAIL: exit status $rc, expected 1"; exit 1; }
[ "$(wc -l <"$out/err2")" -eq 1 ] || { echo "FAIL: expected one line"; exit 1; }
grep -q "model needs .* of GPU memory" "$out/err2" ||
  { echo "FAIL: not refused by the estimate"; exit 1; }
exit 0
