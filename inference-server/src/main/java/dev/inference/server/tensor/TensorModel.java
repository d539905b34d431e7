package dev.inference.server.tensor;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.inference.api.tensors.Datatype;
import dev.inference.server.batching.BatchModel;
import dev.inference.server.batching.BatchWorker;
import dev.inference.server.model.InputRejectedException;
import dev.inference.server.model.OnnxSessions;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import onnx.Onnx.GraphProto;
import onnx.Onnx.ModelProto;
import onnx.Onnx.NodeProto;
import onnx.Onnx.TensorProto;
import onnx.Onnx.ValueInfoProto;

/**
 * A model described entirely by its ONNX graph: every input and output, its datatype and shape,
 * come from the graph, as Triton's auto-completed configuration does. When every input and output
 * has an open first dimension the model is batchable: rows of calls with equal shapes are stacked
 * along it, run once, and the outputs split back per row.
 *
 * <p>Inputs reach ONNX Runtime through a direct buffer per worker and input, filled straight from
 * the request's bytes; outputs are read once and handed out as views of that copy.
 */
public final class TensorModel implements BatchModel<TensorRow, List<TensorData>>, AutoCloseable {

    private final String model;
    private final String version;
    private final OrtEnvironment environment;
    private final OrtSession session;
    private final List<TensorSpec> inputs;
    private final List<TensorSpec> outputs;
    private final boolean batchable;

    private TensorModel(String model, String version, OrtEnvironment environment, OrtSession session,
            List<TensorSpec> inputs, List<TensorSpec> outputs) {
        this.model = model;
        this.version = version;
        this.environment = environment;
        this.session = session;
        this.inputs = inputs;
        this.outputs = outputs;
        this.batchable = inputs.stream().allMatch(TensorSpec::batchable)
                && outputs.stream().allMatch(TensorSpec::batchable);
    }

