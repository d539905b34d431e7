package dev.inference.gateway.access;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.RequestHeaders;
import java.util.Optional;

/**
 * What a request presents: {@code Authorization: Bearer <token>} (what OpenAI-style clients send
 * their key as) or {@code x-api-key}. A bearer value shaped like a compact JWS (three base64url
 * parts) is a JWT; anything else is an API key.
 */
record Credential(String value, boolean jwt) {

    static final String API_KEY_HEADER = "x-api-key";
    private static final String BEARER = "bearer ";

    static Optional<Credential> of(RequestHeaders headers) {
        String authorization = headers.get(HttpHeaderNames.AUTHORIZATION);
        if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            String token = authorization.substring(BEARER.length()).trim();
            return token.isEmpty() ? Optional.empty() : Optional.of(new Credential(token, compactJws(token)));
        }
        String key = headers.get(API_KEY_HEADER);
        return key == null || key.isBlank() ? Optional.empty() : Optional.of(new Credential(key.trim(), false));
    }

    /**
     * Three base64url parts, the first not empty. A scan rather than a regular expression: it runs
     * on every call, over a token of several hundred characters.
     */
    static boolean compactJws(String token) {
        int dots = 0;
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c == '.') {
                if (++dots > 2 || i == 0) {
                    return false;
                }
            } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
                return false;
            }
        }
        return dots == 2;
    }

    /** Never the secret itself, should a credential ever be printed. */
    @Override
    public String toString() {
        return jwt ? "Credential[JWT]" : "Credential[API key]";
    }
}
