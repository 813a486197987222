#!/usr/bin/env bash
# Run femora on a small case under valgrind memcheck: no invalid access, no
# use of uninitialised memory, no definite leak of ours (the MPI runtime's
# one-time allocations are suppressed in tests/valgrind.supp).
# usage: valgrind.sh FEMORA CASE EXPECTED_EXIT [PETSC OPTION ...]
set -u
femora=$1 case=$2 want=$3
shift 3
petsc=("$@")
here=$(cd "$(dirname "$0")" && pwd)
command -v valgrind >/dev/null || { echo "skipped: valgrind is not installed"; exit 0; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
  --suppressions="$here/valgrind.supp" --log-file="$out/vg.txt" \
  "$femora" run "$case" -o "$out/res" --quiet ${petsc[@]+-- "${petsc[@]}"} >/dev/null 2>"$out/stderr"
rc=$?
if [ "$rc" -eq 99 ]; then echo "FAIL: valgrind found errors:"; cat "$out/vg.txt"; exit 1; fi
[ "$rc" -eq "$want" ] || { echo "FAIL: exit $rc, expected $want"; cat "$out/stderr"; exit 1; }
# FEMORA_VG_EXPECT: the error line must say this (the path under test ran)
if [ -n "${FEMORA_VG_EXPECT:-}" ] && ! grep -qF -- "$FEMORA_VG_EXPECT" "$out/stderr"; then
  echo "FAIL: no '$FEMORA_VG_EXPECT' in:"; cat "$out/stderr"; exit 1
fi
exit 0
