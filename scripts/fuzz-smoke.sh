#!/usr/bin/env bash
# fuzz-smoke.sh — the fuzz checks CI runs (called by scripts/test.sh).
#
#   scripts/fuzz-smoke.sh
#
# (a) libFuzzer, with ASan + UBSan (preset `fuzz`):
#     - builds every fuzz target;
#     - replays each target's seeds (corpus/<target>/) and past findings
#       (corpus/regressions/<target>/) once;
#     - runs a fuzz_trace campaign (`shakedown fuzz`) for SHAKEDOWN_FUZZ_SECONDS
#       (default 180) in a temporary folder, so the committed corpus is never
#       touched; a crash, hang or sanitizer report fails it, and so does a
#       model/BoringSSL divergence that known_differences.txt does not
#       explain with SHAKEDOWN_FUZZ_GATE=all (the default, crashes, prints
#       divergences and keeps them for triage).
# (c) ClusterFuzzLite / OSS-Fuzz: runs .clusterfuzzlite/build.sh the way
#     OSS-Fuzz would (CC=clang, CFLAGS with -fsanitize=fuzzer-no-link,address,
#     LIB_FUZZING_ENGINE=-fsanitize=fuzzer, OUT=a temporary folder) and checks
#     that it leaves every target's binary, <target>_seed_corpus.zip and
#     <target>.dict, and the PKI the binaries need; then runs one binary from
#     $OUT alone, away from the source tree, over its unpacked seeds.
#     Its build folder (build/cfl-work) is kept, so later runs are incremental.
# (b) AFL++: builds with scripts/build-afl.sh and runs afl-fuzz for
#     SHAKEDOWN_AFL_SECONDS (default 10), to prove the AFL++ build runs.
#     Prints a SKIP line, and passes, when AFL++ is not installed.
#
# Fails (non-zero) on a build failure, a crash, a leak, or a finding of the
# differential oracle while replaying the seeds and regressions (the fuzz
# target aborts on those); the finding's explanation is printed. Findings go to a temporary folder, never into the
# tree. Takes about six minutes once built, five of them the campaign.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 0
fi

fuzz_seconds="${SHAKEDOWN_FUZZ_SECONDS:-180}"
afl_seconds="${SHAKEDOWN_AFL_SECONDS:-10}"
gate="${SHAKEDOWN_FUZZ_GATE:-crashes}"
case "$gate" in
all | crashes) ;;
*)
    echo "fuzz-smoke: SHAKEDOWN_FUZZ_GATE is all or crashes, not '$gate'" >&2
    exit 2
    ;;
esac

tmp="$(mktemp -d "${TMPDIR:-/tmp}/shakedown-fuzz-smoke.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

step() { printf '\n--- fuzz-smoke: %s\n' "$*"; }

# Findings outlive the temporary folder here (build/ is git-ignored), so a
# CI job can keep them as artifacts and a person can replay them.
kept="$root/build/fuzz-smoke-findings"

# Prints the explanation of every finding under $1 (the fuzz targets write
# <findings>/<target>/<hash> and <hash>.txt before they abort) and copies
# them to $kept.
show_findings() {
    local dir="$1" txt
    [ -d "$dir" ] || return 0
    while IFS= read -r txt; do
        printf '\n===== %s =====\n' "$txt"
        cat "$txt"
    done < <(find "$dir" -type f -name '*.txt' | sort)
    mkdir -p "$kept"
    cp -R "$dir"/. "$kept"/
    echo "fuzz-smoke: findings kept in $kept; replay one with: shakedown repro $kept/<target>/<hash>" >&2
}

# The fuzz targets: targets/fuzz/fuzz_<what>.c.
targets=()
for src in targets/fuzz/fuzz_*.c; do
    name="$(basename "$src" .c)"
    targets+=("$name")
done
if [ "${#targets[@]}" -eq 0 ]; then
    echo "fuzz-smoke: no fuzz targets in targets/fuzz/" >&2
    exit 1
fi

# --- (a) libFuzzer ---------------------------------------------------------------

step "configure and build (preset fuzz: clang, libFuzzer, ASan + UBSan)"
cmake --preset fuzz
cmake --build --preset fuzz

export SHAKEDOWN_PKI_DIR="$root/build/fuzz/pki"
bin_dir="$root/build/fuzz/targets/fuzz"

