package dev.inference.gateway.shadow;

import com.google.protobuf.ByteString;
import dev.inference.api.TextTensors;
import dev.inference.api.tensors.BytesElements;
import dev.inference.api.tensors.Similarity;
import dev.inference.api.tensors.Datatype;
import inference.GrpcPredictV2.ModelInferResponse.InferOutputTensor;
import inference.GrpcPredictV2.ModelInferResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * Whether two Open Inference Protocol answers to the same call agree, row by row (a row being one
 * element of each output's first dimension): integers, booleans and strings must be equal; a
 * classifier's scores (a floating-point output of shape [rows, classes ≥ 2]) must pick the same
 * class, because what a re-export may change is the scores, and what must not change is the
 * decision; any other floating-point output must be equal within {@link #ABSOLUTE} + {@link #RELATIVE}
 * of its magnitude, what an FP16 or int8 re-export of the same model keeps. A text-embedding model's
 * vectors ({@value TextTensors#EMBEDDING_OUTPUT}) agree when their cosine is at least the threshold
 * given: a re-export moves every value a little, a different model points elsewhere. A row agrees
 * when every output agrees on it.
 */
final class TensorAgreement {

    static final double ABSOLUTE = 1e-3;
    static final double RELATIVE = 1e-2;

    /** Rows that agree and rows that do not. */
    record Counts(int agreed, int disagreed) {}

    private TensorAgreement() {}

    static Counts compare(ModelInferResponse primary, ModelInferResponse shadow, double minCosine) {
        if (primary.getOutputsCount() == 0) {
            return new Counts(0, 0);
        }
        int rows = rows(primary.getOutputs(0));
        boolean[] disagrees = new boolean[rows];
        for (int o = 0; o < primary.getOutputsCount(); o++) {
            InferOutputTensor tensor = primary.getOutputs(o);
            int other = indexOf(shadow, tensor.getName());
            if (other < 0 || !tensor.getShapeList().equals(shadow.getOutputs(other).getShapeList())
                    || !tensor.getDatatype().equals(shadow.getOutputs(other).getDatatype())
                    || Datatype.of(tensor.getDatatype()).isEmpty() || rows(tensor) != rows) {
                return new Counts(0, rows);
            }
            Datatype datatype = Datatype.of(tensor.getDatatype()).get();
            Object left = data(primary, o, datatype);
            Object right = data(shadow, other, datatype);
            if (tensor.getName().equals(TextTensors.EMBEDDING_OUTPUT) && datatype == Datatype.FP32) {
                compareVectors((ByteString) left, (ByteString) right, minCosine, disagrees);
            } else {
                compareRows(datatype, tensor.getShapeList(), left, right, disagrees);
            }
        }
        int disagreed = 0;
        for (boolean row : disagrees) {
            disagreed += row ? 1 : 0;
        }
        return new Counts(rows - disagreed, disagreed);
    }

    private static void compareRows(Datatype datatype, List<Long> shape, Object a, Object b, boolean[] disagrees) {
        int rows = disagrees.length;
        if (datatype == Datatype.BYTES) {
            List<?> left = (List<?>) a;
            List<?> right = (List<?>) b;
            int per = rows == 0 ? 0 : left.size() / rows;
            for (int r = 0; r < rows; r++) {
                disagrees[r] |= !left.subList(r * per, (r + 1) * per).equals(right.subList(r * per, (r + 1) * per));
            }
            return;
        }
        ByteBuffer left = ((ByteString) a).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer right = ((ByteString) b).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (left.remaining() != right.remaining()) {
            java.util.Arrays.fill(disagrees, true);
            return;
        }
        int per = rows == 0 ? 0 : left.remaining() / datatype.size() / rows;
        boolean scores = datatype.floatingPoint() && shape.size() == 2 && shape.get(1) >= 2;
        for (int r = 0; r < rows; r++) {
            if (scores) {
                disagrees[r] |= argMax(datatype, left, per) != argMax(datatype, right, per);
                continue;
            }
            for (int e = 0; e < per; e++) {
                Object x = datatype.get(left);
                Object y = datatype.get(right);
                disagrees[r] |= datatype.floatingPoint() ? !close(((Number) x).doubleValue(), ((Number) y).doubleValue())
                        : !x.equals(y);
            }
        }
    }

    /** Rows of two FP32 [rows, dimension] tensors, each pair agreeing when its cosine is at least {@code minCosine}. */
    private static void compareVectors(ByteString a, ByteString b, double minCosine, boolean[] disagrees) {
        int rows = disagrees.length;
        if (a.size() != b.size() || rows == 0) {
            java.util.Arrays.fill(disagrees, true);
            return;
        }
        FloatBuffer left = a.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        FloatBuffer right = b.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        int dimension = left.remaining() / rows;
        float[] x = new float[dimension];
        float[] y = new float[dimension];
        for (int r = 0; r < rows; r++) {
            left.get(x);
            right.get(y);
            disagrees[r] |= Similarity.cosine(x, y) < minCosine;
        }
    }

    private static boolean close(double a, double b) {
        return a == b || (Double.isNaN(a) && Double.isNaN(b)) || Math.abs(a - b) <= ABSOLUTE + RELATIVE * Math.abs(a);
    }

    private static int argMax(Datatype datatype, ByteBuffer values, int count) {
        int best = 0;
        double bestValue = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) {
            double value = ((Number) datatype.get(values)).doubleValue();
            if (value > bestValue) {
                best = i;
                bestValue = value;
            }
        }
        return best;
    }

    /** The elements of output {@code index}: raw bytes for fixed-size datatypes, a list of strings for BYTES. */
    private static Object data(ModelInferResponse response, int index, Datatype datatype) {
        boolean raw = index < response.getRawOutputContentsCount();
        if (datatype == Datatype.BYTES) {
            return raw ? BytesElements.decode(response.getRawOutputContents(index))
                    : response.getOutputs(index).getContents().getBytesContentsList();
        }
        return raw ? response.getRawOutputContents(index) : datatype.typedToRaw(response.getOutputs(index).getContents());
    }

    private static int rows(InferOutputTensor tensor) {
        return tensor.getShapeCount() == 0 ? 1 : (int) (long) tensor.getShape(0);
    }

    private static int indexOf(ModelInferResponse response, String name) {
        for (int i = 0; i < response.getOutputsCount(); i++) {
            if (response.getOutputs(i).getName().equals(name)) {
                return i;
            }
        }
        return -1;
    }
}
