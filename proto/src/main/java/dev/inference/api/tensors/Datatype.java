package dev.inference.api.tensors;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import inference.GrpcPredictV2.InferTensorContents;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * The Open Inference Protocol's tensor datatypes, and the one place that knows how each is laid
 * out: raw ({@code raw_input_contents}/{@code raw_output_contents}: little-endian, row-major, BOOL one
 * byte, FP16 IEEE half precision; BYTES is {@link BytesElements}), typed (the field of
 * {@code InferTensorContents} that carries it; FP16 has none), and as plain values for JSON.
 */
public enum Datatype {
    BOOL(1, 0, 1),
    UINT8(1, 0, 0xffL),
    UINT16(2, 0, 0xffffL),
    UINT32(4, 0, 0xffff_ffffL),
    UINT64(8, 0, -1),
    INT8(1, Byte.MIN_VALUE, Byte.MAX_VALUE),
    INT16(2, Short.MIN_VALUE, Short.MAX_VALUE),
    INT32(4, Integer.MIN_VALUE, Integer.MAX_VALUE),
    INT64(8, Long.MIN_VALUE, Long.MAX_VALUE),
    FP16(2, 0, 0),
    FP32(4, 0, 0),
    FP64(8, 0, 0),
    BYTES(0, 0, 0);

    private static final BigInteger UINT64_LIMIT = BigInteger.ONE.shiftLeft(64);

    private final int size;
    private final long min;
    private final long max;

    Datatype(int size, long min, long max) {
        this.size = size;
        this.min = min;
        this.max = max;
    }

    /** The datatype the protocol names so, if it is one. */
    public static Optional<Datatype> of(String name) {
        for (Datatype datatype : values()) {
            if (datatype.name().equals(name)) {
                return Optional.of(datatype);
            }
        }
        return Optional.empty();
    }

    /** Bytes per element in raw form; 0 for BYTES, whose elements vary in length. */
    public int size() {
        return size;
    }

    public boolean floatingPoint() {
        return this == FP16 || this == FP32 || this == FP64;
    }

    /** The {@code InferTensorContents} field that carries this datatype; empty for FP16, which only travels raw. */
    public Optional<String> typedField() {
        return Optional.ofNullable(switch (this) {
            case BOOL -> "bool_contents";
            case INT8, INT16, INT32 -> "int_contents";
            case INT64 -> "int64_contents";
            case UINT8, UINT16, UINT32 -> "uint_contents";
            case UINT64 -> "uint64_contents";
            case FP32 -> "fp32_contents";
            case FP64 -> "fp64_contents";
            case BYTES -> "bytes_contents";
            case FP16 -> null;
        });
    }

    /** How many elements {@code contents} holds in this datatype's field (0 for FP16). */
    public int typedCount(InferTensorContents contents) {
        return switch (this) {
            case BOOL -> contents.getBoolContentsCount();
            case INT8, INT16, INT32 -> contents.getIntContentsCount();
            case INT64 -> contents.getInt64ContentsCount();
            case UINT8, UINT16, UINT32 -> contents.getUintContentsCount();
            case UINT64 -> contents.getUint64ContentsCount();
            case FP32 -> contents.getFp32ContentsCount();
            case FP64 -> contents.getFp64ContentsCount();
            case BYTES -> contents.getBytesContentsCount();
            case FP16 -> 0;
        };
    }

