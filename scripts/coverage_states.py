#!/usr/bin/env python3
"""coverage_states.py — which states of the model's order tables ran.

    scripts/coverage_states.py EXPORT.json SOURCE_DIR OUT_DIR

EXPORT.json is `llvm-cov export -format=text` of a merged profile
(scripts/coverage.sh makes it). Writes two files into OUT_DIR:

  states.txt     every step of every handshake shape of
                 harness/protocol/sequences.c, once per role the model can
                 play in it, with the code that handles that step and how
                 often it ran; then the steps that never ran, by name.
  uncovered.txt  the functions of harness/model/*.c that never ran, and
                 the code regions that never ran (outermost only), as
                 file:line ranges with the enclosing function.

A state is (shape, step, the model's role). The model sends the steps of
its own role and receives the others. Which code handles a step is read
from the dispatch switches of harness/model/model.c and tls12.c (the same
rules the model follows, see model.c send_own_message and
on_handshake_message):

  TLS 1.3 send     send_own_message          case SD_<msg>
  TLS 1.3 receive  on_handshake_message      case SD_<msg>
  TLS 1.2 send     model12_send              case SD_<msg>, else as TLS 1.3
  TLS 1.2 receive  ChangeCipherSpec: model12_on_ccs; ClientHello and
                   ServerHello: on_handshake_message; the rest:
                   model12_on_message        case SD_<msg>

The count is the number of times execution entered that case (for
model12_on_ccs: the function). A handler serves every shape with that step
(and sometimes both roles: marked "shared"), so its count alone cannot tell
shapes apart. The shapes that differ from the plain handshake are told
apart by a witness: code that runs only when the model, in that role, takes
a shape with that flag (WITNESSES below: HelloRetryRequest, client
authentication, PSK, TLS 1.2 tickets and resumption). When a witness never
ran, every step of those shapes, for that role, is NEVER, with the witness
named. So "ran" means the step's handler ran and the model took a shape of
that kind; "NEVER" names what was never reached.

Standard library only.
"""
import json
import os
import re
import sys
from collections import defaultdict

# How the order tables (sequences.c) spell a step, and the case label the
# dispatch switches use for it.
STEP_MACRO = re.compile(r"\b(C|S)\((\w+)\)|\bHRR\b|\bCCS\((CLIENT|SERVER)\)")
SHAPE = re.compile(r'\{"([^"]+)",\s*([^,]+),\s*(\d+),\s*\{(.*?)\}\}', re.S)
CASE = re.compile(r"^\s*case\s+(SD_\w+)\s*:")

DISPATCH_13_SEND = "send_own_message"
DISPATCH_13_RECV = "on_handshake_message"
DISPATCH_12_SEND = "model12_send"
DISPATCH_12_RECV = "model12_on_message"
CCS_12_RECV = "model12_on_ccs"


# flag -> {(tls12, role): witness}; a witness is ("fn", name): that function
# ran, or ("case", dispatch function, label): that case of it ran. Read from
# model.c and tls12.c; a witness that is not found is reported, not guessed.
WITNESSES = {
    "SD_SHAPE_HRR": {
        (False, "server"): ("case", DISPATCH_13_SEND, "SD_MSG_HELLO_RETRY_REQUEST"),
        (False, "client"): ("fn", "on_hello_retry_request"),
    },
    "SD_SHAPE_CLIENT_AUTH": {
        (False, "server"): ("case", DISPATCH_13_SEND, "SD_CertificateRequest"),
        (False, "client"): ("fn", "on_certificate_request"),
        (True, "server"): ("fn", "send_certificate_request12"),
        (True, "client"): ("fn", "on_certificate_request12"),
    },
    "SD_SHAPE_PSK": {
        (False, "server"): ("fn", "select_psk"),
        (False, "client"): ("fn", "psk_binder"),
    },
    "SD_SHAPE_TICKET": {
        (True, "server"): ("fn", "send_session_ticket12"),
        (True, "client"): ("case", DISPATCH_12_RECV, "SD_NewSessionTicket"),
    },
    "SD_SHAPE_RESUMED": {
        (True, "server"): ("fn", "open_ticket12"),
        (True, "client"): ("fn", "model12_load_session"),
    },
}


def witness_count(w, dispatch, fns):
    """(description, count) of a witness; count None if it is not found."""
    if w[0] == "fn":
        fn = fns.get(w[1])
        return f"{w[1]}()", (fn["count"] if fn else None)
    hit = dispatch.get(w[1], {}).get(w[2])
    return f"{w[1]}() case {w[2]}", (hit[2] if hit else None)


