package dev.inference.server.tensor;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.TensorInfo;
import com.google.protobuf.ByteString;
import dev.inference.api.tensors.Datatype;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;

/**
 * One input or output of a tensor model as its ONNX graph declares it, in the protocol's terms.
 *
 * @param shape -1 where the graph leaves a dimension open (symbolic or unknown)
 * @param onnxType how ONNX Runtime's Java API creates a tensor of it (inputs only)
 * @param integerDivisor an integer input the graph divides by ({@code Div} or {@code Mod}): ONNX
 *     Runtime divides natively, and a zero element would end the process with SIGFPE
 */
public record TensorSpec(String name, Datatype datatype, long[] shape, OnnxJavaType onnxType, boolean integerDivisor) {

    /** Dimension value for one the graph leaves open, as ONNX Runtime and the protocol both write it. */
    public static final long VARIABLE = -1;

    /**
     * The graph's description of one input or output.
     *
     * @param input inputs are created by the server, so they need a type ONNX Runtime's Java API can create
     * @throws IllegalArgumentException naming the tensor and why the server cannot serve it
     */
    static TensorSpec of(NodeInfo node, boolean input) {
        String what = (input ? "input \"" : "output \"") + node.getName() + "\"";
        if (!(node.getInfo() instanceof TensorInfo info)) {
            throw new IllegalArgumentException(what + " is a " + node.getInfo()
                    + "; only tensors travel over the Open Inference Protocol");
        }
        Datatype datatype = switch (info.onnxType) {
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL -> Datatype.BOOL;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8 -> Datatype.UINT8;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16 -> Datatype.UINT16;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32 -> Datatype.UINT32;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64 -> Datatype.UINT64;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8 -> Datatype.INT8;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16 -> Datatype.INT16;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32 -> Datatype.INT32;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 -> Datatype.INT64;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 -> Datatype.FP16;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT -> Datatype.FP32;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE -> Datatype.FP64;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING -> Datatype.BYTES;
            default -> throw new IllegalArgumentException(what + " has element type " + info.onnxType
                    + ", which the Open Inference Protocol has no datatype for");
        };
        OnnxJavaType onnxType = OnnxJavaType.mapFromOnnxTensorType(info.onnxType);
        if (input && (datatype == Datatype.UINT16 || datatype == Datatype.UINT32 || datatype == Datatype.UINT64)) {
            // mapFromOnnxTensorType reads UINT16/32/64 as their signed twins, which is right for
            // reading an output's bits but would feed the graph a tensor of the wrong type.
            throw new IllegalArgumentException(what + " is " + datatype
                    + ": ONNX Runtime's Java API cannot create UINT16, UINT32 or UINT64 tensors");
        }
        return new TensorSpec(node.getName(), datatype, info.getShape(), onnxType, false);
    }

    /**
     * A tensor of this spec with every open dimension 1: element {@code i} is {@code element.apply(i)},
     * a String for BYTES, else a plain value {@link Datatype#put} takes. For calls the server makes
     * itself (the warm-up) and the raw model's benchmark.
     */
    public TensorData example(IntFunction<Object> element) {
        long[] concrete = Arrays.stream(shape).map(dimension -> dimension == VARIABLE ? 1 : dimension).toArray();
        int elements = (int) TensorData.elements(concrete);
        if (datatype == Datatype.BYTES) {
            List<String> strings = new ArrayList<>(elements);
            for (int i = 0; i < elements; i++) {
                strings.add((String) element.apply(i));
            }
            return TensorData.strings(concrete, strings);
        }
        ByteBuffer raw = ByteBuffer.allocate(elements * datatype.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < elements; i++) {
            datatype.put(raw, element.apply(i));
        }
        return TensorData.raw(concrete, ByteString.copyFrom(raw.flip()));
    }

    /** This input, marked as an integer divisor of the graph. */
    TensorSpec asIntegerDivisor() {
        return new TensorSpec(name, datatype, shape, onnxType, true);
    }

    /** Whether the first dimension is open, so that requests can be stacked along it. */
    boolean batchable() {
        return shape.length > 0 && shape[0] == VARIABLE;
    }

    /** The shape as the protocol's metadata and messages write it. */
    public String describe() {
        return datatype + " " + Arrays.toString(shape);
    }
}
