#!/usr/bin/env python3
"""Probe TLS 1.3 resumption edge cases against real programs, without the
scenario machinery: the checks behind docs/stack-findings.md's resumption
classes (issue 12), reproduced with stock clients and servers.

Three tools:

  shim-server PORT -- SHIM_ARGV...
      Puts a server shim (targets/shims, docs/shim-contract.md) on a TCP port:
      each accepted connection is one connection of the shim's process (START
      for the first, NEXT before each later one), bytes relayed as DATA
      frames; every STATUS is printed. Lets a stock client (openssl s_client)
      resume against a stack that has no stock server of its own (wolfSSL).

  mitm LISTEN_PORT UPSTREAM_PORT [options]
      A relay between a stock client and a stock server. Connection N
      (--connection, default 2) is rewritten: the client's ClientHello
      (--ch-*) and/or the server's ServerHello (--sh-*); binders are
      recomputed with --psk (the "Resumption PSK" that `openssl sess_id -text`
      prints for a TLS 1.3 session) so that the server judges the rewrite,
      not a broken binder. Prints what each side sends in that connection
      (handshake messages in the clear, alerts in the clear, protected
      records by size) and which identity a ServerHello selects. Options:
        --connection N, --connections M   rewrite connection N of M (2 of 2)
        --psk HEX [--hash sha256|sha384]  the PSK the binders are made with
        --ch-identities K --ch-binders B  offer identity 0 K times, B binders
        --ch-ticket-flip I                flip bit 0 of the ticket's byte I
                                          (negative: from its end)
        --ch-modes HEX                    psk_key_exchange_modes' body
        --ch-suites HEX                   the cipher_suites list
        --ch-ext-flip-middle TYPE         flip the middle byte of extension TYPE
        --sh-psk-body HEX                 the ServerHello's pre_shared_key body
        --sh-drop-ext TYPE                leave extension TYPE out of the ServerHello
        --inject-before-client-ccs HEX    send these record bytes to the
                                          server in place of the client's
                                          ChangeCipherSpec, then the CCS

  shim-client PORT SESSION_FILE -- SHIM_ARGV...
      Runs a client shim against a TCP server on PORT, prints every STATUS,
      and writes the session it hands over (SESSION) as hex to SESSION_FILE
      (`-`: nowhere), for a later run's --resume-session-hex.

  tls12-client-feed SHIM_ARGV... -- HEX_RECORDS...
      Runs a client shim, sends START, then feeds it each hex string as one
      DATA frame and prints every STATUS: a hand-written server flight.

Every message layout here is RFC 8446 §4 (ClientHello §4.1.2, ServerHello
§4.1.3, pre_shared_key §4.2.11, binders §4.2.11.2) or RFC 5246 §7.4.
"""

import hashlib
import hmac
import select
import socket
import struct
import subprocess
import sys

HANDSHAKE_NAMES = {0: "HelloRequest", 1: "ClientHello", 2: "ServerHello", 4: "NewSessionTicket",
                   8: "EncryptedExtensions", 11: "Certificate", 12: "ServerKeyExchange",
                   13: "CertificateRequest", 14: "ServerHelloDone", 15: "CertificateVerify",
                   16: "ClientKeyExchange", 20: "Finished"}
ALERT_NAMES = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
               40: "handshake_failure", 42: "bad_certificate", 47: "illegal_parameter",
               50: "decode_error", 51: "decrypt_error", 70: "protocol_version",
               80: "internal_error", 109: "missing_extension", 110: "unsupported_extension",
               115: "unknown_psk_identity"}
EXT_PRE_SHARED_KEY = 41
EXT_PSK_MODES = 45
HRR_RANDOM = bytes.fromhex("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C")


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def read_record(sock):
    header = read_exact(sock, 5)
    if header is None:
        return None
    body = read_exact(sock, struct.unpack(">H", header[3:5])[0])
    return None if body is None else header + body


def parse_extensions(block):
    """[(type, body)] of an extensions block without its length prefix."""
    out, i = [], 0
    while i + 4 <= len(block):
        ext_type, ext_len = struct.unpack(">HH", block[i:i + 4])
        out.append((ext_type, block[i + 4:i + 4 + ext_len]))
        i += 4 + ext_len
    return out


