/**
 * Prometheus metrics: the CoreDNS and node-cache series that node-local-dns dashboards and alerts
 * already use, the series only nodedns has, and JVM/process series; and the {@code /health} and
 * {@code /ready} endpoints. All served by {@link io.nodedns.metrics.HttpEndpointServer}, a small
 * Netty HTTP/1.1 server on its own event loop thread.
 *
 * <h2>Where</h2>
 * <ul>
 *   <li>{@code prometheus [ADDR]} in any server block (CoreDNS default {@code localhost:9153};
 *       node-local-dns writes {@code :9253}, every address): {@code GET /metrics} with everything
 *       below except the setup errors. Several blocks naming one address share one endpoint; the
 *       series cover every block, as one CoreDNS process does.</li>
 *   <li>{@code -metrics-listen-address} (node-cache; default {@code 0.0.0.0:9353} with {@code -conf},
 *       {@code 127.0.0.1:9353} for the laptop default, {@code ""} for none): only
 *       {@code coredns_nodecache_setup_errors_total}. A failure to bind it is logged, not fatal,
 *       as in node-cache.</li>
 *   <li>{@code health [ADDR]} (default {@code :8080}): {@code GET /health}, 200 {@code OK}
 *       ({@link io.nodedns.metrics.HealthEndpoint}). {@code ready [ADDR]} (default {@code :8181}):
 *       {@code GET /ready}, 200 {@code OK} once every condition registered in
 *       {@link io.nodedns.metrics.HealthState} is ready, else 503 with the missing ones
 *       comma-separated ({@link io.nodedns.metrics.ReadyEndpoint}). Once a stop begins
 *       ({@link io.nodedns.metrics.HealthState#markStopping()}), {@code /ready} and {@code /health}
 *       both answer 503 {@code Shutting down} through the lameduck, while DNS is still answered
 *       (CoreDNS 1.5 and later keep {@code /health} at 200 there; see
 *       {@link io.nodedns.metrics.HealthEndpoint}); both end when their listener closes.</li>
 * </ul>
 * Paths on coinciding addresses share one listener: build one
 * {@link io.nodedns.metrics.HttpEndpointServer} with every {@code serve(address, path, endpoint)}.
 * For example:
 * <pre>{@code
 * HttpEndpointServer http = HttpEndpointServer.builder("metrics and health")
 *         .serve(metricsAddress, "/metrics", new MetricsEndpoint(registry))
 *         .serve(healthAddress, "/health", new HealthEndpoint(state))
 *         .serve(readyAddress, "/ready", new ReadyEndpoint(state))
 *         .start();
 * HealthSelfCheck selfCheck = new HealthSelfCheck(http.boundAddressesServing("/health"),
 *         new SocketHealthProbe(SocketHealthProbe.TIMEOUT), System::nanoTime);
 * selfCheck.bindTo(registry);                        // only with a prometheus directive
 * selfCheck.start(Repeater.onNewThread("nodedns-health-check"));
 * }</pre>
 * The format of {@code /metrics} follows the request's {@code Accept} header: OpenMetrics 1.0.0
 * when it accepts {@code application/openmetrics-text} (Prometheus does), else the Prometheus text
 * format 0.0.4.
 *
 * <h2>CoreDNS series</h2>
 * Labels: {@code server} is {@code dns://IP:PORT} of the listener ({@code dns://:PORT} without
 * {@code bind}), {@code zone} the server block key's zone ({@code "dropped"} for queries no block
 * takes), {@code view} always empty. {@code type} is one of CoreDNS's monitored query types (A AAAA
 * CNAME DNSKEY DS MX NSEC3 NSEC NS PTR RRSIG SOA SRV TXT HTTPS IXFR AXFR ANY) or {@code other}.
 * <ul>
 *   <li>{@code coredns_dns_requests_total{server,zone,view,proto,family,type}}: queries received
 *       (with a parsable question).</li>
 *   <li>{@code coredns_dns_responses_total{server,zone,view,rcode,plugin}}: answers sent, by RCODE and
 *       by who made them ({@code cache}, {@code forward}, or {@code ""} for locally made errors).</li>
 *   <li>{@code coredns_dns_request_duration_seconds{server,zone,view,type}}: histogram of the time from
 *       reading a query to handing its answer to the socket; CoreDNS's buckets, 0.25 ms doubling to
 *       8.192 s (Java prints the first as {@code le="2.5E-4"}).</li>
 *   <li>{@code coredns_cache_requests_total{server,zones,view}}, {@code coredns_cache_hits_total{...,type}}
 *       ({@code success}, {@code denial}), {@code coredns_cache_misses_total}: lookups in the block's
 *       cache; requests = hits + misses.</li>
 *   <li>{@code coredns_cache_entries{server,type,zones,view}}: live entries now (the block's one
 *       cache, reported under each listener of the block).</li>
 *   <li>{@code coredns_cache_evictions_total{server,type,zones,view}}: entries pushed out by capacity.</li>
 *   <li>{@code coredns_proxy_request_duration_seconds{proxy_name="forward",to,rcode}}: histogram of each
 *       exchange with an upstream that got a response, by its RCODE; the same buckets.</li>
 *   <li>{@code coredns_proxy_healthcheck_failures_total{proxy_name="forward",to}}: failed health probes.</li>
 *   <li>{@code coredns_proxy_conn_cache_hits_total} / {@code _misses_total{proxy_name="forward",to,proto}}:
 *       exchanges that found an open pooled connection (socket, for UDP) to the upstream, and those that
 *       opened one first.</li>
 *   <li>{@code coredns_forward_max_concurrent_rejects_total}: queries refused by {@code max_concurrent}.</li>
 *   <li>{@code coredns_build_info{version,revision,goversion}}: 1; goversion names the JVM.</li>
 *   <li>{@code coredns_nodecache_setup_errors_total{errortype}}: node setup failures (iptables,
 *       iptables_lock, interface_add, interface_check, configmap), all exported from 0.</li>
 *   <li>{@code coredns_health_request_duration_seconds} (histogram, CoreDNS's slim buckets 0.25 ms,
 *       2.5 ms, 25 ms, 0.25 s, 2.5 s) and {@code coredns_health_request_failures_total}: the
 *       once-a-second self check of {@code /health} ({@link io.nodedns.metrics.HealthSelfCheck}),
 *       no labels.</li>
 * </ul>
 *
 * <h2>nodedns series</h2>
 * {@code nodedns_coalesced_queries_total}, {@code nodedns_query_parse_errors_total{kind}} (short,
 * response, formerr, notimp, badvers), {@code nodedns_udp_truncated_responses_total},
 * {@code nodedns_upstream_failures_total}, {@code nodedns_tcp_connections_open},
 * {@code nodedns_tcp_connections_rejected_total}, and per upstream ({@code to}):
 * {@code nodedns_upstream_queries_in_flight}, {@code nodedns_upstream_connections_open},
 * {@code nodedns_upstream_connections_opened_total}, {@code nodedns_upstream_connections_closed_total},
 * {@code nodedns_upstream_down}, {@code nodedns_upstream_attempts_total},
 * {@code nodedns_upstream_attempt_failures_total}, {@code nodedns_upstream_timeouts_total},
 * {@code nodedns_upstream_truncated_retries_total}. JVM and process series come from Micrometer's
 * binders ({@code jvm_memory_*}, {@code jvm_gc_pause_seconds}, {@code jvm_threads_*},
 * {@code process_cpu_usage}, {@code process_open_fds}, ...).
 *
 * <h2>Cost on the query path</h2>
 * None of this looks anything up per query: the server and upstream packages count in
 * {@link java.util.concurrent.atomic.LongAdder}s (arrays indexed by proto, family, qtype bucket and
 * RCODE, see {@link io.nodedns.server.ZoneMetrics}) that {@link io.micrometer.core.instrument.FunctionCounter}s
 * and {@link io.micrometer.core.instrument.Gauge}s read at scrape time; request durations go into
 * such arrays too (buckets and a sum), so no query calls Micrometer. Labels never hold a query name
 * or a client address, so the number of series is fixed by the Corefile.
 *
 * <p>Example: {@code curl -s -H 'Accept: application/openmetrics-text' http://127.0.0.1:9253/metrics}.
 */
package io.nodedns.metrics;
