package io.nodedns.node;

import io.nodedns.metrics.SetupErrors;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * The link that holds the local IPs ({@code -interfacename}, nodelocaldns), managed with the
 * {@code ip} command. node-cache (pkg/netif/netif.go) creates a dummy link and adds the
 * addresses; it adopts a link of that name that already exists, and so does nodedns, which lets
 * a kernel without the dummy type use, say, an empty bridge created beforehand. Unlike
 * node-cache, which leaves a new dummy link down, nodedns also sets the link up. The kernel
 * installs the local routes of the /32 and /128 (nodad) addresses on a down link too, so the
 * listeners bind either way; but an IPv6 address someone added without {@code nodad} stays
 * tentative, and unbindable, until its link is up, and a link reading "state DOWN" is what
 * operators and link monitors take for broken.
 */
final class LocalLink {
    private static final Logger LOG = Logger.getLogger(LocalLink.class.getPackageName());

    private final String name;
    private final List<InetAddress> addresses;
    private final CommandRunner runner;
    private final SetupErrors errors;

    LocalLink(String name, List<InetAddress> addresses, CommandRunner runner, SetupErrors errors) {
        this.name = name;
        this.addresses = List.copyOf(addresses);
        this.runner = runner;
        this.errors = errors;
    }

    /** {@code nodelocaldns (169.254.20.10/32, fd00::10/128)}. */
    String describe() {
        return name + " (" + addresses.stream().map(IpAddresses::hostCidr).collect(Collectors.joining(", ")) + ")";
    }

    /**
     * Makes the link exist, be up and hold every address, adding only what is missing.
     *
     * @throws NodeSetupException after counting ({@code interface_check} when reading the state
     *                            failed, {@code interface_add} when changing it failed) and logging
     */
    void ensure() throws NodeSetupException {
        boolean up = ensureExists();
        if (!up) {
            List<String> setUp = List.of("ip", "link", "set", "dev", name, "up");
            CommandResult result = runner.run(setUp);
            if (!result.ok()) {
                throw failure(SetupErrors.Type.INTERFACE_ADD, "cannot set the link up", setUp, result, "");
            }
            LOG.info("Set interface " + name + " up");
        }
        Set<InetAddress> present = currentAddresses();
        for (InetAddress address : addresses) {
            if (present.contains(address)) {
                LOG.fine(() -> "address " + IpAddresses.hostCidr(address) + " already on interface " + name);
                continue;
            }
            addAddress(address);
        }
    }

    /** Deletes the link, addresses and all; a link that is already gone is fine. Never throws. */
    void remove() {
        List<String> delete = List.of("ip", "link", "del", name);
        CommandResult result = runner.run(delete);
        if (result.ok()) {
            LOG.info("Removed interface - " + name);
        } else if (result.stderr().contains("Cannot find device") || result.stderr().contains("does not exist")) {
            LOG.fine(() -> "interface " + name + " was already absent");
        } else {
            LOG.warning("interface " + name + ": cannot delete the link: " + CommandLines.failure(delete, result));
        }
    }

    /** True if the link exists and is up; creates it (down) when it does not exist. */
    private boolean ensureExists() throws NodeSetupException {
        List<String> show = List.of("ip", "-o", "link", "show", "dev", name);
        CommandResult shown = runner.run(show);
        if (shown.ok()) {
            return IpOutput.linkFlags(shown.stdout()).contains("UP");
        }
        if (!shown.stderr().contains("does not exist")) {
            throw failure(SetupErrors.Type.INTERFACE_CHECK, "cannot check the link", show, shown, "");
        }
        List<String> add = List.of("ip", "link", "add", name, "type", "dummy");
        CommandResult added = runner.run(add);
        if (!added.ok() && !alreadyThere(added)) {
            String hint = added.stderr().contains("Unknown device type")
                    ? " (this kernel has no dummy link type: create the link beforehand, e.g. `ip link add " + name
                    + " type bridge`, and nodedns adopts it; like node-cache, nodedns deletes that link at exit "
                    + "unless -skipteardown)"
                    : "";
            throw failure(SetupErrors.Type.INTERFACE_ADD, "cannot add the link", add, added, hint);
        }
        LOG.info("Added interface - " + name);
        return false;
    }

    private Set<InetAddress> currentAddresses() throws NodeSetupException {
        List<String> show = List.of("ip", "-o", "addr", "show", "dev", name);
        CommandResult shown = runner.run(show);
        if (!shown.ok()) {
            throw failure(SetupErrors.Type.INTERFACE_CHECK, "cannot list the link's addresses", show, shown, "");
        }
        Set<InetAddress> present = new HashSet<>();
        IpOutput.addresses(shown.stdout()).forEach(entry -> present.add(entry.address()));
        return present;
    }

    private void addAddress(InetAddress address) throws NodeSetupException {
        List<String> add = new ArrayList<>(List.of("ip"));
        if (address instanceof Inet6Address) {
            add.add("-6");
        }
        add.addAll(List.of("addr", "add", IpAddresses.hostCidr(address), "dev", name));
        if (address instanceof Inet6Address) {
            // No duplicate address detection: a tentative address cannot be bound, and the
            // listeners bind right after this.
            add.add("nodad");
        }
        CommandResult result = runner.run(add);
        if (!result.ok() && !alreadyThere(result)) {
            throw failure(SetupErrors.Type.INTERFACE_ADD, "cannot add address " + IpAddresses.hostCidr(address),
                    add, result, "");
        }
        LOG.info("Added address " + IpAddresses.hostCidr(address) + " to interface " + name);
    }

    /** Another writer got there between our check and our add: the state we want, not an error. */
    private static boolean alreadyThere(CommandResult result) {
        String stderr = result.stderr();
        return result.exitCode() == 2
                && (stderr.contains("File exists") || stderr.toLowerCase(java.util.Locale.ROOT).contains("already assigned"));
    }

    private NodeSetupException failure(SetupErrors.Type type, String what, List<String> argv, CommandResult result,
                                       String hint) {
        errors.count(type);
        String message = "interface " + name + ": " + what + ": " + CommandLines.failure(argv, result) + hint;
        LOG.warning(message);
        return new NodeSetupException(message);
    }
}