def build_extensions(exts):
    body = b"".join(struct.pack(">HH", t, len(b)) + b for t, b in exts)
    return struct.pack(">H", len(body)) + body


def split_client_hello(msg):
    """The ClientHello message (with its 4-byte header) as (prefix, extensions)."""
    body = msg[4:]
    i = 2 + 32
    i += 1 + body[i]
    i += 2 + struct.unpack(">H", body[i:i + 2])[0]
    i += 1 + body[i]
    ext_len = struct.unpack(">H", body[i:i + 2])[0]
    return body[:i], parse_extensions(body[i + 2:i + 2 + ext_len])


def parse_psk_offer(ext_body):
    """pre_shared_key of a ClientHello: ([(identity, age)], [binder])."""
    ids_len = struct.unpack(">H", ext_body[:2])[0]
    ids, i = [], 2
    while i < 2 + ids_len:
        n = struct.unpack(">H", ext_body[i:i + 2])[0]
        ids.append((ext_body[i + 2:i + 2 + n], ext_body[i + 2 + n:i + 6 + n]))
        i += 6 + n
    binders, j = [], i + 2
    while j < len(ext_body):
        n = ext_body[j]
        binders.append(ext_body[j + 1:j + 1 + n])
        j += 1 + n
    return ids, binders


def hkdf_expand_label(secret, label, context, length, hash_name):
    full = b"tls13 " + label
    info = struct.pack(">HB", length, len(full)) + full + bytes([len(context)]) + context
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(secret, block + info + bytes([counter]), hash_name).digest()
        out += block
        counter += 1
    return out[:length]


def binder_for(psk, truncated_hello, hash_name):
    """RFC 8446 §4.2.11.2 and §7.1: the binder of a resumption PSK."""
    hash_len = hashlib.new(hash_name).digest_size
    early_secret = hmac.new(b"\0" * hash_len, psk, hash_name).digest()
    empty_hash = hashlib.new(hash_name, b"").digest()
    binder_key = hkdf_expand_label(early_secret, b"res binder", empty_hash, hash_len, hash_name)
    finished_key = hkdf_expand_label(binder_key, b"finished", b"", hash_len, hash_name)
    return hmac.new(finished_key, hashlib.new(hash_name, truncated_hello).digest(),
                    hash_name).digest()


def rewrite_client_hello(msg, opts):
    prefix, exts = split_client_hello(msg)
    if opts.get("suites"):
        # The cipher_suites vector sits after version, random and session id.
        i = 2 + 32
        i += 1 + prefix[i]
        old_len = struct.unpack(">H", prefix[i:i + 2])[0]
        suites = bytes.fromhex(opts["suites"])
        prefix = prefix[:i] + struct.pack(">H", len(suites)) + suites + prefix[i + 2 + old_len:]
    new_exts = []
    psk_ids, binder_count = None, None
    for ext_type, body in exts:
        if opts.get("ext_flip") and ext_type == int(opts["ext_flip"]) and body:
            # The middle byte of any extension (a TLS 1.2 session_ticket).
            middle = len(body) // 2
            body = body[:middle] + bytes([body[middle] ^ 0x01]) + body[middle + 1:]
        if ext_type == EXT_PSK_MODES and opts.get("modes") is not None:
            body = bytes.fromhex(opts["modes"])
        if ext_type == EXT_PRE_SHARED_KEY:
            ids, binders = parse_psk_offer(body)
            if opts.get("ticket_flip") is not None:
                ticket, age = ids[0]
                pos = len(ticket) + opts["ticket_flip"] if opts["ticket_flip"] < 0 else opts["ticket_flip"]
                ticket = ticket[:pos] + bytes([ticket[pos] ^ 0x01]) + ticket[pos + 1:]
                ids[0] = (ticket, age)
            if opts.get("identities") is not None:
                ids = (ids * opts["identities"])[:opts["identities"]]
            binder_count = opts["binders"] if opts.get("binders") is not None else len(ids)
            psk_ids = ids
            continue  # rebuilt below, last (RFC 8446 §4.2.11)
        new_exts.append((ext_type, body))
    if psk_ids is None:
        return prefix, new_exts, None
    return prefix, new_exts, (psk_ids, binder_count)


