package io.nodedns.app;

import io.nodedns.config.CorefileException;
import io.nodedns.config.KubeDnsConfigMap;
import io.nodedns.config.NodeCacheCorefile;
import io.nodedns.config.NodeCacheInputs;
import io.nodedns.metrics.SetupErrors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * node-cache's Corefile pipeline as a {@link ConfigText}: each read renders the base Corefile
 * (the node-local-dns ConfigMap) with the kube-dns ConfigMap and the upstream Service's address,
 * writes the result to the Corefile served (only when it changed) and returns it. So a reload
 * check sees a change of the template or of the kube-dns ConfigMap.
 *
 * <p>A kube-dns ConfigMap that cannot be read is logged and counted as node-cache counts it
 * ({@code coredns_nodecache_setup_errors_total{errortype="configmap"}}), and the last one that could
 * be read is used instead (none at start), as node-cache's syncDNSConfig keeps its current kube-dns
 * config: a broken kube-dns ConfigMap neither stops the start nor blocks changes of the template.
 */
final class NodeCacheConfigText implements ConfigText {
    private static final Logger LOG = Logger.getLogger(NodeCacheConfigText.class.getName());

    private final NodeCacheInputs inputs;
    private final Path corefile;
    private final SetupErrors setupErrors;
    private final boolean writeRendered;
    /** The last kube-dns ConfigMap read without error; empty until one is. */
    private KubeDnsConfigMap lastGoodKubeDns = KubeDnsConfigMap.EMPTY;

    /**
     * @param corefile      where the rendered Corefile is written and served from ({@code -conf},
     *                      else {@code -corefile}, as node-cache's parseAndValidateFlags decides)
     * @param writeRendered false for {@code -check}, which validates the rendering and changes
     *                      nothing on disk
     */
    NodeCacheConfigText(NodeCacheInputs inputs, Path corefile, SetupErrors setupErrors, boolean writeRendered) {
        this.inputs = inputs;
        this.corefile = corefile;
        this.setupErrors = setupErrors;
        this.writeRendered = writeRendered;
    }

    @Override
    public String source() {
        return corefile.toString();
    }

    @Override
    public synchronized String read() throws IOException, CorefileException {
        KubeDnsConfigMap kubeDns;
        try {
            kubeDns = KubeDnsConfigMap.read(inputs.kubeDnsConfigDir());
            lastGoodKubeDns = kubeDns;
        } catch (CorefileException e) {
            setupErrors.count(SetupErrors.Type.CONFIGMAP);
            LOG.warning(e.getMessage() + "; using the last kube-dns ConfigMap that could be read"
                    + (lastGoodKubeDns == KubeDnsConfigMap.EMPTY ? " (none)" : "") + ", as node-cache does");
            kubeDns = lastGoodKubeDns;
        }
        String text = NodeCacheCorefile.render(inputs, kubeDns);
        if (writeRendered && NodeCacheCorefile.write(corefile, text)) {
            LOG.info("wrote " + corefile + " from " + inputs.baseCorefile()
                    + (inputs.kubeDnsConfigDir() != null ? " and " + inputs.kubeDnsConfigDir() : ""));
        }
        return text;
    }
}
