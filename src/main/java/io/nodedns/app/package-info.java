/**
 * The program: command line, logging, wiring a {@link io.nodedns.config.Corefile} into running
 * listeners, caches and forwarders ({@link io.nodedns.app.Daemon}), and the start and stop order.
 *
 * <h2>Command line</h2>
 * <pre>
 * java -jar nodedns.jar                       laptop default: .:5353 on 127.0.0.1, cache, forward
 *                                             to the nameservers of /etc/resolv.conf
 * java -jar nodedns.jar -conf Corefile        serve a Corefile
 *   -resolv-conf FILE (or $NODEDNS_RESOLV_CONF)  upstreams of the laptop default
 *   -dns.port N                               port of server keys without one (default 53)
 *   -version, -h
 * </pre>
 * Exit codes: 0 after SIGTERM/SIGINT (stop accepting, answer what is in flight, close), 1 when
 * the Corefile is invalid (message {@code FILE:LINE: directive: problem}) or a listener cannot
 * bind, or when a second signal (at least 1 s after the first) or the 15 s watchdog cuts a stop
 * short, or after an orderly stop when the {@code loop} directive found a forwarding loop
 * (CoreDNS exits too), or when node networking cannot be set up, 2 for a bad command line.
 *
 * <h2>Start and stop order in node mode</h2>
 * {@link io.nodedns.app.NodeNetworkLifecycle}: preflight (changes nothing), the link and its
 * addresses, bind the listeners, the iptables rules, serve (reconcile every {@code -syncinterval});
 * on SIGTERM: readiness false, reconcile stopped, rules removed (unless {@code -skipteardown}),
 * lameduck, drain, link removed, exit.
 */
package io.nodedns.app;
