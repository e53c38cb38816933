#!/usr/bin/env python3
"""Time from exec of a DNS server to its first answered query, then stop it.

usage: issue9_start.py ADDR PORT TIMEOUT_S LOG -- CMD [ARG...]

Starts CMD in a session of its own (so its whole process group can be stopped), output to LOG,
and sends `svc-0.default.svc.cluster.local A` to ADDR:PORT over UDP every 5 ms, each with a new
ID, until an answer with one of those IDs, RCODE NOERROR and at least one answer record arrives
(the harness's readiness test; the name has to come from the upstream, so the first answer
includes one forwarded query). Prints the milliseconds from just before the fork to that answer
and exits 0; prints "fail" and exits 1 if CMD exits or TIMEOUT_S passes first. Either way the
process group gets SIGTERM, and SIGKILL if it still runs 8 s later.

The socket is unconnected: before the server binds, the kernel's port-unreachable replies are
not reported to it, so probing needs no error handling. Pin this process to the client CPU and
CMD (with taskset) to the server CPU.
"""
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time

QNAME = "svc-0.default.svc.cluster.local"
PROBE_INTERVAL_S = 0.005
STOP_GRACE_S = 8.0


def query(qid):
    header = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)  # RD, one question
    name = b"".join(bytes([len(label)]) + label.encode() for label in QNAME.split(".")) + b"\0"
    return header + name + struct.pack(">HH", 1, 1)  # A, IN


def is_answer(packet, sent_ids):
    if len(packet) < 12:
        return False
    qid, flags, _, ancount = struct.unpack(">HHHH", packet[:8])
    return qid in sent_ids and flags & 0x8000 and flags & 0x000F == 0 and ancount > 0


def stop_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_GRACE_S
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        proc.poll()
        time.sleep(0.05)
    else:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def main():
    args = sys.argv[1:]
    if len(args) < 6 or args[4] != "--":
        sys.exit(__doc__)
    addr, port, timeout, log_path, cmd = args[0], int(args[1]), float(args[2]), args[3], args[5:]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sent_ids = set()
    qid = 0
    with open(log_path, "ab") as log:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True)
        try:
            deadline = start + timeout
            while time.monotonic() < deadline and proc.poll() is None:
                qid = (qid + 1) & 0xFFFF
                sent_ids.add(qid)
                sock.sendto(query(qid), (addr, port))
                ready, _, _ = select.select([sock], [], [], PROBE_INTERVAL_S)
                while ready:
                    packet = sock.recv(4096)
                    if is_answer(packet, sent_ids):
                        print(f"{(time.monotonic() - start) * 1000:.0f}")
                        return 0
                    ready, _, _ = select.select([sock], [], [], 0)
            print("fail")
            reason = "exited with %s" % proc.returncode if proc.poll() is not None else "no answer"
            print(f"issue9_start: {cmd[0]}...: {reason} within {timeout:g} s", file=sys.stderr)
            return 1
        finally:
            stop_group(proc)


if __name__ == "__main__":
    sys.exit(main())
