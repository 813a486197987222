#!/usr/bin/env bash
# The log's notes on a model that linear elasticity or the element serves
# badly: a displacement beyond a few percent of the model's size (a weak
# support, loads or moduli in other units) is a WARNING, with the ratio in
# summary.json; TET4 with nu > 0.45 (volumetric locking) and nu >= 0.49
# with TET10 are noted; an ordinary model gets none of them.
# usage: model_notes_test.sh FEMORA SOURCE_DIR
set -u
femora=$1 src=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$femora" run "$src/cases/test/contrast_bar.yaml" -o "$work/big" --backend ref --quiet || fail "contrast_bar did not run"
grep -q "WARNING: the largest displacement 2.5e+04 is 2.48e+04% of the model's size 101: beyond the small displacements" "$work/big/femora.log" ||
  fail "no large-displacement warning: $(grep -i warn "$work/big/femora.log")"
python3 -c "import json, sys; r = json.load(open(sys.argv[1]))['load_cases'][0]['displacement_to_size']; assert abs(r - 247.54) < 0.01, r" \
  "$work/big/summary.json" || fail "displacement_to_size"
sed -e 's/nu: 0.34/nu: 0.47/' -e "s|\.\./\.\./meshes|$src/meshes|" "$src/tests/bad/good.yaml" > "$work/nu.yaml"
"$femora" run "$work/nu.yaml" -o "$work/nu" --backend ref --quiet || fail "the TET4 case did not run"
grep -q "note: material 'solid' has nu = 0.47: linear tetrahedra (TET4) lock" "$work/nu/femora.log" || fail "no TET4 locking note"
"$femora" run "$src/cases/validation/closed_form/fatigue_bar.yaml" -o "$work/ok" --backend ref --quiet || fail "fatigue_bar did not run"
! grep -q "WARNING\|note: material" "$work/ok/femora.log" || fail "notes on an ordinary model: $(grep "WARNING\|note" "$work/ok/femora.log")"
echo PASS
