#!/usr/bin/env python3
"""Exact malformed queries and what must come back, for src/test/system/hostile.sh.

Usage: probe.py HOST PORT udp|tcp-oversized|tcp-cut

udp: sends each case below once over UDP and prints one line per case,
  "ok NAME" or "bad NAME: what came back"; exit status 1 if any is bad.
  RFC 1035 4.1.1 / RFC 6891 say what each deserves:
    two-questions        QDCOUNT=2: FORMERR without a question section (nodedns reads only a
                         message with one question; CoreDNS's miekg/dns rejects QDCOUNT != 1
                         the same way, before reading any question)
    question-pointer     question name is a pointer to itself: FORMERR
    label-type-01        reserved label type 0b01 (RFC 6891 5): FORMERR
    two-opt              two OPT records (RFC 6891 6.1.1): FORMERR, with an OPT in the answer
    opt-not-root         OPT owned by a name other than the root (RFC 6891 6.1.1): FORMERR
    cut-question         QDCOUNT=1 but the message ends inside the name: FORMERR, no question echoed
    update               opcode UPDATE (5): NOTIMP
    edns-version-1       EDNS version 1 (RFC 6891 6.1.3): BADVERS (extended RCODE 16) in an OPT
    short                7 bytes, less than a header: no answer (nothing to address it with)
    qr-set               QR=1, a response sent to a server: no answer (answering could loop)
  then a valid query, which must be answered NOERROR: the daemon is fine.
tcp-oversized: a length prefix announcing 65535 bytes (over the 4096-byte frame cap) -> the server
  closes the connection within 3 s without answering; prints "closed" or what happened.
tcp-cut: a frame cut short then the connection closed by us, then a valid query over a new
  connection -> NOERROR; prints "answered" or what happened.
"""
import socket
import struct
import sys

FORMERR, NOTIMP, BADVERS_HIGH = 1, 4, 1   # BADVERS = 16: upper 8 bits 1 in the OPT, 0 in the header


def name(text):
    return b"".join(bytes([len(l)]) + l.encode() for l in text.split(".") if l) + b"\x00"


def header(ident, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", ident, flags, qd, an, ns, ar)


def opt(version=0, owner=b"\x00"):
    return owner + struct.pack("!HHBBHH", 41, 1232, 0, version, 0, 0)


Q = name("web1.hostile.test") + struct.pack("!HH", 1, 1)

CASES = [
    # (name, message, expected header rcode or None for no answer, expect question echoed, extended rcode high bits or None)
    ("two-questions", header(0x0101, qd=2) + Q + Q, FORMERR, False, None),
    ("question-pointer", header(0x0102) + b"\xc0\x0c\x00\x01\x00\x01", FORMERR, False, None),
    ("label-type-01", header(0x0103) + b"\x41abc\x00\x00\x01\x00\x01", FORMERR, False, None),
    ("two-opt", header(0x0104, ar=2) + Q + opt() + opt(), FORMERR, True, 0),
    ("opt-not-root", header(0x0105, ar=1) + Q + opt(owner=name("x.test")), FORMERR, True, None),
    ("cut-question", header(0x0106) + name("web1.hostile.test")[:8], FORMERR, False, None),
    ("update", header(0x0107, flags=0x2800) + Q, NOTIMP, True, None),
    ("edns-version-1", header(0x0108, ar=1) + Q + opt(version=1), 0, True, BADVERS_HIGH),
    ("short", header(0x0109)[:7], None, False, None),
    ("qr-set", header(0x010A, flags=0x8100) + Q, None, False, None),
]


def parse_answer(data):
    ident, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", data[:12])
    p, high = 12, None
    for _ in range(qd):
        while data[p] != 0:
            p += data[p] + 1
        p += 5
    for _ in range(an + ns + ar):
        while data[p] != 0 and data[p] < 0xC0:
            p += data[p] + 1
        p += 2 if data[p] >= 0xC0 else 1
        rtype, _, ttl, rdlen = struct.unpack("!HHIH", data[p:p + 10])
        if rtype == 41:
            high = ttl >> 24
        p += 10 + rdlen
    return ident, flags & 0xF, qd, high


def udp(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((host, port))
    bad = 0
    for case, msg, rcode, echoed, high in CASES:
        s.send(msg)
        s.settimeout(1.0 if rcode is None else 3.0)
        try:
            data = s.recv(4096)
        except socket.timeout:
            data = None
        if rcode is None:
            problem = None if data is None else "an answer came back: %r" % data[:16]
        elif data is None:
            problem = "no answer within 3 s"
        else:
            ident, got, qd, got_high = parse_answer(data)
            want_id = struct.unpack("!H", msg[:2])[0]
            problem = None
            if ident != want_id:
                problem = "ID %#x, sent %#x" % (ident, want_id)
            elif got != rcode or got_high != high:
                problem = "rcode %d (OPT high bits %s), want %d (%s)" % (got, got_high, rcode, high)
            elif (qd == 1) != echoed:
                problem = "QDCOUNT %d in the answer" % qd
        if problem:
            bad += 1
            print("bad %s: %s" % (case, problem))
        else:
            print("ok %s" % case)
    s.settimeout(3.0)
    s.send(header(0x0200) + Q)
    try:
        ident, got, _, _ = parse_answer(s.recv(4096))
        ok = ident == 0x0200 and got == 0
    except (socket.timeout, IndexError, struct.error):
        ok = False
    print(("ok" if ok else "bad") + " valid-query-after")
    return 0 if bad == 0 and ok else 1


def tcp_oversized(host, port):
    s = socket.create_connection((host, port), timeout=3)
    s.sendall(struct.pack("!H", 65535) + b"\x00" * 32)
    try:
        data = s.recv(4096)
    except socket.timeout:
        print("still open after 3 s")
        return 1
    except ConnectionResetError:
        data = b""
    if data:
        print("answered %r" % data[:16])
        return 1
    print("closed")
    return 0


def tcp_cut(host, port):
    s = socket.create_connection((host, port), timeout=3)
    s.sendall(struct.pack("!H", 200) + Q[:10])
    s.close()
    s = socket.create_connection((host, port), timeout=3)
    msg = header(0x0300) + Q
    s.sendall(struct.pack("!H", len(msg)) + msg)
    data = b""
    while len(data) < 2 or len(data) < 2 + struct.unpack("!H", data[:2])[0]:
        chunk = s.recv(4096)
        if not chunk:
            print("closed before the answer")
            return 1
        data += chunk
    ident, got, _, _ = parse_answer(data[2:])
    if ident == 0x0300 and got == 0:
        print("answered")
        return 0
    print("answer ID %#x rcode %d" % (ident, got))
    return 1


if __name__ == "__main__":
    host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    sys.exit({"udp": udp, "tcp-oversized": tcp_oversized, "tcp-cut": tcp_cut}[mode](host, port))
