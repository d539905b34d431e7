package dev.inference.gateway.access;

import java.util.HexFormat;

/** Lines of an API-key file, as an operator writes them: the client id, the key's SHA-256, options. */
public final class TestKeys {

    private TestKeys() {}

    public static String line(String client, String key, String... options) {
        return client + " " + HexFormat.of().formatHex(ApiKeys.sha256(key)) + (options.length > 0 ? " " + String.join(" ", options) : "");
    }
}