def assemble_client_hello(prefix, exts, psk, opts):
    """The ClientHello message with pre_shared_key last and fresh binders."""
    if psk is None:
        body = prefix + build_extensions(exts)
        return b"\x01" + struct.pack(">I", len(body))[1:] + body
    ids, binder_count = psk
    hash_name = opts.get("hash", "sha256")
    hash_len = hashlib.new(hash_name).digest_size
    ids_block = b"".join(struct.pack(">H", len(t)) + t + a for t, a in ids)
    binders_block = b"".join(bytes([hash_len]) + b"\0" * hash_len for _ in range(binder_count))
    psk_body = struct.pack(">H", len(ids_block)) + ids_block + \
        struct.pack(">H", len(binders_block)) + binders_block
    body = prefix + build_extensions(exts + [(EXT_PRE_SHARED_KEY, psk_body)])
    msg = b"\x01" + struct.pack(">I", len(body))[1:] + body
    if binder_count and opts.get("psk"):
        truncated = msg[:len(msg) - 2 - len(binders_block)]
        binder = binder_for(bytes.fromhex(opts["psk"]), truncated, hash_name)
        binders_block = b"".join(bytes([hash_len]) + binder for _ in range(binder_count))
        msg = msg[:len(msg) - len(binders_block)] + binders_block
    return msg


def describe_record(record, direction):
    content_type = record[0]
    body = record[5:]
    if content_type == 21 and len(body) == 2:
        return f"{direction} alert level={body[0]} {ALERT_NAMES.get(body[1], body[1])}"
    if content_type == 20:
        return f"{direction} ChangeCipherSpec"
    if content_type == 23:
        return f"{direction} protected record ({len(body)} bytes)"
    if content_type != 22:
        return f"{direction} record type {content_type} ({len(body)} bytes)"
    if len(body) < 4 or int.from_bytes(body[1:4], "big") + 4 > len(body):
        return f"{direction} protected handshake record ({len(body)} bytes)"
    lines, i = [], 0
    while i + 4 <= len(body):
        msg_type = body[i]
        n = int.from_bytes(body[i + 1:i + 4], "big")
        msg = body[i:i + 4 + n]
        name = HANDSHAKE_NAMES.get(msg_type, str(msg_type))
        text = f"{direction} {name} ({n} bytes)"
        if msg_type == 2:
            text += describe_server_hello(msg)
        if msg_type == 1:
            prefix, exts = split_client_hello(msg)
            text += " extensions " + ",".join(str(t) for t, _ in exts)
        lines.append(text)
        i += 4 + n
    return "\n".join(lines)


def describe_server_hello(msg):
    body = msg[4:]
    hrr = body[2:34] == HRR_RANDOM
    i = 34 + 1 + body[34]
    suite = body[i:i + 2].hex()
    exts = parse_extensions(body[i + 5:])
    parts = [f" suite={suite}", " HelloRetryRequest" if hrr else ""]
    parts.append(" extensions " + ",".join(str(t) for t, _ in exts))
    psk = [b for t, b in exts if t == EXT_PRE_SHARED_KEY]
    parts.append(f" pre_shared_key selected_identity={psk[0].hex()}" if psk else " no pre_shared_key")
    return "".join(parts)


def rewrite_server_hello(record, opts):
    """Set the ServerHello's pre_shared_key body to --sh-psk-body (hex)."""
    body = record[5:]
    msg_len = int.from_bytes(body[1:4], "big")
    msg, rest = body[:4 + msg_len], body[4 + msg_len:]
    sh = msg[4:]
    i = 34 + 1 + sh[34]
    head = sh[:i + 3]
    exts = parse_extensions(sh[i + 5:])
    new_exts = [(t, bytes.fromhex(opts["sh_psk_body"]) if t == EXT_PRE_SHARED_KEY and "sh_psk_body" in opts else b)
                for t, b in exts if str(t) != opts.get("sh_drop_ext")]
    sh = head + build_extensions(new_exts)
    new_body = b"\x02" + struct.pack(">I", len(sh))[1:] + sh + rest
    return record[:3] + struct.pack(">H", len(new_body)) + new_body


