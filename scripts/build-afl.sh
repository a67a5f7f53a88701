#!/usr/bin/env bash
# build-afl.sh — builds the fuzz targets for AFL++ into build/afl.
#
#   scripts/build-afl.sh       # -> build/afl/targets/fuzz/<target>_afl
#
# A separate CMake configure with CC=afl-clang-fast, so that everything the
# targets run (the core library included) carries AFL++'s coverage
# instrumentation, and -DSHAKEDOWN_AFL=ON, which links each fuzz target with
# AFL++'s libAFLDriver.a (-lstdc++) instead of libFuzzer. The driver supplies
# main(), calls LLVMFuzzerInitialize once and LLVMFuzzerTestOneInput in
# persistent mode, so the same fuzz target source serves both engines.
#
# Environment:
#   SHAKEDOWN_AFL_BUILD_DIR  build folder (default build/afl)
#   SHAKEDOWN_AFL_DRIVER     path of libAFLDriver.a (default /usr/lib/afl/libAFLDriver.a)
#   AFL_USE_ASAN=1           build with ASan (afl-clang-fast reads it); off by
#                            default because AFL++ runs fastest without it and
#                            the libFuzzer build already fuzzes under ASan+UBSan
#
# fuzz_trace's structure-aware mutator:
#   AFL_CUSTOM_MUTATOR_LIBRARY=build/afl/targets/fuzz/libshakedown_trace_mutator.so afl-fuzz ...
#
# Run one instance with, e.g.:
#   afl-fuzz -i corpus/fuzz_client_hello -o /tmp/afl-out -x corpus/fuzz_client_hello.dict \
#            -- build/afl/targets/fuzz/fuzz_client_hello_afl
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 0
fi

build_dir="${SHAKEDOWN_AFL_BUILD_DIR:-build/afl}"
driver="${SHAKEDOWN_AFL_DRIVER:-/usr/lib/afl/libAFLDriver.a}"

for tool in afl-clang-fast afl-clang-fast++; do
    if ! command -v "$tool" > /dev/null; then
        echo "build-afl: $tool not found; install afl++ (scripts/install-deps.sh)" >&2
        exit 2
    fi
done
if [ ! -f "$driver" ]; then
    echo "build-afl: $driver not found; install afl++ or set SHAKEDOWN_AFL_DRIVER" >&2
    exit 2
fi

# afl-clang-fast prints a banner per compiler call; the build log is clearer
# without it.
export AFL_QUIET=1

cmake -S . -B "$build_dir" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=afl-clang-fast \
    -DCMAKE_CXX_COMPILER=afl-clang-fast++ \
    -DSHAKEDOWN_AFL=ON \
    -DSHAKEDOWN_AFL_DRIVER="$driver"
cmake --build "$build_dir" --target fuzz_afl

# The custom mutator library for fuzz_trace (AFL_CUSTOM_MUTATOR_LIBRARY), with
# the plain compiler: a mutator runs inside afl-fuzz and must not carry the
# target's coverage instrumentation.
cc -O2 -fPIC -shared -std=c11 -D_POSIX_C_SOURCE=200809L -Iharness -I. -isystem /usr/include/android \
    -o "$build_dir/targets/fuzz/libshakedown_trace_mutator.so" \
    targets/mutators/afl_trace_mutator.c targets/mutators/trace_mutation.c \
    harness/trace/binary.c harness/trace/trace.c harness/wire/bytes.c

echo "build-afl: built:"
find "$build_dir/targets/fuzz" -maxdepth 1 -type f -name '*_afl' -perm -u+x -print | sort
