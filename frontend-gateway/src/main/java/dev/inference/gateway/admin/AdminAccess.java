package dev.inference.gateway.admin;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.inference.gateway.access.Authenticator;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Who may change traffic: whoever presents the admin token as a bearer token; with client
 * credentials configured ({@link Authenticator}), also a client marked admin (an API key's
 * {@code admin}, a JWT's {@code inference:admin} scope), while any other client is forbidden;
 * with neither a token nor credentials, only clients on the loopback interface (the local
 * platform's own browser).
 */
public record AdminAccess(Optional<String> token, Authenticator clients) {

    /** A request that may not change traffic: its status and why. */
    record Refusal(HttpStatus status, String message) {}

    CompletableFuture<Optional<Refusal>> refusal(ServiceRequestContext ctx) {
        String authorization = ctx.request().headers().get(HttpHeaderNames.AUTHORIZATION);
        if (token.isPresent() && matches(authorization)) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        if (clients.enabled()) {
            return clients.authenticate(ctx, ctx.request().headers()).handle((caller, error) -> error != null
                    ? Optional.of(new Refusal(HttpStatus.UNAUTHORIZED, "a valid admin credential is required"))
                    : caller.admin() ? Optional.empty()
                    : Optional.of(new Refusal(HttpStatus.FORBIDDEN, "client " + caller.id() + " may not change traffic")));
        }
        return CompletableFuture.completedFuture(refusal(ctx.clientAddress(), authorization));
    }

    Optional<Refusal> refusal(InetAddress client, String authorization) {
        if (token.isPresent()) {
            return matches(authorization) ? Optional.empty()
                    : Optional.of(new Refusal(HttpStatus.UNAUTHORIZED, "a valid bearer token is required"));
        }
        return client.isLoopbackAddress() ? Optional.empty()
                : Optional.of(new Refusal(HttpStatus.FORBIDDEN, "admin endpoints answer loopback clients only"));
    }

    private boolean matches(String authorization) {
        String expected = "Bearer " + token.orElseThrow();
        return authorization != null && MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.UTF_8), authorization.getBytes(StandardCharsets.UTF_8));
    }
}
