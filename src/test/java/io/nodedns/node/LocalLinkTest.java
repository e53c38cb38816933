package io.nodedns.node;

import static io.nodedns.node.NodeFixtures.LINK_ADDRESSES_V4;
import static io.nodedns.node.NodeFixtures.LINK_DOWN;
import static io.nodedns.node.NodeFixtures.healthyNode;
import static io.nodedns.node.NodeFixtures.prepare;
import static io.nodedns.node.NodeFixtures.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nodedns.metrics.SetupErrors;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

class LocalLinkTest {
    private static final String ABSENT = "Device \"nodelocaldns\" does not exist.";

    private final SetupErrors errors = new SetupErrors();
    private final RecordingRunner runner = healthyNode(new FakeIptables());

    @Test
    void anAbsentLinkIsAddedSetUpAndGivenEveryAddress() throws NodeSetupException {
        runner.on("ip -o link show dev nodelocaldns", RecordingRunner.exit(1, ABSENT));
        runner.on("ip -o addr show dev nodelocaldns", RecordingRunner.ok());
        NodeNetworking node = prepare(settings(false, "169.254.20.10", "fd00::10"), runner, errors);
        runner.clear();

        node.ensureInterface();

        assertEquals(List.of(
                "ip -o link show dev nodelocaldns",
                "ip link add nodelocaldns type dummy",
                "ip link set dev nodelocaldns up",
                "ip -o addr show dev nodelocaldns",
                "ip addr add 169.254.20.10/32 dev nodelocaldns",
                "ip -6 addr add fd00::10/128 dev nodelocaldns nodad"), runner.lines());
        assertEquals(0, errors.errors(SetupErrors.Type.INTERFACE_ADD));
    }

    @Test
    void aPresentLinkThatIsDownIsSetUpAndNothingElseChanges() throws NodeSetupException {
        runner.on("ip -o link show dev nodelocaldns", RecordingRunner.ok(LINK_DOWN));
        NodeNetworking node = prepare(settings(false, "169.254.20.10", "fd00::10"), runner, errors);
        runner.clear();

        node.ensureInterface();

        assertEquals(List.of(
                "ip -o link show dev nodelocaldns",
                "ip link set dev nodelocaldns up",
                "ip -o addr show dev nodelocaldns"), runner.lines());
    }

    @Test
    void aMissingAddressIsAddedBack() throws NodeSetupException {
        runner.on("ip -o addr show dev nodelocaldns", RecordingRunner.ok(LINK_ADDRESSES_V4));
        NodeNetworking node = prepare(settings(false, "169.254.20.10", "fd00::10"), runner, errors);
        runner.clear();

        node.reconcile();

        assertEquals(List.of(
                "ip -o link show dev nodelocaldns",
                "ip -o addr show dev nodelocaldns",
                "ip -6 addr add fd00::10/128 dev nodelocaldns nodad"),
                runner.lines().subList(0, 3));
    }

    @Test
    void anAddressAnotherWriterAddedFirstIsNotAnError() throws NodeSetupException {
        runner.on("ip -o addr show dev nodelocaldns", RecordingRunner.ok());
        runner.on("ip addr add", RecordingRunner.exit(2, "Error: ipv4: Address already assigned."));
        runner.on("ip -6 addr add", RecordingRunner.exit(2, "RTNETLINK answers: File exists"));
        NodeNetworking node = prepare(settings(false, "169.254.20.10", "fd00::10"), runner, errors);

        node.ensureInterface();

        assertEquals(0, errors.errors(SetupErrors.Type.INTERFACE_ADD));
    }

    @Test
    void aLinkThatCannotBeAddedIsCountedAndThrown() {
        runner.on("ip -o link show dev nodelocaldns", RecordingRunner.exit(1, ABSENT));
        runner.on("ip link add", RecordingRunner.exit(2, "Error: Unknown device type."));
        NodeNetworking node = prepare(settings(false, "169.254.20.10"), runner, errors);
        runner.clear();

        NodeSetupException thrown = assertThrows(NodeSetupException.class, node::ensureInterface);

        assertEquals("interface nodelocaldns: cannot add the link: ip link add nodelocaldns type dummy exited 2: "
                + "Error: Unknown device type. (this kernel has no dummy link type: create the link beforehand, "
                + "e.g. `ip link add nodelocaldns type bridge`, and nodedns adopts it; like node-cache, nodedns deletes "
                + "that link at exit unless -skipteardown)", thrown.getMessage());
        assertEquals(1, errors.errors(SetupErrors.Type.INTERFACE_ADD));
        assertEquals(List.of("ip -o link show dev nodelocaldns", "ip link add nodelocaldns type dummy"),
                runner.lines());
    }

