package dev.inference.gateway.access;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.RequestHeaders;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a request presents: {@code Authorization: Bearer <token>} (what OpenAI-style clients send
 * their key as) or {@code x-api-key}. A bearer value shaped like a compact JWS (three base64url
 * parts) is a JWT; anything else is an API key.
 */
record Credential(String value, boolean jwt) {

    static final String API_KEY_HEADER = "x-api-key";
    private static final Pattern COMPACT_JWS = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*");
    private static final String BEARER = "bearer ";

    static Optional<Credential> of(RequestHeaders headers) {
        String authorization = headers.get(HttpHeaderNames.AUTHORIZATION);
        if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            String token = authorization.substring(BEARER.length()).trim();
            return token.isEmpty() ? Optional.empty() : Optional.of(new Credential(token, COMPACT_JWS.matcher(token).matches()));
        }
        String key = headers.get(API_KEY_HEADER);
        return key == null || key.isBlank() ? Optional.empty() : Optional.of(new Credential(key.trim(), false));
    }

    /** Never the secret itself, should a credential ever be printed. */
    @Override
    public String toString() {
        return jwt ? "Credential[JWT]" : "Credential[API key]";
    }
}
