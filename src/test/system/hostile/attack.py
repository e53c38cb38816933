#!/usr/bin/env python3
"""Hostile traffic against one DNS listener, for src/test/system/hostile.sh.

Usage: attack.py HOST PORT SECONDS REPORT_JSON [--udp-rate N] [--idle N] [--stalled N] [--seed N]

For SECONDS, in one process (one event loop, no threads):
  udp     N datagrams/s in total, in turn: random bytes (0..600 long), valid queries with
          bytes flipped, cut or appended, and queries whose names loop through compression
          pointers (question and additional section) - RFC 1035 4.1.4 allows pointers, not loops
  tcp     every 50 ms one short-lived connection, in turn: a length prefix announcing 65535
          bytes then 100 bytes of garbage; a prefix announcing 4097 (over the server's 4096
          frame cap); a frame cut short then closed; a frame whose message is 1 byte
  idle    N connections opened at the start and held, never sending a byte
  stalled N connections that send one byte of a length prefix and stall (a SYN-without-ACK
          half-open needs raw sockets; this holds the server's frame decoder open the same way)
Writes REPORT_JSON: datagrams sent, answers received, connections opened, how many of the idle
and stalled ones the server closed and after how long, and any connect errors.
Every socket is to HOST:PORT only (a loopback address); nothing is sent anywhere else.
"""
import json
import random
import resource
import selectors
import socket
import struct
import sys
import time


def query(rng, name=None, qtype=1):
    """A well-formed query: random ID, RD, one question."""
    if name is None:
        name = "n%d.hostile.test" % rng.randrange(1000)
    wire = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\x00"
    return struct.pack("!HHHHHH", rng.randrange(65536), 0x0100, 1, 0, 0, 0) + wire + struct.pack("!HH", qtype, 1)


def mutated(rng):
    msg = bytearray(query(rng))
    kind = rng.randrange(3)
    if kind == 0:
        for _ in range(rng.randrange(1, 6)):
            msg[rng.randrange(len(msg))] = rng.randrange(256)
    elif kind == 1:
        del msg[rng.randrange(len(msg)):]
    else:
        msg += rng.randbytes(rng.randrange(1, 64))
    return bytes(msg)


def pointer_loop(rng):
    """Question name = a pointer to itself, or an additional record whose owner loops."""
    if rng.randrange(2) == 0:
        return struct.pack("!HHHHHH", rng.randrange(65536), 0x0100, 1, 0, 0, 0) + b"\xc0\x0c\x00\x01\x00\x01"
    q = query(rng)
    at = len(q)
    # ARCOUNT 1; the record's owner is a pointer to itself, then TYPE A, CLASS IN, TTL 0, RDLENGTH 0
    return q[:10] + b"\x00\x01" + q[12:] + struct.pack("!HHHIH", 0xC000 | at, 1, 1, 0, 0)


def main():
    args = sys.argv[1:]
    host, port, seconds, report = args[0], int(args[1]), float(args[2]), args[3]
    opts = dict(zip(args[4::2], args[5::2]))
    udp_rate = int(opts.get("--udp-rate", "5000"))
    idle_n = int(opts.get("--idle", "2000"))
    stalled_n = int(opts.get("--stalled", "500"))
    rng = random.Random(int(opts.get("--seed", "7")))

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = idle_n + stalled_n + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))

    sel = selectors.DefaultSelector()
    start = time.monotonic()
    deadline = start + seconds
    stats = {"udp_sent": 0, "udp_answers": 0, "udp_send_errors": 0, "tcp_short_lived": 0,
             "tcp_short_lived_closed_by_server": 0, "idle_opened": 0, "stalled_opened": 0,
             "idle_closed_by_server": 0, "stalled_closed_by_server": 0,
             "stalled_close_seconds_max": None, "stalled_close_seconds_min": None, "connect_errors": []}

    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setblocking(False)
    udp.connect((host, port))
    sel.register(udp, selectors.EVENT_READ, ("udp", None))

    def open_conn(kind, first_bytes=b""):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(3)
        try:
            s.connect((host, port))
            if first_bytes:
                s.sendall(first_bytes)
        except OSError as e:
            if len(stats["connect_errors"]) < 5:
                stats["connect_errors"].append("%s: %s" % (kind, e))
            s.close()
            return None
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, (kind, time.monotonic()))
        return s

    held = []
    for _ in range(idle_n):
        s = open_conn("idle")
        if s is not None:
            held.append(s)
            stats["idle_opened"] += 1
    for _ in range(stalled_n):
        s = open_conn("stalled", b"\x00")  # one byte of the two-byte length prefix
        if s is not None:
            held.append(s)
            stats["stalled_opened"] += 1

    makers = [lambda: rng.randbytes(rng.randrange(601)), lambda: mutated(rng), lambda: pointer_loop(rng)]
    tcp_payloads = [
        lambda: struct.pack("!H", 65535) + rng.randbytes(100),
        lambda: struct.pack("!H", 4097) + query(rng),
        lambda: struct.pack("!H", 200) + query(rng)[:20],
        lambda: struct.pack("!H", 1) + b"\x00",
    ]
    sent_at = start
    next_tcp = start
    tcp_turn = 0
    while True:
        now = time.monotonic()
        if now >= deadline:
            break
        # UDP at udp_rate: send what the schedule owes, at most 200 at once.
        owed = int((now - start) * udp_rate) - stats["udp_sent"]
        for _ in range(min(owed, 200)):
            try:
                udp.send(makers[stats["udp_sent"] % 3]())
            except OSError:
                stats["udp_send_errors"] += 1
            stats["udp_sent"] += 1
        if now >= next_tcp:
            next_tcp = now + 0.05
            s = open_conn("short", tcp_payloads[tcp_turn % 4]())
            tcp_turn += 1
            if s is not None:
                stats["tcp_short_lived"] += 1
                if tcp_turn % 4 == 3:
                    sel.unregister(s)
                    s.close()  # a frame cut short, then gone
        for key, _ in sel.select(timeout=0.002):
            kind, opened = key.data
            sock = key.fileobj
            if kind == "udp":
                try:
                    while True:
                        sock.recv(4096)
                        stats["udp_answers"] += 1
                except OSError:
                    pass
                continue
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if data:
                continue  # an answer (or an error) on a short-lived connection: keep reading
            sel.unregister(sock)
            sock.close()
            if kind == "idle":
                stats["idle_closed_by_server"] += 1
            elif kind == "stalled":
                stats["stalled_closed_by_server"] += 1
                took = round(time.monotonic() - opened, 2)  # since this connection's own byte
                lo, hi = stats["stalled_close_seconds_min"], stats["stalled_close_seconds_max"]
                stats["stalled_close_seconds_min"] = took if lo is None else min(lo, took)
                stats["stalled_close_seconds_max"] = took if hi is None else max(hi, took)
            else:
                stats["tcp_short_lived_closed_by_server"] += 1
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    stats["seconds"] = round(time.monotonic() - start, 2)
    with open(report, "w") as f:
        json.dump(stats, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
