"""iptables_rules.py ADDR... < iptables-save output

Prints, one per line and sorted, every rule of an iptables-save (or ip6tables-save)
listing that concerns node-local-dns: its source or destination is one of ADDR, or its
comment starts with "NodeLocal DNS Cache". Each rule is written in one canonical form

    TABLE CHAIN -p PROTO [-s ADDR/LEN] [-d ADDR/LEN] [--sport N] [--dport N] -j TARGET ["COMMENT"] [OTHER...]

so that netns.sh can compare the rules with the 12 node-cache rules per local IP exactly,
duplicates included, whatever order the daemon gave the match arguments in (iptables-save
prints matches in insertion order, and the nft and legacy backends may differ there).
Tokens this script does not know stay in the line (OTHER), so an unexpected option
makes the comparison fail instead of vanishing.
"""
import ipaddress
import shlex
import sys

COMMENT_PREFIX = "NodeLocal DNS Cache"
VALUED = {"-s": "src", "-d": "dst", "-p": "proto", "--sport": "sport", "--dport": "dport",
          "--comment": "comment", "-j": "target"}


def host(value):
    """The address of ADDR or ADDR/LEN, compared as an address (fd00::10 == fd00:0::10)."""
    try:
        return ipaddress.ip_address(value.split("/")[0])
    except ValueError:
        return None


def canonical(table, tokens):
    chain, fields, other = tokens[1], {}, []
    i = 2
    while i < len(tokens):
        t = tokens[i]
        if t == "-m" and i + 1 < len(tokens):   # match module names: implied by the options below
            i += 2
            continue
        if t in VALUED and i + 1 < len(tokens):
            fields[VALUED[t]] = tokens[i + 1]
            i += 2
            continue
        other.append(t)
        i += 1
    line = [table, chain, "-p", fields.get("proto", "all")]
    for opt, key in (("-s", "src"), ("-d", "dst"), ("--sport", "sport"), ("--dport", "dport")):
        if key in fields:
            line += [opt, fields[key]]
    line += ["-j", fields.get("target", "none")]
    if "comment" in fields:
        line.append('"%s"' % fields["comment"])
    return fields, " ".join(line + other)


def main():
    wanted = {host(a) for a in sys.argv[1:]}
    table, out = "?", []
    for raw in sys.stdin:
        raw = raw.strip()
        if raw.startswith("*"):
            table = raw[1:]
        if not raw.startswith("-A "):
            continue
        fields, line = canonical(table, shlex.split(raw))
        hosts = {host(fields.get("src", "")), host(fields.get("dst", ""))} - {None}
        if hosts & wanted or fields.get("comment", "").startswith(COMMENT_PREFIX):
            out.append(line)
    for line in sorted(out):
        print(line)


if __name__ == "__main__":
    main()
