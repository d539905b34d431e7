package dev.inference.api.tensors;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The raw form of a BYTES tensor in the Open Inference Protocol: per element, a 4-byte
 * little-endian length, then that many bytes.
 */
public final class BytesElements {

    private BytesElements() {}

    /**
     * The elements of a raw BYTES tensor, as views of {@code raw} (no copy).
     *
     * @throws IllegalArgumentException naming the element and the byte where the encoding breaks
     */
    public static List<ByteString> decode(ByteString raw) {
        ByteBuffer buffer = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        List<ByteString> elements = new ArrayList<>();
        while (buffer.hasRemaining()) {
            int at = buffer.position();
            if (buffer.remaining() < Integer.BYTES) {
                throw new IllegalArgumentException("raw contents end inside the 4-byte length of element "
                        + elements.size() + " (at byte " + at + ")");
            }
            long length = Integer.toUnsignedLong(buffer.getInt());
            if (length > buffer.remaining()) {
                throw new IllegalArgumentException("element " + elements.size() + " declares " + length
                        + " bytes at byte " + at + " but only " + buffer.remaining() + " remain");
            }
            elements.add(raw.substring(buffer.position(), buffer.position() + (int) length));
            buffer.position(buffer.position() + (int) length);
        }
        return elements;
    }

    public static ByteString encode(List<ByteString> elements) {
        int size = elements.stream().mapToInt(element -> Integer.BYTES + element.size()).sum();
        ByteBuffer buffer = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        for (ByteString element : elements) {
            buffer.putInt(element.size());
            element.copyTo(buffer);
        }
        return ByteString.copyFrom(buffer.flip());
    }
}
