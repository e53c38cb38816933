#!/usr/bin/env python3
"""Samples, per server, its own established TCP connections to the upstream during a harness run.

usage: issue9_conns.py PIDS_DIR UPSTREAM_IP:PORT INTERVAL_S STOP_FILE OUT_CSV

Why: run-peers.sh records the established connections to the upstream of the whole machine, once,
right after each cold pass, so a peer's count includes the idle pooled connections of the peers
measured before it. Issue 9's target ("at most 4 upstream TCP connections") is about one server,
so this counts the sockets each server process owns: every INTERVAL_S it reads the harness's
PIDS_DIR/NAME.pid (the PID it started with setsid, which is the server process itself: the
nodedns command execs java, the built-in peers run in the foreground), maps that process's socket
inodes (/proc/PID/fd) to the ESTABLISHED rows of /proc/net/tcp and tcp6 whose remote end is the
upstream, and appends "epoch_s,name,count" to OUT_CSV for every server that has at least one. It
stops when STOP_FILE exists. Reading a few hundred fd links per sample costs about a millisecond of CPU.
"""
import glob
import os
import sys
import time

TCP_ESTABLISHED = "01"


def hex_endpoints(addr):
    """'127.0.0.2:53' -> its forms in /proc/net/tcp ('0200007F:0035': the IPv4 address as a
    little-endian word) and /proc/net/tcp6 (::ffff:127.0.0.2 as four such words). The second
    matters: Netty's epoll transport, and so nodedns, opens dual-stack IPv6 sockets even to an
    IPv4 upstream."""
    ip, port = addr.rsplit(":", 1)
    v4 = "%02X%02X%02X%02X" % tuple(reversed([int(x) for x in ip.split(".")]))
    suffix = ":%04X" % int(port)
    return {"/proc/net/tcp": v4 + suffix, "/proc/net/tcp6": "0000000000000000FFFF0000" + v4 + suffix}


def upstream_inodes(remotes):
    """Inodes of the established TCP sockets whose remote end is the upstream (either form)."""
    inodes = set()
    for table, remote in remotes.items():
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[2] == remote and fields[3] == TCP_ESTABLISHED:
                        inodes.add(fields[9])
        except OSError:
            pass
    return inodes


def socket_inodes(pid):
    """Inodes of the sockets open in process `pid` (empty if it is gone)."""
    found = set()
    fd_dir = f"/proc/{pid}/fd"
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return found
    for fd in names:
        try:
            target = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target[8:-1])
    return found


def servers(pids_dir):
    """{name: pid} from the harness's PIDS_DIR/NAME.pid files (the upstream itself excluded)."""
    result = {}
    for path in glob.glob(os.path.join(pids_dir, "*.pid")):
        name = os.path.basename(path)[:-4]
        if name == "upstream":
            continue
        try:
            with open(path) as f:
                result[name] = int(f.read().strip())
        except (OSError, ValueError):
            continue
    return result


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    pids_dir, upstream, interval, stop_file, out = sys.argv[1:]
    remotes = hex_endpoints(upstream)
    interval = float(interval)
    with open(out, "a") as f:
        while not os.path.exists(stop_file):
            wanted = upstream_inodes(remotes)
            if wanted:
                now = int(time.time())
                for name, pid in sorted(servers(pids_dir).items()):
                    count = len(wanted & socket_inodes(pid))
                    if count:
                        f.write(f"{now},{name},{count}\n")
                f.flush()
            time.sleep(interval)


if __name__ == "__main__":
    main()
