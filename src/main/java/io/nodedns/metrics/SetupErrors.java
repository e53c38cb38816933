package io.nodedns.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * node-cache's {@code coredns_nodecache_setup_errors_total{errortype}}: failures of the node setup
 * node-cache performs around CoreDNS (iptables rules, the dummy interface, the kube-dns ConfigMap).
 * Every error type is exported from the start at 0, as node-cache initialises them, so alerts on
 * {@code increase(...) > 0} work before the first error.
 */
public final class SetupErrors {
    /** The {@code errortype} label values, as node-cache names them (cmd/node-cache/app/cache_app.go). */
    public enum Type {
        IPTABLES("iptables"),
        IPTABLES_LOCK("iptables_lock"),
        INTERFACE_ADD("interface_add"),
        INTERFACE_CHECK("interface_check"),
        CONFIGMAP("configmap");

        private final String label;

        Type(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final Map<Type, LongAdder> counts = new EnumMap<>(Type.class);

    public SetupErrors() {
        for (Type t : Type.values()) {
            counts.put(t, new LongAdder());
        }
    }

    public void count(Type type) {
        counts.get(type).increment();
    }

    public long errors(Type type) {
        return counts.get(type).sum();
    }

    /** Registers {@code coredns_nodecache_setup_errors_total}, one series per type. */
    public void bindTo(MeterRegistry registry) {
        for (Type t : Type.values()) {
            FunctionCounter.builder("coredns_nodecache_setup_errors", counts.get(t), LongAdder::sum)
                    .description("The number of errors during periodic network setup for node-cache")
                    .tags("errortype", t.label())
                    .register(registry);
        }
    }
}
