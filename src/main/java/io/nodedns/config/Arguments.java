package io.nodedns.config;

import java.time.Duration;
import java.util.OptionalLong;

/**
 * Reads numbers and durations out of directive arguments, turning a bad value into a
 * {@link CorefileException} that names the setting and quotes the value.
 */
final class Arguments {
    private Arguments() {
    }

    /**
     * Parses a decimal integer with an optional sign, as Go's {@code strconv.Atoi} accepts it.
     *
     * @return the value, or empty if the text is not an integer or does not fit in a long
     */
    static OptionalLong integer(String text) {
        String digits = text.startsWith("+") || text.startsWith("-") ? text.substring(1) : text;
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(text));
        } catch (NumberFormatException tooLong) {
            return OptionalLong.empty();
        }
    }

    /** {@code what: not a non-negative integer: "x"} unless the argument is 0 to {@link Integer#MAX_VALUE}. */
    static int nonNegativeInt(Token argument, String what, ParseContext context, Directive directive)
            throws CorefileException {
        OptionalLong value = integer(argument.text());
        if (value.isEmpty() || value.getAsLong() < 0 || value.getAsLong() > Integer.MAX_VALUE) {
            throw context.error(argument.line(), directive.nameText(),
                    what + ": not a non-negative integer: " + argument.quotedText());
        }
        return (int) value.getAsLong();
    }

    /** {@code what: not a positive integer: "x"} unless the argument is 1 to {@link Integer#MAX_VALUE}. */
    static int positiveInt(Token argument, String what, ParseContext context, Directive directive)
            throws CorefileException {
        OptionalLong value = integer(argument.text());
        if (value.isEmpty() || value.getAsLong() <= 0 || value.getAsLong() > Integer.MAX_VALUE) {
            throw context.error(argument.line(), directive.nameText(),
                    what + ": not a positive integer: " + argument.quotedText());
        }
        return (int) value.getAsLong();
    }

    /** A Go duration ({@link GoDuration}) that is not negative. */
    static Duration nonNegativeDuration(Token argument, String what, ParseContext context, Directive directive)
            throws CorefileException {
        Duration duration;
        try {
            duration = GoDuration.parse(argument.text());
        } catch (IllegalArgumentException invalid) {
            throw context.error(argument.line(), directive.nameText(), what + ": " + invalid.getMessage());
        }
        if (duration.isNegative()) {
            throw context.error(argument.line(), directive.nameText(),
                    what + ": can't be negative: " + argument.quotedText());
        }
        return duration;
    }

    /**
     * Fails unless {@code sub} has between {@code min} and {@code max} arguments ({@link Integer#MAX_VALUE}:
     * no upper bound), or if it has a block.
     */
    static void requireCount(Directive parent, Directive sub, int min, int max, ParseContext context)
            throws CorefileException {
        int count = sub.args().size();
        if (count < min || count > max) {
            String wanted = min == max ? Integer.toString(min)
                    : max == Integer.MAX_VALUE ? min + " or more" : min + " to " + max;
            throw context.error(parent, sub, "wrong argument count: want " + wanted + ", got " + count);
        }
        if (sub.hasBlock()) {
            throw context.error(parent, sub, "does not take a '{' block");
        }
    }
}
