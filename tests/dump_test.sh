#!/usr/bin/env bash
# femora dump writes the very system femora solves: a plain Jacobi-CG on the
# dumped file (scripts/cupy_cg.py, plain-Python path) reproduces femora's
# largest displacement to 1e-6.  Where a python3 with numpy is found, the
# script's CuPy path too (the dump read into numpy arrays, CG and the
# bandwidth probes) with numpy standing in for CuPy (tests/fakecupy): the
# same iterations and answer as the plain-Python path.
# usage: dump_test.sh FEMORA SOURCE_DIR
set -u
femora=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$femora" dump "$src/tests/bad/good.yaml" -o "$work/sys.bin" || { echo "FAIL: dump"; exit 1; }
"$femora" run "$src/tests/bad/good.yaml" -o "$work/run" --quiet || { echo "FAIL: run"; exit 1; }
python3 "$src/scripts/cupy_cg.py" "$work/sys.bin" --python --rtol 1e-10 > "$work/cg.json" || { echo "FAIL: cupy_cg.py"; exit 1; }
python3 - "$work/cg.json" "$work/run/summary.json" <<'PY' || exit 1
import json, sys
cg = json.load(open(sys.argv[1]))
ref = json.load(open(sys.argv[2]))["load_cases"][0]["max_displacement"]
err = abs(cg["max_nodal_displacement"] - ref) / ref
if not (err < 1e-6 and cg["residual"] < 1e-9):
    sys.exit(f"FAIL: Jacobi-CG on the dump gives {cg['max_nodal_displacement']} (residual {cg['residual']}), femora {ref}")
PY

# the CuPy path, numpy standing in for CuPy
py=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c "import numpy" 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
  echo "t705: no python3 with numpy here: the CuPy path not run"
  exit 0
fi
PYTHONPATH="$src/tests/fakecupy" "$py" "$src/scripts/cupy_cg.py" "$work/sys.bin" --rtol 1e-10 > "$work/cg-np.json" ||
  { echo "FAIL: cupy_cg.py, CuPy path (numpy for CuPy)"; exit 1; }
"$py" - "$work/cg-np.json" "$work/cg.json" <<'PY' || exit 1
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
if a["backend"] != "cupy" or not (a["spmv_gbs"] > 0 and a["copy_gbs"] > 0):
    sys.exit(f"FAIL: the CuPy path did not run as such: {a}")
if a["n"] != b["n"] or a["nnz"] != b["nnz"] or abs(a["iterations"] - b["iterations"]) > 1:
    sys.exit(f"FAIL: CuPy path {a['n']} rows, {a['nnz']} nonzeros, {a['iterations']} iterations; "
             f"Python path {b['n']}, {b['nnz']}, {b['iterations']}")
err = abs(a["max_nodal_displacement"] - b["max_nodal_displacement"]) / b["max_nodal_displacement"]
if not (err < 1e-9 and a["residual"] < 1e-9):
    sys.exit(f"FAIL: CuPy path max displacement {a['max_nodal_displacement']} (residual {a['residual']}), "
             f"Python path {b['max_nodal_displacement']}")
print(f"t705: the CuPy path (numpy for CuPy): {a['iterations']} iterations, as the Python path")
PY
# a solve stopped short of the tolerance is no comparison: exit 1, its
# line printed (it passed, and the benchmark compared with it)
PYTHONPATH="$src/tests/fakecupy" "$py" "$src/scripts/cupy_cg.py" "$work/sys.bin" --rtol 1e-10 --max-it 3 > "$work/cg-short.json" 2> "$work/cg-short.err" &&
  { echo "FAIL: cupy_cg.py stopped at 3 iterations and exited 0"; exit 1; }
grep -q "CG did not converge: 3 iterations" "$work/cg-short.err" || { cat "$work/cg-short.err"; echo "FAIL: no message for the short solve"; exit 1; }
