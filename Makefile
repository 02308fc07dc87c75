# The two commands of the README: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
RELEASE := build/release
TEST := build/test
FUZZ := build/fuzz
CMAKE_COMMON := -G Ninja -Wno-dev

.PHONY: setup web release run serve test test-build fuzz-build bench clean

setup:
	@scripts/setup

web: setup
	@scripts/build-web

release: web
	@cmake -S . -B $(RELEASE) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Release -DMTRACE_TESTS=OFF >/dev/null
	@cmake --build $(RELEASE) -j $(JOBS)

run: release
	$(RELEASE)/mtrace lab

serve: release
	$(RELEASE)/mtrace serve

test-build: web
	@cmake -S . -B $(TEST) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Debug -DMTRACE_SANITIZE=ON -DMTRACE_BENCH=OFF >/dev/null
	@cmake --build $(TEST) -j $(JOBS)

fuzz-build: setup
	@CXX=clang++ cmake -S . -B $(FUZZ) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMTRACE_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ) -j $(JOBS)

# Fuzzing first (bounded), then every other test: C++ unit and integration, SDK and dashboard, browser.
test: test-build fuzz-build
	cd $(FUZZ) && ctest -j $(JOBS) --output-on-failure
	cd $(TEST) && ctest -j $(JOBS) --output-on-failure

bench: release
	@cmake -S . -B $(RELEASE) -DMTRACE_BENCH=ON >/dev/null && cmake --build $(RELEASE) -j $(JOBS)
	@bench/run $(RELEASE)

clean:
	rm -rf build
