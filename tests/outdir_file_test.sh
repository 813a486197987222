#!/bin/sh
# An output folder named where a file (not a folder) is: run, scenario,
# converge and suite each fail with one line naming it, and leave the file
# alone (t722).  Usage: outdir_file_test.sh FEMORA SOURCE_DIR
femora=$1
src=$2
rm -rf t722.file
printf 'keep me\n' > t722.file
fail=0
check() { # what, then the command
  what=$1
  shift
  if "$@" > t722.stdout 2> t722.err; then
    echo "t722: $what: succeeded with a file as its output folder"
    fail=1
  elif ! grep -q "^femora: error: t722.file: exists and is not a directory$" t722.err; then
    echo "t722: $what: message:"
    cat t722.err
    fail=1
  fi
  if [ "$(cat t722.file)" != "keep me" ]; then
    echo "t722: $what: the file was changed"
    fail=1
  fi
}
check run "$femora" run "$src/tests/bad/good.yaml" -o t722.file --quiet
check scenario "$femora" scenario "$src/cases/test/scenario_zero_growth.yaml" -o t722.file
check converge "$femora" converge "$src/cases/validation/closed_form/lame_cylinder.yaml" --levels 3 -o t722.file
check suite "$femora" suite "$src/cases/validation/closed_form" -o t722.file
exit $fail
