package dev.inference.gateway.openai;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.annotation.Post;
import dev.inference.api.v1.EmbedRequest;
import dev.inference.api.v1.EmbedResponse;
import dev.inference.api.v1.Embedding;
import dev.inference.gateway.errors.RestErrors;
import dev.inference.gateway.forwarding.Answer;
import dev.inference.gateway.forwarding.Forwarder;
import io.grpc.Status;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * OpenAI's embeddings API, {@code POST /v1/embeddings}, as retrieval applications and the OpenAI
 * SDKs speak it, over the platform's {@code inference.v1} Embed: {@code model} names a model
 * ({@code name} or {@code name:version}), {@code input} is a string or an array of strings,
 * {@code encoding_format} {@code float} (the API's default) or {@code base64} (little-endian float32,
 * what the official SDKs ask for). Forwarded like every call ({@link Forwarder}: pinning, the local
 * split, deadlines, request ids); errors in OpenAI's shape, {@code {"error": {message, type, param, code}}}.
 */
public final class OpenAiEmbeddings {

    public static final String PATH = "/v1/embeddings";

    private final Forwarder forwarder;
    private final BiConsumer<EmbedRequest, Answer<EmbedResponse>> afterEmbed;

    /** @param afterEmbed what happens with an answer once the client has it (the shadow) */
    public OpenAiEmbeddings(Forwarder forwarder, BiConsumer<EmbedRequest, Answer<EmbedResponse>> afterEmbed) {
        this.forwarder = forwarder;
        this.afterEmbed = afterEmbed;
    }

    /** Whether OpenAI's error shape is the one a client of this path expects. */
    public static boolean isItsPath(String path) {
        return path.equals(PATH);
    }

    @Post(PATH)
    public CompletableFuture<HttpResponse> create(ServiceRequestContext ctx, AggregatedHttpRequest body) {
        Request request;
        try {
            request = Request.parse(body.contentUtf8());
        } catch (BadRequest e) {
            return CompletableFuture.completedFuture(error(HttpStatus.BAD_REQUEST, e.getMessage(), e.param).toHttpResponse());
        }
        EmbedRequest embed = EmbedRequest.newBuilder().setModel(request.model).setVersion(request.version)
                .addAllInstances(request.input).build();
        return forwarder.forward(ctx, "Embed", request.model,
                        (upstream, attempt) -> attempt.configure(upstream.inference()).embed(embed),
                        answer -> afterEmbed.accept(embed, answer))
                .handle((answer, failure) -> failure == null ? ok(answer, request.base64)
                        : failed(ctx, Status.fromThrowable(failure)).toHttpResponse());
    }

    /** The body's fields, checked. */
    private record Request(String model, String version, List<String> input, boolean base64) {

        static Request parse(String json) throws BadRequest {
            JsonObject body;
            try {
                JsonElement parsed = JsonParser.parseString(json);
                if (!parsed.isJsonObject()) {
                    throw new BadRequest("the body must be a JSON object", null);
                }
                body = parsed.getAsJsonObject();
            } catch (JsonParseException e) {
                throw new BadRequest("the body is not JSON: " + e.getMessage(), null);
            }
            String model = string(body, "model");
            int colon = model.lastIndexOf(':');
            String name = colon < 0 ? model : model.substring(0, colon);
            String version = colon < 0 ? "" : model.substring(colon + 1);
            if (name.isEmpty()) {
                throw new BadRequest("model must name a model, as \"name\" or \"name:version\"", "model");
            }
            JsonElement encoding = body.get("encoding_format");
            boolean base64 = false;
            if (encoding != null && !encoding.isJsonNull()) {
                String format = encoding.isJsonPrimitive() ? encoding.getAsString() : "";
                if (!format.equals("float") && !format.equals("base64")) {
                    throw new BadRequest("encoding_format must be \"float\" or \"base64\"", "encoding_format");
                }
                base64 = format.equals("base64");
            }
            if (body.has("dimensions") && !body.get("dimensions").isJsonNull()) {
                throw new BadRequest("dimensions is not supported: every model gives vectors of its own dimension",
                        "dimensions");
            }
            return new Request(name, version, input(body.get("input")), base64);
        }

