package dev.inference.server.model;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession.SessionOptions;

/** How every model of the server runs on ONNX Runtime, whatever its task. */
public final class OnnxSessions {

    public static final String MODEL_FILE = "model.onnx";

    private OnnxSessions() {}

    /**
     * @param intraOpThreads threads one forward pass may use; 1 lets several workers share the
     *     cores without oversubscribing them
     */
    public static SessionOptions options(int intraOpThreads) throws OrtException {
        SessionOptions options = new SessionOptions();
        options.setIntraOpNumThreads(intraOpThreads);
        options.setInterOpNumThreads(1);
        options.setExecutionMode(SessionOptions.ExecutionMode.SEQUENTIAL);
        options.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
        // ONNX Runtime's own warnings (an old opset, a skipped optimizer) repeat per session, and its
        // errors repeat what its exceptions say; the server logs each load and each failure itself.
        options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
        // Spinning threads burn the other worker's core while waiting for work and make
        // latencies bimodal on a small machine.
        options.addConfigEntry("session.intra_op.allow_spinning", "0");
        options.addConfigEntry("session.inter_op.allow_spinning", "0");
        return options;
    }
}
