#!/usr/bin/env bash
# mutants.sh — mutation testing: does the harness catch realistic bugs?
#
#   scripts/mutants.sh [--fuzz SECONDS] [--jobs N] [--keep DIR] [MUTANT...]
#
# tests/mutants/ holds patches (git diff format), each one realistic bug in
# the model, the codec, the crypto or the PKI checks, with a header naming
# the bug, the RFC rule it breaks and the fuzz targets that should see it.
# For each patch (or each MUTANT named: a name like wire-duplicate-extension,
# or a path to a patch) this script:
#   1. applies it to a scratch copy of the working tree (tracked and
#      untracked files, not ignored ones; the working tree itself is never
#      touched), and builds `shakedown` there (preset default, incremental:
#      only what the patch touches is rebuilt);
#   2. runs `shakedown conform --stack model --stack boringssl` on the whole
#      default scenario set. The model passes every cell on the clean tree
#      (checked first), so any model cell that does not PASS catches the
#      mutant; so does any BoringSSL cell whose verdict differs from the
#      clean tree's (a bug in code the driver shares with the model, such as
#      the key schedule, agrees with itself on the model). Reported: how many
#      cells, by verdict; "exit 0" when they are all SOFT or UNREACHED, which
#      leave conform's exit code 0 (a CI gate on it would not notice); the
#      first failing scenario and the cell time up to it (the cells' own
#      times, summed in run order); and the generated scenarios the mutant
#      deleted from the set (a change to the order tables changes what the
#      generators derive from them);
#   3. with --fuzz SECONDS, runs `shakedown fuzz --first-finding` for that
#      long on each target the patch's "Fuzz:" line names, then fuzz_trace
#      (which reaches every message), in turn, built with the mutant (preset
#      fuzz: clang, libFuzzer, ASan, UBSan), until one catches it; a target's
#      run ends at its first finding. Where the build has GnuTLS, the runs
#      pass `--reference gnutls`, so that the setups BoringSSL cannot run
#      (finite-field DHE, X448, encrypt_then_mac, record_size_limit, ...)
#      are compared with GnuTLS instead of skipped; the model and GnuTLS
#      differ on the clean tree too, so these runs go on for the whole time
#      (SHAKEDOWN_FUZZ_CONTINUE=1, no --first-finding) rather than stop at
#      an old difference, and every finding is judged below. A finding
#      catches the mutant unless the clean tree's `shakedown repro` (with the
#      same --reference) gives the
#      same outcomes for its input (then it is an old difference the fuzzer
#      met by chance); the time is from the start of that target's run to
#      the finding's input file.
#   4. reverts the patch.
# Then it prints a Markdown table of caught / missed and the totals.
#
# Options:
#   --fuzz SECONDS  fuzz each mutant's targets that long (default 0: no
#                   fuzzing). Needs clang; the first fuzz build takes a while
#   --jobs N        build jobs (default 1: the machine may be shared)
#   --keep DIR      use DIR as the scratch copy and keep it afterwards, so the
#                   next run builds incrementally (files that differ from the
#                   working tree's are copied first; files deleted there stay);
#                   default: a temporary folder, removed on exit or interrupt
#   --list          list the mutants (name, file, bug) and exit
#   -h, --help      this help
#
# Build logs and run folders are kept in the scratch copy (build/mutants/).
#
# A mutant is one small bug, as `git diff` from the repository root prints
# it, after a header of "# Field: text" lines that `git apply` skips: Mutant
# (its name), File, Bug (what is wrong), Rule (the RFC sentence it breaks),
# Fuzz (the fuzz targets that receive the message it concerns). To refresh
# one that no longer applies, make the same bug in the current code and
# replace the diff under its header.
#
# Exit codes: 0 every mutant applied and built (caught or not); 1 a mutant
# does not apply to the current tree or does not build (refresh it: the tree
# moved on), or the clean tree does not pass; 2 usage error; 130/143
# interrupted.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
mutants_dir="$root/tests/mutants"
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die_usage() {
    echo "mutants.sh: $*" >&2
    echo "usage: scripts/mutants.sh [--fuzz SECONDS] [--jobs N] [--keep DIR] [--list] [MUTANT...]" >&2
    exit 2
}

