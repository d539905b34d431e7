package dev.inference.gateway.admin;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.server.ServiceRequestContext;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * Who may change traffic: with a token configured, whoever presents it as a bearer token; without
 * one, only clients on the loopback interface (the local platform's own browser).
 */
public record AdminAccess(Optional<String> token) {

    /** Why the request is refused, or empty when it may proceed. */
    Optional<HttpStatus> refusal(ServiceRequestContext ctx) {
        return refusal(ctx.clientAddress(), ctx.request().headers().get(HttpHeaderNames.AUTHORIZATION));
    }

    Optional<HttpStatus> refusal(InetAddress client, String authorization) {
        if (token.isPresent()) {
            String expected = "Bearer " + token.get();
            boolean matches = authorization != null && MessageDigest.isEqual(
                    expected.getBytes(StandardCharsets.UTF_8), authorization.getBytes(StandardCharsets.UTF_8));
            return matches ? Optional.empty() : Optional.of(HttpStatus.UNAUTHORIZED);
        }
        return client.isLoopbackAddress() ? Optional.empty() : Optional.of(HttpStatus.FORBIDDEN);
    }
}