for name in "${targets[@]}"; do
    step "replay $name: seeds and regressions, once each"
    inputs=()
    for dir in "corpus/$name" "corpus/regressions/$name"; do
        [ -d "$dir" ] || continue
        # Notes next to findings (*.txt, *.md) and hidden files are not inputs.
        while IFS= read -r f; do
            inputs+=("$f")
        done < <(find "$dir" -type f ! -name '*.txt' ! -name '*.md' ! -name '.*' | sort)
    done
    if [ "${#inputs[@]}" -eq 0 ]; then
        echo "fuzz-smoke: $name has no seeds (corpus/$name/ is empty or missing)" >&2
        exit 1
    fi
    # Given files rather than folders, libFuzzer runs each once and exits.
    if ! SHAKEDOWN_FINDINGS_DIR="$tmp/findings-replay" \
        "$bin_dir/$name" -artifact_prefix="$tmp/" "${inputs[@]}" > "$tmp/replay-$name.log" 2>&1; then
        tail -n 60 "$tmp/replay-$name.log"
        show_findings "$tmp/findings-replay"
        echo "fuzz-smoke: FAILED: replaying the corpus of $name" >&2
        exit 1
    fi
    echo "replayed ${#inputs[@]} inputs of $name under libFuzzer + ASan + UBSan"
done

step "fuzz_trace campaign: shakedown fuzz for ${fuzz_seconds}s"
# fuzz_trace reaches every bug class (any message of either version dropped,
# repeated, reordered or mutated, defective credentials, the early-CCS
# attack). The campaign runs through `shakedown fuzz`, as a user would.
# A crash, a hang, a leak or a sanitizer report always fails. With
# SHAKEDOWN_FUZZ_GATE=all every finding does, and the campaign stops at the
# first: also a divergence between the model and BoringSSL that
# known_differences.txt does not explain. Every one met on the landed code
# was fixed or argued with the RFC there, but five-minute campaigns on the
# newest setups (several connections, 0-RTT, renegotiation) still meet a
# new one about every other run, so divergences do not fail by default yet
# (issue 11): they are printed and kept in build/fuzz-smoke-findings for
# triage. `shakedown fuzz` seeds libFuzzer with 1, so a rerun on the same
# code tries the same inputs in the same order, as far as its time allows.
campaign_args=(fuzz --target fuzz_trace --time "$fuzz_seconds" --bin-dir "$bin_dir" --out "$tmp/campaign")
if [ "$gate" = all ]; then campaign_args+=(--first-finding); fi
campaign_rc=0
"$root/build/fuzz/shakedown" "${campaign_args[@]}" || campaign_rc=$?
if [ "$campaign_rc" -ne 0 ]; then
    cat "$tmp/campaign/findings.md" 2>/dev/null || true
    show_findings "$tmp/campaign/findings"
    # Exit 1 is "findings"; anything else is the campaign itself failing.
    # findings.md's table: | target | kind | signature | count | reproduce |
    if [ "$campaign_rc" -ne 1 ] || [ "$gate" = all ] ||
        grep -qE '^\| [^|]+ \| (crash|timeout|oom|leak) \|' "$tmp/campaign/findings.md" 2>/dev/null ||
        [ ! -f "$tmp/campaign/findings.md" ]; then
        for log in "$tmp/campaign/logs"/fuzz_trace.*.log; do
            [ -f "$log" ] && tail -n 40 "$log"
        done
        echo "fuzz-smoke: FAILED: the fuzz_trace campaign reported findings (above)" >&2
        echo "  replay one with shakedown repro; once fixed or triaged, keep it in corpus/regressions/fuzz_trace/" >&2
        exit 1
    fi
    echo "fuzz-smoke: NOT GATING: the campaign met differences between the model and BoringSSL (above);"
    echo "  triage them (shakedown repro; a fix or an RFC-argued known_differences.txt entry)."
    echo "  SHAKEDOWN_FUZZ_GATE=all makes them fail this check."
fi

# --- (c) ClusterFuzzLite build.sh, as OSS-Fuzz runs it -----------------------------

step "ClusterFuzzLite: .clusterfuzzlite/build.sh with OSS-Fuzz's variables"
cfl_out="$tmp/cfl-out"
mkdir -p "$cfl_out" "$root/build/cfl-work"
CC=clang CXX=clang++ \
    CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link" \
    CXXFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link" \
    LIB_FUZZING_ENGINE="-fsanitize=fuzzer" OUT="$cfl_out" WORK="$root/build/cfl-work" \
    bash .clusterfuzzlite/build.sh > "$tmp/cfl-build.log" 2>&1 || {
    tail -n 40 "$tmp/cfl-build.log"
    echo "fuzz-smoke: FAILED: .clusterfuzzlite/build.sh" >&2
    exit 1
}
missing=()
for name in "${targets[@]}"; do
    [ -x "$cfl_out/$name" ] || missing+=("$name")
    # A zip for every target with seeds, a dict for every target with one.
    if [ -d "corpus/$name" ] || [ -d "corpus/regressions/$name" ]; then
        [ -s "$cfl_out/${name}_seed_corpus.zip" ] || missing+=("${name}_seed_corpus.zip")
    fi
    if [ -f "corpus/$name.dict" ]; then
        [ -s "$cfl_out/$name.dict" ] || missing+=("$name.dict")
    fi
