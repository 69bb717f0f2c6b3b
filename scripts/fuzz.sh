#!/usr/bin/env bash
# Runs every libFuzzer harness for SECONDS each (default 60) from the fuzz build BUILD_DIR
# (made by `make fuzz`). The working corpus starts from fuzz/corpus/<name> and grows under
# BUILD_DIR/fuzz-corpus/<name>; crashes land in BUILD_DIR/fuzz-artifacts/<name>/.
# Exit 1 when any harness found a crash, a leak, a timeout or ran out of memory: copy the
# artifact into fuzz/regressions/<name>/ once fixed, so ctest replays it for ever.
# PARALLEL harnesses run at a time (default: the number of cores).
set -uo pipefail
BUILD_DIR=${1:?usage: fuzz.sh BUILD_DIR [SECONDS] [NAMES...]}
SECONDS_EACH=${2:-60}
shift 2 2>/dev/null || shift $#
NAMES=("$@")
[ ${#NAMES[@]} -eq 0 ] && NAMES=(manifest regex scenario canary)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PARALLEL=${PARALLEL:-$(nproc 2>/dev/null || echo 2)}

run_one() {
  local name=$1 corpus="$BUILD_DIR/fuzz-corpus/$1" art="$BUILD_DIR/fuzz-artifacts/$1"
  mkdir -p "$corpus" "$art"
  cp -n "$ROOT/fuzz/corpus/$name/"* "$corpus/" 2>/dev/null || true
  # Regressions seed the corpus too: the fuzzer starts from every input that ever broke us.
  cp -n "$ROOT/fuzz/regressions/$name/"* "$corpus/" 2>/dev/null || true
  local start=$SECONDS
  "$BUILD_DIR/bin/${name}_fuzzer" "$corpus" -max_total_time="$SECONDS_EACH" \
    -timeout=30 -rss_limit_mb=4096 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$art/" > "$BUILD_DIR/fuzz-$name.log" 2>&1
  local rc=$?
  local runs
  runs=$(grep -a -o 'stat::number_of_executed_units: *[0-9]*' "$BUILD_DIR/fuzz-$name.log" | grep -o '[0-9]*$')
  echo "fuzz $name: ${runs:-0} inputs in $((SECONDS - start)) s, exit $rc"
  if [ $rc -ne 0 ]; then
    grep -a -E "ERROR|SUMMARY|regex_fuzzer:|Test unit written" "$BUILD_DIR/fuzz-$name.log" | head -20
    return 1
  fi
}

status=0
pids=()
for name in "${NAMES[@]}"; do
  run_one "$name" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$PARALLEL" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