def mitm(listen_port, upstream_port, opts):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", listen_port))
    listener.listen(4)
    for index in range(1, opts.get("connections", 2) + 1):
        client, _ = listener.accept()
        server = socket.create_connection(("127.0.0.1", upstream_port))
        watched = index == opts.get("connection", 2)
        if watched:
            print(f"-- connection {index} (rewritten)", flush=True)
            hello = read_record(client)
            msg = hello[5:]
            if not any(k in opts for k in ("identities", "binders", "ticket_flip", "modes", "suites", "ext_flip")):
                server.sendall(hello)  # only the ServerHello is rewritten
                relay(client, server, watched, opts)
                client.close()
                server.close()
                continue
            prefix, exts, psk = rewrite_client_hello(msg, opts)
            offered = [b for t, b in split_client_hello(msg)[1] if t == EXT_PRE_SHARED_KEY]
            if offered:
                original_ids = parse_psk_offer(offered[0])
                print(f"client offered {len(original_ids[0])} identity(ies), {len(original_ids[1])} binder(s)")
            new_msg = assemble_client_hello(prefix, exts, psk, opts)
            if psk is not None:
                print(f"sent {len(psk[0])} identity(ies), {psk[1]} binder(s)")
            server.sendall(b"\x16\x03\x01" + struct.pack(">H", len(new_msg)) + new_msg)
        relay(client, server, watched, opts)
        client.close()
        server.close()


def relay(client, server, watched, opts):
    """Relay records both ways until one side closes; describe them if watched."""
    seen_server_hello = False
    sent_ccs = set()  # after its ChangeCipherSpec a side's records are protected
    sockets = [client, server]
    while True:
        ready, _, _ = select.select(sockets, [], [], 5.0)
        if not ready:
            if watched:
                print("(nothing for 5 s)")
            return
        for sock in ready:
            try:
                record = read_record(sock)
            except ConnectionResetError:
                record = None
            direction = "client ->" if sock is client else "server ->"
            if record is None:
                if watched:
                    print(f"{direction} closed")
                return
            if sock is server and record[0] == 22 and record[5] == 2 and not seen_server_hello:
                seen_server_hello = True
                if watched and (opts.get("sh_psk_body") is not None or opts.get("sh_drop_ext")):
                    print(describe_record(record, "server sent"))
                    record = rewrite_server_hello(record, opts)
            if watched and sock is client and record[0] == 20 and opts.get("inject_before_client_ccs"):
                # A record of the probe's own where the client's
                # ChangeCipherSpec belongs; the server's answer to it alone
                # is read before the client's flight goes on.
                injected = bytes.fromhex(opts.pop("inject_before_client_ccs"))
                print(describe_record(injected, "injected ->"), flush=True)
                server.sendall(injected)
                ready_now, _, _ = select.select([server], [], [], 1.0)
                print("server answers the injected record" if ready_now else
                      "server says nothing for 1 s", flush=True)
            if watched:
                if sock in sent_ccs and record[0] == 22:
                    print(f"{direction} protected handshake record ({len(record) - 5} bytes)", flush=True)
                else:
                    print(describe_record(record, direction), flush=True)
            if record[0] == 20:
                sent_ccs.add(sock)
            try:
                (server if sock is client else client).sendall(record)
            except (BrokenPipeError, ConnectionResetError):
                return


def send_frame(sock, frame_type, payload=b""):
    sock.sendall(struct.pack(">BI", frame_type, len(payload)) + payload)


def read_frames_until_status(sock):
    """DATA payloads and the STATUS text of one answer of a shim."""
    data = b""
    while True:
        header = read_exact(sock, 5)
        if header is None:
            return data, None
        frame_type, length = struct.unpack(">BI", header)
        payload = read_exact(sock, length) if length else b""
        if frame_type == 2:
            data += payload
        elif frame_type == 3:
            return data, payload.decode()


def launch_shim(argv):
    """The shim on one end of a socketpair (docs/shim-contract.md, "Starting")."""
    harness_end, shim_end = socket.socketpair()
    proc = subprocess.Popen(argv + ["--fd", str(shim_end.fileno())], pass_fds=(shim_end.fileno(),),
                            stdin=subprocess.DEVNULL)
    shim_end.close()
    return proc, harness_end


def one_line(status):
    keys = ("handshake_done", "failed", "alert_sent", "alert_received", "version", "cipher", "error")
    fields = dict(line.split("=", 1) for line in status.splitlines() if "=" in line)
    return " ".join(f"{k}={fields[k]}" for k in keys if k in fields)


