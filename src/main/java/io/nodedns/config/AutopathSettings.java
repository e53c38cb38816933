package io.nodedns.config;

import java.util.List;

/**
 * The {@code autopath} directive: server-side completion of the Kubernetes search path.
 *
 * @param zones         the cluster domains ({@code cluster.local.}): a query for
 *                      {@code NAME.<ns>.svc.<zone>} is the first of a pod's search names; lower case,
 *                      absolute, never the root
 * @param searchDomains the node's own search domains, which kubelet appends to every pod's search list
 *                      after {@code <ns>.svc.<zone> svc.<zone> <zone>}; lower case, absolute, in order,
 *                      possibly empty
 * @param source        where the search domains came from, for logs: the resolv.conf path, or
 *                      {@code "search"} for an explicit list
 */
public record AutopathSettings(List<String> zones, List<String> searchDomains, String source) {
    /** What {@link #source} says for a {@code search} sub-directive. */
    public static final String EXPLICIT = "search";

    public AutopathSettings {
        zones = List.copyOf(zones);
        searchDomains = List.copyOf(searchDomains);
        if (zones.isEmpty()) {
            throw new IllegalArgumentException("autopath needs at least one zone");
        }
    }
}
