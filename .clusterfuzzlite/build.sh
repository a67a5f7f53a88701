#!/bin/bash -eu
# build.sh — builds shakedown's fuzz targets the way OSS-Fuzz and
# ClusterFuzzLite do, honouring their variables:
#
#   $CC $CXX $CFLAGS $CXXFLAGS   compilers and flags (sanitizers, coverage)
#   $LIB_FUZZING_ENGINE          what to link for the engine (-fsanitize=fuzzer,
#                                or AFL++'s / the centipede driver library)
#   $OUT                         where the binaries and their files go
#   $SRC, $WORK                  sources and scratch space
#
# It leaves in $OUT, for every target targets/fuzz/fuzz_<what>.c:
#   <target>                     the fuzz target binary
#   <target>_seed_corpus.zip     corpus/<target>/ + corpus/regressions/<target>/
#   <target>.dict                corpus/<target>.dict
# and, shared by all targets:
#   pki/                         the fixture PKI (the targets find it next to
#                                themselves; corpus/pki/make_pki.c makes it)
#   known_differences.txt        the reviewed model-vs-BoringSSL differences
#   libshakedown_trace_mutator.so  AFL++ custom mutator for fuzz_trace
#
# BoringSSL: the instrumented build of scripts/build-stack.sh if
# SHAKEDOWN_FUZZ_STACKS (below) names it; else $BORINGSSL_ROOT if set
# (include/ + build/); else $SRC/boringssl (the Docker image clones it)
# built here with the same flags; else the
# Debian package (android-libboringssl-dev), which is what a local run on a
# Debian machine uses (scripts/fuzz-smoke.sh runs this script that way).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$(cd "$here/.." && pwd)"
work="${WORK:-/tmp}/shakedown-cfl"
mkdir -p "$work" "$OUT"

# Instrumented stacks under test: SHAKEDOWN_FUZZ_STACKS="wolfssl mbedtls" (any
# of mbedtls, wolfssl, gnutls, boringssl) builds those first with
# scripts/build-stack.sh, with this build's $CC, $CXX and $CFLAGS, from
# $SRC/<stack> when the image has a checkout there, else from Debian's source
# package, and links them in place of Debian's (-DSHAKEDOWN_STACK_DIR_<stack>).
# Unset, the default: none, and BoringSSL as below.
stack_args=()
fuzz_boringssl=0
for stack in ${SHAKEDOWN_FUZZ_STACKS:-}; do
    stack_src=()
    if [ -n "${SRC:-}" ] && [ -d "$SRC/$stack" ]; then
        stack_src=(--src "$SRC/$stack")
    fi
    SHAKEDOWN_STACK_CC="$CC" SHAKEDOWN_STACK_CXX="$CXX" SHAKEDOWN_STACK_CFLAGS="$CFLAGS" \
        "$src/scripts/build-stack.sh" "$stack" "${stack_src[@]}" --no-deps --out "$work/stacks/$stack"
    stack_args+=("-DSHAKEDOWN_STACK_DIR_$stack=$work/stacks/$stack")
    [ "$stack" != boringssl ] || fuzz_boringssl=1
done

boringssl_args=()
boringssl_include=/usr/include/android
if [ "$fuzz_boringssl" = 1 ]; then
    boringssl_include="$work/stacks/boringssl/include"
elif [ -n "${BORINGSSL_ROOT:-}" ]; then
    boringssl_args=(-DBORINGSSL_ROOT="$BORINGSSL_ROOT")
    boringssl_include="$BORINGSSL_ROOT/include"
elif [ -n "${SRC:-}" ] && [ -d "$SRC/boringssl" ]; then
    cmake -S "$SRC/boringssl" -B "$work/boringssl" -G Ninja \
        -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
        -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" -DCMAKE_BUILD_TYPE=RelWithDebInfo
    cmake --build "$work/boringssl" --target ssl crypto
    mkdir -p "$work/boringssl-root"
    ln -sfn "$SRC/boringssl/include" "$work/boringssl-root/include"
    ln -sfn "$work/boringssl" "$work/boringssl-root/build"
    boringssl_args=(-DBORINGSSL_ROOT="$work/boringssl-root")
    boringssl_include="$SRC/boringssl/include"
fi

# The engine's flags come in $CFLAGS (fuzzer-no-link, sanitizers);
# SHAKEDOWN_LIB_FUZZING_ENGINE links each target with $LIB_FUZZING_ENGINE
# (targets/fuzz/CMakeLists.txt). Warnings are not errors here: an OSS-Fuzz
# compiler may be newer than the one the project is checked with.
cmake -S "$src" -B "$work/build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
    -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="${CXXFLAGS:-$CFLAGS}" \
    -DSHAKEDOWN_WERROR=OFF \
    -DSHAKEDOWN_STATIC_DEPS=ON \
    -DSHAKEDOWN_LIB_FUZZING_ENGINE="$LIB_FUZZING_ENGINE" \
    "${boringssl_args[@]}" "${stack_args[@]}"

targets=()
for f in "$src"/targets/fuzz/fuzz_*.c; do
    targets+=("$(basename "$f" .c)")
done
cmake --build "$work/build" --target pki "${targets[@]}"

for t in "${targets[@]}"; do
    cp "$work/build/targets/fuzz/$t" "$OUT/$t"
    rm -f "$OUT/${t}_seed_corpus.zip"
    files=()
    for d in "$src/corpus/$t" "$src/corpus/regressions/$t"; do
        [ -d "$d" ] || continue
        while IFS= read -r f; do files+=("$f"); done < <(find "$d" -type f ! -name '*.txt' ! -name '*.md' ! -name '.*' | sort)
    done
    if [ "${#files[@]}" -gt 0 ]; then
        # -j: flat, as OSS-Fuzz unpacks the zip into one folder; -X: no
        # timestamps or owners, so the zip is reproducible.
        zip -q -j -X "$OUT/${t}_seed_corpus.zip" "${files[@]}"
    fi
    if [ -f "$src/corpus/$t.dict" ]; then
        cp "$src/corpus/$t.dict" "$OUT/$t.dict"
    fi
done
rm -rf "$OUT/pki"
cp -R "$work/build/pki" "$OUT/pki"
cp "$src/harness/oracle/known_differences.txt" "$OUT/known_differences.txt"

# The AFL++ custom mutator library for fuzz_trace: plain, uninstrumented.
# (clang without the sanitizer/coverage flags of $CFLAGS; a mutator runs
# inside afl-fuzz, not in the target.)
cc_plain="${CC%% *}"
"$cc_plain" -O2 -fPIC -shared -std=c11 -D_POSIX_C_SOURCE=200809L -I"$src/harness" -I"$src" -isystem "$boringssl_include" \
    -o "$OUT/libshakedown_trace_mutator.so" \
    "$src/targets/mutators/afl_trace_mutator.c" "$src/targets/mutators/trace_mutation.c" \
    "$src/harness/trace/binary.c" "$src/harness/trace/trace.c" "$src/harness/wire/bytes.c"
echo "build.sh: ${#targets[@]} fuzz targets in $OUT"
