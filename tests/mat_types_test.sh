#!/usr/bin/env bash
# t606: the PETSc path takes its matrix type from the options, as a cluster
# user running one model on many GPUs does (-mat_type aijcusparse with a
# CUDA-enabled PETSc, docs/gpu.md).  Debian's PETSc has no CUDA types, so the
# AIJ subclasses it has stand in for them: aijperm and aijsell inherit the
# CSR preallocation Femora hands its rows to, as aijcusparse does.  Each must
# be the type the solve ran with (-ksp_view) and give the default run's
# displacements to 1e-6, on one rank and on two (and an mpi type on one:
# the p-multigrid's interpolation takes the stiffness's type); a type that
# cannot take the rows (baij) and one this PETSc lacks are refused in one
# line naming them.
# usage: mat_types_test.sh FEMORA SOURCE_DIR
set -u
femora=$1 src=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# the bundled box with its fields written (its mesh found from here)
sed -e 's|vtu: false|vtu: true|' -e "s|file: ../../meshes|file: $src/meshes|" \
  "$src/cases/test/gpu_box_tet10.yaml" > "$work/box.yaml"
grep -q 'vtu: true' "$work/box.yaml" || fail "the box case no longer writes fields"
case_file="$work/box.yaml"
"$femora" run "$case_file" -o "$work/aij" --backend cpu --quiet || fail "default matrix type"
agree() { # every displacement of every load case, to 1e-6 of the largest
  python3 - "$src/tests" "$1" "$2" <<'PY' || fail "$2: displacements differ from the default run's"
import glob, os, sys
import xml.etree.ElementTree as ET
sys.path.insert(0, sys.argv[1])
from check_vtu import arrays
def disp(path):
    return arrays(ET.parse(path).getroot().find("UnstructuredGrid/Piece"))["displacement"][0]
files = sorted(glob.glob(os.path.join(sys.argv[2], "*.vtu")))
assert len(files) == 2, f"{len(files)} load cases' fields, expected 2"
for f in files:
    a, b = disp(f), disp(os.path.join(sys.argv[3], os.path.basename(f)))
    ref = max(abs(v) for v in a)
    assert len(a) == len(b) and ref > 0, f"{f}: {len(b)} values against {len(a)}"
    worst = max(abs(x - y) for x, y in zip(a, b))
    if worst > 1e-6 * ref:
        sys.exit(f"{sys.argv[3]}: {os.path.basename(f)} differs by {worst:.3g} (1e-6 of {ref:.6g})")
    print(f"{os.path.basename(sys.argv[3])} {os.path.basename(f)}: {len(a)} values, at most {worst:.2g} apart")
PY
}
# NP TYPE: the type the solve's matrix must have (an mpi type on one rank
# too, as job scripts name it whatever the rank count)
for run in "1 aijperm seqaijperm" "1 aijsell seqaijsell" "1 mpiaijperm mpiaijperm" \
           "2 aijperm mpiaijperm" "2 aijsell mpiaijsell"; do
  set -- $run
  np=$1 t=$2 want=$3
  out="$work/$t-$np"
  "$femora" run "$case_file" -o "$out" --backend cpu --np "$np" --quiet -- -mat_type "$t" -ksp_view \
    > "$work/$t-$np.log" 2>&1 || { cat "$work/$t-$np.log"; fail "-mat_type $t on $np rank(s)"; }
  grep -q "type: $want\$" "$work/$t-$np.log" || fail "-mat_type $t on $np rank(s): the solve's matrix is not $want"
  agree "$work/aij" "$out"
done

refused() { # -mat_type T exits 1 with one line naming T and saying WHAT
  local t=$1 what=$2
  "$femora" run "$case_file" -o "$work/bad-$t" --backend cpu --quiet -- -mat_type "$t" > "$work/bad-$t.log" 2>&1
  local rc=$?
  [ "$rc" = 1 ] || { cat "$work/bad-$t.log"; fail "-mat_type $t: exit $rc, expected 1"; }
  [ "$(grep -c 'error' "$work/bad-$t.log")" = 1 ] || { cat "$work/bad-$t.log"; fail "-mat_type $t: not one error line"; }
  grep -q "femora: error: .*-mat_type $t: .*$what" "$work/bad-$t.log" ||
    { cat "$work/bad-$t.log"; fail "-mat_type $t: the line does not name the type and the fault"; }
  [ ! -e "$work/bad-$t/summary.json" ] || fail "-mat_type $t: a summary was written"
}
refused baij "Femora assembles AIJ matrices"
refused dense "Femora assembles AIJ matrices"
refused nosuchtype "a type this PETSc does not have"
echo "PASS"
