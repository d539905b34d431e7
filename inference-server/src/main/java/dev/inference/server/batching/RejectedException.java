package dev.inference.server.batching;

/** A request the batcher refused to queue. */
public final class RejectedException extends RuntimeException {

    /** Why the request was refused. */
    public enum Reason {
        QUEUE_FULL,
        SHUTTING_DOWN
    }

    private final Reason reason;

    RejectedException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
