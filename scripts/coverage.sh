#!/usr/bin/env bash
# coverage.sh — how much of the model's state machine the scenario suite and
# the fuzz corpora reach, measured with clang's source-based coverage.
#
#   scripts/coverage.sh [--out DIR]      (default DIR: runs/coverage)
#
# 1. Builds the `coverage` preset (clang, -fprofile-instr-generate
#    -fcoverage-mapping, build/coverage): shakedown and every fuzz target's
#    <target>_replay binary.
# 2. Runs `shakedown conform --stack model` over the whole scenario suite
#    (the files and the generated families), in one process: the workers of
#    -j end with _exit and would write no profile.
# 3. Runs every replay binary over corpus/<target>/ and
#    corpus/regressions/<target>/.
# 4. Merges the profiles (llvm-profdata-14) and writes into DIR:
#      report.txt      llvm-cov report for harness/model/*.c: regions,
#                      functions, lines and branches covered
#      html/index.html the same per file and line (llvm-cov show)
#      states.txt      every step of the order tables (harness/protocol/
#                      sequences.c) for each role of the model, the function
#                      of the version's step table (tls13.c, tls12.c) that
#                      handles it and how often it ran, then the shapes and
#                      steps never reached, by name (scripts/coverage_states.py)
#      uncovered.txt   the model's functions and code regions that never ran
#      conform-report.txt, conform-unreached.txt
#                      the same report for the scenario suite alone, and each
#                      line of the model no scenario runs (file:line: code):
#                      where a bug would escape conformance
#
# Needs clang, llvm-14 and python3 (scripts/install-deps.sh). The first build
# takes a few minutes, the runs a few seconds. Not part of scripts/test.sh.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

out="runs/coverage"
while [ $# -gt 0 ]; do
    case "$1" in
        --out) [ $# -ge 2 ] || { echo "coverage: --out needs a folder" >&2; exit 2; }; out="$2"; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "coverage: unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
done

for tool in clang llvm-profdata-14 llvm-cov-14 python3; do
    if ! command -v "$tool" >/dev/null; then
        echo "coverage: $tool is missing; run scripts/install-deps.sh" >&2
        exit 1
    fi
done

build="$root/build/coverage"
targets=(shakedown)
for src in targets/fuzz/fuzz_*.c; do
    targets+=("$(basename "$src" .c)_replay")
done
cmake --preset coverage >/dev/null
cmake --build --preset coverage -j2 --target "${targets[@]}"

mkdir -p "$out"
out="$(cd "$out" && pwd)"
profiles="$out/profiles"
rm -rf "$profiles" "$out/html"
mkdir -p "$profiles"
# %p: one file per process; %m: per binary, so the replay binaries and
# shakedown never write into each other's file.
export LLVM_PROFILE_FILE="$profiles/%p-%m.profraw"
export SHAKEDOWN_PKI_DIR="$build/pki"

echo "coverage: shakedown conform --stack model (every scenario)"
status=0
# --force: the folder of the last coverage run is written over.
"$build/shakedown" conform --stack model -q --force --out "$out/conform" || status=$?
# 1 is a FAIL or CRASH of the model: worth knowing, but the coverage stands.
if [ "$status" -gt 1 ]; then
    echo "coverage: conform failed (exit $status)" >&2
    exit 1
fi

# What conformance alone reaches: a check of the model that no scenario
# runs is one a bug could break unseen by `conform` (issue 11's planted
# bugs). Only conform's profiles exist at this point.
model_sources=("$root"/harness/model/*.c)
llvm-profdata-14 merge -sparse "$profiles"/*.profraw -o "$out/conform.profdata"
llvm-cov-14 report "$build/shakedown" -instr-profile "$out/conform.profdata" "${model_sources[@]}" \
    >"$out/conform-report.txt"
llvm-cov-14 show "$build/shakedown" -instr-profile "$out/conform.profdata" -show-line-counts \
    -use-color=false "${model_sources[@]}" |
    awk '/^\/.*\.c:$/ { file = $0; sub(/:$/, "", file); sub(/.*\/harness\//, "harness/", file) }
         /^ *[0-9]+\| *0\|/ { split($0, f, "|"); line = f[1]; gsub(/ /, "", line);
                               text = f[3]; sub(/^ +/, "", text);
                               if (text !~ /^[{}]?;?$/ && text !~ /^(return( [a-zA-Z0-9_]+)?;|break;|default:|else)$/)
                                   print file ":" line ": " text }' >"$out/conform-unreached.txt"

objects=("$build/shakedown")
for target in "${targets[@]:1}"; do
    name="${target%_replay}"
    dirs=()
    for d in "corpus/$name" "corpus/regressions/$name"; do
        [ -d "$d" ] && dirs+=("$d")
    done
    objects+=("$build/targets/fuzz/$target")
    [ "${#dirs[@]}" -gt 0 ] || continue
    echo "coverage: $target ${dirs[*]}"
    SHAKEDOWN_FINDINGS_DIR="$out/findings" "$build/targets/fuzz/$target" -q "${dirs[@]}"
done

llvm-profdata-14 merge -sparse "$profiles"/*.profraw -o "$out/merged.profdata"
object_args=("${objects[0]}")
for o in "${objects[@]:1}"; do
    object_args+=(-object "$o")
done
llvm-cov-14 report "${object_args[@]}" -instr-profile "$out/merged.profdata" "${model_sources[@]}" \
    >"$out/report.txt"
llvm-cov-14 show "${object_args[@]}" -instr-profile "$out/merged.profdata" -format=html \
    -output-dir "$out/html" -show-line-counts-or-regions "${model_sources[@]}"
llvm-cov-14 export "${object_args[@]}" -instr-profile "$out/merged.profdata" -format=text \
    "${model_sources[@]}" >"$out/export.json"
python3 scripts/coverage_states.py "$out/export.json" "$root" "$out"

echo
sed -n '1,2p;/^TOTAL/p' "$out/report.txt" | sed 's/^/  /'
echo
sed -n '/^never reached/,$p' "$out/states.txt"
echo
sed -n '/^TOTAL/s/^/  conformance alone: /p' "$out/conform-report.txt"
echo "coverage: $out/report.txt, $out/html/index.html, $out/states.txt, $out/uncovered.txt,"
echo "  $out/conform-report.txt, $out/conform-unreached.txt ($(wc -l <"$out/conform-unreached.txt") lines no scenario runs)"
