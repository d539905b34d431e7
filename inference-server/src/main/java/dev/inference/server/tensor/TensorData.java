package dev.inference.server.tensor;

import com.google.protobuf.ByteString;
import java.util.List;

/**
 * One tensor's shape and elements: raw little-endian bytes, or strings for a BYTES (ONNX string)
 * tensor. The same form goes in (a request's input) and comes out (a row of an output).
 *
 * @param raw the elements in the Open Inference Protocol's raw layout; empty for strings
 * @param strings the elements of a BYTES tensor; empty otherwise
 */
public record TensorData(long[] shape, ByteString raw, List<String> strings) {

    public static TensorData raw(long[] shape, ByteString raw) {
        return new TensorData(shape, raw, List.of());
    }

    public static TensorData strings(long[] shape, List<String> strings) {
        return new TensorData(shape, ByteString.EMPTY, strings);
    }

    /** Elements in a tensor of this shape. @throws ArithmeticException past {@code long} */
    public static long elements(long[] shape) {
        long count = 1;
        for (long dimension : shape) {
            count = Math.multiplyExact(count, dimension);
        }
        return count;
    }
}
