package dev.inference.server.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.inference.api.tensors.Similarity;
import dev.inference.api.v1.EmbedRequest;
import dev.inference.api.v1.EmbedResponse;
import dev.inference.api.v1.GetModelRequest;
import dev.inference.api.v1.PredictRequest;
import dev.inference.api.v1.PredictResponse;
import dev.inference.api.v1.Prediction;
import dev.inference.server.Interop;
import dev.inference.server.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The platform's answers for Hugging Face exports against Hugging Face's own pipelines run by
 * another runtime (transformers.js's tokenizer and pooling on ONNX Runtime for Node): a
 * text-classification export (softmax, and a sigmoid per label for multi-label) and a
 * sentence-transformers export, texts of mixed length sent concurrently so that the server batches
 * them in mixed compositions. The texts stay within the token limits: transformers.js 4.3 truncates
 * after adding the special tokens and so drops the closing [SEP], where Hugging Face's Rust tokenizer
 * (the platform's, and sentence-transformers') keeps it ({@code EmbedTest} checks the truncation).
 */
class ReferencePipelinesTest {

    private static final Path DEFAULTS = Path.of("target/model-repository");
    private static final List<String> LABELS = List.of("NEGATIVE", "POSITIVE");
    private static final List<String> TEXTS = List.of(
            "Great.",
            "The soup was cold and the waiter ignored us for half an hour.",
            "I did not expect much from a station cafe, but the coffee was excellent and the staff were lovely.",
            "Terrible!",
            "It was fine, I suppose; nothing I would go back for, though the dessert was better than the main.",
            ("We booked the tasting menu for an anniversary and every course arrived with a story about where its"
                    + " ingredients came from. ").repeat(9),
            "Ok",
            "Would not recommend. The room smelled of smoke and the bed was broken.");

    @TempDir
    static Path repository;
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        Path encoder = DEFAULTS.resolve("all-minilm-l6-v2").resolve("1");
        ClassifierHead head = ClassifierHead.read(DEFAULTS.resolve("sentiment").resolve("1"));
        Path reviews = ClassificationExports.write(encoder, head, LABELS, null, repository.resolve("reviews").resolve("1"));
        Path multiLabel = Files.createDirectories(repository.resolve("review-flags").resolve("1"));
        for (String file : List.of("model.onnx", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")) {
            Files.createSymbolicLink(multiLabel.resolve(file), reviews.resolve(file).toAbsolutePath());
        }
        Files.writeString(multiLabel.resolve("config.json"), Files.readString(reviews.resolve("config.json"))
                .replace("\"model_type\"", "\"problem_type\": \"multi_label_classification\",\n  \"model_type\""));
        Files.createSymbolicLink(repository.resolve("all-minilm-l6-v2"),
                DEFAULTS.resolve("all-minilm-l6-v2").toAbsolutePath());
        server = TestServer.start(TestServer.config().modelRepository(repository).maxQueueDelay(Duration.ofMillis(5)));
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    /** Every text in a request of its own, all sent at once, and once more all in one request. */
    private static <R> List<R> concurrently(java.util.function.Function<List<String>, ListenableFuture<R>> call)
            throws Exception {
        List<ListenableFuture<R>> calls = new ArrayList<>();
        for (String text : TEXTS) {
            calls.add(call.apply(List.of(text)));
        }
        calls.add(call.apply(TEXTS));
        List<R> answers = new ArrayList<>();
        for (ListenableFuture<R> answer : calls) {
            answers.add(answer.get(60, TimeUnit.SECONDS));
        }
        return answers;
    }

    private static JsonArray reference(String task, Path folder, int maxLength) throws Exception {
        JsonObject request = new JsonObject();
        request.addProperty("task", task);
        request.addProperty("folder", folder.toRealPath().toString());
        request.addProperty("maxLength", maxLength);
        JsonArray texts = new JsonArray();
        TEXTS.forEach(texts::add);
        request.add("texts", texts);
        return Interop.run("reference-pipelines.mjs", request).getAsJsonArray();
    }

    @Test
    void aTextClassificationExportsProbabilitiesAreTheSoftmaxHuggingFaceComputes() throws Exception {
        assertClassifiedAsReference("reviews");
    }

    @Test
    void aMultiLabelExportGivesASigmoidPerLabelAsHuggingFaceDoes() throws Exception {
        List<PredictResponse> sigmoid = assertClassifiedAsReference("review-flags");
        List<PredictResponse> softmax = assertClassifiedAsReference("reviews");

        // The same logits: a sigmoid per label is not the softmax over them (here the two logits are
        // opposite, so the sigmoids still sum to 1, but sigmoid(a) is not sigmoid(2a)).
        float flagged = sigmoid.get(1).getPredictions(0).getScoresMap().get("NEGATIVE");
        float exclusive = softmax.get(1).getPredictions(0).getScoresMap().get("NEGATIVE");
        assertTrue(Math.abs(flagged - exclusive) > 1e-3, flagged + " vs " + exclusive);
    }

    private static List<PredictResponse> assertClassifiedAsReference(String model) throws Exception {
        assertEquals(LABELS, server.blockingStub().getModel(GetModelRequest.newBuilder().setModel(model).build())
                .getVersions(0).getLabelsList(), "id2label's names, in index order");
        JsonArray expected = reference("text-classification", repository.resolve(model).resolve("1"), 512);
        List<PredictResponse> answers = concurrently(texts -> server.futureStub().withDeadlineAfter(60, TimeUnit.SECONDS)
                .predict(PredictRequest.newBuilder().setModel(model).addAllInstances(texts).build()));

        for (int answer = 0; answer < answers.size(); answer++) {
            List<Prediction> predictions = answers.get(answer).getPredictionsList();
            for (int i = 0; i < predictions.size(); i++) {
                int text = answer < TEXTS.size() ? answer : i;
                JsonObject want = expected.get(text).getAsJsonObject();
                Map<String, Float> scores = predictions.get(i).getScoresMap();
                for (String label : LABELS) {
                    assertEquals(want.get(label).getAsFloat(), scores.get(label), 1e-4f, model + " text " + text + " " + label);
                }
            }
        }
        assertEquals("POSITIVE", answers.get(2).getPredictions(0).getLabel());
        assertEquals("NEGATIVE", answers.get(7).getPredictions(0).getLabel());
        return answers;
    }

    @Test
    void aSentenceTransformersExportsVectorsAreTheOnesHuggingFacePoolsAndNormalises() throws Exception {
        JsonArray expected = reference("feature-extraction", repository.resolve("all-minilm-l6-v2").resolve("1"), 256);
        List<EmbedResponse> answers = concurrently(texts -> server.futureStub().withDeadlineAfter(60, TimeUnit.SECONDS)
                .embed(EmbedRequest.newBuilder().setModel("all-minilm-l6-v2").setVersion("1").addAllInstances(texts)
                        .build()));

        for (int answer = 0; answer < answers.size(); answer++) {
            EmbedResponse response = answers.get(answer);
            for (int i = 0; i < response.getEmbeddingsCount(); i++) {
                int text = answer < TEXTS.size() ? answer : i;
                float[] reference = floats(expected.get(text).getAsJsonArray().asList().stream()
                        .map(JsonElement::getAsFloat).toList());
                double cosine = Similarity.cosine(reference, floats(response.getEmbeddings(i).getValuesList()));
                assertTrue(cosine >= 0.9999, "text " + text + ": cosine " + cosine);
            }
        }
    }

    private static float[] floats(List<? extends Number> values) {
        float[] array = new float[values.size()];
        for (int i = 0; i < array.length; i++) {
            array[i] = values.get(i).floatValue();
        }
        return array;
    }
}
