package dev.inference.gateway.openinference;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonParseException;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.inference.gateway.errors.RestErrors;
import dev.inference.gateway.forwarding.Forwarder;
import dev.inference.gateway.forwarding.UpstreamCall;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelMetadataRequest;
import inference.GrpcPredictV2.ModelReadyRequest;
import inference.GrpcPredictV2.ServerLiveRequest;
import inference.GrpcPredictV2.ServerMetadataRequest;
import inference.GrpcPredictV2.ServerReadyRequest;
import io.grpc.Status;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Open Inference Protocol's REST API under {@code /v2} (required_api.md), forwarded like every
 * other call ({@link Forwarder}: pinning, the local split, deadlines, request ids): health answers
 * 200 for true and 400 for false with an empty body; errors are {@code {"error": "<message>"}} with
 * the HTTP status of the server's gRPC code.
 */
public final class OpenInferenceRestService implements HttpService {

    private static final Pattern MODEL = Pattern.compile("/v2/models/([^/]+)(?:/versions/([^/]+))?(/ready|/infer)?");

    private final Forwarder forwarder;

    public OpenInferenceRestService(Forwarder forwarder) {
        this.forwarder = forwarder;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
        String path = ctx.decodedPath();
        HttpMethod method = req.method();
        switch (path) {
            case "/v2", "/v2/" -> {
                return get(method, () -> json(ctx, "ServerMetadata", (upstream, attempt) -> attempt
                        .configure(upstream.openInference()).serverMetadata(ServerMetadataRequest.getDefaultInstance()),
                        JsonTensors::serverMetadata));
            }
            case "/v2/health/live" -> {
                return get(method, () -> health(ctx, "ServerLive", (upstream, attempt) -> attempt
                        .configure(upstream.openInference()).serverLive(ServerLiveRequest.getDefaultInstance()),
                        response -> response.getLive()));
            }
            case "/v2/health/ready" -> {
                return get(method, () -> health(ctx, "ServerReady", (upstream, attempt) -> attempt
                        .configure(upstream.openInference()).serverReady(ServerReadyRequest.getDefaultInstance()),
                        response -> response.getReady()));
            }
            default -> {
                // A model or version name is one path segment: the pattern stops at "/".
            }
        }
        Matcher model = MODEL.matcher(path);
        if (!model.matches()) {
            return error(HttpStatus.NOT_FOUND, "no such Open Inference Protocol path: " + path);
        }
        String name = model.group(1);
        String version = model.group(2) == null ? "" : model.group(2);
        String action = model.group(3) == null ? "" : model.group(3);
        return switch (action) {
            case "/ready" -> get(method, () -> health(ctx, "ModelReady", (upstream, attempt) -> attempt
                    .configure(upstream.openInference())
                    .modelReady(ModelReadyRequest.newBuilder().setName(name).setVersion(version).build()),
                    response -> response.getReady()));
            case "/infer" -> method != HttpMethod.POST
                    ? notAllowed("POST")
                    : HttpResponse.of(req.aggregate().thenCompose(body -> {
                        ModelInferRequest request;
                        try {
                            request = JsonTensors.inferRequest(name, version, JsonParser.parseString(body.contentUtf8()));
                        } catch (JsonTensors.MalformedJson | JsonParseException | IllegalStateException e) {
                            return CompletableFuture.completedFuture(error(HttpStatus.BAD_REQUEST,
                                    "the body is not an inference request: " + e.getMessage()));
                        }
                        return json(ctx, "ModelInfer", (upstream, attempt) -> attempt.configure(upstream.openInference())
                                .modelInfer(request), JsonTensors::inferResponse);
                    }));
            default -> get(method, () -> json(ctx, "ModelMetadata", (upstream, attempt) -> attempt
                    .configure(upstream.openInference())
                    .modelMetadata(ModelMetadataRequest.newBuilder().setName(name).setVersion(version).build()),
                    JsonTensors::modelMetadata));
        };
    }

    private static HttpResponse get(HttpMethod method, Supplier<CompletableFuture<HttpResponse>> get) {
        return method == HttpMethod.GET || method == HttpMethod.HEAD ? HttpResponse.of(get.get()) : notAllowed("GET, HEAD");
    }

    /** A call whose answer is a JSON object. */
    private <R> CompletableFuture<HttpResponse> json(ServiceRequestContext ctx, String method, UpstreamCall<R> call,
            Function<R, JsonObject> body) {
        return forward(ctx, method, call, answer -> HttpResponse.builder().status(HttpStatus.OK)
                .content(MediaType.JSON_UTF_8, body.apply(answer).toString()).build());
    }

    /** A health call: 200 for true, 400 for false, no body, as the specification says. */
    private <R> CompletableFuture<HttpResponse> health(ServiceRequestContext ctx, String method, UpstreamCall<R> call,
            Predicate<R> healthy) {
        return forward(ctx, method, call, answer -> HttpResponse.of(ResponseHeaders.of(healthy.test(answer) ? HttpStatus.OK : HttpStatus.BAD_REQUEST)));
    }

    /** Forwards the call; a gRPC status becomes the HTTP status and {@code {"error": ...}} of the specification. */
    private <R> CompletableFuture<HttpResponse> forward(ServiceRequestContext ctx, String method, UpstreamCall<R> call,
            Function<R, HttpResponse> ok) {
        AnswerFuture<R> observer = new AnswerFuture<>();
        ctx.whenRequestCancelled().thenRun(observer::cancel);
        forwarder.forward(ctx, method, observer, call, answer -> { });
        return observer.answer.handle((answer, error) -> {
            if (error == null) {
                return ok.apply(answer);
            }
            Status status = Status.fromThrowable(error);
            return error(RestErrors.httpStatus(status.getCode()),
                    status.getDescription() != null ? status.getDescription() : status.getCode().name());
        });
    }

    private static HttpResponse notAllowed(String allow) {
        return HttpResponse.builder().status(HttpStatus.METHOD_NOT_ALLOWED).header("allow", allow)
                .content(MediaType.JSON_UTF_8, errorBody("the method is not allowed here; allowed: " + allow)).build();
    }

    static HttpResponse error(HttpStatus status, String message) {
        return HttpResponse.builder().status(status).content(MediaType.JSON_UTF_8, errorBody(message)).build();
    }

    private static String errorBody(String message) {
        JsonObject body = new JsonObject();
        body.addProperty("error", message);
        return body.toString();
    }
}
