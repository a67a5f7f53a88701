#!/usr/bin/env python3
"""coverage_states.py — which states of the model's order tables ran.

    scripts/coverage_states.py EXPORT.json SOURCE_DIR OUT_DIR

EXPORT.json is `llvm-cov export -format=text` of a merged profile
(scripts/coverage.sh makes it). Writes two files into OUT_DIR:

  states.txt     every step of every handshake shape of
                 harness/protocol/sequences.c, once per role the model can
                 play in it, with the function that handles that step and
                 how often it ran; then the states that never ran, by name.
  uncovered.txt  the functions of harness/model/*.c that never ran, and
                 the code regions that never ran (outermost only), as
                 file:line ranges with the enclosing function.

A state is (shape, step, the model's role). The model sends the steps of
its own role and receives the others. model.c hands every step to a row of
the negotiated version's table, read here from the source: the
model_version structs model_tls13 (tls13.c) and model_tls12 (tls12.c)
name a table of model_step rows {msg, on_receive, send}
(harness/model/model_state.h). A state's handler is that row's
on_receive when the model receives the step and its send when it sends
it; the count is how often execution entered that function.

Which table: the negotiated version's, and TLS 1.3's before a version is
negotiated (model.c version_table). The server settles the version when
it reads a ClientHello and the client when it reads a ServerHello, both
before the step's handler runs, so the one step of a TLS 1.2 shape that
goes through TLS 1.3's table is the client's ClientHello: one
send_client_hello serves both versions.

A handler serves every shape with that step, and often both roles or both
versions (marked "shared"), so its count alone cannot tell shapes apart.
Three rules do, each sound on its own:

  - A shape that differs from the plain handshake has a witness per flag
    and role (WITNESSES below): code that runs only when the model, in
    that role, takes a shape with that flag, mostly the place where the
    model switches itself into it. When a witness never ran, every step
    of those shapes, for that role, is NEVER, with the witness named.
  - A few steps after the switch have a witness of their own
    (STEP_WITNESSES), where the handler cannot tell them from another
    shape's step or the other role's: the second ClientHello after a
    HelloRetryRequest, the client's CertificateVerify in TLS 1.3.
  - Steps come in order, each only after the one before (sequences.c), so
    after a step that never ran (its handler never ran, or its witness)
    the rest of the shape, for that role, never ran either.

So "ran" means: the step's handler ran, and so did every witness of the
shape and of the steps up to it, for that role. It is an upper bound: the
witnesses show each flag taken in some handshake, not all of a shape's
flags in one, and a shared handler's count may all be another shape's.
"NEVER" is certain. A witness that is not found in the source is reported,
never guessed.

Standard library only.
"""
import json
import os
import re
import sys
from collections import defaultdict

ROLES = ("client", "server")
MODEL_DIR = "harness/model"

# The tables model.c's version_table chooses between (model_state.h).
VERSION_TABLE = {False: "model_tls13", True: "model_tls12"}

