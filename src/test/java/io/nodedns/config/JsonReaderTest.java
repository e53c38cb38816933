package io.nodedns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The strict JSON reader behind the kube-dns ConfigMap, held to RFC 8259 as Go's encoding/json is. */
class JsonReaderTest {

    @Test
    void readsObjectsArraysAndScalarsInDocumentOrder() throws Exception {
        Object value = JsonReader.parse(" {\"b\": [\"x\", 1, -2.5e3, true, false, null], \"a\": {}, \"c\": []}\n");

        Map<?, ?> object = (Map<?, ?>) value;
        assertEquals(List.of("b", "a", "c"), List.copyOf(object.keySet()));
        assertEquals(Arrays.asList("x", new BigDecimal("1"), new BigDecimal("-2.5e3"), true, false, null),
                object.get("b"));
        assertEquals(Map.of(), object.get("a"));
        assertEquals(List.of(), object.get("c"));
        assertNull(JsonReader.parse("null"));
        assertEquals(new BigDecimal("0.5"), JsonReader.parse("0.5"));
    }

    @Test
    void decodesEveryEscape() throws Exception {
        assertEquals("\"\\/\b\f\n\r\t\u00e9\ud83d\ude00",
                JsonReader.parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00E9\\ud83d\\ude00\""));
        assertEquals("raw \u00e9 stays", JsonReader.parse("\"raw \u00e9 stays\""));
    }

    @Test
    void aRepeatedKeyKeepsItsLastValueAsGoDoes() throws Exception {
        assertEquals(Map.of("a", new BigDecimal("2")), JsonReader.parse("{\"a\": 1, \"a\": 2}"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "``                     | 1:1: unexpected end of input, expected a value",
        "`{\"a\": 1,}`          | 1:9: unexpected '}', expected a string key",
        "`[1, 2,]`              | 1:7: unexpected ']', expected a value",
        "`{'a': 1}`             | 1:2: unexpected ''', expected a string key",
        "`{\"a\" 1}`            | 1:6: unexpected '1', expected ':' after an object key",
        "`{\"a\": 1 \"b\": 2}`  | 1:9: unexpected '\"', expected ',' or '}'",
        "`[1 2]`                | 1:4: unexpected '2', expected ',' or ']'",
        "`[01]`                 | 1:3: leading zero in a number",
        "`[1.]`                 | 1:4: unexpected ']' after the decimal point, expected a digit",
        "`[1e]`                 | 1:4: unexpected ']' in the exponent, expected a digit",
        "`[-]`                  | 1:3: unexpected ']' in a number, expected a digit",
        "`[+1]`                 | 1:2: unexpected '+', expected a value",
        "`[tru]`                | 1:2: unexpected 't', expected a value",
        "`[\"a\\x\"]`           | 1:5: invalid escape '\\x' in a string",
        "`[\"\\u12G4\"]`        | 1:7: invalid hex digit 'G' in a \\u escape",
        "`[\"abc`               | 1:6: unexpected end of input in a string",
        "`{} {}`                | 1:4: unexpected '{' after the JSON value",
        "`// comment`           | 1:1: unexpected '/', expected a value",
        "`[1]]`                 | 1:4: unexpected ']' after the JSON value",
    })
    void rejectsWhatGoRejectsSayingWhereAndWhy(String json, String message) {
        JsonReader.JsonSyntaxException e = assertThrows(JsonReader.JsonSyntaxException.class,
                () -> JsonReader.parse(json));
        assertEquals(message, e.getMessage());
    }

    @Test
    void countsLinesAndColumnsAcrossNewlines() {
        JsonReader.JsonSyntaxException e = assertThrows(JsonReader.JsonSyntaxException.class,
                () -> JsonReader.parse("{\n  \"a\": [\"1.2.3.4\"],\n  \"b\": [\"x\"]\n  \"c\": []\n}"));
        assertEquals(4, e.line());
        assertEquals(3, e.column());
        assertEquals("unexpected '\"', expected ',' or '}'", e.problem());
    }

    @Test
    void rejectsRawControlCharactersInStringsAndAnyOtherWhitespace() {
        assertEquals("1:4: control character U+000A in a string",
                assertThrows(JsonReader.JsonSyntaxException.class, () -> JsonReader.parse("[\"a\nb\"]")).getMessage());
        assertEquals("1:1: unexpected character U+000C, expected a value",
                assertThrows(JsonReader.JsonSyntaxException.class, () -> JsonReader.parse("\f[]")).getMessage());
    }

    @Test
    void refusesDeepNestingInsteadOfOverflowingTheStack() throws Exception {
        String ok = "[".repeat(JsonReader.MAX_DEPTH) + "]".repeat(JsonReader.MAX_DEPTH);
        JsonReader.parse(ok);
        String deep = "[".repeat(100_000);
        JsonReader.JsonSyntaxException e = assertThrows(JsonReader.JsonSyntaxException.class,
                () -> JsonReader.parse(deep));
        assertEquals("1:65: nested more than 64 levels deep", e.getMessage());
    }
}
