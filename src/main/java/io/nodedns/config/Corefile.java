package io.nodedns.config;

import java.util.List;
import java.util.Objects;

/**
 * A parsed and validated Corefile: its server blocks in file order.
 *
 * @param source where the text came from (a file path or a label such as {@code "<default>"})
 * @param blocks the server blocks, never empty; no two share a zone and port
 */
public record Corefile(String source, List<ServerBlock> blocks) {
    public Corefile {
        Objects.requireNonNull(source, "source");
        blocks = List.copyOf(blocks);
    }
}
