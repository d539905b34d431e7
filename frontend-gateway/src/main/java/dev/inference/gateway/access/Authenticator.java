package dev.inference.gateway.access;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestContext;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.util.Exceptions;
import com.linecorp.armeria.server.DecoratingHttpServiceFunction;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.inference.gateway.metrics.GatewayMetrics;
import io.grpc.Status;
import io.netty.util.AttributeKey;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may call: with {@code --jwks} or {@code --api-keys-file} configured, every model call
 * ({@link InferenceRoutes}) needs a credential that one of them accepts, checked by a decorator
 * of every service ({@link #decorator()}); without either, the gateway is open, as it says once at
 * start. The caller it finds is attached to the call ({@link Caller#of}) for the model
 * check, the rate limit and the log.
 */
public final class Authenticator {

    /** The realm of the {@code WWW-Authenticate} challenge (RFC 6750, section 3). */
    static final String REALM = "inference";
    private static final Logger log = LoggerFactory.getLogger(Authenticator.class);
    private static final AttributeKey<String> CLIENT_ID = AttributeKey.valueOf(Authenticator.class, "CLIENT_ID");
    private static final Pattern UNQUOTABLE = Pattern.compile("[^\\x20-\\x21\\x23-\\x5b\\x5d-\\x7e]");

    private final Optional<ApiKeys> apiKeys;
    private final Optional<JwtVerifier> jwts;
    private final GatewayMetrics metrics;

    private Authenticator(Optional<ApiKeys> apiKeys, Optional<JwtVerifier> jwts, GatewayMetrics metrics) {
        this.apiKeys = apiKeys;
        this.jwts = jwts;
        this.metrics = metrics;
    }

    /**
     * @param jwks {@code --jwks}, with {@code issuer} and {@code audience} required beside it
     * @throws IllegalArgumentException for a file that cannot be read or a setting missing
     */
    public static Authenticator of(Optional<Path> apiKeysFile, Optional<String> jwks, Optional<String> issuer,
            Optional<String> audience, GatewayMetrics metrics) {
        if (jwks.isPresent() && (issuer.isEmpty() || audience.isEmpty())) {
            throw new IllegalArgumentException("--jwks needs --jwt-issuer and --jwt-audience");
        }
        Authenticator authenticator = new Authenticator(apiKeysFile.map(ApiKeys::new),
                jwks.map(source -> new JwtVerifier(source, issuer.get(), audience.get())), metrics);
        if (!authenticator.enabled()) {
            log.warn("no --jwks and no --api-keys-file: model calls need no credential, anyone who reaches the gateway may call");
        }
        authenticator.apiKeys.ifPresent(keys -> log.info("API keys of {} clients from {}", keys.size(), apiKeysFile.get()));
        return authenticator;
    }

    public boolean enabled() {
        return apiKeys.isPresent() || jwts.isPresent();
    }

    /**
     * Checks every model call's credential before the service sees it; a refused call is answered
     * by {@link #refusal}. Not Armeria's {@code AuthService}, which hands every call on through the
     * event loop even when its decision was made at once ({@link EdgeChecks}).
     */
    public DecoratingHttpServiceFunction decorator() {
        return (delegate, ctx, req) -> {
            if (!enabled() || !InferenceRoutes.isModelCall(ctx.path())) {
                return delegate.serve(ctx, req);
            }
            return EdgeChecks.whenDecided(ctx, authenticate(ctx, req.headers()), (caller, error) -> {
                if (error != null) {
                    return refusal(ctx, refused(error));
                }
                caller.attachTo(ctx);
                ctx.setAttr(CLIENT_ID, caller.id());
                return delegate.serve(ctx, req);
            });
        };
    }

    /** The client id a call was made with, authenticated or refused, for the log; null when none. */
    public static String clientId(RequestContext ctx) {
        return ctx.attr(CLIENT_ID);
    }

    /**
     * The client a request's credential names, or a {@link Refused} failure. API keys and JWTs
     * verified lately are checked here; other JWTs on the blocking executor, since their keys may
     * have to be fetched.
     */
    public CompletableFuture<Caller> authenticate(ServiceRequestContext ctx, RequestHeaders headers) {
        Optional<Credential> credential = Credential.of(headers);
        if (credential.isEmpty()) {
            return CompletableFuture.failedFuture(new Refused("missing", "-", "a credential is required: send"
                    + " 'Authorization: Bearer <API key or JWT>' or '" + Credential.API_KEY_HEADER + ": <API key>'"));
        }
        if (credential.get().jwt() && jwts.isPresent()) {
            Optional<Caller> remembered = jwts.get().remembered(credential.get().value());
            if (remembered.isPresent()) {
                return CompletableFuture.completedFuture(remembered.get());
            }
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return jwts.get().verify(credential.get().value());
                } catch (Refused refused) {
                    throw new CompletionException(refused);
                }
            }, ctx.blockingTaskExecutor());
        }
        if (apiKeys.isEmpty()) {
            return CompletableFuture.failedFuture(new Refused("invalid_token", "-", "the token is not valid: this gateway takes JWTs only"));
        }
        try {
            return CompletableFuture.completedFuture(apiKeys.get().authenticate(credential.get().value()));
        } catch (Refused refused) {
            return CompletableFuture.failedFuture(refused);
        }
    }

    /**
     * The answer to a call refused for {@code refused}, in its API's shape, with the challenge of
     * RFC 6750: {@code invalid_token} for a bad credential, none for a missing one (section 3.1),
     * {@code insufficient_scope} for a model or action the client may not use. Counted, and named
     * in the call's one log line with the client id, never the credential.
     */
    public HttpResponse refusal(ServiceRequestContext ctx, Refused refused) {
        metrics.authRefused(refused.reason());
        ctx.setAttr(CLIENT_ID, refused.clientId());
        HttpHeaders challenge = switch (refused.code()) {
            case UNAUTHENTICATED -> HttpHeaders.of(HttpHeaderNames.WWW_AUTHENTICATE, refused.reason().equals("missing")
                    ? "Bearer realm=\"" + REALM + "\""
                    : challenge("invalid_token", refused.getMessage()));
            case PERMISSION_DENIED -> HttpHeaders.of(HttpHeaderNames.WWW_AUTHENTICATE, insufficientScope(refused.getMessage()));
            default -> HttpHeaders.of();
        };
        return Refusals.of(ctx, refused.code(), refused.getMessage(), challenge);
    }

    static String insufficientScope(String description) {
        return challenge("insufficient_scope", description);
    }

    private static String challenge(String error, String description) {
        return "Bearer realm=\"" + REALM + "\", error=\"" + error + "\", error_description=\""
                + UNQUOTABLE.matcher(description).replaceAll("'") + "\"";
    }

    private static Refused refused(Throwable error) {
        Throwable cause = Exceptions.peel(error);
        if (cause instanceof Refused refused) {
            return refused;
        }
        log.warn("authentication failed unexpectedly", cause);
        return new Refused(Status.Code.UNAVAILABLE, "error", "-", "the credential cannot be checked now; retry later");
    }
}
