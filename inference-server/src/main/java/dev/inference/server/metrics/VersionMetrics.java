package dev.inference.server.metrics;

import dev.inference.server.batching.BatchObserver;
import dev.inference.server.model.Classification;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The meters of one model version, fed by its batcher and by the calls it serves. A version with
 * labels (a classifier) counts its predictions by label; a tensor model has none.
 */
public final class VersionMetrics implements BatchObserver<Object> {

    private final InferenceMetrics metrics;
    private final String model;
    private final String version;
    private final Timer requestDuration;
    private final Counter[] requestsByCode = new Counter[Status.Code.values().length];
    private final Timer modelDuration;
    private final DistributionSummary batchSize;
    private final Counter[] predictionsByLabel;
    private final Counter dropped;
    private final BatchDecisions decisions;

    /** What the batcher predicted a pass would cost and what it did, and the inputs it turned away, by reason. */
    record BatchDecisions(Counter predictedSeconds, Counter observedSeconds, Counter inputs, Counter[] splitsByReason) {}

    VersionMetrics(InferenceMetrics metrics, String model, String version, Timer requestDuration, Timer modelDuration,
            DistributionSummary batchSize, Counter[] predictionsByLabel, Counter dropped, BatchDecisions decisions) {
        this.metrics = metrics;
        this.model = model;
        this.version = version;
        this.requestDuration = requestDuration;
        this.modelDuration = modelDuration;
        this.batchSize = batchSize;
        this.predictionsByLabel = predictionsByLabel;
        this.dropped = dropped;
        this.decisions = decisions;
    }

    @Override
    public void batchCompleted(List<?> outputs, long forwardNanos) {
        if (!metrics.recording()) {
            return;
        }
        modelDuration.record(forwardNanos, TimeUnit.NANOSECONDS);
        batchSize.record(outputs.size());
        if (predictionsByLabel.length > 0) {
            for (Object output : outputs) {
                predictionsByLabel[((Classification) output).labelIndex()].increment();
            }
        }
    }

    @Override
    public void inputsDropped(int count) {
        if (!metrics.recording()) {
            return;
        }
        dropped.increment(count);
    }

    @Override
    public void batchCost(int inputs, double predictedNanos, long observedNanos) {
        if (!metrics.recording()) {
            return;
        }
        decisions.predictedSeconds().increment(predictedNanos / 1e9);
        decisions.observedSeconds().increment(observedNanos / 1e9);
        decisions.inputs().increment(inputs);
    }

    @Override
    public void batchSplit(SplitReason reason, int inputs) {
        if (metrics.recording()) {
            decisions.splitsByReason()[reason.ordinal()].increment(inputs);
        }
    }

    /** Counts a Predict call this version served that ended with {@code code}, and its duration. */
    public void requestCompleted(Status.Code code, long nanos) {
        if (!metrics.counts(nanos)) {
            return;
        }
        Counter counter = requestsByCode[code.ordinal()];
        if (counter == null) {
            // Registration is idempotent, so two threads racing here end up with the same meter.
            counter = metrics.requestCounter(model, version, code);
            requestsByCode[code.ordinal()] = counter;
        }
        counter.increment();
        requestDuration.record(nanos, TimeUnit.NANOSECONDS);
    }
}
