package dev.inference.server.api;

import com.google.protobuf.ByteString;
import io.grpc.StatusException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The Open Inference Protocol's encodings of tensor data that the classifier reads and writes: BYTES
 * elements as UTF-8 text, raw BYTES as, per element, a 4-byte little-endian length and then the
 * bytes, and raw FP32 as little-endian floats, all row-major.
 */
final class BytesTensors {

    private BytesTensors() {}

    /**
     * The elements of a raw BYTES tensor.
     *
     * @param tensor names the tensor in errors
     * @throws StatusException INVALID_ARGUMENT naming the tensor, the byte and what was wrong
     */
    static List<ByteString> decodeRaw(ByteString raw, String tensor) throws StatusException {
        ByteBuffer buffer = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        List<ByteString> elements = new ArrayList<>();
        while (buffer.hasRemaining()) {
            int at = buffer.position();
            if (buffer.remaining() < Integer.BYTES) {
                throw RequestLimits.invalid(tensor + ": raw contents end inside the 4-byte length of element "
                        + elements.size() + " (at byte " + at + ")");
            }
            long length = Integer.toUnsignedLong(buffer.getInt());
            if (length > buffer.remaining()) {
                throw RequestLimits.invalid(tensor + ": element " + elements.size() + " declares " + length
                        + " bytes at byte " + at + " but only " + buffer.remaining() + " remain");
            }
            elements.add(raw.substring(buffer.position(), buffer.position() + (int) length));
            buffer.position(buffer.position() + (int) length);
        }
        return elements;
    }

    static ByteString encodeRaw(List<ByteString> elements) {
        int size = elements.stream().mapToInt(element -> Integer.BYTES + element.size()).sum();
        ByteBuffer buffer = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        for (ByteString element : elements) {
            buffer.putInt(element.size());
            element.copyTo(buffer);
        }
        return ByteString.copyFrom(buffer.flip());
    }

    static ByteString encodeRawFp32(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            buffer.putFloat(value);
        }
        return ByteString.copyFrom(buffer.array());
    }

    /** The element as text; malformed UTF-8 is an error, never silently replaced. */
    static String utf8(ByteString element, String tensor, int index) throws StatusException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(element.asReadOnlyByteBuffer()).toString();
        } catch (CharacterCodingException e) {
            throw RequestLimits.invalid(tensor + "[" + index + "] is not valid UTF-8");
        }
    }
}
