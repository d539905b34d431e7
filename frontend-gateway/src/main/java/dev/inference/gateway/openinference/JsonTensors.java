package dev.inference.gateway.openinference;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.protobuf.ByteString;
import inference.GrpcPredictV2.InferParameter;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferRequest.InferInputTensor;
import inference.GrpcPredictV2.ModelInferRequest.InferRequestedOutputTensor;
import inference.GrpcPredictV2.ModelInferResponse;
import inference.GrpcPredictV2.ModelInferResponse.InferOutputTensor;
import inference.GrpcPredictV2.ModelMetadataResponse;
import inference.GrpcPredictV2.ServerMetadataResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Open Inference Protocol's JSON (required_api.md) and its gRPC messages, mapped by hand in this
 * one place: tensors in JSON are what HTTP/JSON transcoding cannot express. Inputs become typed
 * gRPC tensors, so the server checks them exactly as it checks a gRPC call.
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
            // Only BYTES is read here; another datatype goes on without data, and the server names
            // the datatype it takes.
            if (tensor.getDatatype().equals("BYTES")) {
                InferTensorContents.Builder contents = InferTensorContents.newBuilder();
                for (int i = 0; i < data.size(); i++) {
                    JsonElement value = data.get(i);
                    if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
                        throw new MalformedJson("input \"" + name + "\": element " + i + " of a BYTES tensor must be a string");
                    }
                    contents.addBytesContents(ByteString.copyFromUtf8(value.getAsString()));
                }
                tensor.setContents(contents);
            }
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
            JsonArray data = new JsonArray();
            tensor.getContents().getBytesContentsList().forEach(bytes -> data.add(bytes.toStringUtf8()));
            tensor.getContents().getFp32ContentsList().forEach(data::add);
            output.add("data", data);
            outputs.add(output);
        }
        json.add("outputs", outputs);
        return json;
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
