package dev.inference.server.model;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.server.Required;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The list is written by coreutils' sha256sum, as images/build-model-image.sh writes it, and read by ours. */
class FileDigestsTest {

    @TempDir
    Path version;

    @BeforeEach
    void aVersionFolderWithItsList() throws Exception {
        Files.writeString(version.resolve("model.onnx"), "graph bytes");
        Files.writeString(version.resolve("config.json"), "{\"labels\": [\"a\", \"b\"]}");
        Files.createDirectories(version.resolve("1_Pooling"));
        Files.writeString(version.resolve("1_Pooling/config.json"), "{\"pooling_mode_mean_tokens\": true}");
        Required.that(Files.isExecutable(Path.of("/usr/bin/sha256sum")), "coreutils' sha256sum is missing");
        Process sha256sum = new ProcessBuilder("sh", "-c", "sha256sum model.onnx config.json 1_Pooling/config.json > "
                + FileDigests.FILE_NAME).directory(version.toFile()).start();
        assertTrue(sha256sum.waitFor(10, TimeUnit.SECONDS) && sha256sum.exitValue() == 0);
    }

    @Test
    void aFolderThatMatchesItsListLoads() {
        assertDoesNotThrow(() -> FileDigests.verify(version));
    }

    @Test
    void aFolderWithoutAListLoadsAsItIs() throws Exception {
        Files.delete(version.resolve(FileDigests.FILE_NAME));
        Files.writeString(version.resolve("model.onnx"), "anything");
        assertDoesNotThrow(() -> FileDigests.verify(version));
    }

    @Test
    void aChangedFileIsNamedWithBothDigests() throws Exception {
        Files.writeString(version.resolve("1_Pooling/config.json"), "{\"pooling_mode_cls_token\": true}");
        String message = assertThrows(IOException.class, () -> FileDigests.verify(version)).getMessage();
        assertTrue(message.contains("1_Pooling/config.json has SHA-256 " + FileDigests.sha256(version.resolve("1_Pooling/config.json"))),
                message);
        assertTrue(message.contains("the files changed after the image was built"), message);
    }

    @Test
    void aMissingFileAndAnUnlistedFileAreRefused() throws Exception {
        Files.writeString(version.resolve("extra.onnx"), "a second graph");
        assertTrue(assertThrows(IOException.class, () -> FileDigests.verify(version)).getMessage()
                .contains("does not list: [extra.onnx]"));
        Files.delete(version.resolve("extra.onnx"));
        Files.delete(version.resolve("config.json"));
        assertTrue(assertThrows(IOException.class, () -> FileDigests.verify(version)).getMessage()
                .contains("lacks config.json"));
    }

    @Test
    void aListThatIsNotSha256sumsFormatIsRefused() throws Exception {
        Files.writeString(version.resolve(FileDigests.FILE_NAME), "md5 model.onnx\n");
        assertTrue(assertThrows(IOException.class, () -> FileDigests.verify(version)).getMessage()
                .contains("is not a sha256sum list"));
    }
}