def parse_shapes(path):
    """[(name, flags text, [(from 'client'|'server', label)])] from sequences.c."""
    text = open(path, encoding="utf-8").read()
    start = text.index("sd_shapes[] = {")
    end = text.index("};", start)
    shapes = []
    for m in SHAPE.finditer(text[start:end]):
        name, flags, n, body = m.group(1), m.group(2).strip(), int(m.group(3)), m.group(4)
        steps = []
        for s in STEP_MACRO.finditer(body):
            if s.group(1):
                steps.append(("client" if s.group(1) == "C" else "server", "SD_" + s.group(2)))
            elif s.group(3):
                steps.append((s.group(3).lower(), "SD_MSG_CHANGE_CIPHER_SPEC"))
            else:
                steps.append(("server", "SD_MSG_HELLO_RETRY_REQUEST"))
        if len(steps) != n:
            sys.exit(f"coverage_states: shape {name}: table says {n} steps, read {len(steps)}")
        shapes.append((name, flags, steps))
    if not shapes:
        sys.exit(f"coverage_states: no shapes found in {path}")
    return shapes


def model_functions(export):
    """{name: function record} for the functions defined in harness/model/."""
    out = {}
    for fn in export["data"][0]["functions"]:
        if any("/harness/model/" in f for f in fn["filenames"]):
            # Static functions are named "file.c:name".
            out[fn["name"].split(":")[-1]] = fn
    return out


def extent(fn):
    """(file, first line, last line) of a function, from its code regions."""
    regs = [r for r in fn["regions"] if r[7] == 0 and r[5] == 0]
    return fn["filenames"][0], min(r[0] for r in regs), max(r[2] for r in regs)


def case_counts(fn, sources):
    """{case label: (file, line, count)} of the switch cases in a function."""
    path, first, last = extent(fn)
    lines = sources.setdefault(path, open(path, encoding="utf-8").read().split("\n"))
    starts = defaultdict(int)
    for r in fn["regions"]:
        if r[7] == 0 and r[5] == 0:
            starts[r[0]] = max(starts[r[0]], r[4])
    cases = {}
    for no in range(first, last + 1):
        m = CASE.match(lines[no - 1])
        if m and m.group(1) not in cases:
            cases[m.group(1)] = (path, no, starts.get(no, 0))
    return cases


def handler(state, dispatch, fns):
    """(file, line, what, count) of the code that handles a state, or None."""
    tls12, direction, label = state
    if tls12 and direction == "receive" and label == "SD_MSG_CHANGE_CIPHER_SPEC":
        fn = fns.get(CCS_12_RECV)
        if not fn:
            return None
        path, first, _ = extent(fn)
        return path, first, CCS_12_RECV + "()", fn["count"]
    order = []
    if tls12 and direction == "send":
        order.append(DISPATCH_12_SEND)
    if tls12 and direction == "receive" and label not in ("SD_ClientHello", "SD_ServerHello"):
        order.append(DISPATCH_12_RECV)
    order.append(DISPATCH_13_SEND if direction == "send" else DISPATCH_13_RECV)
    for name in order:
        hit = dispatch.get(name, {}).get(label)
        if hit:
            return hit[0], hit[1], f"{name}() case {label}", hit[2]
    return None


