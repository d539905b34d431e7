package dev.inference.server.tensor;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import onnx.Onnx.ModelProto;
import onnx.Onnx.TensorProto;
import onnx.Onnx.ValueInfoProto;

/**
 * ONNX's backend conformance cases as Debian's {@code libonnx-testdata} installs them: a
 * {@code model.onnx} and {@code test_data_set_0/input_N.pb}, {@code output_N.pb} in the graph's
 * order. Only cases whose inputs and outputs are all tensors are read.
 */
public final class OnnxTestCases {

    public static final Path DATA = Path.of("/usr/share/libonnx-testdata/data");
    public static final List<String> SUITES = List.of("node", "pytorch-converted", "pytorch-operator", "simple");

    /** One case: its model, its inputs named as the graph names them, the outputs ONNX expects. */
    public record Case(String suite, String name, Path model, List<OnnxTensors.Named> inputs,
            List<OnnxTensors.Named> outputs) {

        /** A name that is also a valid model name for a repository. */
        public String modelName() {
            return (suite + "-" + name).replace('_', '-');
        }
    }

    private OnnxTestCases() {}

    /**
     * Skips a test where Debian's {@code libonnx-testdata} is not installed; under {@code CI=true},
     * where .ci/run installs it, fails it instead, so that a missing package cannot pass by testing nothing.
     */
    public static void requireData() {
        dev.inference.server.Required.that(Files.isDirectory(DATA),
                DATA + " is missing: apt-get install libonnx-testdata");
    }

    /** The datatypes a case's inputs and outputs use. */
    public static java.util.SortedSet<String> datatypes(Case testCase) {
        java.util.SortedSet<String> types = new java.util.TreeSet<>();
        testCase.inputs().forEach(tensor -> types.add(tensor.datatype().name()));
        testCase.outputs().forEach(tensor -> types.add(tensor.datatype().name()));
        return types;
    }

    /**
     * A broad, fixed sample: from each suite, up to {@code perKind} cases of every combination of
     * datatypes, each of which ONNX Runtime runs in-process ({@link #runsInProcess}).
     */
    public static List<Case> sample(int perKind) {
        java.util.Map<String, Integer> taken = new java.util.HashMap<>();
        List<Case> sample = new ArrayList<>();
        for (Case testCase : all()) {
            String kind = testCase.suite() + datatypes(testCase);
            if (taken.getOrDefault(kind, 0) < perKind && runsInProcess(testCase)) {
                taken.merge(kind, 1, Integer::sum);
                sample.add(testCase);
            }
        }
        return sample;
    }

    /** The graph's declared shape of each input and output, -1 where a dimension is open. */
    public static java.util.Map<String, List<Long>> declaredShapes(Case testCase) throws IOException {
        ModelProto graph = ModelProto.parseFrom(Files.readAllBytes(testCase.model()));
        java.util.Map<String, List<Long>> shapes = new java.util.HashMap<>();
        Stream.concat(graph.getGraph().getInputList().stream(), graph.getGraph().getOutputList().stream())
                .forEach(value -> shapes.put(value.getName(), value.getType().getTensorType().getShape().getDimList()
                        .stream().map(dim -> dim.hasDimValue() ? dim.getDimValue() : -1L).toList()));
        return shapes;
    }

    /** Every readable case of the four suites, in name order. */
    public static List<Case> all() {
        List<Case> cases = new ArrayList<>();
        for (String suite : SUITES) {
            try (Stream<Path> dirs = Files.list(DATA.resolve(suite))) {
                dirs.sorted().forEach(dir -> read(suite, dir).ifPresent(cases::add));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return cases;
    }

    /**
     * Whether ONNX Runtime, driven in-process as the server drives it, loads the case and gives
     * the expected outputs: how cases it cannot run are told apart, never by hand.
     */
    public static boolean runsInProcess(Case testCase) {
        try (TensorModel model = TensorModel.load(testCase.modelName(), "1", testCase.model().getParent(), 1)) {
            List<TensorData> inputs = new ArrayList<>();
            for (TensorSpec spec : model.inputs()) {
                inputs.add(testCase.inputs().stream().filter(input -> input.name().equals(spec.name())).findFirst()
                        .orElseThrow().data());
            }
            List<TensorData> outputs;
            try (var worker = model.newWorker()) {
                outputs = worker.run(List.of(new TensorRow(new TensorRequest(inputs, false), 0))).get(0);
            }
            for (int i = 0; i < testCase.outputs().size(); i++) {
                OnnxTensors.Named expected = testCase.outputs().get(i);
                if (OnnxTensors.difference(expected.datatype(), expected.data(), outputs.get(i)) != null) {
                    return false;
                }
            }
            return true;
        } catch (Exception | LinkageError e) {
            return false;
        }
    }

    private static Optional<Case> read(String suite, Path dir) {
        Path model = dir.resolve("model.onnx");
        Path data = dir.resolve("test_data_set_0");
        if (!Files.isRegularFile(model) || !Files.isDirectory(data)) {
            return Optional.empty();
        }
        try {
            ModelProto graph = ModelProto.parseFrom(Files.readAllBytes(model));
            Set<String> initializers = new HashSet<>();
            graph.getGraph().getInitializerList().forEach(initializer -> initializers.add(initializer.getName()));
            List<ValueInfoProto> inputs = graph.getGraph().getInputList().stream()
                    .filter(input -> !initializers.contains(input.getName())).toList();
            List<ValueInfoProto> outputs = graph.getGraph().getOutputList();
            if (Stream.concat(inputs.stream(), outputs.stream()).anyMatch(value -> !value.getType().hasTensorType())) {
                return Optional.empty();
            }
            return Optional.of(new Case(suite, dir.getFileName().toString(), model, tensors(data, "input", inputs),
                    tensors(data, "output", outputs)));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static List<OnnxTensors.Named> tensors(Path data, String kind, List<ValueInfoProto> values)
            throws IOException {
        List<OnnxTensors.Named> tensors = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            Path file = data.resolve(kind + "_" + i + ".pb");
            TensorProto proto;
            try {
                proto = TensorProto.parseFrom(Files.readAllBytes(file));
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalArgumentException(file + " is not a tensor", e);
            }
            OnnxTensors.Named tensor = OnnxTensors.read(proto);
            tensors.add(new OnnxTensors.Named(values.get(i).getName(), tensor.datatype(), tensor.data()));
        }
        return tensors;
    }
}
