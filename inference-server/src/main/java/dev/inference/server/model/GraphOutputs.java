package dev.inference.server.model;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.ExtensionRegistryLite;
import com.google.protobuf.WireFormat;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import onnx.Onnx.GraphProto;
import onnx.Onnx.ModelProto;
import onnx.Onnx.TensorShapeProto;
import onnx.Onnx.ValueInfoProto;

/**
 * The outputs an ONNX graph declares, read from the file's protobuf without loading its weights:
 * DJL's ONNX Runtime block describes a model's inputs but not its outputs, and a text model's task
 * is told by its outputs' names.
 */
final class GraphOutputs {

    /** One output: its name, and its dimensions with -1 where the graph leaves one open. */
    record Output(String name, long[] shape) {}

    private GraphOutputs() {}

    static List<Output> read(Path graph) throws IOException {
        List<Output> outputs = new ArrayList<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(graph), 1 << 16)) {
            CodedInputStream model = CodedInputStream.newInstance(in);
            for (int tag = model.readTag(); tag != 0; tag = model.readTag()) {
                if (tag != lengthDelimited(ModelProto.GRAPH_FIELD_NUMBER)) {
                    model.skipField(tag);
                    continue;
                }
                int limit = model.pushLimit(model.readRawVarint32());
                // Skipping the initializers streams past the weights without keeping them.
                for (int field = model.readTag(); field != 0; field = model.readTag()) {
                    if (field == lengthDelimited(GraphProto.OUTPUT_FIELD_NUMBER)) {
                        ValueInfoProto.Builder output = ValueInfoProto.newBuilder();
                        model.readMessage(output, ExtensionRegistryLite.getEmptyRegistry());
                        outputs.add(new Output(output.getName(), shape(output.getType().getTensorType().getShape())));
                    } else {
                        model.skipField(field);
                    }
                }
                model.popLimit(limit);
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IOException(graph + " is not an ONNX model: " + e.getMessage(), e);
        }
        return outputs;
    }

    private static int lengthDelimited(int field) {
        return field << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
    }

    private static long[] shape(TensorShapeProto shape) {
        return shape.getDimList().stream()
                .mapToLong(dimension -> dimension.hasDimValue() ? dimension.getDimValue() : -1).toArray();
    }
}
