package dev.inference.gateway.openai;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.inference.server.Interop;
import java.util.List;

/** The official OpenAI client for Node.js (interop/openai-embeddings.mjs), as a test calls it. */
public final class OpenAiClient {

    private OpenAiClient() {}

    /**
     * Its answers, or the errors it raised, for {@code texts} as it asks by default
     * ({@code byDefault}), as floats ({@code asFloats}), and for a model that does not exist ({@code notFound}).
     */
    public static JsonObject embeddings(String baseUrl, String apiKey, String model, List<String> texts)
            throws Exception {
        JsonObject request = new JsonObject();
        request.addProperty("baseURL", baseUrl);
        request.addProperty("apiKey", apiKey);
        request.addProperty("model", model);
        JsonArray input = new JsonArray();
        texts.forEach(input::add);
        request.add("input", input);
        return Interop.run("openai-embeddings.mjs", request).getAsJsonObject();
    }
}
