package dev.inference.server.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.api.v1.PredictResponse;
import dev.inference.server.TestServer;
import dev.inference.server.training.LabeledTexts;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Accuracy of each default model version on a held-out set of restaurant reviews. */
class SentimentAccuracyTest {

    private static final double REQUIRED_ACCURACY = 0.85;

    private static LabeledTexts heldOut;

    @BeforeAll
    static void read() throws Exception {
        heldOut = LabeledTexts.read(Path.of("src/test/resources/sentiment/labeled-reviews.tsv"));
    }

    @Test
    void heldOutSetHasAtLeast200TextsNoneOfThemUsedForTraining() throws Exception {
        LabeledTexts training = LabeledTexts.read(Path.of("training/sentiment-train.tsv"));
        Set<String> trainingTexts = new HashSet<>();
        training.texts().forEach(text -> trainingTexts.add(normalized(text)));

        assertTrue(heldOut.size() >= 200, "held-out texts: " + heldOut.size());
        assertTrue(new HashSet<>(heldOut.texts()).size() == heldOut.size(), "no duplicates");
        for (String text : heldOut.texts()) {
            assertTrue(!trainingTexts.contains(normalized(text)), "also in the training set: " + text);
        }
    }

    @ParameterizedTest(name = "version {0}")
    @ValueSource(strings = {"1", "2"})
    void versionReachesTheRequiredAccuracy(String version) throws Exception {
        TestServer server = TestServer.shared();
        int correct = 0;
        for (int start = 0; start < heldOut.size(); start += 50) {
            List<String> texts = heldOut.texts().subList(start, Math.min(heldOut.size(), start + 50));
            PredictResponse response = server.blockingStub().predict(
                    TestServer.request(version, texts.toArray(String[]::new)));
            for (int i = 0; i < texts.size(); i++) {
                correct += response.getPredictions(i).getLabel().equals(heldOut.labels().get(start + i)) ? 1 : 0;
            }
        }
        double accuracy = (double) correct / heldOut.size();
        System.out.printf("sentiment version %s: %d/%d correct, accuracy %.1f%%%n",
                version, correct, heldOut.size(), 100 * accuracy);
        assertTrue(accuracy >= REQUIRED_ACCURACY, "accuracy of version " + version + ": " + accuracy);
    }

    private static String normalized(String text) {
        return text.toLowerCase(Locale.ROOT).replaceAll("[^a-z ]", "").strip();
    }
}
