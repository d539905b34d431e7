package dev.inference.gateway.access;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.grpc.Status;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Verifies bearer JWTs with Nimbus JOSE+JWT: signed RS256 or ES256 by a key of the JWKS, {@code
 * iss} and {@code aud} as configured, {@code exp} and {@code nbf} within {@link #CLOCK_SKEW}.
 * Nimbus's {@code DefaultJWTProcessor} refuses unsecured ({@code alg: none}) tokens, and the key
 * selector takes only the two asymmetric algorithms, so an HS256 token "signed" with the public
 * key finds no key.
 *
 * <p>The JWKS comes through Nimbus's {@code JWKSourceBuilder}: cached for {@link #KEYS_TTL} and
 * refreshed ahead of expiry, fetched again (rate-limited) when a token names an unknown {@code
 * kid}, so a key rotation needs no restart. A file is read through the same source (a
 * {@code file:} URL, which Nimbus's resource retriever supports since 9.28).
 *
 * <p>Claims: {@code sub} is the client id; {@value #MODELS_CLAIM} (an array of names, or one string
 * of names separated by spaces) restricts the models it may call; the scope {@value #ADMIN_SCOPE}
 * in {@code scope} (space-separated) or {@code scp} (an array) lets it change traffic.
 */
final class JwtVerifier {

    static final String MODELS_CLAIM = "models";
    static final String ADMIN_SCOPE = "inference:admin";
    static final Duration CLOCK_SKEW = Duration.ofSeconds(30);
    static final Duration KEYS_TTL = Duration.ofMinutes(5);

    /**
     * How long a verified token is remembered (never past its own {@code exp}): a client sends the
     * same token with every call until it expires, and verifying its signature each time would
     * cost the gateway more than forwarding the call. The price: a token signed by a key removed
     * from the JWKS stays accepted for at most this long.
     */
    static final Duration VERIFIED_TTL = Duration.ofSeconds(60);

    private record Verified(Caller caller, Instant expires) {}

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final Cache<String, Verified> verified = CacheBuilder.newBuilder()
            .maximumSize(10_000)
            .expireAfterWrite(VERIFIED_TTL)
            .build();

    /**
     * @param jwks an {@code https://} (or, on loopback and in tests, {@code http://}) URL or a file path
     * @throws IllegalArgumentException when {@code jwks} is neither
     */
    JwtVerifier(String jwks, String issuer, String audience) {
        JWKSource<SecurityContext> keys = JWKSourceBuilder.create(url(jwks))
                .cache(KEYS_TTL.toMillis(), JWKSourceBuilder.DEFAULT_CACHE_REFRESH_TIMEOUT)
                .refreshAheadCache(true)
                .build();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256), keys));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(audience,
                new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("sub", "exp"));
        claims.setMaxClockSkew((int) CLOCK_SKEW.toSeconds());
        processor.setJWTClaimsSetVerifier(claims);
    }

    /** The caller of a token verified within {@link #VERIFIED_TTL} and not expired since, if any: no I/O, no signature check. */
    Optional<Caller> remembered(String token) {
        Verified known = verified.getIfPresent(token);
        return known != null && Instant.now().isBefore(known.expires()) ? Optional.of(known.caller()) : Optional.empty();
    }

    /**
     * The caller the token names, once its signature and claims hold; remembered for {@link #remembered}.
     * May fetch the JWKS (an unknown {@code kid}, an expired cache), so it is called off the event loop.
     */
    Caller verify(String token) throws Refused {
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (KeySourceException e) {
            throw new Refused(Status.Code.UNAVAILABLE, "keys_unavailable", claimedSubject(token),
                    "the keys to verify the token cannot be fetched now; retry later");
        } catch (ParseException | BadJOSEException | JOSEException e) {
            throw new Refused("invalid_token", claimedSubject(token), "the token is not valid: " + e.getMessage());
        }
        Caller caller = new Caller(claims.getSubject(), models(claims), scopes(claims).contains(ADMIN_SCOPE));
        verified.put(token, new Verified(caller, claims.getExpirationTime().toInstant()));
        return caller;
    }

    private static Optional<Set<String>> models(JWTClaimsSet claims) throws Refused {
        Object value = claims.getClaim(MODELS_CLAIM);
        if (value == null) {
            return Optional.empty();
        }
        Set<String> names = names(value);
        if (names == null) {
            throw new Refused("invalid_token", claims.getSubject(),
                    "the token's '" + MODELS_CLAIM + "' claim must be an array of model names or a string of them");
        }
        return Optional.of(names);
    }

    private static Set<String> scopes(JWTClaimsSet claims) {
        Set<String> scope = names(claims.getClaim("scope"));
        Set<String> scp = names(claims.getClaim("scp"));
        return scope != null ? scope : scp != null ? scp : Set.of();
    }

    /** A string of space-separated names or an array of strings; null for anything else. */
    private static Set<String> names(Object value) {
        if (value instanceof String text) {
            return text.isBlank() ? Set.of() : Set.of(text.strip().split("\\s+"));
        }
        if (value instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
            return Set.copyOf(list.stream().map(String.class::cast).toList());
        }
        return null;
    }

    /** For the log line only: the subject a refused token claims, unverified, or {@code -}. */
    private static String claimedSubject(String token) {
        try {
            String subject = JWTParser.parse(token).getJWTClaimsSet().getSubject();
            return subject != null ? subject + " (unverified)" : "-";
        } catch (ParseException e) {
            return "-";
        }
    }

    private static URL url(String jwks) {
        try {
            if (jwks.startsWith("https://") || jwks.startsWith("http://")) {
                return URI.create(jwks).toURL();
            }
            return Path.of(jwks).toAbsolutePath().toUri().toURL();
        } catch (MalformedURLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("--jwks must be an https:// URL or a file, was " + jwks, e);
        }
    }
}
