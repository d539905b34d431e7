package dev.inference.server.model;

/**
 * The model's runtime refused a call's inputs for what they hold, not for their shape or type (an
 * index out of range, say): the caller's error, answered as INVALID_ARGUMENT with this message.
 */
public final class InputRejectedException extends Exception {

    private static final long serialVersionUID = 1L;

    public InputRejectedException(String message) {
        super(message);
    }
}
