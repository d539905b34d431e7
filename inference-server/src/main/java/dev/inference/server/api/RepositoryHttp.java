package dev.inference.server.api;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.inference.api.RepositoryIndexJson;
import dev.inference.server.registry.RepositoryControl;
import io.grpc.Status;
import io.grpc.StatusException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The model repository extension's HTTP routes, as Triton serves them, under
 * {@value #PREFIX} on the management port: {@code POST index} answers a JSON array of
 * {@code {name, version, state, reason}}; {@code POST models/{name}/load} and {@code unload}
 * answer 200 with an empty body once done. Errors are {@code {"error": "..."}}, a method other than
 * POST (405) included.
 */
public final class RepositoryHttp implements HttpHandler {

    public static final String PREFIX = "/v2/repository/";
    private static final Pattern MODEL_ACTION = Pattern.compile("models/([^/]+)/(load|unload)");
    private static final int MAX_BODY_BYTES = 64 * 1024;

    private final Supplier<RepositoryControl> control;
    private final Executor changes;

    /**
     * @param control the repository's control, or null while the server starts
     * @param changes where loads and unloads run: they take as long as a model takes to load
     */
    public RepositoryHttp(Supplier<RepositoryControl> control, Executor changes) {
        this.control = control;
        this.changes = changes;
    }

    /** Only POSTs reach here: {@link ManagementServer} answers other methods. */
    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String route = exchange.getRequestURI().getPath().substring(PREFIX.length());
        JsonObject body;
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                error(exchange, 413, "the request body is over " + MAX_BODY_BYTES + " bytes");
                return;
            }
            String text = new String(bytes, StandardCharsets.UTF_8).strip();
            body = text.isEmpty() ? new JsonObject() : JsonParser.parseString(text).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            error(exchange, 400, "the request body is not a JSON object");
            return;
        }
        RepositoryControl current = control.get();
        if (current == null) {
            error(exchange, 503, "the server is starting: models are loading");
            return;
        }
        if (route.equals("index")) {
            boolean ready = body.has("ready") && body.get("ready").isJsonPrimitive() && body.get("ready").getAsBoolean();
            ManagementServer.respond(exchange, 200, "application/json", RepositoryIndexJson.of(RepositoryService.index(current, ready)));
            return;
        }
        Matcher action = MODEL_ACTION.matcher(route);
        if (!action.matches()) {
            error(exchange, 404, "no route " + exchange.getRequestURI().getPath() + ": try " + PREFIX + "index or "
                    + PREFIX + "models/{name}/load or /unload");
            return;
        }
        String model = action.group(1);
        boolean load = action.group(2).equals("load");
        changes.execute(() -> {
            try {
                try {
                    if (load) {
                        current.load(model);
                    } else {
                        current.unload(model);
                    }
                    ManagementServer.respond(exchange, 200, "application/json", "");
                } catch (StatusException e) {
                    error(exchange, httpStatus(e.getStatus().getCode()), e.getStatus().getDescription());
                }
            } catch (IOException clientGone) {
                exchange.close();
            }
        });
    }

    private static int httpStatus(Status.Code code) {
        return switch (code) {
            case NOT_FOUND -> 404;
            case UNAVAILABLE -> 503;
            default -> 400;
        };
    }

    /** An error in the extension's shape, {@code {"error": "..."}}. */
    static void error(HttpExchange exchange, int status, String message) throws IOException {
        JsonObject error = new JsonObject();
        error.addProperty("error", message);
        ManagementServer.respond(exchange, status, "application/json", error.toString());
    }
}
