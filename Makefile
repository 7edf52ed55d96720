# The two commands of the README, and a few helpers. Everything goes through CMake.
#   make        release build: build/bin/spate, build/examples/*.so
#   make demo   set up, build, run WordCount on its built-in text
#   make dashboard  release build, then a streaming job with the web dashboard on
#               http://localhost:8081/ until Ctrl-C (scripts/dashboard-demo.sh)
#   make check  set up, build with ASan + UBSan (build-check/), run every test through ctest
#   make tsan   set up, build with ThreadSanitizer (build-tsan/), run every test through ctest
#   make bench  set up, release build, run every benchmark
#   make fuzz   set up clang, build the libFuzzer targets (build-fuzz/), run each for
#               FUZZ_SECONDS (default 60; FUZZ_TARGETS="config row" runs only those)
#   make format set up, format every C file with .clang-format (make check tests it)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=

.PHONY: all release setup demo dashboard check tsan bench fuzz format clean

all: release

setup:
	@bash scripts/setup.sh

release: setup
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build -j $(JOBS)

demo: release
	build/bin/spate run build/examples/wordcount.so
	@echo
	@echo "The web dashboard: run 'make dashboard' (or scripts/dashboard-demo.sh), then open"
	@echo "http://localhost:8081/ (README: 'The web dashboard')."

dashboard: release
	@bash scripts/dashboard-demo.sh build

check: setup
	@cmake -S . -B build-check -DCMAKE_BUILD_TYPE=Debug -DSPATE_SANITIZE=ON >/dev/null
	@cmake --build build-check -j $(JOBS)
	cd build-check && ctest --output-on-failure -j $(JOBS)

# TSan cannot share a process with ASan, hence a build directory of its own. Debug keeps the
# asserts; CMake adds -O1 for SPATE_TSAN. TSAN_OPTIONS (set per test in tests/CMakeLists.txt)
# make any report fail its test.
tsan: setup
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DSPATE_TSAN=ON >/dev/null
	@cmake --build build-tsan -j $(JOBS)
	cd build-tsan && ctest --output-on-failure -j $(JOBS)

bench: release
	@bash bench/run.sh build

fuzz:
	@bash scripts/setup.sh fuzz
	@cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang-14 -DCMAKE_BUILD_TYPE=Release \
	  -DSPATE_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target fuzzers
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_TARGETS="$(FUZZ_TARGETS)" bash tests/fuzz/run.sh build-fuzz

format: setup
	@bash scripts/format.sh

clean:
	rm -rf build build-check build-tsan build-fuzz
