package dev.inference.gateway.errors;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.DecoratingHttpServiceFunction;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.grpc.Status;

/**
 * Refuses a unary gRPC call whose body holds more than one message. Armeria's unary call reads the
 * first message and ignores the rest, where grpc-java's server fails the call; a gateway that
 * answers part of a malformed call would hide the client's bug. INVALID_ARGUMENT, not INTERNAL: the
 * fault is the caller's, and the gateway's error-rate metrics count INTERNAL as its own.
 */
public final class OneMessagePerUnaryCall implements DecoratingHttpServiceFunction {

    private static final int PREFIX = 5;

    private final String unaryServicePrefix;

    /** @param serviceName the full name of a service whose methods are all unary */
    public OneMessagePerUnaryCall(String serviceName) {
        this.unaryServicePrefix = "/" + serviceName + "/";
    }

    @Override
    public HttpResponse serve(HttpService delegate, ServiceRequestContext ctx, HttpRequest req) throws Exception {
        MediaType type = req.contentType();
        if (type == null || (!type.subtype().equals("grpc") && !type.subtype().startsWith("grpc+"))
                || !ctx.path().startsWith(unaryServicePrefix)) {
            return delegate.serve(ctx, req);
        }
        return HttpResponse.of(req.aggregate().thenApply(aggregated -> {
            HttpData body = aggregated.content();
            if (body.length() > PREFIX && body.length() > PREFIX + declaredLength(body.array())) {
                return refuse("a unary call carries exactly one message; this one has more after the first");
            }
            try {
                return delegate.serve(ctx, aggregated.toHttpRequest());
            } catch (Exception e) {
                return HttpResponse.ofFailure(e);
            }
        }));
    }

    private static long declaredLength(byte[] frame) {
        return ((frame[1] & 0xffL) << 24) | ((frame[2] & 0xffL) << 16) | ((frame[3] & 0xffL) << 8) | (frame[4] & 0xffL);
    }

    /** A trailers-only gRPC answer. */
    private static HttpResponse refuse(String message) {
        return HttpResponse.of(ResponseHeaders.builder(200)
                .contentType(MediaType.parse("application/grpc"))
                .add("grpc-status", String.valueOf(Status.Code.INVALID_ARGUMENT.value()))
                .add("grpc-message", message)
                .build());
    }
}