# flag -> {(tls12, role): witness}: code that runs only when the model, in
# that role, takes a shape with that flag. A witness is one of
#   ("fn", file, function)              that function ran;
#   ("at", file, function, text)        the innermost code region around the
#                                       first occurrence of text in that
#                                       function ran;
#   ("if", file, function, text, bool)  the condition that starts there came
#                                       out true (or false).
# The "at" witnesses are where the model switches itself into the shape;
# the "fn" ones send or read the message that switches it (sequences.c,
# sd_shape_accept).
WITNESSES = {
    "SD_SHAPE_HRR": {
        (False, "server"): ("fn", "tls13.c", "send_hello_retry_request"),
        (False, "client"): ("fn", "tls13.c", "on_hello_retry_request"),
    },
    "SD_SHAPE_CLIENT_AUTH": {
        (False, "server"): ("at", "tls13.c", "on_client_hello", "SD_SHAPE_CLIENT_AUTH"),
        (False, "client"): ("fn", "tls13.c", "on_certificate_request"),
        (True, "server"): ("at", "tls12.c", "model12_on_client_hello", "SD_SHAPE_CLIENT_AUTH"),
        (True, "client"): ("fn", "tls12.c", "on_certificate_request12"),
    },
    "SD_SHAPE_NO_CLIENT_CERT": {
        (False, "server"): ("at", "tls13.c", "on_certificate", "SD_SHAPE_NO_CLIENT_CERT"),
        (False, "client"): ("at", "tls13.c", "send_certificate", "SD_SHAPE_NO_CLIENT_CERT"),
        (True, "server"): ("at", "tls12.c", "on_client_certificate12", "SD_SHAPE_NO_CLIENT_CERT"),
        (True, "client"): ("at", "tls12.c", "send_client_certificate12", "SD_SHAPE_NO_CLIENT_CERT"),
    },
    "SD_SHAPE_PSK": {
        (False, "server"): ("at", "tls13.c", "on_client_hello", "SD_SHAPE_PSK"),
        (False, "client"): ("at", "tls13.c", "on_server_hello", "SD_SHAPE_PSK"),
    },
    "SD_SHAPE_RSA_KX": {
        (True, "server"): ("at", "tls12.c", "model12_on_client_hello", "SD_SHAPE_RSA_KX"),
        (True, "client"): ("at", "tls12.c", "model12_on_server_hello", "SD_SHAPE_RSA_KX"),
    },
    "SD_SHAPE_TICKET": {
        (True, "server"): ("at", "tls12.c", "model12_on_client_hello", "SD_SHAPE_TICKET"),
        (True, "client"): ("at", "tls12.c", "model12_on_server_hello", "SD_SHAPE_TICKET"),
    },
    "SD_SHAPE_RESUMED": {
        (True, "server"): ("at", "tls12.c", "model12_on_client_hello", "SD_SHAPE_RESUMED"),
        (True, "client"): ("at", "tls12.c", "model12_on_server_hello", "SD_SHAPE_RESUMED"),
    },
    "SD_SHAPE_OCSP": {
        (True, "server"): ("at", "tls12.c", "model12_on_client_hello", "SD_SHAPE_OCSP"),
        (True, "client"): ("at", "tls12.c", "model12_on_server_hello", "SD_SHAPE_OCSP"),
    },
}

# (flag, tls12, role, step constant, which occurrence in the shape) ->
# witness: a step after the shape was taken whose handler also serves other
# shapes or the other role, told apart by code that runs only on the way to
# that step of such a shape.
STEP_WITNESSES = {
    # The second ClientHello, answering a HelloRetryRequest. The client
    # sends it once on_hello_retry_request has accepted the request; model.c
    # has the server check it against the first with TLS 1.3's
    # check_second_client_hello before on_client_hello reads it.
    ("SD_SHAPE_HRR", False, "client", "SD_ClientHello", 2):
        ("at", "tls13.c", "on_hello_retry_request", "m->hrr_suite = sh->cipher_suite"),
    ("SD_SHAPE_HRR", False, "server", "SD_ClientHello", 2): ("fn", "tls13.c", "check_second_client_hello"),
    # The client's CertificateVerify (the second in TLS 1.3's shapes; the
    # handlers serve the server's as well): the client had a certificate
    # to send, and the server checked a client's non-empty chain.
    ("SD_SHAPE_CLIENT_AUTH", False, "client", "SD_CertificateVerify", 2):
        ("if", "tls13.c", "send_certificate", "!cred", False),
    ("SD_SHAPE_CLIENT_AUTH", False, "server", "SD_CertificateVerify", 2):
        ("if", "tls13.c", "on_certificate", "server ? NULL", True),
}

# Flags that need no witness: the version shows in the handlers themselves.
UNWITNESSED_FLAGS = {"SD_SHAPE_TLS12"}

