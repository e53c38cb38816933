package io.nodedns.config;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON reader (RFC 8259), just enough for the kube-dns ConfigMap's {@code stubDomains}
 * and {@code upstreamNameservers} values, which kube-dns and node-cache decode with Go's
 * {@code encoding/json}. Strict as Go is: no comments, no trailing commas, no single quotes, no
 * leading zeros, control characters in strings must be escaped, nothing may follow the value.
 *
 * <p>Values come back as Java objects: an object is an unmodifiable {@code Map<String, Object>}
 * in document order (a repeated key keeps its last value, as Go's decoder does), an array an
 * unmodifiable {@code List<Object>}, a string a {@link String}, a number a {@link BigDecimal},
 * {@code true}/{@code false} a {@link Boolean} and {@code null} Java {@code null}.
 */
final class JsonReader {
    /** Deeper nesting than this is refused rather than risking the stack; ConfigMaps nest two deep. */
    static final int MAX_DEPTH = 64;

    /** Malformed JSON; {@link #line()} and {@link #column()} are 1-based and point at the problem. */
    static final class JsonSyntaxException extends Exception {
        private static final long serialVersionUID = 1L;

        private final int line;
        private final int column;
        private final String problem;

        JsonSyntaxException(int line, int column, String problem) {
            super(line + ":" + column + ": " + problem);
            this.line = line;
            this.column = column;
            this.problem = problem;
        }

        int line() {
            return line;
        }

        int column() {
            return column;
        }

        /** What is wrong, without the position. */
        String problem() {
            return problem;
        }
    }

    private final String text;
    private int pos;
    private int line = 1;
    private int lineStart;

    private JsonReader(String text) {
        this.text = text;
    }

    /** Parses {@code text}, which must hold exactly one JSON value (surrounded by optional whitespace). */
    static Object parse(String text) throws JsonSyntaxException {
        JsonReader reader = new JsonReader(text);
        reader.skipWhitespace();
        Object value = reader.value(0);
        reader.skipWhitespace();
        if (reader.pos < text.length()) {
            throw reader.error("unexpected " + reader.describe(reader.pos) + " after the JSON value");
        }
        return value;
    }

    private Object value(int depth) throws JsonSyntaxException {
        if (pos >= text.length()) {
            throw error("unexpected end of input, expected a value");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return object(depth + 1);
            case '[':
                return array(depth + 1);
            case '"':
                return string();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", null);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("unexpected " + describe(pos) + ", expected a value");
        }
    }

    private Map<String, Object> object(int depth) throws JsonSyntaxException {
        checkDepth(depth);
        pos++; // '{'
        Map<String, Object> members = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return Collections.unmodifiableMap(members);
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("unexpected " + describe(pos) + ", expected a string key");
            }
            String key = string();
            skipWhitespace();
            expect(':', "':' after an object key");
            skipWhitespace();
            members.put(key, value(depth));
            skipWhitespace();
            char next = peek();
            pos++;
            if (next == '}') {
                return Collections.unmodifiableMap(members);
            }
            if (next != ',') {
                pos--;
                throw error("unexpected " + describe(pos) + ", expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) throws JsonSyntaxException {
        checkDepth(depth);
        pos++; // '['
        List<Object> elements = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return Collections.unmodifiableList(elements);
        }
        while (true) {
            skipWhitespace();
            elements.add(value(depth));
            skipWhitespace();
            char next = peek();
            pos++;
            if (next == ']') {
                return Collections.unmodifiableList(elements);
            }
            if (next != ',') {
                pos--;
                throw error("unexpected " + describe(pos) + ", expected ',' or ']'");
            }
        }
    }

    private String string() throws JsonSyntaxException {
        pos++; // opening quote
        StringBuilder out = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("unexpected end of input in a string");
            }
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                return out.toString();
            }
            if (c < 0x20) {
                // RFC 8259 section 7: control characters must be escaped.
                throw error("control character U+" + String.format("%04X", (int) c) + " in a string");
            }
            if (c != '\\') {
                out.append(c);
                pos++;
                continue;
            }
            pos++;
            if (pos >= text.length()) {
                throw error("unexpected end of input in a string escape");
            }
            char escaped = text.charAt(pos);
            switch (escaped) {
                case '"':
                case '\\':
                case '/':
                    out.append(escaped);
                    break;
                case 'b':
                    out.append('\b');
                    break;
                case 'f':
                    out.append('\f');
                    break;
                case 'n':
                    out.append('\n');
                    break;
                case 'r':
                    out.append('\r');
                    break;
                case 't':
                    out.append('\t');
                    break;
                case 'u':
                    out.append(unicodeEscape());
                    continue; // unicodeEscape moved past the four digits
                default:
                    throw error("invalid escape '\\" + escaped + "' in a string");
            }
            pos++;
        }
    }

    /** The character of {@code \}{@code uXXXX}, with {@code pos} on the 'u'; leaves pos after the digits. */
    private char unicodeEscape() throws JsonSyntaxException {
        if (pos + 4 >= text.length()) {
            throw error("unexpected end of input in a \\u escape");
        }
        int value = 0;
        for (int i = 1; i <= 4; i++) {
            int digit = Character.digit(text.charAt(pos + i), 16);
            if (digit < 0 || text.charAt(pos + i) > 0x7f) {
                pos += i;
                throw error("invalid hex digit " + describe(pos) + " in a \\u escape");
            }
            value = value * 16 + digit;
        }
        pos += 5;
        // Lone surrogates are kept as they are; Go would replace them with U+FFFD, and neither
        // choice matters for domain names and addresses, which are validated afterwards.
        return (char) value;
    }

    private BigDecimal number() throws JsonSyntaxException {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) {
                throw error("leading zero in a number");
            }
        } else if (isDigit(peek())) {
            while (isDigit(peek())) {
                pos++;
            }
        } else {
            throw error("unexpected " + describe(pos) + " in a number, expected a digit");
        }
        if (peek() == '.') {
            pos++;
            requireDigits("after the decimal point");
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            requireDigits("in the exponent");
        }
        return new BigDecimal(text.substring(start, pos));
    }

    private void requireDigits(String where) throws JsonSyntaxException {
        if (!isDigit(peek())) {
            throw error("unexpected " + describe(pos) + " " + where + ", expected a digit");
        }
        while (isDigit(peek())) {
            pos++;
        }
    }

    private Object literal(String word, Object value) throws JsonSyntaxException {
        if (!text.startsWith(word, pos)) {
            throw error("unexpected " + describe(pos) + ", expected a value");
        }
        pos += word.length();
        return value;
    }

    private void expect(char c, String what) throws JsonSyntaxException {
        if (peek() != c) {
            throw error("unexpected " + describe(pos) + ", expected " + what);
        }
        pos++;
    }

    private void checkDepth(int depth) throws JsonSyntaxException {
        if (depth > MAX_DEPTH) {
            throw error("nested more than " + MAX_DEPTH + " levels deep");
        }
    }

    /** RFC 8259 section 2: the four whitespace characters, nothing else. */
    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '\n') {
                line++;
                lineStart = pos + 1;
            } else if (c != ' ' && c != '\t' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    /** The character at {@code pos}, or NUL at the end (never valid where it is checked). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private String describe(int at) {
        if (at >= text.length()) {
            return "end of input";
        }
        char c = text.charAt(at);
        return c < 0x20 || c == 0x7f ? "character U+" + String.format("%04X", (int) c) : "'" + c + "'";
    }

    private JsonSyntaxException error(String problem) {
        // Columns count characters from 1; strings hold no raw newlines, so lineStart stays right.
        return new JsonSyntaxException(line, pos - lineStart + 1, problem);
    }
}
