package io.nodedns.config;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;

/**
 * Parses durations written the way Go's {@code time.ParseDuration} reads them, because CoreDNS
 * Corefiles use that syntax ({@code expire 10s}, {@code health_check 500ms}).
 *
 * <p>Syntax: an optional sign, then one or more decimal numbers each followed by a unit, e.g.
 * {@code 300ms}, {@code -1.5h}, {@code 2h45m}, {@code .5s}. Units: {@code ns}, {@code us}, {@code µs}
 * (U+00B5 or U+03BC), {@code ms}, {@code s}, {@code m}, {@code h}. As in Go, a number without a unit
 * is an error except the bare {@code 0}, fractions below a nanosecond are truncated, and totals
 * beyond a signed 64-bit count of nanoseconds (about 292 years) are rejected.
 */
public final class GoDuration {
    private static final BigInteger MAX_NANOS = BigInteger.valueOf(Long.MAX_VALUE);
    private static final BigInteger MIN_NANOS = BigInteger.valueOf(Long.MIN_VALUE);

    private GoDuration() {
    }

    /**
     * @throws IllegalArgumentException if {@code text} is not a Go duration; the message quotes it
     */
    public static Duration parse(String text) {
        String s = text;
        boolean negative = false;
        if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
            negative = s.charAt(0) == '-';
            s = s.substring(1);
        }
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        if (s.isEmpty()) {
            throw invalid(text);
        }
        BigInteger totalNanos = BigInteger.ZERO;
        int i = 0;
        while (i < s.length()) {
            int numberStart = i;
            boolean sawDigit = false;
            while (i < s.length() && isDigit(s.charAt(i))) {
                i++;
                sawDigit = true;
            }
            if (i < s.length() && s.charAt(i) == '.') {
                i++;
                while (i < s.length() && isDigit(s.charAt(i))) {
                    i++;
                    sawDigit = true;
                }
            }
            if (!sawDigit) {
                throw invalid(text);
            }
            String number = s.substring(numberStart, i);
            int unitStart = i;
            while (i < s.length() && s.charAt(i) != '.' && !isDigit(s.charAt(i))) {
                i++;
            }
            if (unitStart == i) {
                throw new IllegalArgumentException("missing unit in duration " + quote(text));
            }
            String unit = s.substring(unitStart, i);
            long unitNanos = unitNanos(unit);
            if (unitNanos == 0) {
                throw new IllegalArgumentException("unknown unit " + quote(unit) + " in duration " + quote(text));
            }
            // BigDecimal keeps "0.1s" exact; Go also truncates what is left below one nanosecond.
            BigInteger termNanos = new BigDecimal(number.endsWith(".") ? number + "0" : number)
                    .multiply(BigDecimal.valueOf(unitNanos))
                    .toBigInteger();
            totalNanos = totalNanos.add(termNanos);
            if (totalNanos.compareTo(MAX_NANOS) > 0 && !(negative && totalNanos.negate().equals(MIN_NANOS))) {
                throw invalid(text);
            }
        }
        long nanos = negative ? totalNanos.negate().longValueExact() : totalNanos.longValueExact();
        return Duration.ofNanos(nanos);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** Nanoseconds per unit, or 0 for an unknown unit. */
    private static long unitNanos(String unit) {
        switch (unit) {
            case "ns":
                return 1L;
            case "us":
            case "\u00b5s": // micro sign
            case "\u03bcs": // Greek small letter mu
                return 1_000L;
            case "ms":
                return 1_000_000L;
            case "s":
                return 1_000_000_000L;
            case "m":
                return 60_000_000_000L;
            case "h":
                return 3_600_000_000_000L;
            default:
                return 0L;
        }
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("invalid duration " + quote(text));
    }

    static String quote(String text) {
        return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