# How sequences.c spells a step, and the constant the model's tables use.
STEP = re.compile(r"^(?:(C|S)\((\w+)\)|HRR|CCS\((CLIENT|SERVER)\))$")
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def call_arguments(text, open_paren):
    """(arguments split at top-level commas, index after the closing
    parenthesis) of the call whose "(" is at text[open_paren]."""
    depth, args, start = 0, [], open_paren + 1
    for i in range(open_paren, len(text)):
        c = text[i]
        if c in "({":
            depth += 1
        elif c in ")}":
            depth -= 1
            if depth == 0:
                args.append(text[start:i].strip())
                return args, i + 1
        elif c == "," and depth == 1:
            args.append(text[start:i].strip())
            start = i + 1
    sys.exit("coverage_states: unbalanced parentheses in sequences.c")


def parse_shapes(path):
    """[(name, {flag}, [(sender 'client'|'server', step constant)])] from the
    SHAPE(name, flags, steps...) rows of sd_shapes in sequences.c."""
    text = COMMENT.sub(" ", read(path))
    start = text.find("sd_shapes[] = {")
    if start < 0:
        sys.exit(f"coverage_states: no sd_shapes table in {path}")
    end = text.index("};", start)
    shapes = []
    for m in re.finditer(r"\bSHAPE\s*\(", text[start:end]):
        args, _ = call_arguments(text, start + m.end() - 1)
        if len(args) < 3 or not re.fullmatch(r'"[^"]+"', args[0]):
            sys.exit(f"coverage_states: cannot read the row SHAPE({', '.join(args)[:60]}...)")
        name = args[0].strip('"')
        flags = {f.strip() for f in args[1].split("|")} - {"0"}
        steps = []
        for token in args[2:]:
            s = STEP.match(re.sub(r"\s+", "", token))
            if not s:
                sys.exit(f"coverage_states: shape {name}: cannot read the step {token!r}")
            if s.group(1):
                steps.append(("client" if s.group(1) == "C" else "server", "SD_" + s.group(2)))
            elif s.group(3):
                steps.append((s.group(3).lower(), "SD_MSG_CHANGE_CIPHER_SPEC"))
            else:
                steps.append(("server", "SD_MSG_HELLO_RETRY_REQUEST"))
        shapes.append((name, flags, steps))
    if not shapes:
        sys.exit(f"coverage_states: no SHAPE rows in sd_shapes of {path}")
    return shapes


def parse_version_tables(model_dir):
    """{version struct name: (file, {step constant: (on_receive, send)})},
    None for a NULL function, from the model_version structs and the
    model_step tables they point to."""
    tables = {}
    for fname in sorted(os.listdir(model_dir)):
        if not fname.endswith(".c"):
            continue
        text = COMMENT.sub(" ", read(os.path.join(model_dir, fname)))
        for v in re.finditer(r"\bconst\s+model_version\s+(\w+)\s*=\s*\{(.*?)\};", text, re.S):
            steps = re.search(r"\.steps\s*=\s*(\w+)", v.group(2))
            if not steps:
                sys.exit(f"coverage_states: {fname}: {v.group(1)} names no .steps table")
            t = re.search(r"\bmodel_step\s+" + steps.group(1) + r"\s*\[\s*\]\s*=\s*\{(.*?)\};", text, re.S)
            if not t:
                sys.exit(f"coverage_states: {fname}: no model_step table {steps.group(1)}")
            rows = {}
            for row in re.finditer(r"\{\s*(\w+)\s*,\s*(\w+)\s*,\s*(\w+)\s*\}", t.group(1)):
                msg, on_receive, send = row.groups()
                rows[msg] = (None if on_receive == "NULL" else on_receive, None if send == "NULL" else send)
            if not rows:
                sys.exit(f"coverage_states: {fname}: no rows in {steps.group(1)}")
            tables[v.group(1)] = (fname, rows)
    for name in VERSION_TABLE.values():
        if name not in tables:
            sys.exit(f"coverage_states: no model_version {name} in {model_dir}; update VERSION_TABLE")
    return tables


