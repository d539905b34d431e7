package dev.inference.gateway.shadow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import dev.inference.api.tensors.Datatype;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferResponse.InferOutputTensor;
import inference.GrpcPredictV2.ModelInferResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

class TensorAgreementTest {

    @Test
    void scoresAgreeByTheirArgMaxWhateverTheirValues() {
        ModelInferResponse stable = fp32("scores", List.of(3L, 3L), 0.1f, 0.7f, 0.2f, 0.5f, 0.4f, 0.1f, 0.3f, 0.3f, 0.4f);
        ModelInferResponse canary = fp32("scores", List.of(3L, 3L), 0.0f, 0.9f, 0.1f, 0.3f, 0.6f, 0.1f, 0.2f, 0.1f, 0.7f);
        assertEquals(new TensorAgreement.Counts(2, 1), compare(stable, canary),
                "rows 0 and 2 pick the same class, row 1 does not");
    }

    @Test
    void otherFloatsAgreeWithinTheToleranceAndEverythingElseExactly() {
        ModelInferResponse stable = fp32("y", List.of(2L, 1L), 100f, 1f);
        assertEquals(new TensorAgreement.Counts(2, 0), compare(stable,
                fp32("y", List.of(2L, 1L), 100.9f, 1.0015f)));
        assertEquals(new TensorAgreement.Counts(1, 1), compare(stable,
                fp32("y", List.of(2L, 1L), 102f, 1.0015f)));

        InferOutputTensor.Builder labels = InferOutputTensor.newBuilder().setName("label").setDatatype("INT64").addShape(2);
        ModelInferResponse a = ModelInferResponse.newBuilder().addOutputs(labels.clone()
                .setContents(InferTensorContents.newBuilder().addInt64Contents(1).addInt64Contents(2))).build();
        ModelInferResponse b = ModelInferResponse.newBuilder().addOutputs(labels.clone())
                .addRawOutputContents(Datatype.INT64.typedToRaw(InferTensorContents.newBuilder()
                        .addInt64Contents(1).addInt64Contents(3).build())).build();
        assertEquals(new TensorAgreement.Counts(1, 1), compare(a, b), "typed against raw, exactly");
    }

    @Test
    void answersOfAnotherShapeOrWithoutAnOutputDisagreeOnEveryRow() {
        ModelInferResponse stable = fp32("y", List.of(2L, 1L), 1f, 2f);
        assertEquals(new TensorAgreement.Counts(0, 2), compare(stable, fp32("y", List.of(1L, 2L), 1f, 2f)));
        assertEquals(new TensorAgreement.Counts(0, 2), compare(stable, fp32("z", List.of(2L, 1L), 1f, 2f)));
        assertEquals(new TensorAgreement.Counts(0, 2), compare(stable, ModelInferResponse.newBuilder()
                .addOutputs(InferOutputTensor.newBuilder().setName("y").setDatatype("BYTES").addShape(2).addShape(1)
                        .setContents(InferTensorContents.newBuilder().addBytesContents(ByteString.copyFromUtf8("1"))
                                .addBytesContents(ByteString.copyFromUtf8("2")))).build()));
    }

    @Test
    void embeddingsAgreeWhenTheirCosineReachesTheThreshold() {
        ModelInferResponse stable = fp32("embedding", List.of(2L, 3L), 1f, 0f, 0f, 0f, 1f, 0f);
        // Row 0 turned by a few degrees (cosine 0.995), row 1 at right angles (cosine 0).
        ModelInferResponse canary = fp32("embedding", List.of(2L, 3L), 1f, 0.1f, 0f, 0f, 0f, 1f);

        assertEquals(new TensorAgreement.Counts(1, 1), TensorAgreement.compare(stable, canary, 0.95));
        assertEquals(new TensorAgreement.Counts(0, 2), TensorAgreement.compare(stable, canary, 0.999));
        assertEquals(new TensorAgreement.Counts(2, 0), TensorAgreement.compare(stable, stable, 0.999),
                "not the arg-max of a classifier's scores: the vector's direction");
    }

    private static TensorAgreement.Counts compare(ModelInferResponse a, ModelInferResponse b) {
        return TensorAgreement.compare(a, b, 0.95);
    }

    private static ModelInferResponse fp32(String name, List<Long> shape, float... values) {
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        for (float value : values) {
            contents.addFp32Contents(value);
        }
        return ModelInferResponse.newBuilder().addOutputs(InferOutputTensor.newBuilder().setName(name)
                .setDatatype("FP32").addAllShape(shape).setContents(contents)).build();
    }
}
