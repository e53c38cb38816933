#!/usr/bin/env python3
"""Issue 9's table, its targets as ratios against Unbound, and the smoke checks, from one
benchmarks/issue9.sh output directory (stdout: Markdown; last line "N passed, N failed").

usage: issue9_table.py OUT_DIR

Reads (all written by issue9.sh; a phase that did not run leaves its cells "-"):
  settings.txt              "key: value" lines describing the run (printed as they are)
  peers/run-N/results.csv   one ../shared/bench/run-peers.sh run each (its own format)
  peers/run-N/conns.csv     epoch_s,name,count: each server's own upstream TCP connections
  peers/expected.txt        the servers every harness run should have measured
  latency/latency.csv       round,peer,rate,seconds,n,lost,p50,p90,p99,p999,max,upstream_queries
                            (latencies in ms; n = answers, so n / seconds is the rate reached)
  start/start.csv           attempt,peer,ms ("fail" when no answer came)
  problems.txt              one line per failure issue9.sh itself saw (a server not starting...)

Every number is a median over the runs of all harness runs (hot: the 10 s suite run and the
interleaved hot rounds of every run; cold, mixed, RSS: one per run; latency: one per round).

Exit status 1 when something is broken (the smoke test's failure: a server did not start or
died, a measured run answered nothing, a phase produced no numbers), else 0. A target missed
is reported, never a failure: these are timings on a shared machine.
"""
import csv
import glob
import os
import statistics
import sys

UNBOUND = "unbound"
NODEDNS = "nodedns"                 # benchmarks/peer.Corefile: the peers' cache capacity
NODELOCAL = "nodedns-nodelocal"     # benchmarks/nodelocal.Corefile: node-local-dns's capacities
MEASURED_TESTS = ("cold", "hot", "mixed")


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def read_csv(path, fieldnames=None):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f, fieldnames=fieldnames))


class Checks:
    """PASS/FAIL lines of the smoke test: only for things that are broken, never for timings."""

    def __init__(self):
        self.lines = []

    def expect(self, ok, what):
        self.lines.append(("PASS" if ok else "FAIL", what))

    @property
    def failed(self):
        return sum(1 for status, _ in self.lines if status == "FAIL")


def harness_runs(out):
    runs = []
    for d in sorted(glob.glob(os.path.join(out, "peers", "run-*")),
                    key=lambda p: int(p.rsplit("-", 1)[1])):
        rows = read_csv(os.path.join(d, "results.csv"))
        sampled = os.path.exists(os.path.join(d, "conns.csv"))  # empty: no connection seen
        conns = read_csv(os.path.join(d, "conns.csv"), ["ts", "name", "count"]) if sampled else None
        runs.append((os.path.basename(d), rows, conns))
    return runs


def peer_names(runs, extra):
    names = []
    for _, rows, _ in runs:
        for r in rows:
            if r["peer"] not in names:
                names.append(r["peer"])
    for n in extra:
        if n not in names:
            names.append(n)
    # Unbound first (the reference), the nodedns variants last.
    return sorted(names, key=lambda n: (n != UNBOUND, n.startswith(NODEDNS), n))


def cpu_us_per_query(r):
    """Server CPU per answered query of one harness result row, in µs."""
    cpu, qps = num(r["server_cpu_pct"]), num(r["qps"])
    return cpu / 100 / qps * 1e6 if cpu is not None and qps else None


def peer_stats(runs, peer):
    """Medians of the harness's numbers for one peer over all runs."""
    hot, cold, mixed, own_conns = [], [], [], []
    for _, rows, conns in runs:
        mine = [r for r in rows if r["peer"] == peer]
        hot += [r for r in mine if r["test"] == "hot"]
        cold += [r for r in mine if r["test"] == "cold"]
        mixed += [r for r in mine if r["test"] == "mixed"]
        if conns is not None:
            counts = [int(c["count"]) for c in conns if c["name"] == peer]
            own_conns.append(max(counts) if counts else 0)

    cpus = [num(r["server_cpu_pct"]) for r in hot if num(r["server_cpu_pct"]) is not None]
    rss = [num(r["rss_kb"]) for r in mixed]
    return {
        "hot_runs": len(hot),
        "hot_qps": median(num(r["qps"]) for r in hot),
        "hot_cpu": median(cpus),
        "hot_cpu_range": (min(cpus), max(cpus)) if cpus else None,
        "hot_us": median(cpu_us_per_query(r) for r in hot),
        "hot_lost": sum(int(num(r["lost"]) or 0) for r in hot) if hot else None,
        "hot_sent": sum(int(num(r["sent"]) or 0) for r in hot),
        "hot_max_ms": median(num(r["max_ms"]) for r in hot),
        "cold_qps": median(num(r["qps"]) for r in cold),
        "cold_conns_after": median(num(r["upstream_tcp_conns"]) for r in cold),
        "own_conns_peak": max(own_conns) if cold and own_conns else None,
        "mixed_qps": median(num(r["qps"]) for r in mixed),
        "rss_mib": median(v / 1024 for v in rss if v is not None),
    }


