package dev.inference.server.model;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import onnx.Onnx.AttributeProto;
import onnx.Onnx.GraphProto;
import onnx.Onnx.ModelProto;
import onnx.Onnx.NodeProto;
import onnx.Onnx.TensorProto;
import onnx.Onnx.TensorShapeProto;
import onnx.Onnx.TypeProto;
import onnx.Onnx.ValueInfoProto;

/**
 * Text-classification exports as Optimum writes them, made here from an encoder: its graph with
 * mean pooling over the attention mask, L2 normalisation and a linear layer appended, giving only
 * {@code logits} [batch, labels]; Hugging Face's {@code config.json} with {@code id2label}; the
 * encoder's tokenizer files. The linear layer is a trained {@code head.json}, so the export
 * classifies as the platform's own head does.
 */
public final class ClassificationExports {

    private static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json");

    private ClassificationExports() {}

    /**
     * @param encoder a version folder whose graph's first output is the token vectors (opset 11 to 12)
     * @param labels {@code id2label}'s names, in index order
     * @param problemType Hugging Face's {@code problem_type}, or null
     */
    public static Path write(Path encoder, ClassifierHead head, List<String> labels, String problemType, Path target)
            throws IOException {
        Files.createDirectories(target);
        ModelProto model;
        try (InputStream in = Files.newInputStream(encoder.resolve(OnnxSessions.MODEL_FILE))) {
            model = ModelProto.parseFrom(in);
        }
        GraphProto graph = model.getGraph();
        String tokens = graph.getOutput(0).getName();
        int hidden = head.dimension();
        float[] weights = new float[hidden * labels.size()];
        for (int label = 0; label < labels.size(); label++) {
            for (int i = 0; i < hidden; i++) {
                weights[i * labels.size() + label] = head.weights()[label][i];
            }
        }
        GraphProto classifier = graph.toBuilder()
                .clearOutput()
                .addOutput(ValueInfoProto.newBuilder().setName(HuggingFaceExport.LOGITS).setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE)
                                .setShape(TensorShapeProto.newBuilder()
                                        .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch_size"))
                                        .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(labels.size()))))))
                .addInitializer(floats("head_weights", weights, hidden, labels.size()))
                .addInitializer(floats("head_bias", head.bias(), labels.size()))
                .addInitializer(floats("no_tokens", new float[] {1e-9f}, 1))
                .addNode(node("Cast", List.of("attention_mask"), "mask_float", intAttribute("to", TensorProto.DataType.FLOAT_VALUE)))
                .addNode(node("Unsqueeze", List.of("mask_float"), "mask_column", intsAttribute("axes", 2)))
                .addNode(node("Mul", List.of(tokens, "mask_column"), "masked_tokens"))
                .addNode(node("ReduceSum", List.of("masked_tokens"), "token_sum", intsAttribute("axes", 1),
                        intAttribute("keepdims", 0)))
                .addNode(node("ReduceSum", List.of("mask_column"), "token_count", intsAttribute("axes", 1),
                        intAttribute("keepdims", 0)))
                .addNode(node("Max", List.of("token_count", "no_tokens"), "divisor"))
                .addNode(node("Div", List.of("token_sum", "divisor"), "pooled"))
                .addNode(node("LpNormalization", List.of("pooled"), "sentence", intAttribute("axis", 1),
                        intAttribute("p", 2)))
                .addNode(node("MatMul", List.of("sentence", "head_weights"), "projected"))
                .addNode(node("Add", List.of("projected", "head_bias"), HuggingFaceExport.LOGITS))
                .build();
        try (OutputStream out = Files.newOutputStream(target.resolve(OnnxSessions.MODEL_FILE))) {
            model.toBuilder().setGraph(classifier).build().writeTo(out);
        }
        for (String file : TOKENIZER_FILES) {
            Files.copy(encoder.resolve(file), target.resolve(file), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Files.writeString(target.resolve(HuggingFaceExport.CONFIG_FILE), config(labels, problemType));
        return target;
    }

    private static String config(List<String> labels, String problemType) {
        JsonObject config = new JsonObject();
        JsonArray architectures = new JsonArray();
        architectures.add("BertForSequenceClassification");
        config.add("architectures", architectures);
        config.addProperty("model_type", "bert");
        config.addProperty("max_position_embeddings", 512);
        JsonObject id2label = new JsonObject();
        JsonObject label2id = new JsonObject();
        for (int i = 0; i < labels.size(); i++) {
            id2label.addProperty(String.valueOf(i), labels.get(i));
            label2id.addProperty(labels.get(i), i);
        }
        config.add("id2label", id2label);
        config.add("label2id", label2id);
        if (problemType != null) {
            config.addProperty("problem_type", problemType);
        }
        return new GsonBuilder().setPrettyPrinting().create().toJson(config);
    }

    private static TensorProto floats(String name, float[] values, int... dims) {
        TensorProto.Builder tensor = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
        for (int dim : dims) {
            tensor.addDims(dim);
        }
        for (float value : values) {
            tensor.addFloatData(value);
        }
        return tensor.build();
    }

    private static NodeProto node(String op, List<String> inputs, String output, AttributeProto... attributes) {
        return NodeProto.newBuilder().setOpType(op).setName(output).addAllInput(inputs).addOutput(output)
                .addAllAttribute(List.of(attributes)).build();
    }

    private static AttributeProto intAttribute(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    private static AttributeProto intsAttribute(String name, long... values) {
        AttributeProto.Builder attribute = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long value : values) {
            attribute.addInts(value);
        }
        return attribute.build();
    }
}
