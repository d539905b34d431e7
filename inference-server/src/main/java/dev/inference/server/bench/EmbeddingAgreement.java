package dev.inference.server.bench;

import dev.inference.api.tensors.Similarity;
import dev.inference.platform.ManifestVersion;
import dev.inference.server.DjlOffline;
import dev.inference.server.batching.BatchWorker;
import dev.inference.server.model.Embedding;
import dev.inference.server.model.Layout;
import dev.inference.server.model.ModelRepository;
import dev.inference.server.model.TextEmbedding;
import dev.inference.server.model.TextModel;
import dev.inference.server.model.VersionSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * How closely two embedding model versions agree on a corpus: the cosine between their vectors for
 * each text, the second version run in batches as a server batches (an int8 export quantizes per
 * batch). What the shadow comparison's {@code --shadow-min-cosine} default is chosen from.
 */
@Command(name = "embedding-agreement", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        description = "Cosines between two embedding model versions' vectors for a corpus's texts.")
public final class EmbeddingAgreement implements Callable<Integer> {

    @Option(names = "--stable", required = true, description = "The stable version's folder.")
    Path stable;

    @Option(names = "--canary", required = true, description = "The canary version's folder.")
    Path canary;

    @Option(names = "--corpus", required = true, description = "Texts, one per line.")
    Path corpus;

    @Option(names = "--batch-size", defaultValue = "8", description = "The canary's texts per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    public static void main(String[] args) {
        DjlOffline.enforce();
        System.exit(new CommandLine(new EmbeddingAgreement()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<String> texts = Files.readAllLines(corpus).stream().map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
        List<Embedding> a = embed(stable, texts, 1);
        List<Embedding> b = embed(canary, texts, batchSize);
        double[] cosines = new double[texts.size()];
        for (int i = 0; i < cosines.length; i++) {
            cosines[i] = Similarity.cosine(a.get(i).vector(), b.get(i).vector());
        }
        Arrays.sort(cosines);
        System.out.printf(Locale.ROOT, "%d texts: min %.4f, 1st percentile %.4f, 5th %.4f, median %.4f, max %.4f%n",
                cosines.length, cosines[0], cosines[cosines.length / 100], cosines[cosines.length / 20],
                cosines[cosines.length / 2], cosines[cosines.length - 1]);
        return 0;
    }

    private static List<Embedding> embed(Path versionDir, List<String> texts, int batchSize) throws Exception {
        Layout layout = ModelRepository.layoutOf(versionDir);
        try (TextModel<?> model = TextModel.load(layout, "model", versionDir.getFileName().toString(), versionDir,
                VersionSettings.read(versionDir), 1)) {
            if (!(model instanceof TextEmbedding embedding)) {
                throw new IllegalArgumentException(versionDir + " is not a text-embedding model");
            }
            List<Embedding> vectors = new ArrayList<>();
            try (BatchWorker<String, Embedding> worker = embedding.newWorker()) {
                for (int start = 0; start < texts.size(); start += batchSize) {
                    vectors.addAll(worker.run(texts.subList(start, Math.min(texts.size(), start + batchSize))));
                }
            }
            return vectors;
        }
    }
}
