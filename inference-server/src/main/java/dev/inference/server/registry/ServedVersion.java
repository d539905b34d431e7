package dev.inference.server.registry;

import dev.inference.server.batching.DynamicBatcher;
import dev.inference.server.metrics.VersionMetrics;
import dev.inference.server.model.Classification;
import dev.inference.server.model.TextClassifier;

/** A loaded model version, the batcher in front of it and its meters. */
public record ServedVersion(
        TextClassifier classifier, DynamicBatcher<String, Classification> batcher, VersionMetrics metrics) {

    public String model() {
        return classifier.model();
    }

    public String version() {
        return classifier.version();
    }
}
