#!/usr/bin/env bash
# t725: a group name several physical groups share (Gmsh allows it, of one
# dimension or several) means all of them, for constraints and for surface
# loads, as it does for materials.  Before, only the first group in the
# file was fixed or loaded, silently.  The box mesh with its xmax face
# renamed: "xmin" on both ends (fixed), or "sides" holding xmax too
# (pressure); each run must equal the original mesh with the groups
# named apart.
# usage: group_names_test.sh FEMORA SOURCE_DIR
set -u
femora=$1 src=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
msh="$src/meshes/test/box_tet4.msh"
sed 's/^2 12 "xmax"$/2 12 "xmin"/' "$msh" > "$work/ends.msh"
sed 's/^2 12 "xmax"$/2 12 "sides"/' "$msh" > "$work/sides.msh"
grep -c '"xmin"' "$work/ends.msh" | grep -q 2 || fail "could not rename xmax in the mesh"
grep -c '"sides"' "$work/sides.msh" | grep -q 2 || fail "could not rename xmax in the mesh"
head="materials: {solid: {E: 1000, nu: 0.3}}
output: {vtu: false}"
# both ends fixed, a side pushed: one group name against two
printf 'mesh: {file: %s, order: 1}\n%s\nconstraints: [{group: xmin, fix: [x, y, z]}]\nload_cases: [{name: push, loads: [{group: sides, pressure: 1}]}]\n' \
  "$work/ends.msh" "$head" > "$work/a.yaml"
printf 'mesh: {file: %s, order: 1}\n%s\nconstraints: [{group: xmin, fix: [x, y, z]}, {group: xmax, fix: [x, y, z]}]\nload_cases: [{name: push, loads: [{group: sides, pressure: 1}]}]\n' \
  "$msh" "$head" > "$work/b.yaml"
# pressure on "sides" that holds xmax too, against sides and xmax apart
printf 'mesh: {file: %s, order: 1}\n%s\nconstraints: [{group: xmin, fix: [x, y, z]}]\nload_cases: [{name: push, loads: [{group: sides, pressure: 1}]}]\n' \
  "$work/sides.msh" "$head" > "$work/c.yaml"
printf 'mesh: {file: %s, order: 1}\n%s\nconstraints: [{group: xmin, fix: [x, y, z]}]\nload_cases: [{name: push, loads: [{group: sides, pressure: 1}, {group: xmax, pressure: 1}]}]\n' \
  "$msh" "$head" > "$work/d.yaml"
for k in a b c d; do
  "$femora" run "$work/$k.yaml" -o "$work/$k.out" --quiet --backend ref > "$work/$k.log" 2>&1 ||
    { cat "$work/$k.log"; fail "run $k"; }
done
python3 - "$work" <<'PY' || fail "results differ"
import json, sys
w = sys.argv[1]
def lc(k):
    return json.load(open(f"{w}/{k}.out/summary.json"))["load_cases"][0]
ok = True
for x, y, what in (("a", "b", "both ends named xmin"), ("c", "d", "sides holding xmax")):
    p, q = lc(x), lc(y)
    for key in ("max_displacement",):
        if abs(p[key] - q[key]) > 1e-9 * abs(q[key]):
            print(f"{what}: {key} {p[key]} against {q[key]}"); ok = False
    for i in range(3):
        if abs(p["applied_force"][i] - q["applied_force"][i]) > 1e-9 * (1 + abs(q["applied_force"][i])):
            print(f"{what}: applied force {p['applied_force']} against {q['applied_force']}"); ok = False
sys.exit(0 if ok else 1)
PY
