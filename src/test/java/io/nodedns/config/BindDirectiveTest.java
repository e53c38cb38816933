package io.nodedns.config;

import static io.nodedns.config.CorefileTesting.assertEachRejected;
import static io.nodedns.config.CorefileTesting.onlyBlock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code bind} by interface name, {@code except}, and what bind refuses (CoreDNS plugin/bind). */
class BindDirectiveTest {

    private static InetAddress ip(String literal) {
        return IpLiterals.parse(literal).orElseThrow();
    }

    @Test
    void interfaceNamesAreKeptByNameNextToAddresses() throws Exception {
        ServerBlock block = onlyBlock(". {", "  bind nodelocaldns 169.254.20.10 eth0", "  bind lo eth0 ::1", "}");

        assertEquals(List.of("nodelocaldns", "eth0", "lo"), block.bindInterfaces(), "duplicates dropped, file order");
        assertEquals(List.of(ip("169.254.20.10"), ip("::1")), block.bind());
    }

    @Test
    void onlyInterfacesLeavesNoAddresses() throws Exception {
        ServerBlock block = onlyBlock(". {", "  bind br-4f1c.100", "}");

        assertEquals(List.of("br-4f1c.100"), block.bindInterfaces());
        assertEquals(List.of(), block.bind());
    }

    @Test
    void interfaceNamesFollowLinuxRules() {
        for (String valid : List.of("lo", "eth0", "nodelocaldns", "veth_1@x", "a.b", "abcdefghijklmno", "eth0.100")) {
            assertTrue(BindDirective.isInterfaceName(valid), valid);
        }
        for (String invalid : List.of("", ".", "..", "1234567890123456", "a/b", "a:b", "a b", "a\tb", "caf\u00e9", "{", "}", "a\"b", "a#b", "a\\b",
                "10.0.0.256", "10.0.0", "010.0.0.1", "1")) {
            assertFalse(BindDirective.isInterfaceName(invalid), invalid);
        }
    }

    @Test
    void exceptRemovesAddressesOfItsOwnLineOnly() throws Exception {
        ServerBlock block = onlyBlock(". {",
                "  bind 127.0.0.1 127.0.0.2 ::1 {",
                "    except 127.0.0.2 ::1",
                "  }",
                "  bind 127.0.0.2",
                "}");

        assertEquals(List.of(ip("127.0.0.1"), ip("127.0.0.2")), block.bind());
    }

    @Test
    void aLaterExceptReplacesAnEarlierOneAsCoreDnsOverwrites() throws Exception {
        ServerBlock block = onlyBlock(". {",
                "  bind 127.0.0.1 127.0.0.2 {", "    except 127.0.0.1", "    except 127.0.0.2", "  }", "}");

        assertEquals(List.of(ip("127.0.0.1")), block.bind());
    }

    @Test
    void exceptOfAnAddressNotListedChangesNothing() throws Exception {
        assertEquals(List.of(ip("127.0.0.1")),
                onlyBlock(". {", "  bind 127.0.0.1 {", "    except 10.0.0.1", "  }", "}").bind());
    }

    @Test
    void rejections() {
        // {directive lines, message}
        List<String[]> table = List.of(
                new String[] {"bind", "Corefile:2: bind: at least one address or interface name is required"},
                new String[] {"bind 127.0.0.1 10.0.0.256",
                        "Corefile:2: bind: not a valid IP address or interface name: \"10.0.0.256\""},
                new String[] {"bind 010.0.0.1", "Corefile:2: bind: not a valid IP address or interface name: \"010.0.0.1\""},
                new String[] {"bind ::g", "Corefile:2: bind: not a valid IP address or interface name: \"::g\""},
                new String[] {"bind averyveryverylongname",
                        "Corefile:2: bind: not a valid IP address or interface name: \"averyveryverylongname\""},
                new String[] {"bind \"a b\"", "Corefile:2: bind: not a valid IP address or interface name: \"a b\""},
                new String[] {"bind 127.0.0.1 {\n    only 127.0.0.1\n  }", "Corefile:3: bind: invalid option \"only\""},
                new String[] {"bind 127.0.0.1 {\n    except\n  }", "Corefile:3: bind: except: at least one address is required"},
                new String[] {"bind 127.0.0.1 {\n    except eth0\n  }",
                        "Corefile:3: bind: except: not an IP address: \"eth0\" (interface names are not supported here yet)"},
                new String[] {"bind lo {\n    except 127.0.0.1\n  }",
                        "Corefile:3: bind: except: not supported yet on a line with interface names (\"lo\")"},
                new String[] {"bind 127.0.0.1 {\n    except 127.0.0.1 {\n    }\n  }",
                        "Corefile:3: bind: except: does not take a '{' block"},
                new String[] {"bind 127.0.0.1 ::1 {\n    except ::1 127.0.0.1\n  }",
                        "Corefile:2: bind: except leaves no address to listen on"});
        assertEachRejected(table);
    }
}