STEAL_FREE_PCT = 1.0  # a run counts as steal-free when both servers' CPU had less steal than this


def paired_ratios(runs, test, value):
    """Round by round nodedns / Unbound for one test of the harness: [(ratio, steal_free)].
    A pair is a harness run's round (hot: the suite's run and each interleaved round; cold and
    mixed: one per run); steal_free is True when neither server's CPU had STEAL_FREE_PCT of steal
    in it (steal: the hypervisor ran another guest on that CPU, which slows whoever runs there),
    False when one had, None when the harness recorded no steal."""
    pairs = []
    for _, rows, _ in runs:
        by = {}
        for r in rows:
            if r["test"] == test and r["peer"] in (UNBOUND, NODEDNS):
                by.setdefault(r["round"], {})[r["peer"]] = r
        for _, both in sorted(by.items(), key=lambda item: int(num(item[0]) or 0)):
            if len(both) == 2:
                u, n = both[UNBOUND], both[NODEDNS]
                rr = ratio(value(n), value(u))
                steal = [num(x.get("steal_server_cpu")) for x in (u, n)]
                free = None if None in steal else all(v < STEAL_FREE_PCT for v in steal)
                if rr is not None:
                    pairs.append((rr, free))
    return pairs


def latency_stats(out):
    rows = read_csv(os.path.join(out, "latency", "latency.csv"))
    stats = {}
    for r in rows:
        if int(num(r["n"]) or 0) > 0:
            stats.setdefault((r["peer"], int(num(r["rate"]))), []).append(r)
    result = {}
    for key, rs in stats.items():
        result[key] = {k: median(num(r[k]) for r in rs) for k in ("p50", "p99", "p999", "max")}
        result[key]["rounds"] = len(rs)
        result[key]["reached"] = median(num(r["n"]) / num(r["seconds"]) for r in rs
                                        if num(r.get("seconds")))
        result[key]["upstream"] = sum(int(num(r["upstream_queries"]) or 0) for r in rs)
        result[key]["lost"] = sum(int(num(r["lost"]) or 0) for r in rs)
    return rows, result


def start_stats(out):
    rows = read_csv(os.path.join(out, "start", "start.csv"))
    result = {}
    for r in rows:
        result.setdefault(r["peer"], []).append(num(r["ms"]))
    return rows, result


# ------------------------------------------------------------------------ formatting ---
def kqps(x):
    return f"{x / 1000:.1f}k" if x is not None else "-"


def fixed(x, digits=2, unit=""):
    return f"{x:.{digits}f}{unit}" if x is not None else "-"


def us_from_ms(x):
    """A latency given in ms: µs below 1 ms (where the targets are), ms above."""
    if x is None:
        return "-"
    return f"{x * 1000:.0f} µs" if x < 1 else f"{x:.2f} ms"


def cpu_us(x):
    return fixed(x, 2, " µs")


def max_ms(x):
    return fixed(x, 1, " ms")


def count(x):
    return "-" if x is None else f"{x:,}"


def mib(x):
    return fixed(x, 0, " MiB")


def start_ms(x):
    return fixed(x, 0, " ms")


