package dev.inference.server;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import dev.inference.api.tensors.BytesElements;
import dev.inference.api.tensors.Datatype;
import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.api.v1.EmbedRequest;
import dev.inference.api.v1.PredictRequest;
import dev.inference.server.registry.ServedVersion;
import dev.inference.server.tensor.TensorData;
import dev.inference.server.tensor.TensorSpec;
import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.ModelInferRequest.InferInputTensor;
import inference.GrpcPredictV2.ModelInferRequest;
import io.grpc.Channel;
import io.grpc.Deadline;
import io.grpc.Status;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Calls the server sends itself over loopback before it reports SERVING, through the whole
 * request path (Netty, gRPC, the interceptors, each version's batcher and model): Predict for a
 * text classifier, ModelInfer with ones for the graph's inputs (open dimensions 1) for a tensor model. A canary's first
 * minute is what its analysis measures and what its first users feel; without this, that minute
 * runs in the interpreter while the JIT compiler takes CPU from the model. The calls keep every
 * version's workers busy with texts of many lengths, one or several to a call, so that single
 * inputs, full batches and batches closed by the padding bound all run. A version whose call fails
 * (a graph that ones do not suit, say) leaves the rotation; the others go on.
 *
 * <p>It ends when the JIT compiler has been quiet for {@link #QUIET_SLICES} slices in a row (it
 * compiled for less than a tenth of a slice in each), or when its time is spent.
 */
final class WarmUp {

    /** What a warm-up did, for the log. */
    record Outcome(long calls, Duration took, boolean jitQuiet, Status failure) {}

    private static final Duration SLICE = Duration.ofMillis(250);
    private static final int QUIET_SLICES = 2;
    private static final double QUIET_SHARE = 0.1;
    /** How long SERVING may wait past the warm-up's end for the batches already in the model. */
    private static final Duration LAST_BATCH_GRACE = Duration.ofSeconds(5);
    /**
     * Mostly short texts, so that the request path (which costs the same whatever the length) runs
     * as often as the time allows; a few long ones, so that the padding bound closes batches too.
     */
    private static final int[] WORDS_PER_TEXT = {1, 2, 2, 3, 3, 5, 8, 40};
    private static final List<String> WORDS = List.of("the", "room", "was", "quiet", "and", "the", "staff", "were",
            "kind", "but", "breakfast", "came", "late");

    private final InferenceServiceGrpc.InferenceServiceFutureStub stub;
    private final GRPCInferenceServiceGrpc.GRPCInferenceServiceFutureStub openInference;
    private final List<ServedVersion> versions;
    private final List<ServedVersion> rotation;
    private final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();

    WarmUp(Channel channel, List<ServedVersion> versions) {
        this.stub = InferenceServiceGrpc.newFutureStub(channel);
        this.openInference = GRPCInferenceServiceGrpc.newFutureStub(channel);
        this.versions = List.copyOf(versions);
        this.rotation = new CopyOnWriteArrayList<>(versions);
    }

    /**
     * Sends calls until the JIT is quiet or {@code budget} is spent. Every call's deadline is the
     * budget's end, so what is still queued then is dropped by the batcher rather than run: SERVING
     * waits at most for the batches already in the model.
     */
    Outcome run(Duration budget) throws InterruptedException {
        int inFlight = 0;
        for (ServedVersion version : versions) {
            inFlight += version.batcher().settings().workers() * version.batcher().settings().maxBatchSize();
        }
        Semaphore permits = new Semaphore(inFlight);
        AtomicLong answered = new AtomicLong();
        AtomicReference<Status> failure = new AtomicReference<>();
        long start = System.nanoTime();
        Deadline end = Deadline.after(budget.toNanos(), TimeUnit.NANOSECONDS);
        long sliceEnd = start + SLICE.toNanos();
        long compiledAtSliceStart = compileMillis();
        int quietSlices = 0;
        for (int call = 0; quietSlices < QUIET_SLICES && !rotation.isEmpty() && !end.isExpired(); ) {
            long now = System.nanoTime();
            if (now >= sliceEnd) {
                long compiled = compileMillis();
                boolean quiet = jitTimed() && compiled - compiledAtSliceStart < QUIET_SHARE * SLICE.toMillis();
                quietSlices = quiet ? quietSlices + 1 : 0;
                compiledAtSliceStart = compiled;
                sliceEnd = now + SLICE.toNanos();
            }
            long wait = Math.min(end.timeRemaining(TimeUnit.NANOSECONDS), sliceEnd - now);
            if (permits.tryAcquire(wait, TimeUnit.NANOSECONDS)) {
                List<ServedVersion> turn = List.copyOf(rotation);
                if (turn.isEmpty()) {
                    permits.release();
                } else {
                    ServedVersion version = turn.get(call % turn.size());
                    send(version, call(version, call++, end), permits, answered, failure);
                }
            }
        }
        // The answers come back as the deadline passes; the batches the model is still running, and
        // the texts they drop, must be done too before the metrics start.
        long drainEnd = System.nanoTime() + end.timeRemaining(TimeUnit.NANOSECONDS) + LAST_BATCH_GRACE.toNanos();
        boolean drained = permits.tryAcquire(inFlight, drainEnd - System.nanoTime(), TimeUnit.NANOSECONDS);
        for (ServedVersion version : versions) {
            drained &= version.batcher().awaitIdle(Duration.ofNanos(Math.max(0, drainEnd - System.nanoTime())));
        }
        Status failed = failure.get();
        if (!drained && failed == null) {
            failed = Status.DEADLINE_EXCEEDED.withDescription("warm-up batches were still running "
                    + LAST_BATCH_GRACE.toMillis() + " ms after the warm-up's end");
        }
        return new Outcome(answered.get(), Duration.ofNanos(System.nanoTime() - start),
                quietSlices >= QUIET_SLICES, failed);
    }

    private void send(ServedVersion version, ListenableFuture<?> call, Semaphore permits, AtomicLong answered,
            AtomicReference<Status> failure) {
        Futures.addCallback(call, new FutureCallback<Object>() {
            @Override
            public void onSuccess(Object response) {
                answered.incrementAndGet();
                permits.release();
            }

            @Override
            public void onFailure(Throwable error) {
                Status status = Status.fromThrowable(error);
                // A call the warm-up's end caught is expected; anything else is the version failing.
                if (status.getCode() != Status.Code.DEADLINE_EXCEEDED) {
                    if (rotation.remove(version)) {
                        failure.compareAndSet(null, status.withDescription(version.model() + "/" + version.version()
                                + ": " + status.getDescription()));
                    }
                }
                permits.release();
            }
        }, MoreExecutors.directExecutor());
    }

    private ListenableFuture<?> call(ServedVersion version, int n, Deadline end) {
        if (version instanceof ServedVersion.TensorVersion tensors) {
            return openInference.withDeadline(end).modelInfer(ones(tensors));
        }
        if (version instanceof ServedVersion.EmbeddingVersion) {
            return stub.withDeadline(end).embed(EmbedRequest.newBuilder().setModel(version.model())
                    .setVersion(version.version()).addAllInstances(texts(n)).build());
        }
        return stub.withDeadline(end).predict(PredictRequest.newBuilder().setModel(version.model())
                .setVersion(version.version()).addAllInstances(texts(n)).build());
    }

    /** The texts of call {@code n} to a text model: text lengths in turn, every fourth call four texts long. */
    private static List<String> texts(int n) {
        int texts = n % 4 == 3 ? 4 : 1;
        List<String> instances = new ArrayList<>(texts);
        for (int i = 0; i < texts; i++) {
            instances.add(text(WORDS_PER_TEXT[(n + i) % WORDS_PER_TEXT.length], n));
        }
        return instances;
    }

    /**
     * A tensor model's inputs as the graph declares them, every open dimension 1, every element
     * one (or "1"): not zero, because ONNX Runtime's integer Div and Mod kernels divide by a zero
     * divisor natively, and SIGFPE ends the process.
     */
    private static ModelInferRequest ones(ServedVersion.TensorVersion version) {
        ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(version.model())
                .setModelVersion(version.version());
        for (TensorSpec spec : version.tensorModel().inputs()) {
            TensorData ones = spec.example(i -> spec.datatype() == Datatype.BYTES ? "1"
                    : spec.datatype() == Datatype.BOOL ? (Object) true : (Object) 1);
            request.addInputs(InferInputTensor.newBuilder().setName(spec.name()).setDatatype(spec.datatype().name())
                    .addAllShape(Arrays.stream(ones.shape()).boxed().toList()));
            request.addRawInputContents(spec.datatype() == Datatype.BYTES
                    ? BytesElements.encode(ones.strings().stream().map(ByteString::copyFromUtf8).toList())
                    : ones.raw());
        }
        return request.build();
    }

    private static String text(int words, int offset) {
        List<String> text = new ArrayList<>(words);
        for (int i = 0; i < words; i++) {
            text.add(WORDS.get((offset + i) % WORDS.size()));
        }
        return String.join(" ", text);
    }

    /** Whether this JVM says how long its JIT compiles; where it does not, the budget alone ends a warm-up. */
    private boolean jitTimed() {
        return jit != null && jit.isCompilationTimeMonitoringSupported();
    }

    private long compileMillis() {
        return jitTimed() ? jit.getTotalCompilationTime() : 0;
    }
}
