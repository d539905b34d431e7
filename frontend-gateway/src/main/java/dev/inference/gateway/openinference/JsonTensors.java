package dev.inference.gateway.openinference;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.protobuf.ByteString;
import dev.inference.api.tensors.BytesElements;
import dev.inference.api.tensors.Datatype;
import inference.GrpcPredictV2.InferParameter;
import inference.GrpcPredictV2.ModelInferRequest.InferInputTensor;
import inference.GrpcPredictV2.ModelInferRequest.InferRequestedOutputTensor;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse.InferOutputTensor;
import inference.GrpcPredictV2.ModelInferResponse;
import inference.GrpcPredictV2.ModelMetadataResponse;
import inference.GrpcPredictV2.ServerMetadataResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The Open Inference Protocol's JSON (required_api.md) and its gRPC messages, mapped by hand in this
 * one place: tensors in JSON are what HTTP/JSON transcoding cannot express. Every datatype goes
 * both ways ({@link Datatype} knows the layouts): JSON inputs become {@code raw_input_contents}, the
 * one form that carries every datatype (FP16 has no typed field), so the server answers raw, and
 * outputs, raw or typed, become JSON numbers, booleans or strings.
 */
final class JsonTensors {

    /** A request body that is not the protocol's JSON: 400 with this message. */
    static final class MalformedJson extends Exception {
        MalformedJson(String message) {
            super(message);
        }
    }

    private JsonTensors() {}

    static ModelInferRequest inferRequest(String model, String version, JsonElement body) throws MalformedJson {
        if (!body.isJsonObject()) {
            throw new MalformedJson("the body must be a JSON object with \"inputs\"");
        }
        JsonObject json = body.getAsJsonObject();
        ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(model).setModelVersion(version);
        if (json.has("id")) {
            request.setId(string(json.get("id"), "id"));
        }
        request.putAllParameters(parameters(json, "parameters"));
        for (JsonElement element : array(json, "inputs")) {
            JsonObject input = object(element, "an input");
            String name = string(input.get("name"), "an input's name");
            InferInputTensor.Builder tensor = InferInputTensor.newBuilder().setName(name)
                    .setDatatype(string(input.get("datatype"), "input \"" + name + "\": datatype"))
                    .putAllParameters(parameters(input, "parameters"));
            for (JsonElement dimension : array(input, "shape")) {
                tensor.addShape(integer(dimension, "input \"" + name + "\": shape"));
            }
            List<JsonElement> data = new ArrayList<>();
            flatten(input.get("data"), data);
            request.addRawInputContents(raw(name, tensor.getDatatype(), tensor.getShapeList(), data));
            request.addInputs(tensor);
        }
        if (json.has("outputs")) {
            for (JsonElement element : array(json, "outputs")) {
                JsonObject output = object(element, "an output");
                request.addOutputs(InferRequestedOutputTensor.newBuilder()
                        .setName(string(output.get("name"), "an output's name"))
                        .putAllParameters(parameters(output, "parameters")));
            }
        }
        return request.build();
    }

    static JsonObject inferResponse(ModelInferResponse response) {
        JsonObject json = new JsonObject();
        json.addProperty("model_name", response.getModelName());
        json.addProperty("model_version", response.getModelVersion());
        if (!response.getId().isEmpty()) {
            json.addProperty("id", response.getId());
        }
        JsonArray outputs = new JsonArray();
        for (InferOutputTensor tensor : response.getOutputsList()) {
            JsonObject output = new JsonObject();
            output.addProperty("name", tensor.getName());
            output.addProperty("datatype", tensor.getDatatype());
            output.add("shape", longs(tensor.getShapeList()));
            if (tensor.getParametersCount() > 0) {
                output.add("parameters", parameters(tensor.getParametersMap()));
            }
            int index = outputs.size();
            output.add("data", data(tensor, index < response.getRawOutputContentsCount()
                    ? response.getRawOutputContents(index) : null));
            outputs.add(output);
        }
        json.add("outputs", outputs);
        return json;
    }

