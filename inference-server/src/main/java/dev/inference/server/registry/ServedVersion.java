package dev.inference.server.registry;

import dev.inference.server.batching.DynamicBatcher;
import dev.inference.server.metrics.VersionMetrics;
import dev.inference.server.model.Classification;
import dev.inference.server.model.Embedding;
import dev.inference.server.model.Task;
import dev.inference.server.model.TextEmbedding;
import dev.inference.server.model.TextClassifier;
import dev.inference.server.tensor.TensorData;
import dev.inference.server.tensor.TensorModel;
import dev.inference.server.tensor.TensorRow;
import java.util.List;

/** A loaded model version of any task: its pipeline, the batcher in front of it and its meters. */
public sealed interface ServedVersion permits ServedVersion.ClassifierVersion, ServedVersion.EmbeddingVersion, ServedVersion.TensorVersion {

    String model();

    String version();

    Task task();

    DynamicBatcher<?, ?> batcher();

    VersionMetrics metrics();

    /** Drains the batcher, then releases the model. */
    void close();

    /** A text classifier: texts in, one classification per text out. */
    record ClassifierVersion(TextClassifier classifier, DynamicBatcher<String, Classification> batcher,
            VersionMetrics metrics) implements ServedVersion {

        @Override
        public String model() {
            return classifier.model();
        }

        @Override
        public String version() {
            return classifier.version();
        }

        @Override
        public Task task() {
            return Task.TEXT_CLASSIFICATION;
        }

        @Override
        public void close() {
            batcher.close();
            classifier.close();
        }
    }

    /** A text embedding model: texts in, one sentence vector per text out. */
    record EmbeddingVersion(TextEmbedding embedding, DynamicBatcher<String, Embedding> batcher,
            VersionMetrics metrics) implements ServedVersion {

        @Override
        public String model() {
            return embedding.model();
        }

        @Override
        public String version() {
            return embedding.version();
        }

        @Override
        public Task task() {
            return Task.TEXT_EMBEDDING;
        }

        @Override
        public void close() {
            batcher.close();
            embedding.close();
        }
    }

    /**
     * A tensor model.
     *
     * @param batched whether calls are stacked along the first dimension and run as rows; otherwise
     *     each call runs alone, its tensors as they came
     */
    record TensorVersion(TensorModel tensorModel, DynamicBatcher<TensorRow, List<TensorData>> batcher,
            VersionMetrics metrics, boolean batched) implements ServedVersion {

        @Override
        public String model() {
            return tensorModel.model();
        }

        @Override
        public String version() {
            return tensorModel.version();
        }

        @Override
        public Task task() {
            return Task.TENSOR;
        }

        @Override
        public void close() {
            batcher.close();
            tensorModel.close();
        }
    }
}
