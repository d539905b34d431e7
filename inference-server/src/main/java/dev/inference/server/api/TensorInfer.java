package dev.inference.server.api;

import com.google.protobuf.ByteString;
import dev.inference.api.TextTensors;
import dev.inference.api.tensors.BytesElements;
import dev.inference.api.tensors.Datatype;
import dev.inference.server.registry.ServedVersion;
import dev.inference.server.tensor.TensorData;
import dev.inference.server.tensor.TensorModel;
import dev.inference.server.tensor.TensorRequest;
import dev.inference.server.tensor.TensorSpec;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferRequest.InferInputTensor;
import inference.GrpcPredictV2.ModelInferRequest.InferRequestedOutputTensor;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse.InferOutputTensor;
import inference.GrpcPredictV2.ModelInferResponse;
import io.grpc.StatusException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A ModelInfer call to a tensor model: the request checked against the graph so that nothing
 * reaches ONNX Runtime that it would reject, and the answer assembled from the rows the batcher
 * returns. Every problem is INVALID_ARGUMENT naming the tensor and what was expected.
 */
final class TensorInfer {

    private final ModelInferRequest request;
    private final TensorModel model;
    private final TensorRequest tensors;
    private final List<Integer> outputs;
    private final boolean raw;

    private TensorInfer(ModelInferRequest request, TensorModel model, TensorRequest tensors, List<Integer> outputs,
            boolean raw) {
        this.request = request;
        this.model = model;
        this.tensors = tensors;
        this.outputs = outputs;
        this.raw = raw;
    }

    /** @throws StatusException INVALID_ARGUMENT for anything the graph would not take */
    static TensorInfer read(ModelInferRequest request, ServedVersion.TensorVersion version, RequestLimits limits)
            throws StatusException {
        TensorModel model = version.tensorModel();
        List<TensorSpec> specs = model.inputs();
        boolean raw = request.getRawInputContentsCount() > 0;
        if (raw && request.getRawInputContentsCount() != request.getInputsCount()) {
            throw RequestLimits.invalid("raw_input_contents holds " + request.getRawInputContentsCount()
                    + " tensors for " + request.getInputsCount() + " inputs");
        }
        TensorData[] inputs = new TensorData[specs.size()];
        for (int i = 0; i < request.getInputsCount(); i++) {
            InferInputTensor input = request.getInputs(i);
            int index = indexOf(specs, input.getName());
            if (index < 0) {
                throw RequestLimits.invalid("unknown input \"" + input.getName() + "\"; the model takes "
                        + describe(specs));
            }
            if (inputs[index] != null) {
                throw RequestLimits.invalid("input \"" + input.getName() + "\" is given twice");
            }
            inputs[index] = data(input, specs.get(index), raw ? request.getRawInputContents(i) : null, i);
        }
        for (int i = 0; i < specs.size(); i++) {
            if (inputs[i] == null) {
                throw RequestLimits.invalid("missing input \"" + specs.get(i).name() + "\" ("
                        + specs.get(i).describe() + "); the model takes " + describe(specs));
            }
        }
        if (version.batched()) {
            checkBatch(inputs, specs, limits);
        }
        return new TensorInfer(request, model, new TensorRequest(Arrays.asList(inputs), version.batched()),
                requestedOutputs(request, model.outputs()), raw);
    }

    /** What the batcher runs for this call. */
    TensorRequest tensors() {
        return tensors;
    }

