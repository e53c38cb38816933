package io.nodedns.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Collects what a server block's directives set, then freezes it into a {@link ServerBlock}. */
final class ServerBlockBuilder {
    private final List<ServerKey> keys;
    private final int line;
    private final Set<InetAddress> bind = new LinkedHashSet<>();
    private CacheSettings cache;
    private ForwardSettings forward;
    private boolean errors;
    private boolean log;
    private InetSocketAddress prometheus;
    private final Set<String> bindInterfaces = new LinkedHashSet<>();
    private ReloadSettings reload;
    private boolean loop;
    private HealthSettings health;
    private InetSocketAddress ready;
    private AutopathSettings autopath;
    private FilterAaaaSettings filterAaaa;

    ServerBlockBuilder(List<ServerKey> keys, int line) {
        this.keys = List.copyOf(keys);
        this.line = line;
    }

    /** The block's zones without duplicates, in key order: the default for {@code cache} zones. */
    List<String> zones() {
        List<String> zones = new ArrayList<>();
        for (ServerKey key : keys) {
            if (!zones.contains(key.zone())) {
                zones.add(key.zone());
            }
        }
        return zones;
    }

    /** Adds listen addresses; {@code bind} may appear on several lines, each adding to the set. */
    void addBind(List<InetAddress> addresses) {
        bind.addAll(addresses);
    }

    void cache(CacheSettings settings) {
        cache = settings;
    }

    void forward(ForwardSettings settings) {
        forward = settings;
    }

    void errors() {
        errors = true;
    }

    void log() {
        log = true;
    }

    void prometheus(InetSocketAddress address) {
        prometheus = address;
    }

    /** Adds interfaces whose addresses are listened on ({@code bind NAME}). */
    void addBindInterfaces(List<String> names) {
        bindInterfaces.addAll(names);
    }

    void reload(ReloadSettings settings) {
        reload = settings;
    }

    void loop() {
        loop = true;
    }

    void health(HealthSettings settings) {
        health = settings;
    }

    void ready(InetSocketAddress address) {
        ready = address;
    }

    void autopath(AutopathSettings settings) {
        autopath = settings;
    }

    void filterAaaa(FilterAaaaSettings settings) {
        filterAaaa = settings;
    }

    ServerBlock build() {
        return new ServerBlock(keys, new ArrayList<>(bind), new ArrayList<>(bindInterfaces),
                Optional.ofNullable(cache), Optional.ofNullable(forward), errors, log, Optional.ofNullable(prometheus),
                Optional.ofNullable(reload), loop, Optional.ofNullable(health), Optional.ofNullable(ready),
                Optional.ofNullable(autopath), Optional.ofNullable(filterAaaa), line);
    }
}
