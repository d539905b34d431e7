package dev.inference.server.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRepositoryTest {

    @Test
    void listsVersionsInNumericOrder(@TempDir Path root) throws Exception {
        for (String version : List.of("10", "2", "1")) {
            completeVersion(root.resolve("sentiment").resolve(version));
        }
        completeVersion(root.resolve("intent").resolve("1"));

        List<String> found = ModelRepository.scan(root).stream()
                .map(location -> location.model() + "/" + location.version()).toList();

        assertEquals(List.of("intent/1", "sentiment/1", "sentiment/2", "sentiment/10"), found);
    }

    @Test
    void eachFolderIsInterpretedFromItsFiles(@TempDir Path root) throws Exception {
        completeVersion(root.resolve("sentiment").resolve("1"));
        Path tensor = Files.createDirectories(root.resolve("fraud").resolve("3"));
        Files.writeString(tensor.resolve("model.onnx"), "");
        Files.writeString(tensor.resolve(VersionSettings.FILE_NAME), "{\"maxBatchSize\": 0}");
        Path sentenceTransformers = Files.createDirectories(root.resolve("minilm").resolve("1"));
        for (String file : List.of("model.onnx", "tokenizer.json", "modules.json", "config.json")) {
            Files.writeString(sentenceTransformers.resolve(file), "");
        }
        Path classificationExport = Files.createDirectories(root.resolve("topics").resolve("1"));
        for (String file : List.of("model.onnx", "tokenizer.json", "config.json", "tokenizer_config.json")) {
            Files.writeString(classificationExport.resolve(file), "");
        }

        assertEquals(List.of(Layout.TENSOR, Layout.SENTENCE_TRANSFORMERS, Layout.CLASSIFIER_WITH_HEAD,
                Layout.CLASSIFICATION_EXPORT),
                ModelRepository.scan(root).stream().map(ModelRepository.VersionLocation::layout).toList());
        assertEquals(List.of(Task.TENSOR, Task.TEXT_EMBEDDING, Task.TEXT_CLASSIFICATION, Task.TEXT_CLASSIFICATION),
                ModelRepository.scan(root).stream().map(ModelRepository.VersionLocation::task).toList());
    }

    @Test
    void aFolderThatIsNeitherIsRefusedNamingTheFolderTheFileAndTheReason(@TempDir Path root) throws Exception {
        Path version = root.resolve("sentiment").resolve("1");
        completeVersion(version);
        Files.delete(version.resolve("head.json"));
        Files.delete(version.resolve("tokenizer.json"));
        IOException error = assertThrows(IOException.class, () -> ModelRepository.scan(root));
        assertTrue(error.getMessage().startsWith("model version " + version + " has config.json but is incomplete:"
                + " a text-classification export needs model.onnx (giving logits), config.json (with id2label) and"
                + " tokenizer.json; a sentence-transformers export needs modules.json too"), error.getMessage());

        completeVersion(version);
        Files.delete(version.resolve("tokenizer.json"));
        error = assertThrows(IOException.class, () -> ModelRepository.scan(root));
        assertTrue(error.getMessage().contains(version + " has head.json but is incomplete: a classifier with a head"
                + " needs model.onnx, tokenizer.json, config.json and head.json"), error.getMessage());

        Files.delete(version.resolve("model.onnx"));
        error = assertThrows(IOException.class, () -> ModelRepository.scan(root));
        assertTrue(error.getMessage().endsWith(version + " has no model.onnx"), error.getMessage());
    }

    @Test
    void aModelsVersionPolicyDecidesWhichVersionsServe(@TempDir Path root) throws Exception {
        Path model = root.resolve("fraud");
        for (String version : List.of("1", "2", "10")) {
            Files.createDirectories(model.resolve(version));
            Files.writeString(model.resolve(version).resolve("model.onnx"), "");
        }
        Files.writeString(model.resolve("2").resolve("config.json"), "{}"); // a broken folder the policy leaves out
        Files.writeString(model.resolve(ModelSettings.FILE_NAME), "{\"versionPolicy\": {\"specific\": [\"1\", \"10\"]}}");
        assertEquals(List.of("1", "10"), versions(root));

        Files.delete(model.resolve("2").resolve("config.json"));
        Files.writeString(model.resolve(ModelSettings.FILE_NAME), "{\"versionPolicy\": {\"latest\": 2}}");
        assertEquals(List.of("2", "10"), versions(root));
        Files.writeString(model.resolve(ModelSettings.FILE_NAME), "{\"versionPolicy\": {\"all\": true}}");
        assertEquals(List.of("1", "2", "10"), versions(root));

        Files.writeString(model.resolve(ModelSettings.FILE_NAME), "{\"versionPolicy\": {\"specific\": [\"3\"]}}");
        IOException error = assertThrows(IOException.class, () -> ModelRepository.scan(root));
        assertTrue(error.getMessage().contains("the version policy names version \"3\", which has no folder"),
                error.getMessage());
        Files.writeString(model.resolve(ModelSettings.FILE_NAME), "{\"versionPolicy\": {\"latest\": 1, \"all\": true}}");
        error = assertThrows(IOException.class, () -> ModelRepository.scan(root));
        assertTrue(error.getMessage().contains("exactly one of latest, all, specific"), error.getMessage());
    }

    private static List<String> versions(Path root) throws IOException {
        return ModelRepository.scan(root).stream().map(ModelRepository.VersionLocation::version).toList();
    }

    @Test
    void emptyOrMissingRepositoryIsAnError(@TempDir Path root) {
        assertThrows(IOException.class, () -> ModelRepository.scan(root));
        assertThrows(IOException.class, () -> ModelRepository.scan(root.resolve("absent")));
    }

    @Test
    void invalidConfigNamesTheFileAndTheProblem(@TempDir Path root) throws Exception {
        Files.writeString(root.resolve("config.json"),
                "{\"task\":\"text-classification\",\"labels\":[\"only\"],\"pooling\":\"mean\",\"maxSequenceLength\":128}");

        IOException error = assertThrows(IOException.class, () -> ModelVersionConfig.read(root));
        assertTrue(error.getMessage().contains("labels must name at least two classes"), error.getMessage());
    }

    private static void completeVersion(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String file : List.of("model.onnx", "tokenizer.json", "config.json", "head.json")) {
            Files.writeString(dir.resolve(file), "{}");
        }
    }
}