    private static TensorData data(InferInputTensor input, TensorSpec spec, ByteString rawContents, int position)
            throws StatusException {
        String name = "input \"" + input.getName() + "\"";
        if (!input.getDatatype().equals(spec.datatype().name())) {
            throw RequestLimits.invalid(name + " has datatype " + input.getDatatype() + "; the model takes "
                    + spec.datatype());
        }
        long[] shape = input.getShapeList().stream().mapToLong(Long::longValue).toArray();
        checkShape(name, shape, spec);
        long elements;
        try {
            elements = TensorData.elements(shape);
        } catch (ArithmeticException e) {
            throw RequestLimits.invalid(name + " has shape " + Arrays.toString(shape) + ", too many elements");
        }
        Datatype datatype = spec.datatype();
        String shaped = name + " has shape " + Arrays.toString(shape) + " (" + elements + " elements)";
        if (rawContents != null) {
            if (input.getContents().getSerializedSize() > 0) {
                throw RequestLimits.invalid(name + " has typed contents while the request has raw_input_contents:"
                        + " send every input either raw or typed");
            }
            if (datatype == Datatype.BYTES) {
                return strings(name, shape, elements, BytesTensors.decodeRaw(rawContents, name),
                        shaped + " but raw_input_contents[" + position + "] holds ");
            }
            if (rawContents.size() != elements * datatype.size()) {
                throw RequestLimits.invalid(shaped + " of " + datatype + ", " + elements * datatype.size()
                        + " bytes, but raw_input_contents[" + position + "] holds " + rawContents.size() + " bytes");
            }
            if (spec.integerDivisor()) {
                checkDivisor(name, spec, rawContents);
            }
            return TensorData.raw(shape, rawContents);
        }
        if (datatype.typedField().isEmpty()) {
            throw RequestLimits.invalid(name + " is " + datatype + ", which has no typed contents field in the"
                    + " protocol: send it in raw_input_contents");
        }
        InferTensorContents contents = input.getContents();
        String field = datatype.typedField().get();
        int count = datatype.typedCount(contents);
        if (datatype == Datatype.BYTES) {
            return strings(name, shape, elements, contents.getBytesContentsList(), shaped + " but its " + field
                    + " holds ");
        }
        if (count != elements) {
            throw RequestLimits.invalid(shaped + " but its " + field + " holds " + count
                    + (count == 0 ? " (a " + datatype + " tensor's elements go in " + field + ")" : ""));
        }
        ByteString raw;
        try {
            raw = datatype.typedToRaw(contents);
        } catch (IllegalArgumentException e) {
            throw RequestLimits.invalid(name + ": " + e.getMessage());
        }
        if (spec.integerDivisor()) {
            checkDivisor(name, spec, raw);
        }
        return TensorData.raw(shape, raw);
    }

