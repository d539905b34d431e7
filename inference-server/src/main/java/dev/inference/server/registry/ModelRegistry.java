package dev.inference.server.registry;

import dev.inference.server.model.ModelRepository;
import io.grpc.Status;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/** The models a server serves, their versions, and which version answers an empty version. */
public final class ModelRegistry implements AutoCloseable {

    /** One model: its versions in version order and its default version. */
    public record ServedModel(String name, NavigableMap<String, ServedVersion> versions, String defaultVersion) {}

    private final NavigableMap<String, ServedModel> models;

    /**
     * @param versions every loaded version
     * @param defaultVersions model name to the version that serves requests with an empty version;
     *     a model not named here defaults to its highest version
     * @throws IllegalArgumentException when a default names a model or version that is not loaded
     */
    public ModelRegistry(Collection<ServedVersion> versions, Map<String, String> defaultVersions) {
        Map<String, NavigableMap<String, ServedVersion>> byModel = new TreeMap<>();
        for (ServedVersion version : versions) {
            byModel.computeIfAbsent(version.model(), name -> new TreeMap<>(ModelRepository::compareVersions))
                    .put(version.version(), version);
        }
        for (Map.Entry<String, String> entry : defaultVersions.entrySet()) {
            NavigableMap<String, ServedVersion> modelVersions = byModel.get(entry.getKey());
            if (modelVersions == null) {
                throw new IllegalArgumentException("default version given for unknown model \"" + entry.getKey()
                        + "\"; models: " + byModel.keySet());
            }
            if (!modelVersions.containsKey(entry.getValue())) {
                throw new IllegalArgumentException("default version \"" + entry.getValue() + "\" of model \""
                        + entry.getKey() + "\" does not exist; versions: " + modelVersions.keySet());
            }
        }
        NavigableMap<String, ServedModel> served = new TreeMap<>();
        byModel.forEach((name, modelVersions) -> served.put(name, new ServedModel(name,
                Collections.unmodifiableNavigableMap(modelVersions),
                defaultVersions.getOrDefault(name, modelVersions.lastKey()))));
        this.models = Collections.unmodifiableNavigableMap(served);
    }

    /**
     * The version that serves a request.
     *
     * @param version empty for the model's default version
     * @throws io.grpc.StatusException NOT_FOUND for an unknown model or version
     */
    public ServedVersion resolve(String model, String version) throws io.grpc.StatusException {
        ServedModel served = model(model);
        String wanted = version.isEmpty() ? served.defaultVersion() : version;
        ServedVersion resolved = served.versions().get(wanted);
        if (resolved == null) {
            throw Status.NOT_FOUND
                    .withDescription("model \"" + model + "\" has no version \"" + wanted + "\"; versions: "
                            + String.join(", ", served.versions().keySet()))
                    .asException();
        }
        return resolved;
    }

    /** @throws io.grpc.StatusException NOT_FOUND for an unknown model */
    public ServedModel model(String model) throws io.grpc.StatusException {
        ServedModel served = models.get(model);
        if (served == null) {
            throw Status.NOT_FOUND
                    .withDescription("model \"" + model + "\" not found; models: " + String.join(", ", models.keySet()))
                    .asException();
        }
        return served;
    }

    public Collection<ServedModel> models() {
        return models.values();
    }

    public List<ServedVersion> versions() {
        return models.values().stream().flatMap(model -> model.versions().values().stream()).toList();
    }

    /** Drains every batcher, then releases the models. */
    @Override
    public void close() {
        versions().parallelStream().forEach(ServedVersion::close);
    }
}
