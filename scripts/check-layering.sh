#!/usr/bin/env bash
# Enforces the one-way layering engine <- solver <- simulator <- app <- bindings/cli:
# a folder may include only headers of folders below it. Exits 1 naming each violation.
set -u
cd "$(dirname "$0")/.."
status=0
check() {  # check FOLDER FORBIDDEN_LAYER...
  local folder=$1; shift
  for layer in "$@"; do
    if hits=$(grep -rn --include='*.h' --include='*.cc' "#include \"meshproof/${layer}/" "$folder" 2>/dev/null); then
      echo "layering violation: ${folder}/ must not include meshproof/${layer}/:"
      echo "$hits"
      status=1
    fi
  done
}
check engine solver simulator app
check solver simulator app
check simulator app
# The front doors are thin: they speak only to the application layer.
check cli engine solver simulator
# The engine never links Z3 (STYLE.md): no z3 include anywhere under engine/.
if hits=$(grep -rn --include='*.h' --include='*.cc' '#include <z3' engine 2>/dev/null); then
  echo "layering violation: engine/ must not use Z3:"; echo "$hits"; status=1
fi
[ $status -eq 0 ] && echo "layering ok: engine <- solver <- simulator <- app <- bindings/cli"
exit $status
