package dev.inference.server.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import onnx.Onnx.AttributeProto;
import onnx.Onnx.GraphProto;
import onnx.Onnx.ModelProto;
import onnx.Onnx.NodeProto;
import onnx.Onnx.OperatorSetIdProto;
import onnx.Onnx.TensorProto;
import onnx.Onnx.TensorShapeProto;
import onnx.Onnx.TypeProto;
import onnx.Onnx.ValueInfoProto;

/**
 * A tabular MLP with a dynamic batch dimension, as scikit-learn or PyTorch would export one, built
 * with ONNX's own protobuf classes: the tensor model of the benchmarks and the tests.
 */
public final class TabularMlp {

    public static final int FEATURES = 4;
    public static final int HIDDEN = 8;
    public static final int CLASSES = 3;

    private TabularMlp() {}

    /** Writes the MLP as {@code <version-dir>/model.onnx}, for the benchmarks: {@code TabularMlp <version-dir>}. */
    public static void main(String[] args) throws IOException {
        write(Path.of(args[0]));
    }

    /** Weight {@code i} of a layer: fixed, varied, in [-1, 1]. */
    static float weight(int layer, int i) {
        return (float) Math.sin(7.0 * layer + 0.37 * i);
    }

    /**
     * {@code features} FP32 [batch, 4] → MatMul, Add, Relu → MatMul, Add → {@code scores} FP32
     * [batch, 3], and {@code label} INT64 [batch], the arg-max of the scores.
     */
    public static Path write(Path versionDir) throws IOException {
        return write(versionDir, 1);
    }

    /**
     * The MLP with its output layer scaled by {@code outputScale}: close to 1, a re-export that
     * answers the same within rounding; negative, a model that ranks the classes the other way round.
     */
    public static Path write(Path versionDir, float outputScale) throws IOException {
        GraphProto graph = GraphProto.newBuilder()
                .setName("mlp")
                .addInput(value("features", TensorProto.DataType.FLOAT, "batch", FEATURES))
                .addOutput(value("scores", TensorProto.DataType.FLOAT, "batch", CLASSES))
                .addOutput(value("label", TensorProto.DataType.INT64, "batch"))
                .addInitializer(floats("w1", 1, 1, FEATURES, HIDDEN))
                .addInitializer(floats("b1", 2, 1, HIDDEN))
                .addInitializer(floats("w2", 3, outputScale, HIDDEN, CLASSES))
                .addInitializer(floats("b2", 4, outputScale, CLASSES))
                .addNode(node("MatMul", List.of("features", "w1"), "h1"))
                .addNode(node("Add", List.of("h1", "b1"), "h2"))
                .addNode(node("Relu", List.of("h2"), "h3"))
                .addNode(node("MatMul", List.of("h3", "w2"), "h4"))
                .addNode(node("Add", List.of("h4", "b2"), "scores"))
                .addNode(node("ArgMax", List.of("scores"), "label").toBuilder()
                        .addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT).setI(1))
                        .addAttribute(AttributeProto.newBuilder().setName("keepdims").setType(AttributeProto.AttributeType.INT).setI(0)))
                .build();
        ModelProto model = ModelProto.newBuilder()
                .setIrVersion(8)
                .setProducerName("inference-platform tests")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .setGraph(graph)
                .build();
        Files.createDirectories(versionDir);
        Path file = versionDir.resolve("model.onnx");
        Files.write(file, model.toByteArray());
        return file;
    }

    /** The MLP's scores for one row, computed here as the graph defines them. */
    public static float[] scores(float[] features) {
        float[] hidden = new float[HIDDEN];
        for (int h = 0; h < HIDDEN; h++) {
            float sum = weight(2, h);
            for (int f = 0; f < FEATURES; f++) {
                sum += features[f] * weight(1, f * HIDDEN + h);
            }
            hidden[h] = Math.max(0, sum);
        }
        float[] scores = new float[CLASSES];
        for (int c = 0; c < CLASSES; c++) {
            float sum = weight(4, c);
            for (int h = 0; h < HIDDEN; h++) {
                sum += hidden[h] * weight(3, h * CLASSES + c);
            }
            scores[c] = sum;
        }
        return scores;
    }

    private static TensorProto floats(String name, int layer, float scale, int... dims) {
        TensorProto.Builder tensor = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
        int count = 1;
        for (int dim : dims) {
            tensor.addDims(dim);
            count *= dim;
        }
        for (int i = 0; i < count; i++) {
            tensor.addFloatData(scale * weight(layer, i));
        }
        return tensor.build();
    }

    private static NodeProto node(String op, List<String> inputs, String output) {
        return NodeProto.newBuilder().setOpType(op).addAllInput(inputs).addOutput(output).build();
    }

    /** A tensor value whose first dimension is the symbolic {@code batch}, then fixed dimensions. */
    private static ValueInfoProto value(String name, TensorProto.DataType type, String batch, int... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(batch));
        for (int dim : dims) {
            shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(dim));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape))).build();
    }
}