    /**
     * The typed elements in raw form.
     *
     * @throws IllegalArgumentException naming the first element outside this datatype's range
     *     (an INT8 carried in the 32-bit {@code int_contents}, say)
     */
    public ByteString typedToRaw(InferTensorContents contents) {
        requireFixedSize();
        int count = typedCount(contents);
        ByteBuffer raw = ByteBuffer.allocate(count * size).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            switch (this) {
                case BOOL -> raw.put((byte) (contents.getBoolContents(i) ? 1 : 0));
                case INT8, INT16, INT32 -> putInteger(raw, contents.getIntContents(i), i);
                case INT64 -> raw.putLong(contents.getInt64Contents(i));
                case UINT8, UINT16, UINT32 -> putInteger(raw, Integer.toUnsignedLong(contents.getUintContents(i)), i);
                case UINT64 -> raw.putLong(contents.getUint64Contents(i));
                case FP32 -> raw.putFloat(contents.getFp32Contents(i));
                case FP64 -> raw.putDouble(contents.getFp64Contents(i));
                default -> throw new IllegalStateException(name());
            }
        }
        return UnsafeByteOperations.unsafeWrap(raw.array());
    }

    /** Raw elements into this datatype's typed field. */
    public void rawToTyped(ByteString raw, InferTensorContents.Builder contents) {
        requireFixedSize();
        if (this == FP16) {
            throw new IllegalStateException("FP16 has no typed contents");
        }
        ByteBuffer buffer = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.remaining() >= size) {
            switch (this) {
                case BOOL -> contents.addBoolContents(buffer.get() != 0);
                case INT8 -> contents.addIntContents(buffer.get());
                case INT16 -> contents.addIntContents(buffer.getShort());
                case INT32 -> contents.addIntContents(buffer.getInt());
                case INT64 -> contents.addInt64Contents(buffer.getLong());
                case UINT8 -> contents.addUintContents(Byte.toUnsignedInt(buffer.get()));
                case UINT16 -> contents.addUintContents(Short.toUnsignedInt(buffer.getShort()));
                case UINT32 -> contents.addUintContents(buffer.getInt());
                case UINT64 -> contents.addUint64Contents(buffer.getLong());
                case FP32 -> contents.addFp32Contents(buffer.getFloat());
                case FP64 -> contents.addFp64Contents(buffer.getDouble());
                default -> throw new IllegalStateException(name());
            }
        }
    }

    /**
     * Writes one element from a plain value: a Boolean for BOOL, a number for the rest.
     *
     * @throws IllegalArgumentException when the value is of the wrong kind or out of range
     */
    public void put(ByteBuffer raw, Object value) {
        requireFixedSize();
        if (this == BOOL) {
            if (!(value instanceof Boolean bool)) {
                throw new IllegalArgumentException(value + " is not a BOOL: use true or false");
            }
            raw.put((byte) (bool ? 1 : 0));
            return;
        }
        if (!(value instanceof Number number)) {
            throw new IllegalArgumentException(value + " is not a number");
        }
        switch (this) {
            case FP16 -> raw.putShort(Float16.fromFloat(number.floatValue()));
            case FP32 -> raw.putFloat(number.floatValue());
            case FP64 -> raw.putDouble(number.doubleValue());
            case UINT64 -> {
                BigInteger integer = integer(number);
                if (integer.signum() < 0 || integer.compareTo(UINT64_LIMIT) >= 0) {
                    throw outOfRange(number, "0 to " + UINT64_LIMIT.subtract(BigInteger.ONE));
                }
                raw.putLong(integer.longValue());
            }
            default -> {
                BigInteger integer = integer(number);
                if (integer.bitLength() > 63) {
                    throw outOfRange(number, min + " to " + max);
                }
                putInteger(raw, integer.longValue(), -1);
            }
        }
    }

    /** Reads one element as a plain value: Boolean, Long, BigInteger (UINT64), Float (FP16, FP32) or Double. */
    public Object get(ByteBuffer raw) {
        return switch (this) {
            case BOOL -> raw.get() != 0;
            case INT8 -> (long) raw.get();
            case INT16 -> (long) raw.getShort();
            case INT32 -> (long) raw.getInt();
            case INT64 -> raw.getLong();
            case UINT8 -> (long) Byte.toUnsignedInt(raw.get());
            case UINT16 -> (long) Short.toUnsignedInt(raw.getShort());
            case UINT32 -> Integer.toUnsignedLong(raw.getInt());
            case UINT64 -> new BigInteger(Long.toUnsignedString(raw.getLong()));
            case FP16 -> Float16.toFloat(raw.getShort());
            case FP32 -> raw.getFloat();
            case FP64 -> raw.getDouble();
            case BYTES -> throw new IllegalStateException("BYTES elements are read with BytesElements");
        };
    }

    /**
     * A plain value of this datatype made from {@code seed}, valid for every datatype's range
     * (a boolean, an integer 0 to 99, a float in [-0.5, 0.5]): the load generator's and the raw
     * model benchmark's rows, so that both run the same kind of data.
     */
    public Object sample(int seed) {
        int bits = seed & 0xff;
        if (this == BOOL) {
            return (bits & 1) == 1;
        }
        return floatingPoint() ? (Object) (bits / 255.0 - 0.5) : (Object) (bits % 100);
    }

    private void putInteger(ByteBuffer raw, long value, int index) {
        if (value < min || value > max) {
            throw outOfRange(index < 0 ? value : "element " + index + " (" + value + ")", min + " to " + max);
        }
        switch (size) {
            case 1 -> raw.put((byte) value);
            case 2 -> raw.putShort((short) value);
            case 4 -> raw.putInt((int) value);
            default -> raw.putLong(value);
        }
    }

    private static BigInteger integer(Number number) {
        try {
            return (number instanceof BigDecimal decimal ? decimal : new BigDecimal(number.toString()))
                    .toBigIntegerExact();
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException(number + " is not an integer");
        }
    }

    private IllegalArgumentException outOfRange(Object what, String range) {
        return new IllegalArgumentException(what + " is outside the range of " + name() + " (" + range + ")");
    }

    private void requireFixedSize() {
        if (this == BYTES) {
            throw new IllegalStateException("BYTES elements are read and written with BytesElements");
        }
    }
}
