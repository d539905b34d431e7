package dev.inference.server.training;

import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import dev.inference.platform.ManifestVersion;
import dev.inference.server.DjlOffline;
import dev.inference.server.model.ClassifierHead;
import dev.inference.server.model.ModelVersionConfig;
import dev.inference.server.model.TextEncoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Trains the linear classifier head of one model version from a labeled text set and writes it
 * as {@code head.json} into the version directory. This is how any BERT-family encoder exported to
 * ONNX becomes a classifier for the server.
 *
 * <pre>java -Dai.djl.offline=true -cp inference-server.jar dev.inference.server.training.HeadTrainer \
 *     --version-dir model-repository/sentiment/1 --training-set training/sentiment-train.tsv</pre>
 */
@Command(name = "train-head", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        description = "Train the classifier head (head.json) of one model version.")
public final class HeadTrainer implements Callable<Integer> {

    private static final int EMBEDDING_BATCH = 16;
    private static final int FOLDS = 5;

    @Option(names = "--version-dir", required = true,
            description = "Model version directory with model.onnx, tokenizer.json and config.json.")
    Path versionDir;

    @Option(names = "--training-set", required = true, description = "label<TAB>text file.")
    Path trainingSet;

    @Option(names = "--output",
            description = "Directory to write head.json into (default: the version directory).")
    Path output;

    @Option(names = "--l2", defaultValue = "0.01", description = "L2 regularization (default: ${DEFAULT-VALUE}).")
    double l2;

    @Option(names = "--epochs", defaultValue = "1500", description = "Gradient steps (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--learning-rate", defaultValue = "0.1", description = "Step size (default: ${DEFAULT-VALUE}).")
    double learningRate;

    public static void main(String[] args) {
        DjlOffline.enforce();
        System.exit(new CommandLine(new HeadTrainer()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        ModelVersionConfig config = ModelVersionConfig.read(versionDir);
        LabeledTexts data = LabeledTexts.read(trainingSet);
        int[] classes = classIndexes(data, config.labels());
        float[][] vectors;
        try (TextEncoder encoder = TextEncoder.load(versionDir, config.maxSequenceLength(), config.output(), 1)) {
            vectors = embed(encoder, data.texts());
        }
        LogisticRegression regression = new LogisticRegression(l2, epochs, learningRate);
        System.out.printf("%d texts, %d labels %s, %d-fold cross-validated accuracy %.1f%%%n",
                data.size(), config.labels().size(), config.labels(), FOLDS,
                100 * crossValidatedAccuracy(regression, vectors, classes, config.labels().size()));
        ClassifierHead head = regression.fit(vectors, classes, config.labels().size());
        System.out.printf("training accuracy %.1f%%%n", 100 * accuracy(head, vectors, classes));
        Path target = output != null ? output : versionDir;
        head.write(target);
        System.out.println("wrote " + target.resolve(ClassifierHead.FILE_NAME));
        return 0;
    }

    static float[][] embed(TextEncoder encoder, List<String> texts) throws TranslateException {
        List<float[]> vectors = new ArrayList<>(texts.size());
        try (Predictor<List<String>, TextEncoder.Encoded> predictor = encoder.newPredictor()) {
            for (int start = 0; start < texts.size(); start += EMBEDDING_BATCH) {
                List<String> batch = texts.subList(start, Math.min(texts.size(), start + EMBEDDING_BATCH));
                vectors.addAll(Arrays.asList(predictor.predict(batch).vectors()));
            }
        }
        return vectors.toArray(float[][]::new);
    }

    private static int[] classIndexes(LabeledTexts data, List<String> labels) {
        int[] classes = new int[data.size()];
        for (int i = 0; i < classes.length; i++) {
            classes[i] = labels.indexOf(data.labels().get(i));
            if (classes[i] < 0) {
                throw new IllegalArgumentException("label \"" + data.labels().get(i) + "\" of \""
                        + data.texts().get(i) + "\" is not one of " + labels);
            }
        }
        return classes;
    }

    /** Accuracy on held-out folds (every k-th text), to choose regularization without a test set. */
    private static double crossValidatedAccuracy(
            LogisticRegression regression, float[][] vectors, int[] classes, int classCount) {
        int correct = 0;
        for (int fold = 0; fold < FOLDS; fold++) {
            List<float[]> trainVectors = new ArrayList<>();
            List<Integer> trainClasses = new ArrayList<>();
            for (int i = 0; i < vectors.length; i++) {
                if (i % FOLDS != fold) {
                    trainVectors.add(vectors[i]);
                    trainClasses.add(classes[i]);
                }
            }
            ClassifierHead head = regression.fit(trainVectors.toArray(float[][]::new),
                    trainClasses.stream().mapToInt(Integer::intValue).toArray(), classCount);
            for (int i = fold; i < vectors.length; i += FOLDS) {
                correct += predictedClass(head, vectors[i]) == classes[i] ? 1 : 0;
            }
        }
        return (double) correct / vectors.length;
    }

    private static double accuracy(ClassifierHead head, float[][] vectors, int[] classes) {
        int correct = 0;
        for (int i = 0; i < vectors.length; i++) {
            correct += predictedClass(head, vectors[i]) == classes[i] ? 1 : 0;
        }
        return (double) correct / vectors.length;
    }

    private static int predictedClass(ClassifierHead head, float[] vector) {
        float[] probabilities = head.probabilities(vector);
        int best = 0;
        for (int k = 1; k < probabilities.length; k++) {
            if (probabilities[k] > probabilities[best]) {
                best = k;
            }
        }
        return best;
    }
}
