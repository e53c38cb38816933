package io.nodedns.config;

import static io.nodedns.config.CorefileTesting.onlyBlock;
import static io.nodedns.config.CorefileTesting.rejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code prometheus [ADDRESS]} (CoreDNS plugin/metrics). */
class PrometheusDirectiveTest {

    @Test
    void defaultsToLocalhost9153AsCoreDns() throws Exception {
        InetSocketAddress a = onlyBlock(". {", "  prometheus", "}").prometheus().orElseThrow();
        assertTrue(a.getAddress().isLoopbackAddress());
        assertEquals(9153, a.getPort());
    }

    @Test
    void emptyHostMeansEveryAddressAsNodeLocalDnsWritesIt() throws Exception {
        InetSocketAddress a = onlyBlock("cluster.local:53 {", "  prometheus :9253", "}").prometheus().orElseThrow();
        assertTrue(a.getAddress().isAnyLocalAddress());
        assertEquals(9253, a.getPort());
    }

    @Test
    void takesIpLiteralsAndBracketedIpv6() throws Exception {
        assertEquals(new InetSocketAddress(InetAddress.getByName("169.254.20.10"), 9253),
                onlyBlock(". {", "  prometheus 169.254.20.10:9253", "}").prometheus().orElseThrow());
        assertEquals(new InetSocketAddress(InetAddress.getByName("::1"), 9153),
                onlyBlock(". {", "  prometheus [::1]:9153", "}").prometheus().orElseThrow());
    }

    @Test
    void absentMeansNoMetrics() throws Exception {
        assertEquals(Optional.empty(), onlyBlock(". {", "}").prometheus());
    }

    @Test
    void rejectsBadAddressesExtraArgumentsAndASecondUse() {
        assertEquals("Corefile:2: prometheus: not an address [HOST]:PORT with HOST an IP or localhost: \"9253\"",
                rejected(". {", "  prometheus 9253", "}").getMessage());
        assertEquals("prometheus", rejected(". {", "  prometheus metrics.example:9153", "}").directive());
        assertEquals("prometheus", rejected(". {", "  prometheus :70000", "}").directive());
        assertEquals("prometheus", rejected(". {", "  prometheus ::1:9153", "}").directive());
        assertEquals("prometheus", rejected(". {", "  prometheus :9153 :9253", "}").directive());
        CorefileException twice = rejected(". {", "  prometheus :9153", "  prometheus :9253", "}");
        assertEquals(3, twice.line());
    }
}