def model_functions(export):
    """{(file name, function name): function record} for the functions
    defined in harness/model/. Static functions in the export are named
    "file.c:name", and two files may each have a static of one name."""
    out = {}
    for fn in export["data"][0]["functions"]:
        path = fn["filenames"][0]
        if f"/{MODEL_DIR}/" in path:
            out[(os.path.basename(path), fn["name"].split(":")[-1])] = fn
    return out


def code_regions(fn):
    """The code regions of a function in its own file, not in expansions."""
    return [r for r in fn["regions"] if r[5] == 0 and r[7] == 0]


def extent(fn):
    """(file, first line, last line) of a function, from its code regions."""
    regs = code_regions(fn)
    return fn["filenames"][0], min(r[0] for r in regs), max(r[2] for r in regs)


def find_function(fns, fname, name):
    """The record of function `name`, in file `fname` if that has one, else
    the only model function of that name; None if there is none or the
    name is ambiguous."""
    if (fname, name) in fns:
        return fns[(fname, name)]
    hits = [fn for (f, n), fn in fns.items() if n == name]
    return hits[0] if len(hits) == 1 else None


def innermost(regions, pos):
    """The innermost of the regions [line, col, end line, end col, ...]
    around pos (line, col): the one that starts last, then ends first."""
    inside = [r for r in regions if (r[0], r[1]) <= pos <= (r[2], r[3])]
    return max(inside, key=lambda r: ((r[0], r[1]), (-r[2], -r[3]))) if inside else None


def witness_count(w, fns, sources):
    """(description, count) of a witness; count None if it is not found."""
    kind, fname, name = w[:3]
    fn = fns.get((fname, name))
    if kind == "fn":
        return f"{fname} {name}()", (fn["count"] if fn else None)
    text = w[3]
    what = f"{fname} {name}() at `{text}`" + (f" {'true' if w[4] else 'false'}" if kind == "if" else "")
    if not fn:
        return what, None
    path, first, last = extent(fn)
    lines = sources.setdefault(path, read(path).split("\n"))
    no = next((no for no in range(first, last + 1) if text in lines[no - 1]), None)
    if no is None:
        return what, None
    what = what.replace(f"{fname} ", f"{fname}:{no} ", 1)
    pos = (no, lines[no - 1].index(text) + 1)
    if kind == "at":
        r = innermost(code_regions(fn), pos)
        return what, (r[4] if r else None)
    # Branch regions: [line, col, end line, end col, true count, false
    # count, file id, expanded file id, kind].
    b = innermost([b for b in fn.get("branches", []) if b[6] == 0], pos)
    return what, (None if b is None else b[4] if w[4] else b[5])


def handler(tables, fns, tls12, role, index, steps):
    """(table name, function name, record or None) of the handler of step
    `index` of a shape for the model in `role`; function name None if the
    table has no such function."""
    sender, msg = steps[index]
    version = tls12
    if tls12 and role == "client":
        # model.c: the client negotiates on reading ServerHello; until then
        # TLS 1.3's table, which offers TLS 1.2 as well.
        settled = next((i for i, (_, m) in enumerate(steps) if m == "SD_ServerHello"), len(steps))
        version = index >= settled
    table = VERSION_TABLE[version]
    fname, rows = tables[table]
    on_receive, send = rows.get(msg, (None, None))
    name = send if sender == role else on_receive
    return table, name, (find_function(fns, fname, name) if name else None)


def outermost_zero_regions(fns):
    """[(file, first line, first col, last line, last col, function)] of
    code regions that never ran, leaving out those inside another."""
    zeros = []
    for (_, name), fn in fns.items():
        for r in code_regions(fn):
            if r[4] == 0:
                zeros.append((fn["filenames"][0], r[0], r[1], r[2], r[3], name))
    zeros.sort(key=lambda z: (z[0], z[1], z[2], -z[3], -z[4]))
    out = []
    for z in zeros:
        if out and out[-1][0] == z[0] and (out[-1][3], out[-1][4]) >= (z[3], z[4]) and \
                (out[-1][1], out[-1][2]) <= (z[1], z[2]):
            continue
        out.append(z)
    return out


