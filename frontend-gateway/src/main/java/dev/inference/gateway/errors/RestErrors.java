package dev.inference.gateway.errors;

import com.google.gson.JsonObject;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.annotation.Nullable;
import com.linecorp.armeria.server.ServerErrorHandler;
import com.linecorp.armeria.server.ServiceConfig;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.grpc.UnframedGrpcErrorHandler;
import com.linecorp.armeria.server.grpc.UnframedGrpcStatusMappingFunction;
import dev.inference.gateway.openai.OpenAiEmbeddings;
import dev.inference.gateway.openinference.OpenInferenceRestService;
import io.grpc.Status;
import java.util.Locale;

/**
 * Every REST error as JSON in the Google API error shape,
 * {@code {"error":{"code":404,"status":"NOT_FOUND","message":"..."}}}, with the HTTP status that
 * matches the gRPC code. gRPC clients keep getting plain gRPC statuses.
 */
public final class RestErrors implements UnframedGrpcErrorHandler, ServerErrorHandler {

    private static final UnframedGrpcStatusMappingFunction STATUS_MAPPING = UnframedGrpcStatusMappingFunction.of();

    private final RestRoutes routes;

    /** @param routes the REST routes, whose methods a 405 names in {@code Allow} */
    public RestErrors(RestRoutes routes) {
        this.routes = routes;
    }

    /** Transcoded calls that ended with a gRPC status other than OK. */
    @Override
    public HttpResponse handle(ServiceRequestContext ctx, Status status, AggregatedHttpResponse response) {
        String message = status.getDescription() != null ? status.getDescription() : defaultMessage(status.getCode());
        return json(httpStatus(ctx, status), status.getCode(), message).toHttpResponse();
    }

    @Override
    public HttpResponse onServiceException(ServiceRequestContext ctx, Throwable cause) {
        return null; // Armeria's default handling, which then renders the status below
    }

    /**
     * Errors Armeria produces itself: unknown route, body too large, timeouts, and protocol
     * violations, which come without a context or, when the request line or headers could not be
     * read, without headers (a bad path encoding, a path or header block over the limits).
     */
    @Override
    public AggregatedHttpResponse renderStatus(@Nullable ServiceRequestContext ctx, ServiceConfig config,
            @Nullable RequestHeaders headers, HttpStatus status, @Nullable String description, @Nullable Throwable cause) {
        if (headers != null && isGrpc(headers)) {
            return null;
        }
        Status.Code code = grpcCode(status);
        String message = switch (status.code()) {
            case 400 -> headers == null || ctx == null
                    ? "the request is malformed: " + (description != null ? description : "the request line or headers cannot be read")
                    : "the request is malformed: the body must be JSON matching the method's request message";
            case 404 -> "no route for " + headers.method() + " " + headers.path();
            case 405 -> headers.method() + " is not allowed on " + headers.path();
            case 413 -> "the request body is larger than the " + config.maxRequestLength() + "-byte limit";
            case 414 -> "the request path is longer than the server accepts";
            case 431 -> "the request headers are larger than the server accepts";
            case 503 -> "the service is unavailable; retry later";
            case 504 -> "the request took longer than its deadline";
            default -> status.reasonPhrase();
        };
        if (headers == null && (status.code() == 404 || status.code() == 405)) {
            message = status.reasonPhrase();
        }
        if (headers != null && (headers.path().equals(OpenInferenceRestService.PREFIX)
                || headers.path().startsWith(OpenInferenceRestService.PREFIX + "/"))) {
            return OpenInferenceRestService.renderStatus(status, headers.method().name(), headers.path(), message);
        }
        if (headers != null && OpenAiEmbeddings.isItsPath(headers.path())) {
            AggregatedHttpResponse error = OpenAiEmbeddings.error(status, message, null);
            return status.code() == 405 ? AggregatedHttpResponse.of(error.headers().toBuilder()
                    .set(HttpHeaderNames.ALLOW, "POST").build(), error.content()) : error;
        }
        AggregatedHttpResponse error = json(status, code, message);
        if (status.code() == 405 && headers != null) {
            String allow = routes.allowHeader(headers.path());
            if (!allow.isEmpty()) {
                return AggregatedHttpResponse.of(error.headers().toBuilder().set(HttpHeaderNames.ALLOW, allow).build(),
                        error.content());
            }
        }
        return error;
    }

    /** An error of the gateway's own endpoints, in the same shape, its code derived from the HTTP status. */
    public static AggregatedHttpResponse json(HttpStatus status, String message) {
        return json(status, grpcCode(status), message);
    }

    public static boolean isGrpc(RequestHeaders headers) {
        MediaType type = headers.contentType();
        return type != null && type.subtype().startsWith("grpc");
    }

    static AggregatedHttpResponse json(HttpStatus status, Status.Code code, String message) {
        JsonObject error = new JsonObject();
        error.addProperty("code", status.code());
        error.addProperty("status", code.name());
        error.addProperty("message", message);
        JsonObject body = new JsonObject();
        body.add("error", error);
        return AggregatedHttpResponse.of(status, MediaType.JSON_UTF_8, body.toString());
    }

    /**
     * The HTTP status of a call's gRPC status: Armeria's own mapping for unframed gRPC, Google's
     * {@code code.proto} table (the API contract, docs/api.md), which also tells a call its server
     * timed out (503) from one whose client went away (499).
     */
    public static HttpStatus httpStatus(ServiceRequestContext ctx, Status status) {
        HttpStatus mapped = STATUS_MAPPING.apply(ctx, status, null);
        return mapped != null && !mapped.equals(HttpStatus.UNKNOWN) ? mapped : HttpStatus.INTERNAL_SERVER_ERROR;
    }


    private static Status.Code grpcCode(HttpStatus status) {
        return switch (status.code()) {
            case 400 -> Status.Code.INVALID_ARGUMENT;
            case 401 -> Status.Code.UNAUTHENTICATED;
            case 403 -> Status.Code.PERMISSION_DENIED;
            case 404 -> Status.Code.NOT_FOUND;
            case 405, 501 -> Status.Code.UNIMPLEMENTED;
            case 409 -> Status.Code.FAILED_PRECONDITION;
            case 413, 414, 431, 429 -> Status.Code.RESOURCE_EXHAUSTED;
            case 503 -> Status.Code.UNAVAILABLE;
            case 504 -> Status.Code.DEADLINE_EXCEEDED;
            default -> Status.Code.INTERNAL;
        };
    }

    private static String defaultMessage(Status.Code code) {
        return code == Status.Code.INVALID_ARGUMENT ? "the request is malformed" : code.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