def outermost_zero_regions(fns):
    """[(file, first, last, function)] of code regions that never ran, leaving
    out those inside another such region."""
    zeros = []
    for name, fn in fns.items():
        for r in fn["regions"]:
            if r[7] == 0 and r[5] == 0 and r[4] == 0:
                zeros.append((fn["filenames"][0], r[0], r[1], r[2], r[3], name))
    zeros.sort(key=lambda z: (z[0], z[1], z[2], -z[3], -z[4]))
    out = []
    for z in zeros:
        if out and out[-1][0] == z[0] and (out[-1][3], out[-1][4]) >= (z[3], z[4]) and \
                (out[-1][1], out[-1][2]) <= (z[1], z[2]):
            continue
        out.append(z)
    return out


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.split("\n\n")[1])
    export_path, src, out_dir = sys.argv[1:]
    export = json.load(open(export_path, encoding="utf-8"))
    fns = model_functions(export)
    if not fns:
        sys.exit("coverage_states: the profile has no function of harness/model/")
    sources = {}
    dispatch = {name: case_counts(fns[name], sources)
                for name in (DISPATCH_13_SEND, DISPATCH_13_RECV, DISPATCH_12_SEND, DISPATCH_12_RECV)
                if name in fns}
    shapes = parse_shapes(os.path.join(src, "harness/protocol/sequences.c"))
    rel = lambda p: os.path.relpath(p, src)

    # Which roles use each handler: one used by both is "shared".
    rows, roles_of = [], defaultdict(set)
    missing_witnesses = set()
    for name, flags, steps in shapes:
        tls12 = "SD_SHAPE_TLS12" in flags
        # Per role: the first witness of this shape's flags that never ran.
        untaken = {}
        for role in ("client", "server"):
            for flag, by in WITNESSES.items():
                w = by.get((tls12, role))
                if flag not in flags or not w:
                    continue
                what, count = witness_count(w, dispatch, fns)
                if count is None:
                    missing_witnesses.add(what)
                elif count == 0 and role not in untaken:
                    untaken[role] = f"shape not taken: {what} never ran"
        for i, (sender, label) in enumerate(steps, 1):
            for role in ("client", "server"):
                direction = "send" if sender == role else "receive"
                h = handler((tls12, direction, label), dispatch, fns)
                rows.append((name, tls12, i, sender, label, role, direction, h, untaken.get(role)))
                if h:
                    roles_of[(h[0], h[1])].add(role)
    for what in sorted(missing_witnesses):
        print(f"coverage_states: warning: witness {what} not found in the model; "
              "update WITNESSES", file=sys.stderr)

    never, untaken_shapes = [], []
    with open(os.path.join(out_dir, "states.txt"), "w", encoding="utf-8") as f:
        f.write("# Steps of the order tables (harness/protocol/sequences.c) x the model's role,\n"
                "# with the code that handles each and how often it ran (scripts/coverage_states.py).\n")
        current = None
        for name, tls12, i, sender, label, role, direction, h, untaken in rows:
            if name != current:
                current = name
                f.write(f"\nshape {name} ({'TLS 1.2' if tls12 else 'TLS 1.3'})\n")
            msg = label.replace("SD_MSG_", "").replace("SD_", "")
            if h is None:
                where, count, mark = "no handler found", 0, "NEVER"
            else:
                shared = " (shared)" if len(roles_of[(h[0], h[1])]) > 1 else ""
                where = f"{rel(h[0])}:{h[1]} {h[2]}{shared}"
                count, mark = h[3], ("ran" if h[3] else "NEVER")
                if untaken:
                    where, mark = f"{where}; {untaken}", "NEVER"
            f.write(f"  {i:2} {sender:6} {msg:28} model as {role:6} {direction:7} {count:>8} {mark:5}  {where}\n")
            if untaken:
                entry = f"{name}, model as {role}: {untaken.replace('shape not taken: ', '')}"
                if entry not in untaken_shapes:
                    untaken_shapes.append(entry)
            elif mark == "NEVER":
                never.append(f"{name} step {i} ({sender} {msg}): the model as {role} never "
                             f"{'sent' if direction == 'send' else 'received'} it [{where}]")
        n_never = sum(1 for r in rows if r[8] or not r[7] or not r[7][3])
        f.write(f"\nnever reached: {n_never} of {len(rows)} states\n")
        f.write(f"  shapes the model never took, by role ({len(untaken_shapes)}; all their steps):\n")
        for n in untaken_shapes:
            f.write(f"    {n}\n")
        f.write(f"  steps never reached in shapes it took ({len(never)}):\n")
        for n in never:
            f.write(f"    {n}\n")

    zero_fns = sorted((rel(fn["filenames"][0]), extent(fn)[1], name)
                      for name, fn in fns.items() if fn["count"] == 0)
    regions = outermost_zero_regions(fns)
    with open(os.path.join(out_dir, "uncovered.txt"), "w", encoding="utf-8") as f:
        f.write(f"# harness/model: functions that never ran ({len(zero_fns)} of {len(fns)})\n")
        for path, line, name in zero_fns:
            f.write(f"{path}:{line} {name}\n")
        f.write(f"\n# code regions that never ran, outermost only ({len(regions)})\n")
        for path, l1, c1, l2, c2, name in regions:
            span = f"{l1}" if l1 == l2 else f"{l1}-{l2}"
            f.write(f"{rel(path)}:{span} in {name}\n")
    print(f"coverage_states: {len(rows) - n_never} of {len(rows)} table states ran; "
          f"{len(zero_fns)} model functions and {len(regions)} regions never ran")


if __name__ == "__main__":
    main()
