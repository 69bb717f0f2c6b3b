# meshproof: two commands on a fresh Debian 12 machine (see README.md).
#   make demo   installs what is missing, builds everything, verifies a bundled scenario
#   make test   builds and runs every test (C++ through ctest, Python through pytest)
BUILD   ?= build
PYTHON  ?= /usr/bin/python3
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
SCENARIO ?= scenarios/bookstore/mesh

.PHONY: all deps configure build demo test test-cpp test-python bench asan fuzz format clean package install

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DPython_EXECUTABLE=$(PYTHON) $(CMAKE_FLAGS) > $(BUILD).configure.log 2>&1 \
	  || (cat $(BUILD).configure.log; exit 1)

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@echo
	@echo "== meshproof verify $(SCENARIO) =="
	@$(BUILD)/bin/meshproof verify $(SCENARIO)
	@echo
	@echo "== meshproof simulate scenarios/payments/scenario.yaml =="
	@$(BUILD)/bin/meshproof simulate scenarios/payments/scenario.yaml
	@echo
	@echo "== meshproof canary scenarios/canary-denied/scenario.yaml =="
	@$(BUILD)/bin/meshproof canary scenarios/canary-denied/scenario.yaml

test: build test-cpp test-python

test-cpp:
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-python:
	@MESHPROOF_BUILD_DIR=$(abspath $(BUILD)) $(PYTHON) -m pytest -q bindings/tests cli/tests app/tests

# A Debian package of the installed files: $(BUILD)/meshproof_<version>_<arch>.deb
# (install it with `apt install ./$(BUILD)/meshproof_*.deb`).
package: build
	@cd $(BUILD) && cpack -G DEB

# Installs into PREFIX (default /usr/local; the Python package goes where Debian's python3
# looks for that prefix).
PREFIX ?= /usr/local
install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

# Benchmarks (not part of `make test`): the ratios the issues target, and peak memory of a
# full verify of a generated 10000-service mesh.
bench: build
	@$(BUILD)/bin/engine_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
	  --benchmark_out=$(BUILD)/engine_bench.json --benchmark_out_format=json > /dev/null
	@$(BUILD)/bin/verify_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
	  --benchmark_out=$(BUILD)/verify_bench.json --benchmark_out_format=json > /dev/null
	@$(BUILD)/bin/simulator_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
	  --benchmark_out=$(BUILD)/simulator_bench.json --benchmark_out_format=json > /dev/null
	@$(PYTHON) scripts/bench_ratio.py $(BUILD)/engine_bench.json $(BUILD)/verify_bench.json \
	  $(BUILD)/simulator_bench.json
	@$(BUILD)/bin/solver_bench
	@$(BUILD)/bin/diff_bench
	@$(BUILD)/bin/meshproof-meshgen --services 10000 --namespaces 200 > $(BUILD)/mesh-10000.yaml
	@/usr/bin/time -f "verify of 10000 services: %e s, peak RSS %M KB (target < 1 GiB)" \
	  $(BUILD)/bin/meshproof verify --quiet $(BUILD)/mesh-10000.yaml

# One sanitized build serves `asan` and `fuzz`: clang with AddressSanitizer +
# UndefinedBehaviorSanitizer and libFuzzer's coverage instrumentation, in $(BUILD)-asan.
# (One build instead of a g++ ASan build and a clang fuzz build halves CI's compile time.)
SANITIZED_CONFIGURE = CC=clang CXX=clang++ cmake -S . -B $(BUILD)-asan -G Ninja \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMESHPROOF_SANITIZE=ON -DMESHPROOF_FUZZ=ON \
	  -DMESHPROOF_BUILD_PYTHON=OFF -DMESHPROOF_BUILD_BENCHMARKS=OFF \
	  -DPython_EXECUTABLE=$(PYTHON) $(CMAKE_FLAGS) > $(BUILD)-asan.configure.log 2>&1 \
	  || (cat $(BUILD)-asan.configure.log; exit 1)

# C++ tests (and the fuzz harnesses' replays) under ASan + UBSan.
asan: deps
	@$(SANITIZED_CONFIGURE)
	@cmake --build $(BUILD)-asan -j $(JOBS)
	@cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

# libFuzzer harnesses (docs/fuzzing.md) under ASan + UBSan, each run for FUZZ_SECONDS (two
# at a time on two cores). Exit 1 on a crash; the input is in
# $(BUILD)-asan/fuzz-artifacts/NAME/.
FUZZ_SECONDS ?= 60
FUZZERS = manifest_fuzzer regex_fuzzer scenario_fuzzer canary_fuzzer
fuzz: deps
	@$(SANITIZED_CONFIGURE)
	@cmake --build $(BUILD)-asan -j $(JOBS) --target $(FUZZERS)
	@bash scripts/fuzz.sh $(BUILD)-asan $(FUZZ_SECONDS)

format:
	@clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-fuzz $(BUILD).configure.log $(BUILD)-asan.configure.log \
	  $(BUILD)-fuzz.configure.log
