package dev.inference.gateway.admin;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.QueryParams;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.inference.api.RepositoryIndexJson;
import dev.inference.api.repository.v1.RepositoryIndexRequest;
import dev.inference.api.repository.v1.RepositoryModelLoadRequest;
import dev.inference.api.repository.v1.RepositoryModelUnloadRequest;
import dev.inference.gateway.errors.RestErrors;
import dev.inference.gateway.openinference.OpenInferenceRestService;
import dev.inference.gateway.routing.TrackRouter;
import dev.inference.gateway.routing.Upstream;
import io.grpc.Status;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model repository extension of one inference server, through the gateway, for whoever may
 * change traffic ({@link AdminAccess}): {@code POST /v2/repository/index}, {@code POST
 * /v2/repository/models/{name}/load} and {@code /unload}, answered in the shapes the server's
 * management port answers. In local mode {@code ?track=canary} asks the canary's server, the stable
 * one otherwise; in mesh mode one pod behind the Service answers, and in a cluster its mode is
 * {@code none}, so a load or unload is refused there (docs/delivery.md says why).
 */
public final class RepositoryAdminService implements HttpService {

    public static final String PREFIX = "/v2/repository/";

    private static final Logger log = LoggerFactory.getLogger(RepositoryAdminService.class);
    private static final Pattern MODEL_ACTION = Pattern.compile("models/([^/]+)/(load|unload)");
    /** A load returns once the model is warm: as long as the server's own warm-up may take. */
    private static final long LOAD_TIMEOUT_SECONDS = 180;

    private final List<Upstream> upstreams;
    private final AdminAccess access;

    public RepositoryAdminService(TrackRouter router, AdminAccess access) {
        this.upstreams = router.upstreams();
        this.access = access;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
        // A load takes as long as the model's warm-up, longer than a model call may.
        ctx.setRequestTimeout(java.time.Duration.ofSeconds(LOAD_TIMEOUT_SECONDS + 5));
        return HttpResponse.of(access.refusal(ctx).thenComposeAsync(refused -> refused
                .map(refusal -> done(error(refusal.status(), refusal.message())))
                .orElseGet(() -> permitted(ctx, req)), ctx.eventLoop()));
    }

    private CompletableFuture<HttpResponse> permitted(ServiceRequestContext ctx, HttpRequest req) {
        if (req.method() != HttpMethod.POST) {
            AggregatedHttpResponse notAllowed = OpenInferenceRestService.error(HttpStatus.METHOD_NOT_ALLOWED,
                    "the repository extension's routes take POST");
            return done(HttpResponse.of(notAllowed.headers().toBuilder().add("allow", "POST").build(), notAllowed.content()));
        }
        String track = QueryParams.fromQueryString(ctx.query()).get("track", TrackRouter.Local.STABLE);
        Optional<Upstream> upstream = upstreams.stream()
                .filter(candidate -> candidate.name().equals(track) || candidate.name().equals(Upstream.MESH)).findFirst();
        if (upstream.isEmpty()) {
            return done(error(HttpStatus.BAD_REQUEST, "no track \"" + track + "\"; tracks: "
                    + upstreams.stream().map(Upstream::name).toList()));
        }
        String route = ctx.path().substring(PREFIX.length());
        var stub = upstream.get().repository().withDeadlineAfter(LOAD_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (route.equals("index")) {
            return req.aggregate().thenCompose(body -> {
                Boolean ready = readyOnly(body.contentUtf8());
                return ready == null ? done(error(HttpStatus.BAD_REQUEST,
                        "expected an empty body or a JSON object such as {\"ready\": true}"))
                        : call(ctx, stub.repositoryIndex(RepositoryIndexRequest.newBuilder().setReady(ready).build()),
                                index -> HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, RepositoryIndexJson.of(index)));
            });
        }
        Matcher action = MODEL_ACTION.matcher(route);
        if (!action.matches()) {
            return done(error(HttpStatus.NOT_FOUND, "no route " + ctx.path() + ": try " + PREFIX
                    + "index or " + PREFIX + "models/{name}/load or /unload"));
        }
        String model = action.group(1);
        boolean load = action.group(2).equals("load");
        log.info("{} of model {} on the {} server (by {})", load ? "load" : "unload", model, upstream.get().name(),
                ctx.clientAddress().getHostAddress());
        ListenableFuture<?> change = load
                ? stub.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName(model).build())
                : stub.repositoryModelUnload(RepositoryModelUnloadRequest.newBuilder().setModelName(model).build());
        return call(ctx, change, done -> HttpResponse.of(HttpStatus.OK));
    }

    private static <T> CompletableFuture<HttpResponse> call(ServiceRequestContext ctx, ListenableFuture<T> call,
            Function<T, HttpResponse> answer) {
        CompletableFuture<HttpResponse> response = new CompletableFuture<>();
        call.addListener(() -> {
            try {
                response.complete(answer.apply(call.get()));
            } catch (Exception e) {
                Status status = Status.fromThrowable(e);
                response.complete(error(RestErrors.httpStatus(ctx, status), status.getDescription() != null
                        ? status.getDescription() : status.getCode().toString()));
            }
        }, Runnable::run);
        return response;
    }

    /** The index request's {@code ready}, false when absent; null for a body that is not a JSON object. */
    private static Boolean readyOnly(String body) {
        if (body.isBlank()) {
            return false;
        }
        try {
            JsonElement ready = JsonParser.parseString(body).getAsJsonObject().get("ready");
            return ready != null && ready.isJsonPrimitive() && ready.getAsBoolean();
        } catch (RuntimeException malformed) {
            return null;
        }
    }

    /** Errors in the protocol's own shape, {@code {"error": "<message>"}}, as the server's management port answers. */
    private static HttpResponse error(HttpStatus status, String message) {
        return OpenInferenceRestService.error(status, message).toHttpResponse();
    }

    private static CompletableFuture<HttpResponse> done(HttpResponse response) {
        return CompletableFuture.completedFuture(response);
    }
}
