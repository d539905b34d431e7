package dev.inference.server.model;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

/**
 * Copies of a model repository for tests of what the platform does with a model that answers wrong:
 * the large files are linked, the configuration is rewritten.
 */
public final class ModelRepositoryCopies {

    private ModelRepositoryCopies() {}

    /**
     * A copy whose every version has its {@code labels} reversed in {@code config.json}: the model is
     * as fast and error-free as the original and names the wrong class for every text, the release
     * bug ("a mislabelled head") that only a comparison of answers can see.
     */
    public static Path withReversedLabels(Path repository, Path target) throws IOException {
        return withConfigs(repository, target, (version, config) -> {
            List<JsonElement> labels = new ArrayList<>(config.getAsJsonArray("labels").asList());
            Collections.reverse(labels);
            JsonArray reversed = new JsonArray();
            labels.forEach(reversed::add);
            config.add("labels", reversed);
        });
    }

    /**
     * A copy whose platform classifiers' {@code config.json} files (beside a {@code head.json})
     * {@code edit} has changed, given each one's version.
     */
    public static Path withConfigs(Path repository, Path target, BiConsumer<String, JsonObject> edit)
            throws IOException {
        try (Stream<Path> files = Files.walk(repository)) {
            for (Path file : files.toList()) {
                Path copy = target.resolve(repository.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(copy);
                } else if (file.getFileName().toString().equals(ModelVersionConfig.FILE_NAME)
                        && Files.exists(file.resolveSibling(ClassifierHead.FILE_NAME))) {
                    JsonObject config = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
                    edit.accept(file.getParent().getFileName().toString(), config);
                    Files.writeString(copy, new GsonBuilder().setPrettyPrinting().create().toJson(config));
                } else {
                    Files.createSymbolicLink(copy, file.toAbsolutePath());
                }
            }
        }
        return target;
    }
}