def ratio(a, b):
    return a / b if a is not None and b else None


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    checks = Checks()
    runs = harness_runs(out)
    lat_rows, lat = latency_stats(out)
    start_rows, start = start_stats(out)
    rates = sorted({rate for _, rate in lat}) or [30000, 100000]
    low, high = rates[0], rates[-1]
    peers = peer_names(runs, [p for p, _ in lat] + list(start))
    stats = {p: peer_stats(runs, p) for p in peers}

    def lat_of(peer, rate, key):
        return lat.get((peer, rate), {}).get(key)

    def lat_cell(peer, rate, key):
        """The latency, and the rate actually answered when it fell short of the offered one:
        then the server (or the client) did not keep up, and the latency is mostly queueing."""
        cell = us_from_ms(lat_of(peer, rate, key))
        reached = lat_of(peer, rate, "reached")
        if reached is not None and reached < 0.95 * rate:
            cell += f" (at {kqps(reached)}/s)"
        return cell

    md = ["# Issue 9: nodedns against Unbound (benchmarks/issue9.sh)", ""]
    settings = os.path.join(out, "settings.txt")
    if os.path.exists(settings):
        md += ["```", open(settings).read().rstrip(), "```", ""]

    # ------------------------------------------------------------ table 1: issue 9's
    md += [
        "## The table of issue 9",
        "",
        f"Medians over {len(runs)} harness run(s). Hot: all hot runs (suite + interleaved rounds); "
        "server CPU = median (range) of the server's CPU share in them; CPU per cached query = that "
        "share / QPS. Cold: one pass of 100k misses per run, TCP upstream; upstream TCP conns = the "
        "server's own established connections to the upstream, peak over the whole run (sampled "
        "every 0.5 s), and in brackets the harness's machine-wide count after the cold pass. RSS = "
        "VmRSS after the mixed run. p99/p99.9: latency.sh at a fixed rate, 1,000 hot names; "
        "\"(at N/s)\": the median rate answered, when below 95% of the offered one.",
        "",
        f"| peer | hot QPS median | server CPU | CPU per cached query | cold QPS | upstream TCP conns "
        f"| RSS | mixed QPS | p99@{low // 1000}k | p99@{high // 1000}k | p99.9@{high // 1000}k |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in peers:
        s = stats[p]
        cpu = "-"
        if s["hot_cpu"] is not None:
            lo, hi = s["hot_cpu_range"]
            cpu = f"{s['hot_cpu']:.0f}% ({lo:.0f}-{hi:.0f})"
        conns = "-"
        if s["own_conns_peak"] is not None:
            conns = f"{s['own_conns_peak']} ({fixed(s['cold_conns_after'], 0)})"
        md.append(
            f"| {p} | {kqps(s['hot_qps'])} | {cpu} | {fixed(s['hot_us'], 2, ' µs')} "
            f"| {kqps(s['cold_qps'])} | {conns} | {fixed(s['rss_mib'], 0, ' MiB')} "
            f"| {kqps(s['mixed_qps'])} | {lat_cell(p, low, 'p99')} "
            f"| {lat_cell(p, high, 'p99')} | {lat_cell(p, high, 'p999')} |")

    # ------------------------------------------------------------ table 2: targets
    u = stats.get(UNBOUND, peer_stats([], UNBOUND))
    n = stats.get(NODEDNS, peer_stats([], NODEDNS))
    nl = stats.get(NODELOCAL, peer_stats([], NODELOCAL))
    start_nl = median(start.get(NODELOCAL, []))
    start_u = median(start.get(UNBOUND, []))

    def verdict(ok):
        return "-" if ok is None else ("PASS" if ok else "MISS")

    def rel(value, reference, limit, better_low):
        """(value / reference, whether that ratio meets limit); (None, None) without numbers."""
        r = ratio(value, reference)
        ok = None if r is None else (r <= limit if better_low else r >= limit)
        return r, ok

    targets = []

    def target(name, goal, uval, nval, nlval, counted, r, ok, fmt):
        cells = [fmt(uval), fmt(nval), fmt(nlval)]
        idx = 1 if counted == NODEDNS else 2
        cells[idx] = f"**{cells[idx]}**"
        targets.append(f"| {name} | {goal} | " + " | ".join(cells)
                       + f" | {fixed(r, 2, 'x') if r is not None else '-'} | {verdict(ok)} |")

    r, ok = rel(n["hot_us"], u["hot_us"], 0.8, True)
    target("hot: CPU per cached query", "<= 0.8x Unbound", u["hot_us"], n["hot_us"], nl["hot_us"],
           NODEDNS, r, ok, cpu_us)
    r, ok = rel(n["hot_qps"], u["hot_qps"], 1.0, False)
    target("hot: QPS", ">= 1x", u["hot_qps"], n["hot_qps"], nl["hot_qps"], NODEDNS, r, ok, kqps)
    lost_ok = None if n["hot_lost"] is None else n["hot_lost"] == 0
    target("hot: lost queries (sum of all hot runs)", "0", u["hot_lost"], n["hot_lost"],
           nl["hot_lost"], NODEDNS, None, lost_ok, count)
    r, ok = rel(n["hot_max_ms"], u["hot_max_ms"], 1.0, True)
    target("hot: max latency (median of the runs' max)", "<= 1x", u["hot_max_ms"],
           n["hot_max_ms"], nl["hot_max_ms"], NODEDNS, r, ok, max_ms)
    r, ok = rel(n["mixed_qps"], u["mixed_qps"], 1.0, False)
    target("mixed: QPS, same cache capacity", ">= 1x", u["mixed_qps"], n["mixed_qps"],
           nl["mixed_qps"], NODEDNS, r, ok, kqps)
    r, ok = rel(n["cold_qps"], u["cold_qps"], 1.2, False)
    target("cold: QPS, TCP upstream", ">= 1.2x", u["cold_qps"], n["cold_qps"], nl["cold_qps"],
           NODEDNS, r, ok, kqps)
    conns_ok = None if n["own_conns_peak"] is None else n["own_conns_peak"] <= 4
    target("cold: upstream TCP conns (own, peak)", "<= 4", u["own_conns_peak"],
           n["own_conns_peak"], nl["own_conns_peak"], NODEDNS, None, conns_ok, count)
    for rate in (low, high):
        uv, nv, nlv = (lat_of(p, rate, "p99") for p in (UNBOUND, NODEDNS, NODELOCAL))
        r, ok = rel(nv, uv, 1.0, True)
        target(f"latency: p99 at {rate // 1000}k QPS", "<= 1x", uv, nv, nlv, NODEDNS, r, ok,
               us_from_ms)
    uv, nv, nlv = (lat_of(p, high, "p999") for p in (UNBOUND, NODEDNS, NODELOCAL))
    target(f"latency: p99.9 at {high // 1000}k QPS", "<= 1 ms", uv, nv, nlv, NODEDNS,
           ratio(nv, uv), None if nv is None else nv <= 1.0, us_from_ms)
    target("RSS after mixed, node-local-dns capacities", "<= 64 MiB", u["rss_mib"], n["rss_mib"],
           nl["rss_mib"], NODELOCAL, ratio(nl["rss_mib"], u["rss_mib"]),
           None if nl["rss_mib"] is None else nl["rss_mib"] <= 64, mib)
    target("start: exec to first answered query (median)", "<= 1 s", start_u, None, start_nl,
           NODELOCAL, ratio(start_nl, start_u), None if start_nl is None else start_nl <= 1000,
           start_ms)

    md += [
        "",
        "## Targets: nodedns / Unbound",
        "",
        "The bold value is the one the target counts: nodedns (benchmarks/peer.Corefile, the "
        "peers' cache capacity) for throughput and latency, nodedns-nodelocal "
        "(benchmarks/nodelocal.Corefile, node-local-dns's 9984-entry caches and `prometheus`) for "
        "memory and start. Ratio = counted value / Unbound's. MISS is a result, not a failure: "
        "on this shared VM compare within one run and re-run before concluding.",
        "",
        "| target | goal | unbound | nodedns | nodedns-nodelocal | ratio | result |",
        "|---|---|---:|---:|---:|---:|---|",
    ] + targets

    # ------------------------------------------------------------ per round, steal
    per_round = [("hot: CPU per cached query", "hot", cpu_us_per_query),
                 ("hot: QPS", "hot", lambda r: num(r["qps"])),
                 ("hot: max latency", "hot", lambda r: num(r["max_ms"])),
                 ("mixed: QPS", "mixed", lambda r: num(r["qps"])),
                 ("cold: QPS", "cold", lambda r: num(r["qps"]))]
    md += ["", "## Round by round, and without steal", "",
           "nodedns / Unbound in each round that measured both (a harness run's hot rounds, its "
           "cold pass, its mixed run). Steal-free: neither server's CPU had "
           f"{STEAL_FREE_PCT:.0f}% or more steal time in that round (the host ran another guest "
           "on it); a ratio of medians above can move with one peer's unlucky round.", "",
           "| target | ratios, every round | median | steal-free rounds | their median |",
           "|---|---|---:|---:|---:|"]
    for name, test, value in per_round:
        pairs = paired_ratios(runs, test, value)
        free = [rr for rr, ok in pairs if ok]
        mark = {True: "", False: "†", None: "?"}
        md.append(f"| {name} | {', '.join(f'{rr:.2f}' + mark[ok] for rr, ok in pairs) or '-'} "
                  f"| {fixed(median(rr for rr, _ in pairs), 2, 'x')} | {len(free)} of {len(pairs)} "
                  f"| {fixed(median(free), 2, 'x')} |")
    md += ["", "† steal on either server's CPU; ? no steal recorded."]

    # ------------------------------------------------------------ details
    md += ["", "## Details", "",
           "| peer | hot runs | hot lost / sent | hot max ms (median) | "
           + " | ".join(f"{k}@{rate // 1000}k" for rate in rates
                        for k in ("answered/s", "p50", "p99", "p99.9", "max"))
           + " | latency runs: lost / upstream q | start ms (median, all) |",
           "|---|---:|---:|---:|" + "---:|" * (5 * len(rates)) + "---:|---:|"]
    for p in peers:
        s = stats[p]
        cells = [kqps(lat_of(p, rate, k)) if k == "reached" else us_from_ms(lat_of(p, rate, k))
                 for rate in rates for k in ("reached", "p50", "p99", "p999", "max")]
        upstream = sum(lat.get((p, rate), {}).get("upstream", 0) for rate in rates)
        lat_lost = sum(lat.get((p, rate), {}).get("lost", 0) for rate in rates)
        starts = start.get(p, [])
        start_cell = "-" if not starts else (
            f"{fixed(median(starts), 0)} ({', '.join('fail' if v is None else f'{v:.0f}' for v in starts)})")
        md.append(f"| {p} | {s['hot_runs']} | {count(s['hot_lost'])} / "
                  f"{s['hot_sent']:,} | {fixed(s['hot_max_ms'], 1)} | " + " | ".join(cells)
                  + f" | {f'{lat_lost:,} / {upstream:,}' if (p, low) in lat else '-'} | {start_cell} |")

    # ------------------------------------------------------------ checks (broken, not slow)
    expected_path = os.path.join(out, "peers", "expected.txt")
    expected = open(expected_path).read().split() if os.path.exists(expected_path) else []
    for name, rows, _ in runs:
        checks.expect(bool(rows), f"{name}: the harness wrote results")
        seen = {r["peer"] for r in rows}
        for p in expected:
            if p not in seen:
                checks.expect(False, f"{name}: no result at all for {p}")
        for p in peer_names([(name, rows, [])], []):
            mine = [r for r in rows if r["peer"] == p]
            status = [r["test"] for r in mine if r["test"] in ("failed", "skipped")]
            if status:
                checks.expect(False, f"{name}: {p} did not start ({status[0]})")
                continue
            broken = []
            for test in MEASURED_TESTS:
                rs = [r for r in mine if r["test"] == test]
                if not rs:
                    broken.append(f"no {test} run")
                broken += [f"{test} run of round {r['round']} answered nothing"
                           for r in rs if int(num(r["completed"]) or 0) == 0]
            broken += [f"not running after {r['test']} (round {r['round']})"
                       for r in mine if r.get("server_alive") not in (None, "", "1")][:1]
            checks.expect(not broken, f"{name}: {p}: " + ("; ".join(broken) if broken else
                          "started, answered in every cold, hot and mixed run, kept running"))
    for (p, rate), v in sorted(lat.items()):
        checks.expect(v["rounds"] > 0, f"latency: {p} at {rate} QPS measured ({v['rounds']} rounds)")
    for r in lat_rows:
        if int(num(r["n"]) or 0) == 0:
            checks.expect(False, f"latency: {r['peer']} at {r['rate']} QPS round {r['round']} answered nothing")
    for p, values in sorted(start.items()):
        fails = sum(1 for v in values if v is None)
        checks.expect(values and not fails, f"start: {p} answered after each of its {len(values)} starts"
                      + (f" (no answer after {fails})" if fails else ""))
    problems = os.path.join(out, "problems.txt")
    if os.path.exists(problems):
        for line in open(problems):
            if line.strip():
                checks.expect(False, line.strip())
    checks.expect(bool(runs or lat or start), "some phase produced numbers")

    md += ["", "## Checks (broken, not slow)", ""]
    md += [f"- {status}: {what}" for status, what in checks.lines]
    passed = len(checks.lines) - checks.failed
    md += ["", f"{passed} passed, {checks.failed} failed"]
    print("\n".join(md))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
