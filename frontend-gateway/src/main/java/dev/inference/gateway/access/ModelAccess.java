package dev.inference.gateway.access;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.inference.gateway.metrics.GatewayMetrics;
import io.grpc.Status;
import java.util.Optional;

/**
 * Whether the caller of a call may use its model: the model is in the request message, so this is
 * asked where the call is forwarded, after {@link Authenticator} attached the caller. A call with
 * no model ({@code ListModels}, server metadata) and a gateway without authentication pass.
 */
public final class ModelAccess {

    private final GatewayMetrics metrics;

    public ModelAccess(GatewayMetrics metrics) {
        this.metrics = metrics;
    }

    /** PERMISSION_DENIED, with the RFC 6750 challenge on the response, when the caller may not call {@code model}. */
    public Optional<Status> refusal(ServiceRequestContext ctx, String model) {
        Optional<Caller> caller = Caller.of(ctx);
        if (model == null || model.isEmpty() || caller.isEmpty() || caller.get().mayCall(model)) {
            return Optional.empty();
        }
        metrics.authRefused("forbidden_model");
        String message = "client " + caller.get().id() + " may not call model " + model;
        ctx.mutateAdditionalResponseHeaders(headers -> headers.set(HttpHeaderNames.WWW_AUTHENTICATE,
                Authenticator.insufficientScope(message)));
        return Optional.of(Status.PERMISSION_DENIED.withDescription(message));
    }
}
