package io.nodedns.metrics;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A scrape of a metrics endpoint, parsed into samples (name, labels, value) for assertions. */
public final class Scrape {
    /** One exposition line: {@code name{k="v",...} value}. */
    public record Sample(String name, Map<String, String> labels, double value) {}

    private final String contentType;
    private final String body;
    private final List<Sample> samples;

    private Scrape(String contentType, String body) {
        this.contentType = contentType;
        this.body = body;
        this.samples = parse(body);
    }

    /** GETs {@code path} at {@code address} with the given Accept header (null for none). */
    public static HttpResponse<String> get(InetSocketAddress address, String path, String accept) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://"
                + address.getAddress().getHostAddress() + ":" + address.getPort() + path))
                .timeout(Duration.ofSeconds(10));
        if (accept != null) {
            request.header("Accept", accept);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    public static Scrape of(InetSocketAddress address) throws Exception {
        HttpResponse<String> response = get(address, "/metrics", null);
        if (response.statusCode() != 200) {
            throw new AssertionError("scrape answered " + response.statusCode() + ": " + response.body());
        }
        return new Scrape(response.headers().firstValue("Content-Type").orElse(""), response.body());
    }

    public String contentType() {
        return contentType;
    }

    public String body() {
        return body;
    }

    public List<Sample> samples() {
        return samples;
    }

    /**
     * The value of the one sample named {@code name} whose labels include {@code labels}
     * ({@code "k", "v", ...}); fails if there is none or more than one.
     */
    public double value(String name, String... labels) {
        List<Sample> found = find(name, labels);
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " samples " + name + " " + List.of(labels) + ": " + found);
        }
        return found.get(0).value();
    }

    public List<Sample> find(String name, String... labels) {
        List<Sample> out = new ArrayList<>();
        for (Sample s : samples) {
            if (!s.name().equals(name)) {
                continue;
            }
            boolean match = true;
            for (int i = 0; i < labels.length; i += 2) {
                if (!labels[i + 1].equals(s.labels().get(labels[i]))) {
                    match = false;
                    break;
                }
            }
            if (match) {
                out.add(s);
            }
        }
        return out;
    }

    private static List<Sample> parse(String body) {
        List<Sample> out = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space;
            String name;
            Map<String, String> labels = new LinkedHashMap<>();
            if (brace >= 0 && brace < line.indexOf(' ')) {
                name = line.substring(0, brace);
                int i = brace + 1;
                while (line.charAt(i) != '}') {
                    int eq = line.indexOf('=', i);
                    String key = line.substring(i, eq);
                    StringBuilder value = new StringBuilder();
                    int j = eq + 2;
                    while (line.charAt(j) != '"') {
                        if (line.charAt(j) == '\\') {
                            j++;
                        }
                        value.append(line.charAt(j++));
                    }
                    labels.put(key, value.toString());
                    i = j + 1;
                    if (line.charAt(i) == ',') {
                        i++;
                    }
                }
                space = i + 1;
            } else {
                space = line.indexOf(' ');
                name = line.substring(0, space);
            }
            String[] rest = line.substring(space).trim().split(" ");
            out.add(new Sample(name, labels, Double.parseDouble(rest[0])));
        }
        return out;
    }
}
