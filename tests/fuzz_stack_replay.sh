#!/usr/bin/env bash
# fuzz_stack_replay.sh — a fuzz target with a stack under test
# (SHAKEDOWN_FUZZ_STACK, as `shakedown fuzz --stack` sets it) judges that
# stack against the model and BoringSSL, and writes its finding:
#   - an honest handshake replays clean;
#   - the seed of tls13.client.certificate.wrong-key-usage aborts with a
#     finding of OpenSSL's (it takes a leaf whose keyUsage forbids signing,
#     docs/stack-findings.md O3, where both references refuse), whose .txt
#     names the stack and says how to reproduce it with the stack.
#
#   fuzz_stack_replay.sh REPLAY_BINARY SOURCE_DIR WORK_DIR
set -u
replay="$1" src="$2" work="$3"
rm -rf "$work" && mkdir -p "$work"
export SHAKEDOWN_FINDINGS_DIR="$work/findings" SHAKEDOWN_FUZZ_STACK=openssl

fail() { echo "FAIL: $*" >&2; exit 1; }

"$replay" "$src/corpus/fuzz_trace/scenario-tls13.client.handshake.happy" >"$work/honest.log" 2>&1 ||
    { cat "$work/honest.log" >&2; fail "an honest handshake is a finding of openssl"; }
grep -q "stack under test: openssl" "$work/honest.log" || fail "the target does not say which stack it tests"

"$replay" "$src/corpus/fuzz_trace/scenario-tls13.client.certificate.wrong-key-usage" >"$work/finding.log" 2>&1 &&
    fail "openssl taking a leaf whose keyUsage forbids signing is no finding"
txt=$(ls "$work"/findings/fuzz_trace/*.txt 2>/dev/null | head -1)
[ -n "$txt" ] || { cat "$work/finding.log" >&2; fail "no finding file written"; }
grep -q "^stack:      openssl" "$txt" || fail "$txt does not name the stack"
grep -q "by=openssl" "$txt" || fail "$txt: not the claim of openssl"
grep -q "shakedown repro --stack openssl" "$txt" || fail "$txt: no reproduce command with the stack"

# A name the build does not have stops the target: fuzzing the references
# alone while the user believes a stack is under test would be a lie.
SHAKEDOWN_FUZZ_STACK=no-such-stack "$replay" "$src/corpus/fuzz_trace/scenario-tls13.client.handshake.happy" \
    >"$work/unknown.log" 2>&1 && fail "an unknown stack ran"
grep -q "no-such-stack" "$work/unknown.log" || fail "no word of the unknown stack"
echo "ok: honest input clean, O3 found and written with the stack, unknown stack refused"