fuzz_seconds=0
jobs=1
keep=""
list_only=false
names=()
while [ $# -gt 0 ]; do
    case "$1" in
    -h | --help) usage; exit 0 ;;
    --fuzz) [ $# -ge 2 ] || die_usage "--fuzz needs SECONDS"; fuzz_seconds="$2"; shift 2 ;;
    --fuzz=*) fuzz_seconds="${1#*=}"; shift ;;
    --jobs | -j) [ $# -ge 2 ] || die_usage "--jobs needs N"; jobs="$2"; shift 2 ;;
    --keep) [ $# -ge 2 ] || die_usage "--keep needs DIR"; keep="$2"; shift 2 ;;
    --list) list_only=true; shift ;;
    -*) die_usage "unknown option $1" ;;
    *) names+=("$1"); shift ;;
    esac
done
[[ "$fuzz_seconds" =~ ^[0-9]+$ ]] || die_usage "--fuzz wants whole seconds, not '$fuzz_seconds'"
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die_usage "--jobs wants a positive number, not '$jobs'"

# A header field of a patch ("# Field: value", continued on "#   " lines).
field() {
    awk -v f="$2" '
        /^diff / { exit }
        $0 ~ "^# " f ": " { sub("^# " f ": ", ""); v = $0; on = 1; next }
        on && /^#   +[^ ]/ { sub(/^#  +/, ""); v = v " " $0; next }
        { on = 0 }
        END { print v }' "$1"
}

