package dev.inference.rollouts.analysis;

/** Argo Rollouts' phases of a measurement, a metric and a whole analysis, from best to worst. */
public enum Phase {
    SUCCESSFUL,
    INCONCLUSIVE,
    ERROR,
    FAILED;

    /** The worse of two phases: an analysis is as bad as its worst metric. */
    public Phase worse(Phase other) {
        return other.ordinal() > ordinal() ? other : this;
    }
}
