/**
 * The node's side of NodeLocal DNSCache, as node-cache (kubernetes/dns cmd/node-cache) does it: a
 * link holding the local IPs, and iptables rules that keep DNS to and from them out of conntrack,
 * kept in place every {@code -syncinterval} and removed on exit unless {@code -skipteardown}.
 *
 * <pre>
 * NodeNetworking          prepare (preflight, changes nothing), ensureInterface (before binding),
 *                         ensureRules (after binding), reconcile (each sync), teardown, describe
 *   LocalLink             the link, up, its /32 and /128 addresses; adopts an existing link
 *   IptablesRules         -C, -I when missing; teardown: -D until -C says gone (10 deletions at most),
 *                         the lock or a timeout retried, all rules within 20 s
 *   NodeCacheRules        node-cache's 12 rules per local IP
 *   IptablesBackendDetector  nft or legacy, as kube-proxy's iptables-wrappers decides
 *                         handOver: instead of the teardown when a successor serves
 * SuccessorProbe          another process's unconnected UDP socket of our uid on every local IP's DNS port
 *                         (a wildcard one only if we bind the wildcard too)
 *   UdpSocketTable        /proc/net/udp and /proc/net/udp6 parsed (README "Rollouts and crashes")
 * CommandRunner           the only way to the system; ProcessCommandRunner runs real commands with a
 *                         timeout, tests record the command lines
 * </pre>
 *
 * <h2>Commands</h2>
 * For {@code -localip 169.254.20.10,fd00::10 -dns.port 53 -health-port 8080}, with iptables-nft:
 * <pre>
 * # prepare: reads only
 * ip -o addr show                                   # no -localip on another link
 * iptables-nft-save -t mangle; ip6tables-nft-save -t mangle; iptables-legacy-save; ip6tables-legacy-save
 * iptables-nft --version; ip6tables-nft --version
 * # ensureInterface, and each reconcile
 * ip -o link show dev nodelocaldns                  # absent: ip link add nodelocaldns type dummy
 * ip link set dev nodelocaldns up                   # only when not UP
 * ip -o addr show dev nodelocaldns
 * ip addr add 169.254.20.10/32 dev nodelocaldns     # only when missing
 * ip -6 addr add fd00::10/128 dev nodelocaldns nodad
 * # ensureRules, and each reconcile: per rule
 * iptables-nft -w 5 -t raw -C PREROUTING -p udp -d 169.254.20.10 --dport 53 \
 *     -m comment --comment "NodeLocal DNS Cache: skip conntrack" -j NOTRACK
 * iptables-nft -w 5 -t raw -I PREROUTING ...        # only when -C exits 1
 * # teardown: per rule, then the link
 * iptables-nft -w 5 -t raw -D PREROUTING ...; iptables-nft -w 5 -t raw -C PREROUTING ...
 * ip link del nodelocaldns
 * </pre>
 * The 12 rules per local IP L (P the DNS port, H the health port; IPv6 with ip6tables):
 * <pre>
 * raw    PREROUTING -p tcp|udp -d L --dport P  NOTRACK  "NodeLocal DNS Cache: skip conntrack"
 * filter INPUT      -p tcp|udp -d L --dport P  ACCEPT   "NodeLocal DNS Cache: allow DNS traffic"
 * raw    OUTPUT     -p tcp|udp -s L --sport P  NOTRACK
 * filter OUTPUT     -p tcp|udp -s L --sport P  ACCEPT
 * raw    OUTPUT     -p tcp|udp -d L --dport P  NOTRACK  (queries from the node itself)
 * raw    OUTPUT     -p tcp -d L --dport H      NOTRACK  (the kubelet's liveness probe)
 * raw    OUTPUT     -p tcp -s L --sport H      NOTRACK
 * </pre>
 *
 * <h2>Metric</h2>
 * {@code coredns_nodecache_setup_errors_total{errortype}} ({@link io.nodedns.metrics.SetupErrors}):
 * {@code iptables} (a check, insert or delete failed, a rule stayed after 10 deletions, or {@code -C}
 * finds a rule that {@code -D} does not delete), each rule left when the 20 s teardown deadline
 * passes counted once (as {@code iptables_lock} if the lock was what held it up),
 * {@code iptables_lock} (stderr said another program holds the xtables lock, past the 5 s of
 * {@code -w 5}), {@code interface_add} (adding the link, setting it up or adding an address failed),
 * {@code interface_check} (reading the link or its addresses failed).
 *
 * <h2>Differences from node-cache</h2>
 * <ul>
 * <li>IPv4 and IPv6 local IPs may be mixed (node-cache refuses it).</li>
 * <li>A local IP that is already an address of another link stops the start (node-cache takes it).</li>
 * <li>The link is set up (node-cache leaves a new dummy link down; see {@code LocalLink}).</li>
 * <li>The backend is the one kube-proxy uses, detected as iptables-wrappers does, and logged.</li>
 * <li>A stop while another process listens on every local IP (a rolling update's successor)
 *     removes nothing: node-cache tears down under its successor.</li>
 * <li>Teardown deletes a rule at most 10 times, stops at once on a rule {@code -C} finds but
 *     {@code -D} does not delete, and gives up on what is left after 20 s in all (node-cache
 *     loops until each rule is gone).</li>
 * </ul>
 *
 * <h2>Log lines</h2>
 * <pre>
 * INFO Another process serves [169.254.20.10] port 53: leaving interface nodelocaldns ... in place for it
 * INFO Added back nodelocaldns rule - {raw PREROUTING -p udp -d 169.254.20.10 --dport 53 -m comment ...}
 * WARNING iptables: cannot insert {raw PREROUTING ...}: iptables-nft -w 5 -t raw -I PREROUTING ... exited 4:
 *         Another app is currently holding the xtables lock. Stopped waiting after 5s.
 * WARNING interface nodelocaldns: cannot add the link: ip link add nodelocaldns type dummy exited 2: ...
 * </pre>
 *
 * <p>Depends on metrics ({@link io.nodedns.metrics.SetupErrors}); only app depends on it.
 */
package io.nodedns.node;
