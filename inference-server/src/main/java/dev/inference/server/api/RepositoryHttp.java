package dev.inference.server.api;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.annotation.Param;
import com.linecorp.armeria.server.annotation.Post;
import dev.inference.api.RepositoryIndexJson;
import dev.inference.server.registry.RepositoryControl;
import io.grpc.Status;
import io.grpc.StatusException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The model repository extension's HTTP routes, as Triton serves them, under {@value #PREFIX} on
 * the management port (an Armeria annotated service): {@code POST index} answers a JSON array of
 * {@code {name, version, state, reason}}; {@code POST models/{name}/load} and {@code unload} answer
 * 200 with an empty body once done. Errors are {@code {"error": "..."}}, those Armeria answers
 * itself (404, 405, 413) included ({@link ManagementServer}).
 */
public final class RepositoryHttp {

    public static final String PREFIX = "/v2/repository/";

    private final Supplier<RepositoryControl> control;
    private final Executor changes;

    /**
     * @param control the repository's control, or null while the server starts
     * @param changes where loads and unloads run, one at a time: they take as long as a model takes to load
     */
    public RepositoryHttp(Supplier<RepositoryControl> control, Executor changes) {
        this.control = control;
        this.changes = changes;
    }

    @Post(PREFIX + "index")
    public HttpResponse index(AggregatedHttpRequest request) {
        JsonObject body;
        try {
            String text = request.contentUtf8().strip();
            body = text.isEmpty() ? new JsonObject() : JsonParser.parseString(text).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            return error(HttpStatus.BAD_REQUEST, "the request body is not a JSON object").toHttpResponse();
        }
        RepositoryControl current = control.get();
        if (current == null) {
            return starting();
        }
        boolean ready = body.has("ready") && body.get("ready").isJsonPrimitive() && body.get("ready").getAsBoolean();
        return HttpResponse.of(HttpStatus.OK, MediaType.JSON, RepositoryIndexJson.of(RepositoryService.index(current, ready)));
    }

    @Post(PREFIX + "models/{name}/load")
    public HttpResponse load(@Param("name") String model) {
        return change(model, true);
    }

    @Post(PREFIX + "models/{name}/unload")
    public HttpResponse unload(@Param("name") String model) {
        return change(model, false);
    }

    private HttpResponse change(String model, boolean load) {
        RepositoryControl current = control.get();
        if (current == null) {
            return starting();
        }
        return HttpResponse.of(CompletableFuture.supplyAsync(() -> {
            try {
                if (load) {
                    current.load(model);
                } else {
                    current.unload(model);
                }
                return HttpResponse.of(HttpStatus.OK, MediaType.JSON, "");
            } catch (StatusException e) {
                return error(httpStatus(e.getStatus().getCode()), e.getStatus().getDescription()).toHttpResponse();
            }
        }, changes));
    }

    private static HttpResponse starting() {
        return error(HttpStatus.SERVICE_UNAVAILABLE, "the server is starting: models are loading").toHttpResponse();
    }

    private static HttpStatus httpStatus(Status.Code code) {
        return switch (code) {
            case NOT_FOUND -> HttpStatus.NOT_FOUND;
            case UNAVAILABLE -> HttpStatus.SERVICE_UNAVAILABLE;
            default -> HttpStatus.BAD_REQUEST;
        };
    }

    /** An error in the extension's shape. */
    static AggregatedHttpResponse error(HttpStatus status, String message) {
        JsonObject error = new JsonObject();
        error.addProperty("error", message);
        return AggregatedHttpResponse.of(status, MediaType.JSON, error.toString());
    }
}