def shim_server(port, argv):
    proc, shim = launch_shim(argv)
    _, status = read_frames_until_status(shim)
    print("shim:", one_line(status), flush=True)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(4)
    first = True
    while True:
        peer, _ = listener.accept()
        if not first:
            send_frame(shim, 6)  # NEXT
            _, status = read_frames_until_status(shim)
            print("shim NEXT:", one_line(status), flush=True)
        first = False
        send_frame(shim, 1)  # START
        read_frames_until_status(shim)
        while True:
            ready, _, _ = select.select([peer], [], [], 5.0)
            try:
                chunk = peer.recv(65536) if ready else b""
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                break
            send_frame(shim, 2, chunk)
            data, status = read_frames_until_status(shim)
            try:
                if data:
                    peer.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            print("shim:", one_line(status), flush=True)
        peer.close()


def shim_client(port, session_out, argv):
    """A client shim against a TCP server: START, bytes relayed as DATA
    frames until the handshake is done or failed (then one round of
    application data), then SESSION, whose bytes go to session_out as hex
    (the shim's --resume-session-hex for a later connection)."""
    proc, shim = launch_shim(argv)
    _, status = read_frames_until_status(shim)
    print("shim:", one_line(status), flush=True)
    peer = socket.create_connection(("127.0.0.1", port))
    send_frame(shim, 1)  # START
    data, status = read_frames_until_status(shim)
    while True:
        if data:
            peer.sendall(data)
        print("shim:", one_line(status), flush=True)
        fields = dict(line.split("=", 1) for line in status.splitlines() if "=" in line)
        if fields.get("failed") == "1":
            break
        ready, _, _ = select.select([peer], [], [], 2.0)
        try:
            chunk = peer.recv(65536) if ready else b""
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            break
        send_frame(shim, 2, chunk)
        data, status = read_frames_until_status(shim)
    send_frame(shim, 7)  # SESSION
    data, status = read_frames_until_status(shim)
    if session_out != "-":
        with open(session_out, "w") as out:
            out.write(data.hex())
    print(f"session: {len(data)} bytes", flush=True)
    peer.close()
    shim.close()
    proc.wait()


def tls12_client_feed(argv, records):
    proc, shim = launch_shim(argv)
    _, status = read_frames_until_status(shim)
    print("shim:", one_line(status))
    send_frame(shim, 1)
    data, status = read_frames_until_status(shim)
    print(f"shim sent {len(data)} bytes:", describe_record(data[:5 + struct.unpack('>H', data[3:5])[0]], "client ->"))
    print("shim:", one_line(status))
    for hex_record in records:
        record = bytes.fromhex(hex_record)
        print(describe_record(record, "fed    ->"))
        send_frame(shim, 2, record)
        data, status = read_frames_until_status(shim)
        i = 0
        while i + 5 <= len(data):
            n = struct.unpack(">H", data[i + 3:i + 5])[0]
            print(describe_record(data[i:i + 5 + n], "client ->"))
            i += 5 + n
        print("shim:", one_line(status))
    shim.close()
    proc.wait()


def main(args):
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if args[0] == "shim-server":
        sep = args.index("--")
        shim_server(int(args[1]), args[sep + 1:])
        return 0
    if args[0] == "shim-client":
        sep = args.index("--")
        shim_client(int(args[1]), args[2], args[sep + 1:])
        return 0
    if args[0] == "tls12-client-feed":
        sep = args.index("--")
        tls12_client_feed(args[1:sep], args[sep + 1:])
        return 0
    if args[0] == "mitm":
        opts = {}
        rest = args[3:]
        for i in range(0, len(rest), 2):
            key = rest[i].lstrip("-").replace("-", "_")
            value = rest[i + 1]
            if key in ("identities", "binders", "ticket_flip", "connection", "connections"):
                value = int(value)
            key = {"ch_identities": "identities", "ch_binders": "binders",
                   "ch_ticket_flip": "ticket_flip", "ch_modes": "modes",
                   "ch_suites": "suites", "ch_ext_flip_middle": "ext_flip"}.get(key, key)
            if key in ("identities", "binders", "ticket_flip"):
                value = int(value)
            opts[key] = value
        mitm(int(args[1]), int(args[2]), opts)
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