    @Test
    void anAddressThatCannotBeAddedIsCountedAndThrown() {
        runner.on("ip -o addr show dev nodelocaldns", RecordingRunner.ok());
        runner.on("ip addr add", RecordingRunner.exit(2, "RTNETLINK answers: Operation not permitted"));
        NodeNetworking node = prepare(settings(false, "169.254.20.10"), runner, errors);

        NodeSetupException thrown = assertThrows(NodeSetupException.class, node::ensureInterface);

        assertEquals("interface nodelocaldns: cannot add address 169.254.20.10/32: ip addr add 169.254.20.10/32 dev "
                + "nodelocaldns exited 2: RTNETLINK answers: Operation not permitted", thrown.getMessage());
        assertEquals(1, errors.errors(SetupErrors.Type.INTERFACE_ADD));
        assertEquals(0, errors.errors(SetupErrors.Type.INTERFACE_CHECK));
    }

    @Test
    void aLinkThatCannotBeReadCountsAsInterfaceCheckAndReconcileGoesOnWithTheRules() {
        runner.on("ip -o link show dev nodelocaldns", RecordingRunner.exit(255, "Cannot open netlink socket"));
        NodeNetworking node = prepare(settings(false, "169.254.20.10"), runner, errors);
        runner.clear();

        node.reconcile();
        node.reconcile();

        assertEquals(2, errors.errors(SetupErrors.Type.INTERFACE_CHECK));
        assertEquals(0, errors.errors(SetupErrors.Type.INTERFACE_ADD));
        // Each pass: one failed link check, then the 12 rule checks (and 12 inserts in the first pass).
        assertEquals(1 + 24 + 1 + 12, runner.lines().size());
    }

    @Test
    void withoutSetupInterfaceTheLinkIsNeverTouched() throws NodeSetupException {
        NodeNetworkSettings noInterface = new NodeNetworkSettings(List.of(NodeFixtures.ip("169.254.20.10")), 53, 8080,
                false, "nodelocaldns", true, false);
        NodeNetworking node = prepare(noInterface, runner, errors);

        node.ensureInterface();
        node.reconcile();
        node.teardown();

        assertEquals(0, runner.lines().stream().filter(line -> line.startsWith("ip ")).count());
    }

    @Test
    void teardownDeletesTheLinkAndAnAbsentLinkIsFine() {
        runner.on("ip link del", RecordingRunner.exit(1, "Cannot find device \"nodelocaldns\""));
        NodeNetworkSettings noIptables = new NodeNetworkSettings(List.of(NodeFixtures.ip("169.254.20.10")), 53, 8080,
                true, "nodelocaldns", false, false);
        NodeNetworking node = prepare(noIptables, runner, errors);
        runner.clear();

        node.teardown();

        assertEquals(List.of("ip link del nodelocaldns"), runner.lines());
    }

    @Test
    void aLinkThatCannotBeDeletedIsLoggedAtWarningWithStderrAndNotCounted() {
        runner.on("ip link del", RecordingRunner.exit(2, "RTNETLINK answers: Operation not permitted"));
        NodeNetworkSettings noIptables = new NodeNetworkSettings(List.of(NodeFixtures.ip("169.254.20.10")), 53, 8080,
                true, "nodelocaldns", false, false);
        NodeNetworking node = prepare(noIptables, runner, errors);

        try (LogCapture log = new LogCapture()) {
            node.teardown();

            assertEquals(List.of("WARNING interface nodelocaldns: cannot delete the link: ip link del nodelocaldns "
                    + "exited 2: RTNETLINK answers: Operation not permitted"), log.lines(Level.WARNING));
        }
        for (SetupErrors.Type type : SetupErrors.Type.values()) {
            assertEquals(0, errors.errors(type), type.label());
        }
    }
}
