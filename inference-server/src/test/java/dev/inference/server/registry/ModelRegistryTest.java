package dev.inference.server.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.server.DjlOffline;
import dev.inference.server.batching.BatchObserver;
import dev.inference.server.batching.BatchingSettings;
import dev.inference.server.batching.DynamicBatcher;
import dev.inference.server.model.TextClassifier;
import io.grpc.Status;
import io.grpc.StatusException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ModelRegistryTest {

    private static List<ServedVersion> versions;

    @BeforeAll
    static void load() throws Exception {
        DjlOffline.enforce();
        BatchingSettings settings = new BatchingSettings(1, 8, Duration.ZERO, 64);
        versions = List.of("1", "2").stream().map(version -> {
            try {
                TextClassifier classifier = TextClassifier.loadWithHead("sentiment", version,
                        Path.of("target/model-repository/sentiment").resolve(version), 1);
                return (ServedVersion) new ServedVersion.ClassifierVersion(classifier,
                        new DynamicBatcher<>(classifier.toString(), classifier,
                        classifier::estimatedTokens, settings, new BatchObserver<>() {}).start(), null);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).toList();
    }

    @AfterAll
    static void release() {
        new ModelRegistry(versions, Map.of()).close();
    }

    @Test
    void emptyVersionResolvesToTheConfiguredDefault() throws Exception {
        ModelRegistry registry = new ModelRegistry(versions, Map.of("sentiment", "1"));

        assertEquals("1", registry.resolve("sentiment", "").version());
        assertEquals("2", registry.resolve("sentiment", "2").version());
    }

    @Test
    void withoutAConfiguredDefaultTheHighestVersionServes() throws Exception {
        assertEquals("2", new ModelRegistry(versions, Map.of()).resolve("sentiment", "").version());
    }

    @Test
    void defaultNamingAnUnknownModelOrVersionIsRefused() {
        IllegalArgumentException unknownVersion = assertThrows(IllegalArgumentException.class,
                () -> new ModelRegistry(versions, Map.of("sentiment", "3")));
        assertTrue(unknownVersion.getMessage().contains("versions: [1, 2]"), unknownVersion.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ModelRegistry(versions, Map.of("spam", "1")));
    }

    @Test
    void unknownModelOrVersionIsNotFound() {
        ModelRegistry registry = new ModelRegistry(versions, Map.of());

        StatusException model = assertThrows(StatusException.class, () -> registry.resolve("spam", ""));
        assertEquals(Status.Code.NOT_FOUND, model.getStatus().getCode());
        StatusException version = assertThrows(StatusException.class, () -> registry.resolve("sentiment", "9"));
        assertEquals("model \"sentiment\" has no version \"9\"; versions: 1, 2", version.getStatus().getDescription());
    }
}