        private static List<String> input(JsonElement input) throws BadRequest {
            if (input == null || input.isJsonNull()) {
                throw new BadRequest("input is required: a string or an array of strings", "input");
            }
            if (input.isJsonPrimitive() && input.getAsJsonPrimitive().isString()) {
                return List.of(nonEmpty(input.getAsString(), "input"));
            }
            if (!input.isJsonArray() || input.getAsJsonArray().isEmpty()) {
                throw new BadRequest("input must be a string or a non-empty array of strings", "input");
            }
            List<String> texts = new ArrayList<>();
            JsonArray array = input.getAsJsonArray();
            for (int i = 0; i < array.size(); i++) {
                JsonElement text = array.get(i);
                if (!text.isJsonPrimitive() || !text.getAsJsonPrimitive().isString()) {
                    throw new BadRequest("input[" + i + "] is not a string; token arrays are not supported", "input");
                }
                texts.add(nonEmpty(text.getAsString(), "input[" + i + "]"));
            }
            return texts;
        }

        private static String nonEmpty(String text, String name) throws BadRequest {
            if (text.isBlank()) {
                throw new BadRequest(name + " is empty", "input");
            }
            return text;
        }

        private static String string(JsonObject body, String field) throws BadRequest {
            JsonElement value = body.get(field);
            if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
                throw new BadRequest(field + " is required and must be a string", field);
            }
            return value.getAsString();
        }
    }

    private static final class BadRequest extends Exception {
        final String param;

        BadRequest(String message, String param) {
            super(message);
            this.param = param;
        }
    }

    private static HttpResponse ok(EmbedResponse answer, boolean base64) {
        JsonArray data = new JsonArray();
        for (int i = 0; i < answer.getEmbeddingsCount(); i++) {
            JsonObject item = new JsonObject();
            item.addProperty("object", "embedding");
            item.addProperty("index", i);
            Embedding vector = answer.getEmbeddings(i);
            if (base64) {
                item.addProperty("embedding", littleEndianBase64(vector));
            } else {
                JsonArray values = new JsonArray(vector.getValuesCount());
                for (int j = 0; j < vector.getValuesCount(); j++) {
                    values.add(vector.getValues(j));
                }
                item.add("embedding", values);
            }
            data.add(item);
        }
        JsonObject usage = new JsonObject();
        usage.addProperty("prompt_tokens", answer.getPromptTokens());
        usage.addProperty("total_tokens", answer.getPromptTokens());
        JsonObject body = new JsonObject();
        body.addProperty("object", "list");
        body.add("data", data);
        body.addProperty("model", answer.getModel() + ":" + answer.getModelVersion());
        body.add("usage", usage);
        return HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, body.toString());
    }

    private static String littleEndianBase64(Embedding vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.getValuesCount() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int j = 0; j < vector.getValuesCount(); j++) {
            bytes.putFloat(vector.getValues(j));
        }
        return Base64.getEncoder().encodeToString(bytes.array());
    }

    private static AggregatedHttpResponse failed(ServiceRequestContext ctx, Status status) {
        String message = status.getDescription() != null ? status.getDescription() : status.getCode().name();
        return error(RestErrors.httpStatus(ctx, status), message, null);
    }

    /**
     * OpenAI's error object: {@code type} from the status as OpenAI's API types it, {@code code}
     * {@code model_not_found} for an unknown model.
     */
    public static AggregatedHttpResponse error(HttpStatus status, String message, String param) {
        JsonObject error = new JsonObject();
        error.addProperty("message", message);
        error.addProperty("type", switch (status.code()) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 429 -> "rate_limit_exceeded";
            default -> status.code() >= 500 ? "server_error" : "invalid_request_error";
        });
        error.addProperty("param", param);
        error.addProperty("code", status.code() == 404 ? "model_not_found" : null);
        JsonObject body = new JsonObject();
        body.add("error", error);
        return AggregatedHttpResponse.of(status, MediaType.JSON_UTF_8, body.toString());
    }
}