    /**
     * A JSON input's elements in raw form; a datatype the protocol does not name, a count that
     * does not match the shape, or a value of the wrong kind is the client's error.
     */
    private static ByteString raw(String name, String datatypeName, List<Long> shape, List<JsonElement> data)
            throws MalformedJson {
        String tensor = "input \"" + name + "\"";
        Datatype datatype = Datatype.of(datatypeName).orElseThrow(() -> new MalformedJson(tensor + ": datatype \""
                + datatypeName + "\" is not one of the protocol's: " + Arrays.toString(Datatype.values())));
        long elements = 1;
        for (long dimension : shape) {
            elements = dimension < 0 || elements < 0 ? -1 : elements * dimension;
        }
        if (elements != data.size()) {
            throw new MalformedJson(tensor + " has shape " + shape + " (" + (elements < 0 ? "a negative dimension" : elements
                    + " elements") + ") but " + data.size() + " elements of data");
        }
        if (datatype == Datatype.BYTES) {
            List<ByteString> elementsAsBytes = new ArrayList<>(data.size());
            for (int i = 0; i < data.size(); i++) {
                JsonElement value = data.get(i);
                if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
                    throw new MalformedJson(tensor + ": element " + i + " of a BYTES tensor must be a string");
                }
                elementsAsBytes.add(ByteString.copyFromUtf8(value.getAsString()));
            }
            return BytesElements.encode(elementsAsBytes);
        }
        ByteBuffer raw = ByteBuffer.allocate(data.size() * datatype.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < data.size(); i++) {
            JsonElement value = data.get(i);
            try {
                if (!value.isJsonPrimitive() || value.getAsJsonPrimitive().isString()) {
                    throw new IllegalArgumentException(value + " is not a " + (datatype == Datatype.BOOL ? "boolean" : "number"));
                }
                JsonPrimitive primitive = value.getAsJsonPrimitive();
                datatype.put(raw, primitive.isBoolean() ? (Object) primitive.getAsBoolean()
                        : datatype.floatingPoint() ? (Object) primitive.getAsDouble() : primitive.getAsBigDecimal());
            } catch (IllegalArgumentException e) {
                throw new MalformedJson(tensor + ": element " + i + ": " + e.getMessage());
            }
        }
        return ByteString.copyFrom(raw.flip());
    }

    /** An output's elements as JSON values, from its raw contents when the answer has them, else its typed ones. */
    private static JsonArray data(InferOutputTensor tensor, ByteString rawContents) {
        JsonArray data = new JsonArray();
        Datatype datatype = Datatype.of(tensor.getDatatype()).orElse(null);
        if (datatype == null) {
            return data;
        }
        if (datatype == Datatype.BYTES) {
            List<ByteString> elements = rawContents != null ? BytesElements.decode(rawContents)
                    : tensor.getContents().getBytesContentsList();
            elements.forEach(element -> data.add(element.toStringUtf8()));
            return data;
        }
        ByteString raw = rawContents != null ? rawContents : datatype.typedToRaw(tensor.getContents());
        ByteBuffer buffer = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.remaining() >= datatype.size()) {
            Object value = datatype.get(buffer);
            if (value instanceof Boolean bool) {
                data.add(bool);
            } else {
                data.add((Number) value);
            }
        }
        return data;
    }

    static JsonObject serverMetadata(ServerMetadataResponse metadata) {
        JsonObject json = new JsonObject();
        json.addProperty("name", metadata.getName());
        json.addProperty("version", metadata.getVersion());
        JsonArray extensions = new JsonArray();
        metadata.getExtensionsList().forEach(extensions::add);
        json.add("extensions", extensions);
        return json;
    }

    static JsonObject modelMetadata(ModelMetadataResponse metadata) {
        JsonObject json = new JsonObject();
        json.addProperty("name", metadata.getName());
        JsonArray versions = new JsonArray();
        metadata.getVersionsList().forEach(versions::add);
        json.add("versions", versions);
        json.addProperty("platform", metadata.getPlatform());
        json.add("inputs", tensors(metadata.getInputsList()));
        json.add("outputs", tensors(metadata.getOutputsList()));
        return json;
    }

    private static JsonArray tensors(List<ModelMetadataResponse.TensorMetadata> tensors) {
        JsonArray array = new JsonArray();
        for (ModelMetadataResponse.TensorMetadata tensor : tensors) {
            JsonObject json = new JsonObject();
            json.addProperty("name", tensor.getName());
            json.addProperty("datatype", tensor.getDatatype());
            json.add("shape", longs(tensor.getShapeList()));
            array.add(json);
        }
        return array;
    }

    private static JsonArray longs(List<Long> values) {
        JsonArray array = new JsonArray();
        values.forEach(array::add);
        return array;
    }

    private static JsonObject parameters(Map<String, InferParameter> parameters) {
        JsonObject json = new JsonObject();
        parameters.forEach((name, value) -> {
            switch (value.getParameterChoiceCase()) {
                case BOOL_PARAM -> json.addProperty(name, value.getBoolParam());
                case INT64_PARAM -> json.addProperty(name, value.getInt64Param());
                default -> json.addProperty(name, value.getStringParam());
            }
        });
        return json;
    }

    /** A $parameters object: each value a string, an integer or a boolean. */
    private static Map<String, InferParameter> parameters(JsonObject parent, String field) throws MalformedJson {
        if (!parent.has(field)) {
            return Map.of();
        }
        Map<String, InferParameter> parameters = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> entry : object(parent.get(field), field).entrySet()) {
            JsonElement value = entry.getValue();
            if (!value.isJsonPrimitive()) {
                throw new MalformedJson("parameter \"" + entry.getKey() + "\" must be a string, a number or a boolean");
            }
            JsonPrimitive primitive = value.getAsJsonPrimitive();
            InferParameter.Builder parameter = InferParameter.newBuilder();
            if (primitive.isBoolean()) {
                parameter.setBoolParam(primitive.getAsBoolean());
            } else if (primitive.isNumber()) {
                parameter.setInt64Param(integer(primitive, "parameter \"" + entry.getKey() + "\""));
            } else {
                parameter.setStringParam(primitive.getAsString());
            }
            parameters.put(entry.getKey(), parameter.build());
        }
        return parameters;
    }

    /** Tensor data may be nested in the tensor's shape or flat; either way, row-major. */
    private static void flatten(JsonElement data, List<JsonElement> into) throws MalformedJson {
        if (data == null || data.isJsonNull()) {
            return;
        }
        if (data.isJsonArray()) {
            for (JsonElement element : data.getAsJsonArray()) {
                flatten(element, into);
            }
        } else if (data.isJsonPrimitive()) {
            into.add(data);
        } else {
            throw new MalformedJson("tensor data must be an array of values, not an object");
        }
    }

    private static JsonArray array(JsonObject parent, String field) throws MalformedJson {
        JsonElement value = parent.get(field);
        if (value == null || !value.isJsonArray()) {
            throw new MalformedJson("\"" + field + "\" must be an array");
        }
        return value.getAsJsonArray();
    }

    private static JsonObject object(JsonElement value, String what) throws MalformedJson {
        if (value == null || !value.isJsonObject()) {
            throw new MalformedJson(what + " must be a JSON object");
        }
        return value.getAsJsonObject();
    }

    private static String string(JsonElement value, String what) throws MalformedJson {
        if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
            throw new MalformedJson(what + " must be a string");
        }
        return value.getAsString();
    }

    private static long integer(JsonElement value, String what) throws MalformedJson {
        try {
            return value.getAsJsonPrimitive().getAsBigDecimal().longValueExact();
        } catch (RuntimeException e) {
            throw new MalformedJson(what + " must be an integer, was " + value);
        }
    }
}
