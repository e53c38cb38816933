/**
 * Configuration: the Corefile (CoreDNS syntax) and resolv.conf, parsed into immutable records and
 * validated before anything starts. Nothing here does I/O beyond reading the files it is given;
 * no address is ever resolved.
 *
 * <h2>Entry points</h2>
 * {@link io.nodedns.config.CorefileParser#parse(java.nio.file.Path, int)} gives a
 * {@link io.nodedns.config.Corefile} of {@link io.nodedns.config.ServerBlock}s or throws a
 * {@link io.nodedns.config.CorefileException} whose message reads
 * {@code FILE:LINE: DIRECTIVE: PROBLEM}, e.g.
 * {@code /etc/Corefile:7: forward: max_fails: not a non-negative integer: "x"}.
 * {@link io.nodedns.config.ResolvConf} reads {@code /etc/resolv.conf};
 * {@link io.nodedns.config.GoDuration} reads Go durations ({@code 1m30s}).
 *
 * <h2>Syntax</h2>
 * <pre>
 * # comment                      (also after words on a line)
 * [dns://]ZONE[:PORT] [, KEY...] {   ZONE is lower-cased and made absolute; PORT defaults to -dns.port
 *     errors                     log errors (no arguments yet)
 *     log                        log queries (no arguments yet)
 *     bind IP|INTERFACE... {     listen only on these addresses (IPv4/IPv6 literals) and on the
 *         except IP...           addresses of these interfaces (resolved when listening starts);
 *     }                          except: IPs left out of this line (not with interface names)
 *     reload [INTERVAL [JITTER]] re-read the Corefile when it changes; 30s/15s, INTERVAL >= 2s,
 *                                1s <= JITTER, lowered to INTERVAL/2; applies to the whole process
 *     loop                       at start, send a random probe name through the block's forward and
 *                                exit with an error if it comes back to us (a forwarding loop)
 *     health [ADDRESS] {         GET /health on ADDRESS, default :8080 (every address)
 *         lameduck DURATION      keep answering DNS this long after a stop begins
 *     }
 *     ready [ADDRESS]            GET /ready on ADDRESS, default :8181
 *     prometheus [ADDRESS]       GET /metrics on ADDRESS, default localhost:9153
 *     cache [TTL] [ZONES...] {
 *         success CAPACITY [TTL [MINTTL]]    defaults 9984, 3600 s, 5 s
 *         denial  CAPACITY [TTL [MINTTL]]    defaults 9984, 1800 s, 5 s
 *         servfail DURATION                  default 5s, at most 5m, 0 disables
 *         prefetch AMOUNT [[DURATION] [PERCENTAGE%]]   defaults 1m, 10% (10% to 90%)
 *         serve_stale [DURATION] [immediate|verify]    defaults 1h, immediate
 *         disable success|denial [ZONES...]            default the cache's zones
 *     }
 *     autopath [ZONE...] [RESOLV-CONF] {   the Kubernetes search path resolved here for NAME.NS.svc.ZONE;
 *         search [DOMAIN...]     ZONE: cluster domains (default the block's, not "."); the node's search
 *     }                          domains from RESOLV-CONF (a word with '/') or from 'search', one of them
 *     filter_aaaa [ZONE...] {    AAAA under ZONE (default the block's) answered NODATA + synthesized SOA
 *         except NAME...         resolved as usual (and names below them)
 *         ttl DURATION           SOA TTL and MINIMUM, whole seconds 0s..3h, default 30s
 *     }
 *     forward FROM TO... {       TO: IP, IP:PORT, [IPv6]:PORT, dns://..., or a resolv.conf path; at most 15
 *         force_tcp | prefer_udp
 *         expire DURATION        default 10s
 *         max_fails N            default 2
 *         health_check DURATION  default 0.5s
 *         policy random|round_robin|sequential   default random
 *         max_concurrent N       default 0 (unlimited)
 *     }
 * }
 * </pre>
 * Words may be double-quoted ({@code "a \"b\""}). A directive nodedns does not implement
 * ({@code hosts}, {@code rewrite}...) is an error, never ignored. A key's zone and port may be used
 * by only one block. A block without directives is allowed. {@code reload}, {@code health} and
 * {@code ready} act on the whole process, as in CoreDNS: {@link io.nodedns.config.ProcessSettings}
 * says how the blocks' settings combine (distinct health and ready addresses each served, the
 * longest lameduck, the last block's reload).
 *
 * <h2>node-cache's template pipeline</h2>
 * In node mode (the {@code -localip} flag) node-cache does not serve its ConfigMap as is:
 * {@link io.nodedns.config.NodeCacheCorefile#render} takes the template ({@code -basecorefile}),
 * replaces {@code __PILLAR__CLUSTER__DNS__} with the upstream Service's IP (env
 * {@code <SVC>_SERVICE_HOST}) and {@code __PILLAR__UPSTREAM__SERVERS__} with the kube-dns
 * ConfigMap's {@code upstreamNameservers} or the resolv.conf path, and appends a block per
 * {@code stubDomains} entry ({@link io.nodedns.config.KubeDnsConfigMap}, JSON read by a strict
 * {@code JsonReader}); {@link io.nodedns.config.NodeCacheCorefile#write} puts it in place
 * atomically, only when it changed. Errors name the file and line.
 *
 * <h2>Example</h2>
 * <pre>
 * cluster.local:53 {
 *     errors
 *     cache {
 *         success 9984 30
 *         denial 9984 5
 *     }
 *     bind 169.254.20.10 10.96.0.10
 *     forward . 10.96.0.10 {
 *         force_tcp
 *     }
 * }
 * .:53 {
 *     cache 30
 *     forward . /etc/resolv.conf
 * }
 * </pre>
 *
 * <h2>Adding a directive</h2>
 * Write a {@code DirectiveParser}, add a field to {@link io.nodedns.config.ServerBlock}, and
 * register the name in {@code Directives}.
 */
package io.nodedns.config;