    /**
     * Loads {@code <versionDir>/model.onnx} and reads its inputs and outputs.
     *
     * @throws IOException naming the file and why it cannot be served
     */
    public static TensorModel load(String model, String version, Path versionDir, int intraOpThreads)
            throws IOException {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            // The protocol's raw tensors are little-endian and go to ONNX Runtime as they are.
            throw new IOException("tensor models need a little-endian machine");
        }
        Path file = versionDir.resolve(OnnxSessions.MODEL_FILE);
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        OrtSession session;
        try {
            session = environment.createSession(file.toString(), OnnxSessions.options(intraOpThreads));
        } catch (OrtException e) {
            throw new IOException("cannot load " + file + ": " + e.getMessage(), e);
        }
        try {
            Set<String> divisors = integerDivisors(file);
            List<TensorSpec> inputs = specs(session.getInputInfo(), true).stream()
                    .map(spec -> divisors.contains(spec.name()) ? spec.asIntegerDivisor() : spec).toList();
            return new TensorModel(model, version, environment, session, inputs, specs(session.getOutputInfo(), false));
        } catch (OrtException | IllegalArgumentException e) {
            closeQuietly(session);
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The graph's integer inputs that a {@code Div} or {@code Mod} node divides by directly. ONNX
     * Runtime's integer kernels divide natively: a zero divisor raises SIGFPE, which no JVM can
     * catch in native code, so requests are checked for zeros there first. A divisor the graph
     * computes itself cannot be checked (docs/models.md says so).
     */
    private static Set<String> integerDivisors(Path file) throws IOException {
        GraphProto graph;
        try (InputStream in = Files.newInputStream(file)) {
            graph = ModelProto.parseFrom(in).getGraph();
        }
        Set<String> integerInputs = new HashSet<>();
        for (ValueInfoProto input : graph.getInputList()) {
            int type = input.getType().getTensorType().getElemType();
            if (type != TensorProto.DataType.FLOAT_VALUE && type != TensorProto.DataType.DOUBLE_VALUE
                    && type != TensorProto.DataType.FLOAT16_VALUE && type != TensorProto.DataType.BFLOAT16_VALUE
                    && type != TensorProto.DataType.STRING_VALUE && type != TensorProto.DataType.BOOL_VALUE) {
                integerInputs.add(input.getName());
            }
        }
        Set<String> divisors = new HashSet<>();
        for (NodeProto node : graph.getNodeList()) {
            boolean division = node.getDomain().isEmpty() && (node.getOpType().equals("Div") || node.getOpType().equals("Mod"));
            if (division && node.getInputCount() > 1 && integerInputs.contains(node.getInput(1))) {
                divisors.add(node.getInput(1));
            }
        }
        return divisors;
    }

    private static List<TensorSpec> specs(Map<String, NodeInfo> nodes, boolean input) {
        List<TensorSpec> specs = new ArrayList<>(nodes.size());
        nodes.values().forEach(node -> specs.add(TensorSpec.of(node, input)));
        return List.copyOf(specs);
    }

    public String model() {
        return model;
    }

    public String version() {
        return version;
    }

    /** The graph's inputs, in its order. */
    public List<TensorSpec> inputs() {
        return inputs;
    }

    /** The graph's outputs, in its order. */
    public List<TensorSpec> outputs() {
        return outputs;
    }

    /** Whether every input and output has an open first dimension to stack calls along. */
    public boolean batchable() {
        return batchable;
    }

    @Override
    public BatchWorker<TensorRow, List<TensorData>> newWorker() {
        return new Worker();
    }

    @Override
    public void close() {
        closeQuietly(session);
    }

    private static void closeQuietly(OrtSession session) {
        try {
            session.close();
        } catch (OrtException e) {
            // Releasing native memory at shutdown: nothing left to do about a failure.
        }
    }

    @Override
    public String toString() {
        return model + "/" + version;
    }

    /** Runs batches on the one thread that owns it, reusing its input buffers. */
    private final class Worker implements BatchWorker<TensorRow, List<TensorData>> {

        private final ByteBuffer[] buffers = new ByteBuffer[inputs.size()];

        @Override
        public List<List<TensorData>> run(List<TensorRow> rows) throws OrtException, InputRejectedException {
            Map<String, OnnxTensor> feeds = new HashMap<>();
            try {
                for (int i = 0; i < inputs.size(); i++) {
                    feeds.put(inputs.get(i).name(), input(i, rows));
                }
                try (OrtSession.Result result = session.run(feeds)) {
                    return split(result, rows.size(), rows.get(0).request().batched());
                }
            } catch (OrtException e) {
                // Shapes and types were checked against the graph before; what ONNX Runtime still
                // calls an invalid argument is in the values, such as an index out of range.
                if (e.getCode() == OrtException.OrtErrorCode.ORT_INVALID_ARGUMENT) {
                    throw new InputRejectedException(runtimeMessage(e));
                }
                throw e;
            } finally {
                feeds.values().forEach(OnnxTensor::close);
            }
        }

        /** Input {@code i} of every row, stacked. */
        private OnnxTensor input(int i, List<TensorRow> rows) throws OrtException {
            TensorSpec spec = inputs.get(i);
            TensorRequest first = rows.get(0).request();
            long[] shape = first.batched() ? stacked(rows.size(), first.rowShape(i)) : first.rowShape(i);
            int rowElements = first.rowElements(i);
            if (spec.datatype() == Datatype.BYTES) {
                String[] strings = new String[rows.size() * rowElements];
                for (int r = 0; r < rows.size(); r++) {
                    TensorRow row = rows.get(r);
                    List<String> all = row.request().inputs().get(i).strings();
                    for (int e = 0; e < rowElements; e++) {
                        strings[r * rowElements + e] = all.get(row.row() * rowElements + e);
                    }
                }
                return OnnxTensor.createTensor(environment, strings, shape);
            }
            int rowBytes = rowElements * spec.datatype().size();
            ByteBuffer buffer = buffer(i, rows.size() * rowBytes);
            for (TensorRow row : rows) {
                ByteString raw = row.request().inputs().get(i).raw();
                raw.substring(row.row() * rowBytes, (row.row() + 1) * rowBytes).copyTo(buffer);
            }
            buffer.flip();
            return OnnxTensor.createTensor(environment, buffer, shape, spec.onnxType());
        }

        /** This worker's direct buffer for input {@code i}, cleared, with room for {@code bytes}. */
        private ByteBuffer buffer(int i, int bytes) {
            ByteBuffer buffer = buffers[i];
            if (buffer == null || buffer.capacity() < bytes) {
                buffer = ByteBuffer.allocateDirect(Math.max(bytes, 64)).order(ByteOrder.LITTLE_ENDIAN);
                buffers[i] = buffer;
            }
            buffer.clear().limit(bytes);
            return buffer;
        }

        /** Every output of the batch, cut into one list of outputs per row. */
        private List<List<TensorData>> split(OrtSession.Result result, int rows, boolean batched) throws OrtException {
            List<List<TensorData>> perRow = new ArrayList<>(rows);
            for (int r = 0; r < rows; r++) {
                perRow.add(new ArrayList<>(outputs.size()));
            }
            for (int o = 0; o < outputs.size(); o++) {
                TensorSpec spec = outputs.get(o);
                OnnxValue value = result.get(o);
                if (!(value instanceof OnnxTensor tensor)) {
                    throw new IllegalStateException(TensorModel.this + ": output \"" + spec.name() + "\" is not a tensor");
                }
                long[] shape = tensor.getInfo().getShape();
                if (batched && (shape.length == 0 || shape[0] != rows)) {
                    throw new IllegalStateException(TensorModel.this + ": output \"" + spec.name() + "\" has shape "
                            + Arrays.toString(shape) + " for a batch of " + rows
                            + " rows; its first dimension is not the batch (set maxBatchSize 0 in serving.json)");
                }
                long[] rowShape = batched ? Arrays.copyOfRange(shape, 1, shape.length) : shape;
                if (spec.datatype() == Datatype.BYTES) {
                    List<String> strings = flatten(tensor.getValue());
                    int per = strings.size() / rows;
                    for (int r = 0; r < rows; r++) {
                        perRow.get(r).add(TensorData.strings(rowShape, strings.subList(r * per, (r + 1) * per)));
                    }
                } else {
                    // A copy of ONNX Runtime's output, in native (little-endian) order; each row is a view of it.
                    ByteBuffer bytes = tensor.getByteBuffer();
                    int per = bytes.remaining() / rows;
                    for (int r = 0; r < rows; r++) {
                        perRow.get(r).add(TensorData.raw(rowShape,
                                UnsafeByteOperations.unsafeWrap(bytes.slice(r * per, per))));
                    }
                }
            }
            return perRow;
        }
    }

    /** ONNX Runtime's own words, without its error-code prefix or the paths of its sources. */
    private static String runtimeMessage(OrtException e) {
        return e.getMessage().replaceFirst("^Error code - \\w+ - message: ", "")
                .replaceAll("/onnxruntime_src/\\S+ ", "")
                .replace("Non-zero status code returned while running ", "")
                .replace(" Name:''", "");
    }

    private static long[] stacked(int rows, long[] rowShape) {
        long[] shape = new long[rowShape.length + 1];
        shape[0] = rows;
        System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
        return shape;
    }

    /** The elements of a string tensor's value (a String, or nested String arrays), row-major. */
    private static List<String> flatten(Object value) {
        List<String> strings = new ArrayList<>();
        flattenInto(value, strings);
        return strings;
    }

    private static void flattenInto(Object value, List<String> into) {
        if (value instanceof String string) {
            into.add(string);
        } else {
            for (int i = 0; i < Array.getLength(value); i++) {
                flattenInto(Array.get(value, i), into);
            }
        }
    }
}