class Witnesses:
    """Looks witnesses up once, and remembers the ones it could not find."""

    def __init__(self, fns, sources):
        self.fns, self.sources, self.missing, self.known = fns, sources, set(), {}

    def never_ran(self, w):
        """Description of a witness that never ran; None if it ran or was
        not found (then it is reported)."""
        if w not in self.known:
            what, count = witness_count(w, self.fns, self.sources)
            if count is None:
                self.missing.add(what)
            self.known[w] = f"{what} never ran" if count == 0 else None
        return self.known[w]


def shape_states(shape, tables, fns, witnesses, unwitnessed):
    """{role: [state]} for one shape, in step order. A state is a dict:
    step, sender, msg, direction, table, handler (name), fn (record or
    None), count, and why: None if it ran, else why it never did."""
    name, flags, steps = shape
    tls12 = "SD_SHAPE_TLS12" in flags
    out = {}
    for role in ROLES:
        # The witnesses of this shape's flags that never ran: then the
        # model never took the shape in this role, and no step of it ran.
        untaken = []
        for flag in sorted(flags - UNWITNESSED_FLAGS):
            w = WITNESSES.get(flag, {}).get((tls12, role))
            if not w:
                unwitnessed.add(f"{flag} (TLS 1.{2 if tls12 else 3}, model as {role})")
            elif witnesses.never_ran(w):
                untaken.append(witnesses.never_ran(w))
        states, seen, stuck = [], defaultdict(int), None
        for i, (sender, msg) in enumerate(steps):
            seen[msg] += 1
            table, hname, fn = handler(tables, fns, tls12, role, i, steps)
            st = {"step": i + 1, "sender": sender, "msg": msg, "table": table, "handler": hname, "fn": fn,
                  "direction": "send" if sender == role else "receive", "count": fn["count"] if fn else 0,
                  "why": None}
            step_witness = [w for (flag, v, r, m, n), w in STEP_WITNESSES.items()
                            if flag in flags and v == tls12 and r == role and m == msg and n == seen[msg]]
            if untaken:
                st["why"] = "shape not taken: " + "; ".join(untaken)
            elif stuck:
                # Steps come in order, each after the one before: a step
                # never reached is never passed (sequences.c).
                st["why"] = f"after step {stuck}, never reached"
            elif not hname:
                st["why"] = f"no handler: {table} has no {'send' if sender == role else 'on_receive'}"
            elif not fn:
                st["why"] = f"no handler: {table} names {hname}(), not in the profile"
            elif not fn["count"]:
                st["why"] = "handler never ran"
            else:
                reasons = [r for r in map(witnesses.never_ran, step_witness) if r]
                if reasons:
                    st["why"] = "step not reached: " + "; ".join(reasons)
            if st["why"] and not untaken and not stuck:
                stuck = i + 1
            states.append(st)
        out[role] = states
    return out


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.split("\n\n")[1])
    export_path, src, out_dir = sys.argv[1:]
    with open(export_path, encoding="utf-8") as f:
        export = json.load(f)
    fns = model_functions(export)
    if not fns:
        sys.exit(f"coverage_states: the profile has no function of {MODEL_DIR}/")
    shapes = parse_shapes(os.path.join(src, "harness/protocol/sequences.c"))
    tables = parse_version_tables(os.path.join(src, MODEL_DIR))
    rel = lambda p: os.path.relpath(p, src)
    witnesses, unwitnessed = Witnesses(fns, {}), set()
    by_shape = [(shape, shape_states(shape, tables, fns, witnesses, unwitnessed)) for shape in shapes]
    for what in sorted(witnesses.missing):
        print(f"coverage_states: warning: witness {what} not found in the model; update WITNESSES",
              file=sys.stderr)
    for what in sorted(unwitnessed):
        print(f"coverage_states: warning: no witness for {what}; update WITNESSES", file=sys.stderr)

    # What each handler serves, for "shared".
    uses = defaultdict(set)
    for (name, flags, _), states in by_shape:
        for role, sts in states.items():
            for st in sts:
                if st["fn"]:
                    uses[id(st["fn"])].add((role, "SD_SHAPE_TLS12" in flags))

    def where(st):
        if not st["fn"]:
            return ""
        served = uses[id(st["fn"])]
        shared = [what for what, n in (("both roles", len({r for r, _ in served})),
                                       ("both versions", len({v for _, v in served}))) if n > 1]
        path, first, _ = extent(st["fn"])
        return f"{rel(path)}:{first} {st['handler']}()" + (f" (shared: {', '.join(shared)})" if shared else "")

    n_states = n_never = 0
    untaken_shapes, never = [], []
    with open(os.path.join(out_dir, "states.txt"), "w", encoding="utf-8") as f:
        f.write("# Steps of the order tables (harness/protocol/sequences.c) x the model's role, with the\n"
                "# function of the version's model_step table that handles each, how often it was entered\n"
                "# and whether the state ran (scripts/coverage_states.py). Columns: step, sender, message,\n"
                "# the model's role and direction, count, ran/NEVER, handler; for NEVER, why.\n")
        for (name, flags, steps), states in by_shape:
            f.write(f"\nshape {name} ({'TLS 1.2' if 'SD_SHAPE_TLS12' in flags else 'TLS 1.3'})\n")
            for i in range(len(steps)):
                for role in ROLES:
                    st = states[role][i]
                    n_states += 1
                    n_never += bool(st["why"])
                    label = st["msg"].replace("SD_MSG_", "").replace("SD_", "")
                    text = "; ".join(filter(None, (where(st), st["why"])))
                    f.write(f"  {st['step']:2} {st['sender']:6} {label:28} model as {role:6} {st['direction']:7} "
                            f"{st['count']:>8} {'NEVER' if st['why'] else 'ran':5}  {text}\n")
            for role in ROLES:
                sts = states[role]
                first = next((st for st in sts if st["why"]), None)
                if not first:
                    continue
                if first["why"].startswith("shape not taken: "):
                    untaken_shapes.append(f"{name}, model as {role}: {first['why'][len('shape not taken: '):]}")
                    continue
                label = first["msg"].replace("SD_MSG_", "").replace("SD_", "")
                rest = len(sts) - first["step"]
                never.append(f"{name}, model as {role}: step {first['step']} ({first['sender']} {label}), "
                             f"{'sent' if first['direction'] == 'send' else 'received'} by "
                             f"{first['handler'] or 'nothing'}(): {first['why']}"
                             + ("" if not rest else "; and the step after it" if rest == 1 else f"; and the {rest} steps after it"))
        f.write(f"\nnever reached: {n_never} of {n_states} states\n")
        f.write(f"  shapes the model never took, by role ({len(untaken_shapes)}; all their steps):\n")
        for n in untaken_shapes:
            f.write(f"    {n}\n")
        f.write(f"  shapes it took, by role, that stop short ({len(never)}; the first step never reached):\n")
        for n in never:
            f.write(f"    {n}\n")

    zero_fns = sorted((rel(fn["filenames"][0]), extent(fn)[1], name)
                      for (_, name), fn in fns.items() if fn["count"] == 0)
    regions = outermost_zero_regions(fns)
    with open(os.path.join(out_dir, "uncovered.txt"), "w", encoding="utf-8") as f:
        f.write(f"# {MODEL_DIR}: functions that never ran ({len(zero_fns)} of {len(fns)})\n")
        for path, line, name in zero_fns:
            f.write(f"{path}:{line} {name}\n")
        f.write(f"\n# code regions that never ran, outermost only ({len(regions)})\n")
        for path, l1, c1, l2, c2, name in regions:
            span = f"{l1}" if l1 == l2 else f"{l1}-{l2}"
            f.write(f"{rel(path)}:{span} in {name}\n")
    print(f"coverage_states: {n_states - n_never} of {n_states} table states ran; "
          f"{len(zero_fns)} model functions and {len(regions)} regions never ran")


if __name__ == "__main__":
    main()
