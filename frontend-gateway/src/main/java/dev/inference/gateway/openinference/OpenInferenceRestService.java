package dev.inference.gateway.openinference;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.annotation.Get;
import com.linecorp.armeria.server.annotation.Head;
import com.linecorp.armeria.server.annotation.Param;
import com.linecorp.armeria.server.annotation.Path;
import com.linecorp.armeria.server.annotation.Post;
import dev.inference.gateway.errors.RestErrors;
import dev.inference.gateway.forwarding.Answer;
import dev.inference.gateway.forwarding.Forwarder;
import dev.inference.gateway.forwarding.UpstreamCall;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse;
import inference.GrpcPredictV2.ModelMetadataRequest;
import inference.GrpcPredictV2.ModelReadyRequest;
import inference.GrpcPredictV2.ServerLiveRequest;
import inference.GrpcPredictV2.ServerMetadataRequest;
import inference.GrpcPredictV2.ServerReadyRequest;
import io.grpc.Status;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The Open Inference Protocol's REST API under {@code /v2} (required_api.md) as an Armeria annotated
 * service, forwarded like every other call ({@link Forwarder}: pinning, the local split, deadlines,
 * request ids): health answers 200 for true and 400 for false with an empty body; errors are
 * {@code {"error": "<message>"}} with the HTTP status of the server's gRPC code. Armeria's routing
 * answers a path it does not know (404) or a method a path does not take (405); {@link #renderStatus}
 * words those in the protocol's shape.
 */
public final class OpenInferenceRestService {

    /** Where this service's routes live; errors Armeria renders for paths under it take the protocol's shape. */
    public static final String PREFIX = "/v2";

    private final Forwarder forwarder;
    private final BiConsumer<ModelInferRequest, Answer<ModelInferResponse>> afterInfer;

    /** @param afterInfer what happens with an inference answer once the client has it (the shadow) */
    public OpenInferenceRestService(Forwarder forwarder,
            BiConsumer<ModelInferRequest, Answer<ModelInferResponse>> afterInfer) {
        this.forwarder = forwarder;
        this.afterInfer = afterInfer;
    }

    @Get
    @Head
    @Path("/v2")
    @Path("/v2/")
    public CompletableFuture<HttpResponse> serverMetadata(ServiceRequestContext ctx) {
        return json(ctx, "ServerMetadata", null, (upstream, attempt) -> attempt.configure(upstream.openInference())
                .serverMetadata(ServerMetadataRequest.getDefaultInstance()), JsonTensors::serverMetadata);
    }

    @Get
    @Head
    @Path("/v2/health/live")
    public CompletableFuture<HttpResponse> serverLive(ServiceRequestContext ctx) {
        return health(ctx, "ServerLive", null, (upstream, attempt) -> attempt.configure(upstream.openInference())
                .serverLive(ServerLiveRequest.getDefaultInstance()), response -> response.getLive());
    }

    @Get
    @Head
    @Path("/v2/health/ready")
    public CompletableFuture<HttpResponse> serverReady(ServiceRequestContext ctx) {
        return health(ctx, "ServerReady", null, (upstream, attempt) -> attempt.configure(upstream.openInference())
                .serverReady(ServerReadyRequest.getDefaultInstance()), response -> response.getReady());
    }

    @Get
    @Head
    @Path("/v2/models/{name}")
    public CompletableFuture<HttpResponse> modelMetadata(ServiceRequestContext ctx, @Param("name") String name) {
        return modelMetadata(ctx, name, "");
    }

    @Get
    @Head
    @Path("/v2/models/{name}/versions/{version}")
    public CompletableFuture<HttpResponse> modelMetadata(ServiceRequestContext ctx, @Param("name") String name,
            @Param("version") String version) {
        ModelMetadataRequest request = ModelMetadataRequest.newBuilder().setName(name).setVersion(version).build();
        return json(ctx, "ModelMetadata", name, (upstream, attempt) -> attempt.configure(upstream.openInference())
                .modelMetadata(request), JsonTensors::modelMetadata);
    }

    @Get
    @Head
    @Path("/v2/models/{name}/ready")
    public CompletableFuture<HttpResponse> modelReady(ServiceRequestContext ctx, @Param("name") String name) {
        return modelReady(ctx, name, "");
    }

    @Get
    @Head
    @Path("/v2/models/{name}/versions/{version}/ready")
    public CompletableFuture<HttpResponse> modelReady(ServiceRequestContext ctx, @Param("name") String name,
            @Param("version") String version) {
        ModelReadyRequest request = ModelReadyRequest.newBuilder().setName(name).setVersion(version).build();
        return health(ctx, "ModelReady", name, (upstream, attempt) -> attempt.configure(upstream.openInference())
                .modelReady(request), response -> response.getReady());
    }

    @Post
    @Path("/v2/models/{name}/infer")
    public CompletableFuture<HttpResponse> modelInfer(ServiceRequestContext ctx, @Param("name") String name,
            AggregatedHttpRequest body) {
        return modelInfer(ctx, name, "", body);
    }

    @Post
    @Path("/v2/models/{name}/versions/{version}/infer")
    public CompletableFuture<HttpResponse> modelInfer(ServiceRequestContext ctx, @Param("name") String name,
            @Param("version") String version, AggregatedHttpRequest body) {
        ModelInferRequest request;
        try {
            request = JsonTensors.inferRequest(name, version, JsonParser.parseString(body.contentUtf8()));
        } catch (JsonTensors.MalformedJson | JsonParseException | IllegalStateException e) {
            return CompletableFuture.completedFuture(error(HttpStatus.BAD_REQUEST,
                    "the body is not an inference request: " + e.getMessage()).toHttpResponse());
        }
        return json(ctx, "ModelInfer", name, (upstream, attempt) -> attempt.configure(upstream.openInference())
                .modelInfer(request), answer -> afterInfer.accept(request, answer), JsonTensors::inferResponse);
    }

    /**
     * The protocol's shape of an error Armeria renders for a path under {@link #PREFIX}: an unknown
     * path, or a method the path does not take (with {@code Allow}).
     */
    public static AggregatedHttpResponse renderStatus(HttpStatus status, String method, String path, String otherwise) {
        if (status.code() == HttpStatus.NOT_FOUND.code()) {
            return error(status, "no such Open Inference Protocol path: " + path);
        }
        if (status.code() == HttpStatus.METHOD_NOT_ALLOWED.code()) {
            // Inference is the one POST of the protocol; everything else is read with GET.
            String allow = path.endsWith("/infer") ? "POST" : "GET, HEAD";
            AggregatedHttpResponse error = error(status, method + " is not allowed here; allowed: " + allow);
            return AggregatedHttpResponse.of(error.headers().toBuilder().set("allow", allow).build(), error.content());
        }
        return error(status, otherwise);
    }

    /** A call whose answer is a JSON object. */
    private <R> CompletableFuture<HttpResponse> json(ServiceRequestContext ctx, String method, String model,
            UpstreamCall<R> call, Function<R, JsonObject> body) {
        return json(ctx, method, model, call, answer -> { }, body);
    }

    /** As {@link #json(ServiceRequestContext, String, UpstreamCall, Function)}, handing the answer on once sent. */
    private <R> CompletableFuture<HttpResponse> json(ServiceRequestContext ctx, String method, String model,
            UpstreamCall<R> call, Consumer<Answer<R>> afterAnswer, Function<R, JsonObject> body) {
        return forward(ctx, method, model, call, afterAnswer, answer -> HttpResponse.builder().status(HttpStatus.OK)
                .content(MediaType.JSON_UTF_8, body.apply(answer).toString()).build());
    }

    /** A health call: 200 for true, 400 for false, no body, as the specification says. */
    private <R> CompletableFuture<HttpResponse> health(ServiceRequestContext ctx, String method, String model,
            UpstreamCall<R> call, Predicate<R> healthy) {
        return forward(ctx, method, model, call, answer -> { },
                answer -> HttpResponse.of(ResponseHeaders.of(healthy.test(answer) ? HttpStatus.OK : HttpStatus.BAD_REQUEST)));
    }

    /** Forwards the call; a gRPC status becomes the HTTP status and {@code {"error": ...}} of the specification. */
    private <R> CompletableFuture<HttpResponse> forward(ServiceRequestContext ctx, String method, String model,
            UpstreamCall<R> call, Consumer<Answer<R>> afterAnswer, Function<R, HttpResponse> ok) {
        return forwarder.forward(ctx, method, model, call, afterAnswer).handle((answer, error) -> {
            if (error == null) {
                return ok.apply(answer);
            }
            Status status = Status.fromThrowable(error);
            return error(RestErrors.httpStatus(ctx, status),
                    status.getDescription() != null ? status.getDescription() : status.getCode().name()).toHttpResponse();
        });
    }

    public static AggregatedHttpResponse error(HttpStatus status, String message) {
        JsonObject body = new JsonObject();
        body.addProperty("error", message);
        return AggregatedHttpResponse.of(status, MediaType.JSON_UTF_8, body.toString());
    }
}
