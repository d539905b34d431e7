package dev.inference.server.tensor;

import com.google.protobuf.ByteString;
import dev.inference.api.tensors.Datatype;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import onnx.Onnx.TensorProto;

/**
 * ONNX's own tensor format (TensorProto, as ONNX's conformance data stores inputs and expected
 * outputs) in the server's terms, and the comparison ONNX's backend tests make.
 */
public final class OnnxTensors {

    /** A tensor with its name and datatype. */
    public record Named(String name, Datatype datatype, TensorData data) {}

    private OnnxTensors() {}

    /** @throws IllegalArgumentException for an element type the protocol has no datatype for */
    public static Named read(TensorProto proto) {
        Datatype datatype = datatype(proto.getDataType());
        long[] shape = proto.getDimsList().stream().mapToLong(Long::longValue).toArray();
        int count = (int) TensorData.elements(shape);
        if (datatype == Datatype.BYTES) {
            return new Named(proto.getName(), datatype,
                    TensorData.strings(shape, proto.getStringDataList().stream().map(ByteString::toStringUtf8).toList()));
        }
        if (!proto.getRawData().isEmpty()) {
            return new Named(proto.getName(), datatype, TensorData.raw(shape, proto.getRawData()));
        }
        ByteBuffer raw = ByteBuffer.allocate(count * datatype.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            switch (datatype) {
                case FP32 -> raw.putFloat(proto.getFloatData(i));
                case FP64 -> raw.putDouble(proto.getDoubleData(i));
                case INT64 -> raw.putLong(proto.getInt64Data(i));
                case UINT32 -> raw.putInt((int) proto.getUint64Data(i));
                case UINT64 -> raw.putLong(proto.getUint64Data(i));
                case BOOL, INT8, UINT8 -> raw.put((byte) proto.getInt32Data(i));
                case INT16, UINT16, FP16 -> raw.putShort((short) proto.getInt32Data(i));
                case INT32 -> raw.putInt(proto.getInt32Data(i));
                default -> throw new IllegalArgumentException(datatype.name());
            }
        }
        return new Named(proto.getName(), datatype, TensorData.raw(shape, ByteString.copyFrom(raw.flip())));
    }

    public static Datatype datatype(int onnxElementType) {
        return switch (TensorProto.DataType.forNumber(onnxElementType)) {
            case FLOAT -> Datatype.FP32;
            case UINT8 -> Datatype.UINT8;
            case INT8 -> Datatype.INT8;
            case UINT16 -> Datatype.UINT16;
            case INT16 -> Datatype.INT16;
            case INT32 -> Datatype.INT32;
            case INT64 -> Datatype.INT64;
            case STRING -> Datatype.BYTES;
            case BOOL -> Datatype.BOOL;
            case FLOAT16 -> Datatype.FP16;
            case DOUBLE -> Datatype.FP64;
            case UINT32 -> Datatype.UINT32;
            case UINT64 -> Datatype.UINT64;
            default -> throw new IllegalArgumentException("element type " + onnxElementType);
        };
    }

    /**
     * Null when {@code actual} equals {@code expected} as ONNX's backend tests compare (floats
     * within rtol 1e-3 and atol 1e-5, NaN equal to NaN), else what differs.
     */
    public static String difference(Datatype datatype, TensorData expected, TensorData actual) {
        if (!Arrays.equals(expected.shape(), actual.shape())) {
            return "shape " + Arrays.toString(actual.shape()) + ", expected " + Arrays.toString(expected.shape());
        }
        if (datatype == Datatype.BYTES) {
            return expected.strings().equals(actual.strings()) ? null
                    : "strings " + actual.strings() + ", expected " + expected.strings();
        }
        if (expected.raw().size() != actual.raw().size()) {
            return actual.raw().size() + " bytes, expected " + expected.raw().size();
        }
        if (!datatype.floatingPoint()) {
            return expected.raw().equals(actual.raw()) ? null : "values differ";
        }
        ByteBuffer want = expected.raw().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer got = actual.raw().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; want.hasRemaining(); i++) {
            double a = ((Number) datatype.get(want)).doubleValue();
            double b = ((Number) datatype.get(got)).doubleValue();
            boolean equal = (Double.isNaN(a) && Double.isNaN(b)) || a == b || Math.abs(a - b) <= 1e-5 + 1e-3 * Math.abs(a);
            if (!equal) {
                return "element " + i + " is " + b + ", expected " + a;
            }
        }
        return null;
    }
}
