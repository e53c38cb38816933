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
 * <p>A kube-dns ConfigMap that cannot be read is counted as node-cache counts it
 * ({@code coredns_nodecache_setup_errors_total{errortype="configmap"}}). At start node-cache then
 * runs without it, and so does this; at a reload the error refuses the change, and the running
 * configuration keeps serving.
 */
final class NodeCacheConfigText implements ConfigText {
    private static final Logger LOG = Logger.getLogger(NodeCacheConfigText.class.getName());

    private final NodeCacheInputs inputs;
    private final Path corefile;
    private final SetupErrors setupErrors;
    private final boolean writeRendered;
    private boolean readOnce;

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
        } catch (CorefileException e) {
            setupErrors.count(SetupErrors.Type.CONFIGMAP);
            if (readOnce) {
                throw e;
            }
            LOG.warning(e.getMessage() + "; starting without the kube-dns ConfigMap, as node-cache does");
            kubeDns = KubeDnsConfigMap.EMPTY;
        }
        String text = NodeCacheCorefile.render(inputs, kubeDns);
        if (writeRendered && NodeCacheCorefile.write(corefile, text)) {
            LOG.info("wrote " + corefile + " from " + inputs.baseCorefile()
                    + (inputs.kubeDnsConfigDir() != null ? " and " + inputs.kubeDnsConfigDir() : ""));
        }
        readOnce = true;
        return text;
    }
}
