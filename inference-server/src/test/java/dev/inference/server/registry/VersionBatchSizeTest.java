package dev.inference.server.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.inference.api.v1.GetModelRequest;
import dev.inference.api.v1.ModelVersionInfo;
import dev.inference.server.ServerConfig;
import dev.inference.server.TestServer;
import dev.inference.server.model.ModelRepositoryCopies;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A version's own {@code maxBatchSize} in its config.json, under the server's {@code --max-batch-size}. */
class VersionBatchSizeTest {

    @Test
    void aVersionsConfigCapsItsOwnBatchesAndTheServerFlagCapsEveryVersion(@TempDir Path copy) throws Exception {
        Path repository = ModelRepositoryCopies.withConfigs(Path.of("target/model-repository"), copy,
                (version, config) -> {
                    if (version.equals("2")) {
                        config.addProperty("maxBatchSize", 2);
                    }
                });

        assertEquals(Map.of("1", 8, "2", 2), maxBatchSizes(TestServer.config().modelRepository(repository)));
        assertEquals(Map.of("1", 1, "2", 1),
                maxBatchSizes(TestServer.config().modelRepository(repository).maxBatchSize(1)));
    }

    private static Map<String, Integer> maxBatchSizes(ServerConfig.Builder config) throws Exception {
        try (TestServer server = TestServer.inProcess(config)) {
            return server.blockingStub().getModel(GetModelRequest.newBuilder().setModel("sentiment").build())
                    .getVersionsList().stream()
                    .collect(Collectors.toMap(ModelVersionInfo::getVersion, ModelVersionInfo::getMaxBatchSize));
        }
    }
}
