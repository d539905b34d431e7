package dev.inference.platform;

/**
 * The checks a configuration builder makes where a setting is set; each message names the flag,
 * the setting's one name on the command line, in code and in the docs.
 */
public final class SettingChecks {

    private SettingChecks() {}

    /** @throws IllegalArgumentException with {@code message} unless {@code condition} holds */
    public static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /** {@code port} when it is a port number; 0 asks the system for a free one. */
    public static int portNumber(String flag, int port) {
        require(port >= 0 && port <= 65535, flag + " must be a port number, was " + port);
        return port;
    }

    /** {@code value} when it is neither null nor blank. */
    public static String nonBlank(String flag, String value) {
        require(value != null && !value.isBlank(), flag + " must not be empty");
        return value;
    }
}
