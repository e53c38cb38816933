package io.nodedns.server;

import io.nodedns.wire.DnsWire;
import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.WireNames;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One block's {@code autopath}: which queries are the first of a pod's search names, and the names
 * to try after them. Immutable; the candidate test reads the query's wire name only and allocates
 * nothing, so a block with autopath costs a non-candidate a few byte compares.
 *
 * <p>kubelet gives a pod in namespace NS the search list {@code NS.svc.ZONE svc.ZONE ZONE} followed by
 * the node's search domains, duplicates left out (pkg/kubelet/network/dns, omitDuplicates). A
 * resolver with {@code ndots:5} asks for {@code NAME.NS.svc.ZONE} first; for a NAME with a dot that
 * is almost never a cluster name (services are {@code SVC.NS.svc.ZONE}), so the search goes on,
 * one NXDOMAIN after another. The search nodedns does for the pod is
 * {@code NAME.svc.ZONE, NAME.ZONE, NAME.<node domain>..., NAME.}, as the resolver would.
 */
public final class AutopathRules {
    private static final byte[] SVC_LABEL = {3, 's', 'v', 'c'};

    /** Per zone, {@code svc.ZONE} in wire form: a candidate's name ends in {@code NS.} and this. */
    private final byte[][] svcSuffixes;
    /** Per zone, the suffixes NAME is tried with, in search order, ending with the root. */
    private final byte[][][] steps;
    /** Per zone, how many of the first steps are under the cluster zone (answered inside the cluster). */
    private final int[] clusterSteps;

    /**
     * @param zones         the cluster domains, e.g. {@code cluster.local.}
     * @param searchDomains the node's search domains, absolute
     */
    public AutopathRules(List<String> zones, List<String> searchDomains) {
        svcSuffixes = new byte[zones.size()][];
        steps = new byte[zones.size()][][];
        clusterSteps = new int[zones.size()];
        for (int z = 0; z < zones.size(); z++) {
            byte[] zone = WireNames.toWire(zones.get(z));
            byte[] svc = new byte[SVC_LABEL.length + zone.length];
            System.arraycopy(SVC_LABEL, 0, svc, 0, SVC_LABEL.length);
            System.arraycopy(zone, 0, svc, SVC_LABEL.length, zone.length);
            svcSuffixes[z] = svc;
            // LinkedHashSet on text: kubelet's omitDuplicates keeps the first occurrence.
            Set<String> order = new LinkedHashSet<>();
            order.add("svc." + zones.get(z));
            order.add(zones.get(z));
            order.addAll(searchDomains);
            List<byte[]> suffixes = new ArrayList<>();
            boolean inCluster = true;
            for (String domain : order) {
                inCluster &= isAtOrBelow(domain, zones.get(z));
                if (inCluster) {
                    clusterSteps[z]++;
                }
                suffixes.add(WireNames.toWire(domain));
            }
            suffixes.add(new byte[] {0});
            steps[z] = suffixes.toArray(new byte[0][]);
        }
    }

    /**
     * The zone index under which {@code key} is a search-path candidate, or -1: an A or AAAA query
     * of class IN without the DO bit (a validating client must see the data as signed, not our
     * CNAME) for {@code NAME.NS.svc.ZONE} where NAME has at least two labels and does not start with
     * an underscore (SRV-style names such as {@code _http._tcp.web} are never rewritten).
     */
    public int candidateZone(QuestionKey key) {
        int qtype = key.qtype();
        if ((qtype != DnsWire.TYPE_A && qtype != DnsWire.TYPE_AAAA) || key.qclass() != DnsWire.CLASS_IN || key.dnssecOk()) {
            return -1;
        }
        for (int z = 0; z < svcSuffixes.length; z++) {
            if (key.isInZone(svcSuffixes[z]) && labelsBefore(key, svcSuffixes[z].length) >= 3
                    && key.nameByte(1) != '_') {
                return z;
            }
        }
        return -1;
    }

    /** Whether absolute {@code domain} is {@code zone} or a name below it, ignoring case. */
    private static boolean isAtOrBelow(String domain, String zone) {
        String d = domain.toLowerCase(Locale.ROOT);
        String z = zone.toLowerCase(Locale.ROOT);
        return d.equals(z) || d.endsWith("." + z);
    }

    /** How many labels precede the last {@code suffixLength} bytes of the name (a label boundary). */
    private static int labelsBefore(QuestionKey key, int suffixLength) {
        int end = key.nameLength() - suffixLength;
        int labels = 0;
        for (int p = 0; p < end; p += (key.nameByte(p) & 0xFF) + 1) {
            labels++;
        }
        return labels;
    }

    /** How many names are tried after the asked one for zone {@code zone} (the root included). */
    int stepCount(int zone) {
        return steps[zone].length;
    }

    /**
     * How many of the first names tried for zone {@code zone} are under the cluster zone: {@code svc.ZONE},
     * {@code ZONE}, and node search domains below ZONE that directly follow them. The steps after them
     * (the node's other search domains, the root) leave the cluster.
     */
    int clusterStepCount(int zone) {
        return clusterSteps[zone];
    }

    /** {@code NAME.} + step {@code step}'s suffix, as a stored key with {@code asked}'s type and flags. */
    QuestionKey stepKey(QuestionKey asked, int zone, int step) {
        int nameEnd = namespaceStart(asked, zone);
        byte[] suffix = steps[zone][step];
        byte[] wire = new byte[nameEnd + suffix.length];
        for (int i = 0; i < nameEnd; i++) {
            wire[i] = asked.nameByte(i);
        }
        System.arraycopy(suffix, 0, wire, nameEnd, suffix.length);
        return QuestionKey.of(wire, asked.qtype(), asked.qclass(), asked.dnssecOk(), asked.checkingDisabled());
    }

    /**
     * {@code NS.svc.ZONE} A: whether the label before {@code svc} names a namespace. CoreDNS's kubernetes
     * plugin answers NOERROR (NODATA) for an existing namespace and NXDOMAIN otherwise, which tells the
     * first search name ({@code www.example.com.NS.svc.ZONE}) from a second one that looks the same
     * ({@code www.example.co.uk.svc.ZONE}, asked by a pod that searches on by itself, would otherwise
     * read as NAME {@code www.example.co} in namespace {@code uk}).
     */
    QuestionKey namespaceKey(QuestionKey asked, int zone) {
        int start = namespaceStart(asked, zone);
        byte[] wire = new byte[asked.nameLength() - start];
        for (int i = 0; i < wire.length; i++) {
            wire[i] = asked.nameByte(start + i);
        }
        return QuestionKey.of(wire, DnsWire.TYPE_A, DnsWire.CLASS_IN, false, asked.checkingDisabled());
    }

    /** Offset of the namespace label: the last label before {@code svc.ZONE}. */
    private int namespaceStart(QuestionKey asked, int zone) {
        int end = asked.nameLength() - svcSuffixes[zone].length;
        int last = 0;
        for (int p = 0; p < end; p += (asked.nameByte(p) & 0xFF) + 1) {
            last = p;
        }
        return last;
    }
}
