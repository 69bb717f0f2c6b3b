#!/usr/bin/env bash
# No function over 80 lines in the files that hold the phases of a pipeline (STYLE.md):
# clang-tidy's readability-function-size over the build's compile_commands.json.
# Usage: scripts/check-function-size.sh [BUILD_DIR]   (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
files=(
  engine/src/graph.cc
  solver/src/query.cc
  simulator/src/aggregation.cc simulator/src/canary.cc simulator/src/canary_render.cc
  simulator/src/compile.cc simulator/src/flagger.cc simulator/src/flagger_objects.cc
  simulator/src/metric_window.cc simulator/src/replication.cc simulator/src/scenario.cc
  cli/main.cc app/src/main.cc
  app/src/codes.cc app/src/commands.cc app/src/help.cc app/src/output.cc
  app/src/render_text.cc app/src/run.cc app/src/run_scenario.cc app/src/settings.cc
  app/src/sweep.cc simulator/src/overrides.cc simulator/src/slo.cc
)
out=$(clang-tidy -p "$build" --quiet --checks='-*,readability-function-size' \
  --config='{CheckOptions: [{key: readability-function-size.LineThreshold, value: 80}]}' \
  "${files[@]}" 2>&1 || true)
if grep -q "warning: function" <<<"$out"; then
  grep -A3 "warning: function" <<<"$out"
  echo "function size: functions over 80 lines (split them along their phases)"
  exit 1
fi
if grep -q "error:" <<<"$out"; then
  echo "$out" | grep "error:" | head -20
  echo "function size: clang-tidy could not read the files (is $build configured?)"
  exit 1
fi
echo "function size ok: ${#files[@]} files, no function over 80 lines"
