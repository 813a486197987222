#!/usr/bin/env bash
# femora dump writes the very system femora solves: a plain Jacobi-CG on the
# dumped file (scripts/cupy_cg.py, plain-Python path) reproduces femora's
# largest displacement to 1e-6.
# usage: dump_test.sh FEMORA SOURCE_DIR
set -u
femora=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$femora" dump "$src/tests/bad/good.yaml" -o "$work/sys.bin" || { echo "FAIL: dump"; exit 1; }
"$femora" run "$src/tests/bad/good.yaml" -o "$work/run" --quiet || { echo "FAIL: run"; exit 1; }
python3 "$src/scripts/cupy_cg.py" "$work/sys.bin" --python --rtol 1e-10 > "$work/cg.json" || { echo "FAIL: cupy_cg.py"; exit 1; }
python3 - "$work/cg.json" "$work/run/summary.json" <<'PY'
import json, sys
cg = json.load(open(sys.argv[1]))
ref = json.load(open(sys.argv[2]))["load_cases"][0]["max_displacement"]
err = abs(cg["max_nodal_displacement"] - ref) / ref
if not (err < 1e-6 and cg["residual"] < 1e-9):
    sys.exit(f"FAIL: Jacobi-CG on the dump gives {cg['max_nodal_displacement']} (residual {cg['residual']}), femora {ref}")
PY
