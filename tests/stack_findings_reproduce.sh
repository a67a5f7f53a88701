#!/usr/bin/env bash
# stack_findings_reproduce.sh — every minimized example of a stack class in
# docs/stack-findings.md found by three-party fuzzing
# (corpus/regressions/stacks/NAME/) still shows as a finding of NAME when
# `shakedown repro --stack NAME` replays it: the oracle, the shims and the
# stack's known differences must not quietly stop seeing a documented bug.
# A stack this build lacks is skipped (exit 77), saying so.
#
#   stack_findings_reproduce.sh SHAKEDOWN SOURCE_DIR
set -u
shakedown="$1" src="$2"
status=0 checked=0 skipped=""
for dir in "$src"/corpus/regressions/stacks/*/; do
    stack=$(basename "$dir")
    mapfile -t inputs < <(find "$dir" -maxdepth 1 -type f ! -name '*.txt' | sort)
    [ "${#inputs[@]}" -gt 0 ] || continue
    out=$("$shakedown" repro --stack "$stack" --target fuzz_trace "${inputs[@]}" 2>&1)
    if grep -q "no stack '$stack'" <<<"$out"; then
        skipped="$skipped $stack"
        continue
    fi
    found=$(grep -c "^result:     FINDING ($stack)" <<<"$out")
    if [ "$found" -ne "${#inputs[@]}" ]; then
        echo "FAIL: $stack: $found of ${#inputs[@]} examples still show as findings:" >&2
        grep -E "^== |^result:" <<<"$out" >&2
        status=1
    else
        echo "ok: $stack: ${#inputs[@]} of ${#inputs[@]} examples show as findings"
    fi
    checked=$((checked + 1))
done
[ -n "$skipped" ] && echo "SKIP:$skipped: not in this build (no in-process target or shim)"
if [ "$checked" -eq 0 ]; then
    echo "SKIP: no stack of corpus/regressions/stacks/ is in this build"
    exit 77
fi
exit $status
