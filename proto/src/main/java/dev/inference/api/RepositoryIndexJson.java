package dev.inference.api;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.inference.api.repository.v1.RepositoryIndexResponse;

/**
 * The repository index as the extension's HTTP routes answer it, in Triton's shape: a JSON array of
 * {@code {name, version, state, reason}}, a model folder never loaded by {@code name} alone. The
 * server's management port and the gateway's admin route print the same.
 */
public final class RepositoryIndexJson {

    private RepositoryIndexJson() {}

    public static String of(RepositoryIndexResponse index) {
        JsonArray models = new JsonArray();
        for (RepositoryIndexResponse.ModelIndex entry : index.getModelsList()) {
            JsonObject model = new JsonObject();
            model.addProperty("name", entry.getName());
            if (!entry.getVersion().isEmpty()) {
                model.addProperty("version", entry.getVersion());
                model.addProperty("state", entry.getState());
                model.addProperty("reason", entry.getReason());
            }
            models.add(model);
        }
        return models.toString();
    }
}
