package dev.inference.gateway.routing;

import com.linecorp.armeria.common.Cookie;
import com.linecorp.armeria.common.RequestHeaders;
import dev.inference.api.Headers;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which track a user is pinned to: the {@code x-model-track} header when the client sets it
 * (a forced track; {@code auto} forces none), else the {@code model-track} cookie that the gateway
 * set on an earlier response.
 *
 * @param track the pinned track, empty for a call routed by weight
 * @param fromHeader true when the client chose by header; the gateway then leaves its cookie alone
 */
public record TrackPin(Optional<String> track, boolean fromHeader) {

    public static final String HEADER = Headers.TRACK;
    public static final String COOKIE = "model-track";

    /** The header value that asks for a call routed by weight, whatever the cookie says. */
    public static final String AUTO = Headers.TRACK_AUTO;

    private static final Pattern TRACK = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    /** The pin of a request; a malformed track counts as no pin. */
    public static TrackPin of(RequestHeaders headers) {
        String header = headers.get(HEADER);
        if (header != null) {
            String track = header.strip();
            return new TrackPin(track.equals(AUTO) ? Optional.empty() : valid(track), true);
        }
        for (Cookie cookie : headers.cookies()) {
            if (cookie.name().equals(COOKIE)) {
                return new TrackPin(valid(cookie.value()), false);
            }
        }
        return new TrackPin(Optional.empty(), false);
    }

    /** Whether the request carries a pin cookie for exactly this track. */
    public static boolean cookieMatches(RequestHeaders headers, String track) {
        return headers.cookies().stream().anyMatch(cookie -> cookie.name().equals(COOKIE) && cookie.value().equals(track));
    }

    /** The {@code Set-Cookie} value that pins a browser to a track. */
    public static String setCookie(String track, long ttlSeconds) {
        return Cookie.builder(COOKIE, track).path("/").maxAge(ttlSeconds).httpOnly(true).sameSite("Lax").build()
                .toSetCookieHeader();
    }

    static Optional<String> valid(String track) {
        return TRACK.matcher(track).matches() ? Optional.of(track) : Optional.empty();
    }
}