    /** A zero in an integer divisor would end the process inside ONNX Runtime (SIGFPE): refused here instead. */
    private static void checkDivisor(String name, TensorSpec spec, ByteString raw) throws StatusException {
        ByteBuffer values = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; values.hasRemaining(); i++) {
            if (((Number) spec.datatype().get(values)).longValue() == 0) {
                throw RequestLimits.invalid(name + " divides integers in the model (Div or Mod), and its element " + i
                        + " is 0");
            }
        }
    }

    private static TensorData strings(String name, long[] shape, long elements, List<ByteString> values,
            String mismatch) throws StatusException {
        if (values.size() != elements) {
            throw RequestLimits.invalid(mismatch + values.size() + " elements");
        }
        List<String> strings = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            strings.add(BytesTensors.utf8(values.get(i), name, i));
        }
        return TensorData.strings(shape, strings);
    }

    /** Rank and every dimension the graph fixes; open dimensions take any size of 0 or more. */
    private static void checkShape(String name, long[] shape, TensorSpec spec) throws StatusException {
        String expected = "; the model takes " + spec.describe();
        if (shape.length != spec.shape().length) {
            throw RequestLimits.invalid(name + " has shape " + Arrays.toString(shape) + " (rank " + shape.length + ")"
                    + expected + " (rank " + spec.shape().length + ")");
        }
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] < 0) {
                throw RequestLimits.invalid(name + " has shape " + Arrays.toString(shape) + ": dimension " + d
                        + " is negative");
            }
            if (spec.shape()[d] != TensorSpec.VARIABLE && shape[d] != spec.shape()[d]) {
                throw RequestLimits.invalid(name + " has shape " + Arrays.toString(shape) + ": dimension " + d
                        + " must be " + spec.shape()[d] + expected);
            }
        }
    }

    /** A batched model's calls share one first dimension, the rows, within the per-request limit. */
    private static void checkBatch(TensorData[] inputs, List<TensorSpec> specs, RequestLimits limits)
            throws StatusException {
        long rows = inputs[0].shape()[0];
        for (int i = 1; i < inputs.length; i++) {
            if (inputs[i].shape()[0] != rows) {
                throw RequestLimits.invalid("inputs \"" + specs.get(0).name() + "\" and \"" + specs.get(i).name()
                        + "\" have " + rows + " and " + inputs[i].shape()[0] + " rows; the first dimension of every"
                        + " input is the batch");
            }
        }
        if (rows == 0) {
            throw RequestLimits.invalid("the inputs hold no rows: the first dimension of every input is the batch");
        }
        if (rows > limits.maxInstances()) {
            throw RequestLimits.invalid("too many rows: " + rows + "; the limit is " + limits.maxInstances()
                    + " per request, split the rows over several requests");
        }
    }

    /** Indexes of the outputs to return, in the order asked; all of them, in the graph's order, when none is named. */
    private static List<Integer> requestedOutputs(ModelInferRequest request, List<TensorSpec> specs)
            throws StatusException {
        List<Integer> wanted = new ArrayList<>();
        if (request.getOutputsCount() == 0) {
            for (int o = 0; o < specs.size(); o++) {
                wanted.add(o);
            }
            return wanted;
        }
        for (InferRequestedOutputTensor output : request.getOutputsList()) {
            int index = indexOf(specs, output.getName());
            if (index < 0) {
                throw RequestLimits.invalid("unknown output \"" + output.getName() + "\"; the model gives "
                        + describe(specs));
            }
            if (output.containsParameters(OpenInferenceService.CLASSIFICATION)) {
                throw RequestLimits.invalid("output \"" + output.getName() + "\": the " + OpenInferenceService.CLASSIFICATION
                        + " extension applies to text classifiers' \"" + TextTensors.PROBABILITIES_OUTPUT + "\"");
            }
            wanted.add(index);
        }
        return wanted;
    }

    /** The answer from every row's outputs, raw when the request was raw or an output has no typed field (FP16). */
    ModelInferResponse response(List<List<TensorData>> rows) {
        boolean answerRaw = raw || outputs.stream()
                .anyMatch(o -> model.outputs().get(o).datatype().typedField().isEmpty());
        ModelInferResponse.Builder response = ModelInferResponse.newBuilder()
                .setModelName(model.model())
                .setModelVersion(model.version())
                .setId(request.getId());
        for (int o : outputs) {
            TensorSpec spec = model.outputs().get(o);
            long[] rowShape = rows.get(0).get(o).shape();
            InferOutputTensor.Builder tensor = InferOutputTensor.newBuilder().setName(spec.name())
                    .setDatatype(spec.datatype().name());
            if (tensors.batched()) {
                tensor.addShape(rows.size());
            }
            Arrays.stream(rowShape).forEach(tensor::addShape);
            if (spec.datatype() == Datatype.BYTES) {
                List<ByteString> elements = rows.stream().flatMap(row -> row.get(o).strings().stream())
                        .map(ByteString::copyFromUtf8).toList();
                if (answerRaw) {
                    response.addRawOutputContents(BytesElements.encode(elements));
                } else {
                    tensor.setContents(InferTensorContents.newBuilder().addAllBytesContents(elements));
                }
            } else {
                // Concatenation builds a rope over the rows' views: no copy until the answer is written.
                ByteString data = ByteString.copyFrom(rows.stream().map(row -> row.get(o).raw()).toList());
                if (answerRaw) {
                    response.addRawOutputContents(data);
                } else {
                    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
                    spec.datatype().rawToTyped(data, contents);
                    tensor.setContents(contents);
                }
            }
            response.addOutputs(tensor);
        }
        return response.build();
    }

    private static int indexOf(List<TensorSpec> specs, String name) {
        for (int i = 0; i < specs.size(); i++) {
            if (specs.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static String describe(List<TensorSpec> specs) {
        return specs.stream().map(spec -> "\"" + spec.name() + "\" (" + spec.describe() + ")")
                .collect(Collectors.joining(", "));
    }
}
