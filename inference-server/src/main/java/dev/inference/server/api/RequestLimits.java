package dev.inference.server.api;

import io.grpc.Status;
import io.grpc.StatusException;
import java.util.List;

/**
 * The bounds on what one request may ask for. Each violation is INVALID_ARGUMENT with a message
 * that names the offending field and the limit.
 */
public record RequestLimits(int maxInstances, int maxInstanceChars) {

    private static final int MAX_NAME_LENGTH = 128;

    /** Checks the model and version names, before they are looked up. */
    void checkNames(String model, String version) throws StatusException {
        if (model.isEmpty()) {
            throw invalid("model is required");
        }
        if (model.length() > MAX_NAME_LENGTH) {
            throw invalid("model name is " + model.length() + " characters long; the limit is " + MAX_NAME_LENGTH);
        }
        if (version.length() > MAX_NAME_LENGTH) {
            throw invalid("version is " + version.length() + " characters long; the limit is " + MAX_NAME_LENGTH);
        }
    }

    /**
     * Checks the texts of one request.
     *
     * @param field how messages name the texts, e.g. {@code instances} or {@code input "text"}
     * @param tooMany how messages say there are too many, e.g. {@code too many instances}
     */
    void checkTexts(List<String> texts, String field, String tooMany) throws StatusException {
        int count = texts.size();
        if (count == 0) {
            throw invalid(field + " must hold at least one text");
        }
        if (count > maxInstances) {
            throw invalid(tooMany + ": " + count + "; the limit is " + maxInstances
                    + " per request, split the texts over several requests");
        }
        for (int i = 0; i < count; i++) {
            String text = texts.get(i);
            if (text.isBlank()) {
                throw invalid(field + "[" + i + "] is empty");
            }
            int chars = text.codePointCount(0, text.length());
            if (chars > maxInstanceChars) {
                throw invalid(field + "[" + i + "] has " + chars + " characters; the limit is " + maxInstanceChars);
            }
        }
    }

    static StatusException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asException();
    }
}
