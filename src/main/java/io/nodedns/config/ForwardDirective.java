package io.nodedns.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code forward FROM TO... { force_tcp; prefer_udp; expire DURATION; max_fails N;
 * health_check DURATION; policy random|round_robin|sequential; max_concurrent N }}, with CoreDNS
 * plugin/forward's defaults and checks (see {@link ForwardSettings}; destinations: {@link Upstreams}).
 *
 * <p>TLS upstreams, {@code except} and the health check's {@code no_rec}/{@code domain} options are
 * refused until nodedns implements them; CoreDNS would also accept them, so staying silent would
 * change behaviour without telling anyone.
 */
final class ForwardDirective {
    /** Options of newer CoreDNS versions that nodedns does not implement. */
    private static final List<String> NOT_SUPPORTED = List.of(
            "tls", "tls_servername", "except", "next", "failover", "failfast_all_unhealthy_upstreams", "max_age");

    private ForwardDirective() {
    }

    static void parse(Directive directive, ServerBlockBuilder block, ParseContext context) throws CorefileException {
        List<Token> args = directive.args();
        if (args.isEmpty()) {
            throw context.error(directive, "missing FROM zone and TO address");
        }
        if (args.size() == 1) {
            throw context.error(directive, "missing TO address after " + args.get(0).quotedText());
        }
        String from;
        try {
            from = Zones.normalize(args.get(0).text());
        } catch (IllegalArgumentException badZone) {
            throw context.error(args.get(0).line(), directive.nameText(), "FROM: " + badZone.getMessage());
        }
        List<InetSocketAddress> to = new ArrayList<>();
        for (Token word : args.subList(1, args.size())) {
            to.addAll(Upstreams.parse(word, directive, context));
        }
        if (to.size() > ForwardSettings.MAX_UPSTREAMS) {
            throw context.error(directive, "more than " + ForwardSettings.MAX_UPSTREAMS
                    + " TOs configured: " + to.size());
        }

        boolean forceTcp = false;
        boolean preferUdp = false;
        Duration expire = ForwardSettings.DEFAULT_EXPIRE;
        int maxFails = ForwardSettings.DEFAULT_MAX_FAILS;
        Duration healthCheck = ForwardSettings.DEFAULT_HEALTH_CHECK;
        ForwardPolicy policy = ForwardSettings.DEFAULT_POLICY;
        int maxConcurrent = 0;
        // Later lines win, as in CoreDNS, which simply overwrites.
        for (Directive sub : directive.block()) {
            String name = sub.nameText();
            switch (name) {
                case "force_tcp":
                    Arguments.requireCount(directive, sub, 0, 0, context);
                    forceTcp = true;
                    break;
                case "prefer_udp":
                    Arguments.requireCount(directive, sub, 0, 0, context);
                    preferUdp = true;
                    break;
                case "expire":
                    Arguments.requireCount(directive, sub, 1, 1, context);
                    expire = Arguments.nonNegativeDuration(sub.args().get(0), name, context, directive);
                    break;
                case "max_fails":
                    Arguments.requireCount(directive, sub, 1, 1, context);
                    maxFails = Arguments.nonNegativeInt(sub.args().get(0), name, context, directive);
                    break;
                case "health_check":
                    if (sub.args().size() > 1) {
                        throw context.error(directive, sub, "option " + sub.args().get(1).quotedText()
                                + " is not supported yet");
                    }
                    Arguments.requireCount(directive, sub, 1, 1, context);
                    healthCheck = Arguments.nonNegativeDuration(sub.args().get(0), name, context, directive);
                    break;
                case "policy":
                    Arguments.requireCount(directive, sub, 1, 1, context);
                    policy = policy(sub, directive, context);
                    break;
                case "max_concurrent":
                    Arguments.requireCount(directive, sub, 1, 1, context);
                    maxConcurrent = Arguments.nonNegativeInt(sub.args().get(0), name, context, directive);
                    break;
                default:
                    if (NOT_SUPPORTED.contains(name)) {
                        throw context.error(directive, sub, "not supported");
                    }
                    throw context.error(sub.line(), directive.nameText(), "unknown property '" + name + "'");
            }
        }
        if (forceTcp && preferUdp) {
            throw context.error(directive, "force_tcp and prefer_udp can not be used together");
        }
        block.forward(new ForwardSettings(from, to, forceTcp, preferUdp, expire, maxFails, healthCheck, policy,
                maxConcurrent));
    }

    private static ForwardPolicy policy(Directive sub, Directive directive, ParseContext context)
            throws CorefileException {
        Token value = sub.args().get(0);
        switch (value.text()) {
            case "random":
                return ForwardPolicy.RANDOM;
            case "round_robin":
                return ForwardPolicy.ROUND_ROBIN;
            case "sequential":
                return ForwardPolicy.SEQUENTIAL;
            default:
                throw context.error(directive, sub, "unknown policy " + value.quotedText()
                        + " (want random, round_robin or sequential)");
        }
    }
}
