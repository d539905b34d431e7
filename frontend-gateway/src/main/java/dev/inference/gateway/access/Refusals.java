package dev.inference.gateway.access;

import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.grpc.protocol.GrpcHeaderNames;
import com.linecorp.armeria.common.grpc.protocol.StatusMessageEscaper;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.inference.gateway.errors.RestErrors;
import dev.inference.gateway.openai.OpenAiEmbeddings;
import dev.inference.gateway.openinference.OpenInferenceRestService;
import io.grpc.Status;

/**
 * A call the edge refuses before it reaches a service (no credential, too many calls), answered in
 * the shape of the API it was made to: a trailers-only gRPC status for gRPC and gRPC-Web, the Open
 * Inference Protocol's {@code {"error": ...}} under {@code /v2}, and the REST API's error object
 * elsewhere; {@code extra} headers (a challenge, retry advice) go with each, as trailers of a
 * gRPC answer.
 */
public final class Refusals {

    private Refusals() {}

    public static HttpResponse of(ServiceRequestContext ctx, Status.Code code, String message, HttpHeaders extra) {
        // The call's one log line (ErrorLog) gives the cause's message as its reason, for every API.
        ctx.logBuilder().responseCause(new Refused(code, "refused", "-", message));
        RequestHeaders request = ctx.request().headers();
        if (RestErrors.isGrpc(request)) {
            ResponseHeaders headers = ResponseHeaders.builder(HttpStatus.OK)
                    .contentType(request.contentType())
                    .add(GrpcHeaderNames.GRPC_STATUS, Integer.toString(code.value()))
                    .add(GrpcHeaderNames.GRPC_MESSAGE, StatusMessageEscaper.escape(message))
                    .add(extra)
                    .build();
            return HttpResponse.of(headers);
        }
        HttpStatus status = RestErrors.httpStatus(ctx, code.toStatus());
        String path = request.path();
        AggregatedHttpResponse body = path.equals(OpenInferenceRestService.PREFIX) || path.startsWith(OpenInferenceRestService.PREFIX + "/")
                ? OpenInferenceRestService.renderStatus(status, request.method().name(), path, message)
                : OpenAiEmbeddings.isItsPath(path) ? OpenAiEmbeddings.error(status, message, null)
                : RestErrors.json(status, message);
        return AggregatedHttpResponse.of(body.headers().toBuilder().add(extra).build(), body.content()).toHttpResponse();
    }
}
