package dev.inference.gateway.metrics;

import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The last few minutes of shadow comparisons, in one-second slots, for the UI's live panel: how
 * often the canary's labels agreed with stable's, for the canary revision compared most recently.
 * Prometheus keeps the history per revision; this answers "is the canary answering like stable now".
 */
public final class AgreementWindow {

    /** The agreement of one canary revision over a span; {@code agreement} is agreed / compared. */
    public record Summary(String canaryRevision, long compared, double agreement) {}

    private final int seconds;
    private final LongSupplier clockMillis;
    private final long[] slotSecond;
    private final long[] agreed;
    private final long[] disagreed;
    private String revision;

    public AgreementWindow(int seconds, LongSupplier clockMillis) {
        this.seconds = seconds;
        this.clockMillis = clockMillis;
        this.slotSecond = new long[seconds];
        this.agreed = new long[seconds];
        this.disagreed = new long[seconds];
        java.util.Arrays.fill(slotSecond, -1);
    }

    /** Comparisons of another revision than the last start the window afresh. */
    public synchronized void record(String canaryRevision, int agreedTexts, int disagreedTexts) {
        if (!canaryRevision.equals(revision)) {
            java.util.Arrays.fill(slotSecond, -1);
            revision = canaryRevision;
        }
        long second = clockMillis.getAsLong() / 1000;
        int slot = (int) (second % seconds);
        if (slotSecond[slot] != second) {
            slotSecond[slot] = second;
            agreed[slot] = 0;
            disagreed[slot] = 0;
        }
        agreed[slot] += agreedTexts;
        disagreed[slot] += disagreedTexts;
    }

    /** Over the last {@code span} seconds; empty when nothing was compared in them. */
    public synchronized Optional<Summary> summary(int span) {
        long now = clockMillis.getAsLong() / 1000;
        long agree = 0;
        long disagree = 0;
        for (long second = now - span + 1; second <= now; second++) {
            int slot = (int) Math.floorMod(second, (long) seconds);
            if (slotSecond[slot] == second) {
                agree += agreed[slot];
                disagree += disagreed[slot];
            }
        }
        long compared = agree + disagree;
        return compared == 0 ? Optional.empty() : Optional.of(new Summary(revision, compared, (double) agree / compared));
    }
}
