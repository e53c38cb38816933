#!/usr/bin/env python3
"""profile_breakdown.py FILE.jfr: where nodedns's Java cycles go, from a JFR recording's execution samples.

Each sample is charged to a category by its top frame; a frame of the JDK (HashMap, LongAdder, Arrays...)
is charged to the first frame below it that names a category. Then the 15 hottest top frames.
Run by benchmarks/profile.sh; kernel time is not sampled by JFR (profile.sh prints user and system CPU).
"""
import collections, re, subprocess, sys
CATS = [  # (category, frame prefix) in priority order
    ("cache lookup/insert (Caffeine, cache)", ("com.github.benmanes.caffeine", "io.nodedns.cache.")),
    ("zone routing (ZoneRouter, QuestionKey.isInZone)", ("io.nodedns.server.ZoneRouter", "io.nodedns.wire.QuestionKey.isIn")),
    ("query parse (ParsedQuery, QuestionKey)", ("io.nodedns.wire.ParsedQuery", "io.nodedns.wire.QuestionKey")),
    ("answer write (ResponseWriter)", ("io.nodedns.wire.ResponseWriter",)),
    ("upstream answer scan (ResponseScanner)", ("io.nodedns.wire.ResponseScanner", "io.nodedns.wire.DnsWire")),
    ("routing, counting, miss bookkeeping (server)", ("io.nodedns.server.",)),
    ("forwarding (upstream: attempts, pools, IDs)", ("io.nodedns.upstream.",)),
    ("buffers: pooled alloc/release, recycler, refcounts", ("io.netty.buffer", "io.netty.util.Recycler", "io.netty.util.internal.ObjectPool",
        "io.netty.util.ReferenceCount", "io.netty.util.internal.ReferenceCountUpdater", "io.netty.util.internal.shaded")),
    ("timers (scheduled tasks)", ("io.netty.util.concurrent.ScheduledFutureTask", "io.netty.util.internal.DefaultPriorityQueue",
        "io.netty.util.concurrent.AbstractScheduledEventExecutor")),
    ("Netty channel pipeline and codecs", ("io.netty.channel.AbstractChannelHandlerContext", "io.netty.channel.DefaultChannelPipeline",
        "io.netty.handler", "io.netty.channel.ChannelOutboundBuffer", "io.netty.channel.AbstractChannel")),
    ("Netty epoll transport (syscall wrappers, packet arrays)", ("io.netty.channel.epoll", "io.netty.channel.unix")),
    ("event loop and task queue", ("io.netty.util.concurrent", "io.netty.util.internal")),
]
out = subprocess.run(["jfr", "print", "--events", "jdk.ExecutionSample", "--stack-depth", "64", sys.argv[1]],
                     capture_output=True, text=True).stdout
counts = collections.Counter(); tops = collections.Counter(); n = 0
for s in out.split("jdk.ExecutionSample")[1:]:
    frames = re.findall(r"^\s+([\w$.<>/]+)\(", s, re.M)
    if not frames:
        continue
    n += 1
    tops[frames[0]] += 1
    cat = "other (JDK, GC barriers, logging...)"
    for f in frames:
        hit = next((c for c, prefixes in CATS if f.startswith(prefixes)), None)
        if hit:
            cat = hit; break
    counts[cat] += 1
print(f"{n} samples")
for c, v in counts.most_common():
    print(f"{100 * v / n:5.1f}%  {c}")
print("hottest frames (self):")
for f, v in tops.most_common(15):
    print(f"{100 * v / n:5.1f}%  {f}")
