package io.nodedns.app;

import io.nodedns.config.CorefileException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the Corefile's text comes from, read afresh at start and at every reload check: a file
 * ({@code -conf}), node-cache's template pipeline, or the built-in laptop default.
 */
interface ConfigText {
    /** What error messages and logs call it: the file path, or a label such as {@code <laptop default>}. */
    String source();

    /**
     * The Corefile text as of now.
     *
     * @throws IOException if it cannot be read
     * @throws CorefileException if what it is made from is invalid (node-cache's template inputs)
     */
    String read() throws IOException, CorefileException;

    /** A Corefile on disk. */
    static ConfigText file(Path path) {
        return new ConfigText() {
            @Override
            public String source() {
                return path.toString();
            }

            @Override
            public String read() throws IOException {
                return Files.readString(path, StandardCharsets.UTF_8);
            }
        };
    }

    /** A fixed text, such as the laptop default. */
    static ConfigText fixed(String source, String text) {
        return new ConfigText() {
            @Override
            public String source() {
                return source;
            }

            @Override
            public String read() {
                return text;
            }
        };
    }
}
