#!/bin/sh
# t912: the CUDA backend gives the same bits from run to run.  usage:
#   same_bits.sh FEMORA CASE OUT
# Solves CASE (its fields written) twice with --backend cuda and requires
# every VTU file to be byte for byte the same, and the summaries' load
# cases (iterations, residuals, maxima, reactions) to be equal.  On the
# CUDA simulator the second run executes every kernel's blocks and threads
# last first (CUDASIM_ORDER=reverse), so a kernel whose result depends on
# the order its threads run in (a race, or floating-point atomics: the
# assembly and the recovery sum by rows in element order instead) fails
# here; on a GPU it is the run-to-run check, cuSPARSE's products included.
# Exit 77 (skipped) without a CUDA device.
femora=$1 case=$2 out=$3
root=$(cd "$(dirname "$case")/../.." && pwd)
rm -rf "$out" && mkdir -p "$out" || exit 1
sed -e 's|^output: .*|output: {vtu: true}|' -e "s|file: \.\./\.\./|file: $root/|" \
  "$case" > "$out/case.yaml" || exit 1
if ! "$femora" run "$out/case.yaml" -o "$out/a" --backend cuda --quiet > "$out/a.log" 2>&1; then
  if grep -q "no CUDA device" "$out/a.log"; then
    echo "skipped: no CUDA device"
    exit 77
  fi
  cat "$out/a.log"
  exit 1
fi
CUDASIM_ORDER=reverse "$femora" run "$out/case.yaml" -o "$out/b" --backend cuda --quiet \
  > "$out/b.log" 2>&1 || { cat "$out/b.log"; exit 1; }
n=0
for f in "$out"/a/*.vtu; do
  [ -f "$f" ] || continue
  g="$out/b/$(basename "$f")"
  if ! cmp -s "$f" "$g"; then
    echo "t912: $(basename "$f") differs between the two runs ($case)"
    exit 1
  fi
  n=$((n + 1))
done
if [ "$n" -lt 1 ] || [ "$(ls "$out"/b/*.vtu | wc -l)" -ne "$n" ]; then
  echo "t912: $n VTU files in the first run, $(ls "$out"/b/*.vtu 2>/dev/null | wc -l) in the second ($case)"
  exit 1
fi
python3 - "$out/a/summary.json" "$out/b/summary.json" <<'PY' || exit 1
import json, sys
a, b = (json.load(open(p))["load_cases"] for p in sys.argv[1:3])
if a != b:
    sys.exit("t912: the summaries' load cases differ between the two runs")
PY
echo "t912: $n VTU files and the load cases' summaries the same in both runs ($case)"