patches=()
if [ ${#names[@]} -eq 0 ]; then
    for p in "$mutants_dir"/*.patch; do [ -e "$p" ] && patches+=("$p"); done
else
    for n in "${names[@]}"; do
        if [ -f "$n" ]; then patches+=("$(cd "$(dirname "$n")" && pwd)/$(basename "$n")")
        elif [ -f "$mutants_dir/$n.patch" ]; then patches+=("$mutants_dir/$n.patch")
        elif [ -f "$mutants_dir/$n" ]; then patches+=("$mutants_dir/$n")
        else die_usage "no mutant '$n' (see --list)"; fi
    done
fi
[ ${#patches[@]} -gt 0 ] || die_usage "no patches in tests/mutants/"

if $list_only; then
    for p in "${patches[@]}"; do
        printf '%-52s %s\n    %s\n' "$(basename "$p" .patch)" "$(field "$p" File)" "$(field "$p" Bug)"
    done
    exit 0
fi

for tool in git cmake python3; do
    command -v "$tool" >/dev/null || { echo "mutants.sh: $tool is needed" >&2; exit 1; }
done
if [ "$fuzz_seconds" -gt 0 ] && ! command -v clang >/dev/null; then
    echo "mutants.sh: --fuzz needs clang (scripts/install-deps.sh)" >&2
    exit 1
fi

# --- The scratch copy, and cleaning up -------------------------------------

if [ -n "$keep" ]; then
    mkdir -p "$keep"
    scratch="$(cd "$keep" && pwd)"
    case "$scratch/" in "$root"/*) die_usage "--keep DIR must lie outside the working tree" ;; esac
    tmp=""
else
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/shakedown-mutants.XXXXXX")"
    scratch="$tmp/tree"
    mkdir -p "$scratch"
fi
applied=""  # the patch currently applied in the scratch copy, if any
child=""    # the command running now, to stop on a signal

# shellcheck disable=SC2317 # called through trap or run
cleanup() {
    if [ -n "$child" ]; then
        kill -TERM -- "-$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    # A kept copy must be left clean for the next run.
    if [ -n "$applied" ]; then git -C "$scratch" apply -R "$applied" 2>/dev/null || true; fi
    if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a command in the background, in a process group of its own, and waits
# for it: a signal then reaches the traps at once, and cleanup stops the
# command with everything it started (its group). Sets rc.
run() {
    set -m
    "$@" &
    child=$!
    set +m
    rc=0
    wait "$child" || rc=$?
    child=""
}

now() { echo "$EPOCHREALTIME"; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }

# Copies every file of the working tree (tracked or untracked, not ignored)
# whose content differs from the scratch copy's, so that a kept copy stays
# incremental: unchanged files keep their times.
sync_tree() {
    local f n=0
    while IFS= read -r -d '' f; do
        [ -f "$root/$f" ] || continue
        if ! cmp -s "$root/$f" "$scratch/$f"; then
            mkdir -p "$scratch/$(dirname "$f")"
            cp "$root/$f" "$scratch/$f"
            n=$((n + 1))
        fi
    done < <(git -C "$root" ls-files -z --cached --others --exclude-standard)
    # Its own repository, so that `git apply` resolves paths from its root
    # whatever folder holds it.
    [ -d "$scratch/.git" ] || git -C "$scratch" init -q
    echo "scratch copy: $scratch ($n file(s) refreshed)"
}

logs="$scratch/build/mutants"
step() { printf -- '--- mutants: %s\n' "$*" >&2; }

# shellcheck disable=SC2317 # called through trap or run
build_default() { # $1: log file
    {
        cmake --preset default >/dev/null &&
            nice -n 10 cmake --build --preset default --target shakedown pki -j "$jobs"
    } >"$1" 2>&1
}

# shellcheck disable=SC2317 # called through trap or run
build_fuzz() { # $1: log file, then targets
    local log="$1"
    shift
    {
        cmake --preset fuzz >/dev/null && nice -n 10 cmake --build --preset fuzz --target pki "$@" -j "$jobs"
    } >"$log" 2>&1
}

# conform DIR [CLEAN_RESULTS]: runs the model on the default set into DIR and
# sets conform_line to fields separated by \x1f (not blank, so that empty
# ones stay): cells, cells not PASS, those by
# verdict ("29 FAIL, 12 SOFT"), the cell time to the first of them (ms, or
# -), its scenario, the run's wall time (s), conform's exit code, and the
# scenarios of CLEAN_RESULTS that this run lacks (a mutant in the order
# tables can delete the generated scenarios that test it).
conform() {
    local out="$1" clean="${2:-}" t0 t1
    rm -rf "$out"
    t0="$(now)"
    run nice -n 10 build/default/shakedown conform --stack model --stack boringssl -q --out "$out" \
        --baseline scenarios/known-failures.txt >"$out.log" 2>&1
    t1="$(now)"
    if [ ! -f "$out/results.json" ]; then
        conform_line="$(printf '0\0370\037\037-\037(no results)\037%s\037%s\037' "$(elapsed "$t0" "$t1")" "$rc")"
        return
    fi
    conform_line="$(python3 - "$out/results.json" "$(elapsed "$t0" "$t1")" "$rc" "$clean" <<'EOF'
import collections, json, sys
everything = json.load(open(sys.argv[1]))["results"]
results = [r for r in everything if r["stack"] == "model"]
# BoringSSL cells count when their verdict differs from the clean tree's:
# a bug in code the driver shares with the model (the key schedule, the
# codec) agrees with itself on the model, and shows against a peer that is
# not shakedown.
clean_peer = {}
if sys.argv[4]:
    clean_peer = {r["scenario"]: r["verdict"] for r in json.load(open(sys.argv[4]))["results"]
                  if r["stack"] == "boringssl"}
peer_changed = [r for r in everything if r["stack"] == "boringssl" and r["scenario"] in clean_peer
                and r["verdict"] != clean_peer[r["scenario"]]]
bad = [r for r in results if r["verdict"] != "PASS"]
by = collections.Counter(r["verdict"] for r in bad)
order = ["FAIL", "CRASH", "HANG", "SOFT", "UNREACHED", "ERROR", "SKIP"]
kinds = ", ".join(f"{by[v]} {v}" for v in order + sorted(set(by) - set(order)) if by[v])
if peer_changed:
    kinds = (kinds + "; " if kinds else "") + f"BoringSSL: {len(peer_changed)} verdict(s) changed"
ms, first = 0.0, "-"
for r in results:
    ms += r.get("elapsed_ms") or 0.0
    if r["verdict"] != "PASS":
        first = r["scenario"]
        break
if not bad and peer_changed:
    ms, first = sum(r.get("elapsed_ms") or 0.0 for r in everything[:everything.index(peer_changed[0]) + 1]), \
        "boringssl: " + peer_changed[0]["scenario"]
gone = []
if sys.argv[4]:
    now = {r["scenario"] for r in results}
    gone = sorted({r["scenario"] for r in json.load(open(sys.argv[4]))["results"]} - now)
print("\x1f".join([str(len(results)), str(len(bad) + len(peer_changed)), kinds,
                 f"{ms:.1f}" if bad or peer_changed else "-", first, sys.argv[2],
                 sys.argv[3], " ".join(gone)]))
EOF
)"
}

# fuzz_target TARGET DIR: fuzzes TARGET for $fuzz_seconds into DIR and sets
# fuzz_result to its findings, one a line, earliest first: the seconds from
# the start to the finding's input file, the finding's signature and its
# input, separated by tabs.
fuzz_target() {
    local target="$1" out="$2" t0
    rm -rf "$out"
    mkdir -p "$out"
    t0="$(now)"
    run nice -n 10 env "${fuzz_env[@]}" build/default/shakedown fuzz --target "$target" --time "$fuzz_seconds" \
        --out "$out" --bin-dir build/fuzz/targets/fuzz "${fuzz_args[@]}" >"$out.log" 2>&1
    fuzz_result="$(python3 - "$out" "$t0" <<'EOF'
import json, os, sys
out, t0 = sys.argv[1], float(sys.argv[2])
try:
    findings = json.load(open(os.path.join(out, "findings.json")))["findings"]
except (OSError, ValueError, KeyError):
    findings = []
rows = []
for f in findings:
    try:
        secs = max(os.stat(f["input"]).st_mtime - t0, 0.0)
    except (OSError, KeyError, TypeError):  # no input file: when the report was written
        secs = max(os.stat(os.path.join(out, "findings.json")).st_mtime - t0, 0.0)
    rows.append((secs, f["signature"].replace("\t", " ").replace("\n", " "), f.get("input", "")))
for secs, sig, path in sorted(rows):
    print(f"{secs:.2f}\t{sig}\t{path}")
EOF
)"
}

# --- The clean tree ----------------------------------------------------------

sync_tree
cd "$scratch"
mkdir -p "$logs"
status=0

step "building the clean tree (preset default)"
run build_default "$logs/build-clean.log"
if [ "$rc" -ne 0 ]; then
    tail -n 30 "$logs/build-clean.log" >&2
    echo "mutants.sh: the clean tree does not build" >&2
    exit 1
fi
step "conformance on the clean tree"
conform "$logs/conform-clean"
IFS=$'\x1f' read -r clean_cells clean_bad _ _ clean_first clean_wall _ _ <<<"$conform_line"
if [ "$clean_bad" != 0 ] || [ "$clean_cells" = 0 ]; then
    echo "mutants.sh: the model does not pass every cell on the clean tree ($clean_bad of $clean_cells," \
        "first: $clean_first); mutation scores would mean nothing" >&2
    exit 1
fi
step "clean: $clean_cells cells PASS in ${clean_wall} s"

# The clean tree's program, to replay fuzz findings on: a finding the clean
# tree reproduces (the same outcomes) is an old difference the fuzzer met
# by chance, not the mutant's doing.
cp build/default/shakedown "$logs/shakedown-clean"
# The second reference for the setups BoringSSL cannot run, where this build
# has GnuTLS (`shakedown fuzz --reference` refuses a stack it lacks): without
# it the model's code for those features has no oracle to fuzz against. The
# fuzz build is configured from the same tree, so it has GnuTLS too.
# An old difference of the clean tree would end a --first-finding run before
# the mutant shows, so with the reference a run takes its whole time and
# writes each signature once (SHAKEDOWN_FUZZ_CONTINUE=1).
reference=()
fuzz_args=(--first-finding)
fuzz_env=()
if [ "$fuzz_seconds" -gt 0 ] && build/default/shakedown fuzz --reference gnutls --help >/dev/null 2>&1; then
    reference=(--reference gnutls)
    fuzz_args=("${reference[@]}")
    fuzz_env=(SHAKEDOWN_FUZZ_CONTINUE=1)
    step "fuzzing with a second reference: gnutls, for the setups BoringSSL cannot run"
fi

# --- Each mutant --------------------------------------------------------------

rows=()
n_conform=0 n_fuzz=0 n_run=0
for p in "${patches[@]}"; do
    name="$(basename "$p" .patch)"
    file="$(field "$p" File)"
    targets="$(field "$p" Fuzz)"
    # fuzz_trace reaches every message of either version, so it is tried
    # last for every mutant the targets the patch names do not catch.
    case " $targets " in *" fuzz_trace "*) ;; *) targets="$targets fuzz_trace" ;; esac
    if ! git -C "$scratch" apply --check "$p" 2>"$logs/$name.apply.log"; then
        step "$name: DOES NOT APPLY (the tree moved on; refresh the patch)"
        cat "$logs/$name.apply.log" >&2
        rows+=("| $name | \`$file\` | does not apply | | |")
        status=1
        continue
    fi
    git -C "$scratch" apply "$p"
    applied="$p"
    step "$name: building"
    run build_default "$logs/$name.build.log"
    if [ "$rc" -ne 0 ]; then
        step "$name: DOES NOT BUILD (see $logs/$name.build.log)"
        tail -n 20 "$logs/$name.build.log" >&2
        rows+=("| $name | \`$file\` | does not build | | |")
        status=1
        git -C "$scratch" apply -R "$p"
        applied=""
        continue
    fi
    step "$name: conformance"
    conform "$logs/conform-$name" "$logs/conform-clean/results.json"
    IFS=$'\x1f' read -r cells bad kinds ms first wall conform_rc gone <<<"$conform_line"
    n_run=$((n_run + 1))
    if [ "$cells" = 0 ]; then
        verdict="no results (see $logs/conform-$name.log)"
        first="-"
    elif [ "$bad" -gt 0 ]; then
        verdict="**yes**: $bad cell$([ "$bad" = 1 ] || echo s) ($kinds)"
        # SOFT and UNREACHED do not fail `shakedown conform` (exit 0): a CI
        # gate on its exit code would let this mutant through.
        [ "$conform_rc" != 0 ] || verdict="$verdict, exit 0"
        n_conform=$((n_conform + 1))
    else
        verdict="no"
    fi
    if [ -n "$gone" ]; then
        verdict="$verdict; $(wc -w <<<"$gone") scenario(s) gone from the set"
        step "$name: scenarios gone from the set: $gone"
    fi
    if [ "$ms" = - ]; then conform_time="- (run ${wall} s)"; else conform_time="${ms} ms (run ${wall} s)"; fi

    fuzz_col="" fuzz_target_col="" fuzz_time_col=""
    if [ "$fuzz_seconds" -gt 0 ]; then
        step "$name: building the fuzz targets: $targets"
        # shellcheck disable=SC2086 # targets is a list of words
        run build_fuzz "$logs/$name.build-fuzz.log" $targets
        if [ "$rc" -ne 0 ]; then
            fuzz_col="does not build"
            status=1
        else
            fuzz_col="no"
            for t in $targets; do
                step "$name: fuzzing $t for ${fuzz_seconds} s"
                fuzz_target "$t" "$logs/fuzz-$name-$t"
                # The earliest finding that the clean tree does not reproduce.
                found=""
                while IFS=$'\t' read -r secs sig input; do
                    [ -n "$sig" ] || continue
                    clean_rc=0
                    "$logs/shakedown-clean" repro "${reference[@]}" --target "$t" "$input" >"$input.clean-repro" 2>&1 ||
                        clean_rc=$?
                    clean_sig="$(sed -n 's/^signature: *//p' "$input.clean-repro" | head -n 1)"
                    if [ "$clean_rc" -ne 0 ] && [ "$clean_rc" -ne 1 ]; then
                        step "$name: $t: the clean tree cannot replay $input (exit $clean_rc): not counted"
                        continue
                    fi
                    # The same pair of outcomes on the clean tree: not the
                    # mutant's doing (whether or not repro calls it a
                    # divergence).
                    if [ "$clean_sig" = "$sig" ]; then
                        step "$name: $t: not the mutant's (the clean tree gives the same): $sig"
                        continue
                    fi
                    found="$secs"
                    break
                done <<<"$fuzz_result"
                if [ -n "$found" ]; then
                    fuzz_col="**yes**"
                    fuzz_target_col="$t"
                    fuzz_time_col="$found s"
                    step "$name: $t found: $sig (clean tree: ${clean_sig:-no divergence})"
                    n_fuzz=$((n_fuzz + 1))
                    break
                fi
            done
            [ "$fuzz_col" != no ] || fuzz_target_col="$targets"
        fi
    fi
    row="| $name | \`$file\` | $verdict | $conform_time | $first |"
    [ "$fuzz_seconds" -eq 0 ] || row="$row $fuzz_col | $fuzz_target_col | $fuzz_time_col |"
    rows+=("$row")
    git -C "$scratch" apply -R "$p"
    applied=""
done

# --- The table --------------------------------------------------------------------

echo
if [ "$fuzz_seconds" -eq 0 ]; then
    echo "| mutant | file | caught by conformance | time to first failing cell | first failing cell |"
    echo "|---|---|---|---|---|"
else
    echo "| mutant | file | caught by conformance | time to first failing cell | first failing cell |" \
        "caught by fuzzing | target | time to finding |"
    echo "|---|---|---|---|---|---|---|---|"
fi
printf '%s\n' "${rows[@]}"
echo
echo "Conformance caught $n_conform of $n_run mutants (clean tree: $clean_cells cells, all PASS, ${clean_wall} s)."
if [ "$fuzz_seconds" -gt 0 ]; then
    echo "Fuzzing (${fuzz_seconds} s per target, findings the clean tree does not reproduce) caught $n_fuzz of $n_run."
fi
[ "$status" -eq 0 ] || echo "Some mutants did not apply or build: refresh them (tests/mutants/)." >&2
exit "$status"