done
for f in pki/root.pem pki/leaf.chain.pem known_differences.txt libshakedown_trace_mutator.so; do
    [ -s "$cfl_out/$f" ] || missing+=("$f")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "fuzz-smoke: FAILED: build.sh did not leave: ${missing[*]}" >&2
    exit 1
fi
# A binary from $OUT, without SHAKEDOWN_PKI_DIR. (On this machine the build
# tree's paths compiled into it still exist; on a ClusterFuzzLite runner they
# do not, and it falls back to pki/ and known_differences.txt next to
# itself: targets/fuzz/differential_target.c.)
mkdir -p "$tmp/cfl-seeds"
unzip -q "$cfl_out/fuzz_certificate_seed_corpus.zip" -d "$tmp/cfl-seeds"
if ! (cd "$tmp" && env -u SHAKEDOWN_PKI_DIR SHAKEDOWN_FINDINGS_DIR="$tmp/findings-cfl" \
        "$cfl_out/fuzz_certificate" -runs=200 -dict="$cfl_out/fuzz_certificate.dict" "$tmp/cfl-seeds" \
        > "$tmp/cfl-run.log" 2>&1); then
    tail -n 40 "$tmp/cfl-run.log"
    show_findings "$tmp/findings-cfl"
    echo "fuzz-smoke: FAILED: the ClusterFuzzLite build of fuzz_certificate" >&2
    exit 1
fi
echo "build.sh left ${#targets[@]} targets with seed zips and dictionaries; fuzz_certificate ran from \$OUT"

# --- (b) AFL++ -------------------------------------------------------------------

step "AFL++ build and ${afl_seconds}s run"
missing=""
for tool in afl-fuzz afl-clang-fast; do
    command -v "$tool" > /dev/null || missing="$missing $tool"
done
if [ -n "$missing" ]; then
    echo "SKIP: AFL++ smoke: not installed (missing:$missing); install afl++ (scripts/install-deps.sh)"
    exit 0
fi

scripts/build-afl.sh
afl_bin="$root/build/afl/targets/fuzz/fuzz_client_hello_afl"
afl_args=(-i corpus/fuzz_client_hello -o "$tmp/afl" -V "$afl_seconds")
if [ -f corpus/fuzz_client_hello.dict ]; then
    afl_args+=(-x corpus/fuzz_client_hello.dict)
fi
# Non-interactive, and not fussy about the CI machine: no UI, no CPU
# frequency or core-dump-handler checks, no pinning to a core that another
# job may hold. timeout is a backstop in case -V is not honoured.
status=0
AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
    SHAKEDOWN_PKI_DIR="$root/build/afl/pki" SHAKEDOWN_FINDINGS_DIR="$tmp/findings-afl" \
    timeout $((afl_seconds + 60)) afl-fuzz "${afl_args[@]}" -- "$afl_bin" \
    > "$tmp/afl.log" 2>&1 || status=$?
stats="$tmp/afl/default/fuzzer_stats"
if [ "$status" -ne 0 ] || [ ! -f "$stats" ]; then
    tail -n 40 "$tmp/afl.log"
    echo "fuzz-smoke: FAILED: afl-fuzz did not run (exit status $status)" >&2
    exit 1
fi
execs="$(awk -F': *' '/^execs_done/ { print $2 }' "$stats")"
crashes="$(awk -F': *' '/^(saved_crashes|unique_crashes)/ { print $2; exit }' "$stats")"
grep -E '^(execs_done|execs_per_sec|corpus_count|saved_crashes|unique_crashes)' "$stats" || true
if [ "${execs:-0}" -eq 0 ]; then
    echo "fuzz-smoke: FAILED: afl-fuzz ran no executions" >&2
    exit 1
fi
if [ "${crashes:-0}" -ne 0 ]; then
    show_findings "$tmp/findings-afl"
    echo "fuzz-smoke: FAILED: AFL++ found $crashes crashing inputs in fuzz_client_hello" >&2
    exit 1
fi

printf '\n--- fuzz-smoke: passed\n'
