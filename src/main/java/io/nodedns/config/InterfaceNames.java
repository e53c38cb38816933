package io.nodedns.config;

/**
 * Network interface names as Linux accepts them, for {@code bind INTERFACE} and
 * {@code -interfacename}.
 */
public final class InterfaceNames {
    /** Linux's IFNAMSIZ (16) less the terminating NUL: see dev_valid_name() in net/core/dev.c. */
    public static final int MAX_LENGTH = 15;

    private InterfaceNames() {
    }

    /**
     * Whether Linux would accept {@code name} (dev_valid_name(): 1 to 15 bytes, not "." or "..", no
     * '/', ':' or white space), in printable ASCII: a name outside it is a typo in a config file, and
     * the length check counts one byte a char.
     */
    public static boolean isValid(String name) {
        if (name.isEmpty() || name.length() > MAX_LENGTH || name.equals(".") || name.equals("..")) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ':' || c <= ' ' || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }
}
