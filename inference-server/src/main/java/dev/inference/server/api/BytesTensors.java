package dev.inference.server.api;

import com.google.protobuf.ByteString;
import dev.inference.api.tensors.BytesElements;
import io.grpc.StatusException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** BYTES tensors as the server reads them: raw elements with errors as statuses, elements as UTF-8 text. */
final class BytesTensors {

    private BytesTensors() {}

    /**
     * The elements of a raw BYTES tensor.
     *
     * @param tensor names the tensor in errors
     * @throws StatusException INVALID_ARGUMENT naming the tensor, the byte and what was wrong
     */
    static List<ByteString> decodeRaw(ByteString raw, String tensor) throws StatusException {
        try {
            return BytesElements.decode(raw);
        } catch (IllegalArgumentException e) {
            throw RequestLimits.invalid(tensor + ": " + e.getMessage());
        }
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
