package dev.inference.rollouts;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Validates a parsed manifest against an OpenAPI v3 (CRD) or JSON Schema (Kubernetes) schema,
 * strictly: an object schema that lists properties is closed, so an unknown field is an error,
 * unless the schema says {@code x-kubernetes-preserve-unknown-fields} or allows additional
 * properties. CEL rules ({@code x-kubernetes-validations}) and formats are not evaluated.
 */
final class StrictValidator {

    private StrictValidator() {}

    /** The fields the API server accepts on every object's root, whether the CRD lists them or not. */
    private static final Map<String, Object> IMPLICIT_ROOT_FIELDS = Map.of(
            "apiVersion", Map.of("type", "string"),
            "kind", Map.of("type", "string"),
            "metadata", Map.of("type", "object", "required", List.of("name"),
                    "x-kubernetes-preserve-unknown-fields", true));

    /** Validates a whole Kubernetes object. */
    static List<String> validate(Object object, Map<String, Object> schema) {
        Map<String, Object> root = new java.util.HashMap<>(schema);
        Map<String, Object> properties = new java.util.HashMap<>(IMPLICIT_ROOT_FIELDS);
        if (schema.get("properties") instanceof Map<?, ?> listed) {
            listed.forEach((name, fieldSchema) -> properties.put((String) name, fieldSchema));
        }
        root.put("properties", properties);
        List<String> errors = new ArrayList<>();
        check(object, root, "", errors);
        return errors;
    }

    /** Validates a value at any depth against a sub-schema. */
    static List<String> validateValue(Object value, Map<String, Object> schema) {
        List<String> errors = new ArrayList<>();
        check(value, schema, "", errors);
        return errors;
    }

    @SuppressWarnings("unchecked")
    private static void check(Object value, Map<String, Object> schema, String path, List<String> errors) {
        if (schema == null) {
            return;
        }
        if (value == null) {
            if (!Boolean.TRUE.equals(schema.get("nullable")) && !typeNames(schema).contains("null")
                    && !typeNames(schema).isEmpty()) {
                errors.add(path + ": null is not allowed");
            }
            return;
        }
        if (Boolean.TRUE.equals(schema.get("x-kubernetes-int-or-string"))) {
            if (!(value instanceof Number || value instanceof String)) {
                errors.add(path + ": expected an integer or a string");
            }
            return;
        }
        List<String> types = typeNames(schema);
        if (!types.isEmpty() && types.stream().noneMatch(type -> hasType(value, type))) {
            errors.add(path + ": expected " + String.join(" or ", types) + ", got " + describe(value));
            return;
        }
        if (schema.get("enum") instanceof List<?> allowed && allowed.stream().noneMatch(
                option -> String.valueOf(option).equals(String.valueOf(value)))) {
            errors.add(path + ": " + value + " is not one of " + allowed);
        }
        if (value instanceof String text && schema.get("pattern") instanceof String pattern
                && !Pattern.compile(pattern).matcher(text).find()) {
            errors.add(path + ": \"" + text + "\" does not match " + pattern);
        }
        if (value instanceof Number number) {
            if (schema.get("minimum") instanceof Number minimum && number.doubleValue() < minimum.doubleValue()) {
                errors.add(path + ": " + number + " is below the minimum " + minimum);
            }
            if (schema.get("maximum") instanceof Number maximum && number.doubleValue() > maximum.doubleValue()) {
                errors.add(path + ": " + number + " is above the maximum " + maximum);
            }
        }
        if (value instanceof Map<?, ?> object) {
            checkObject((Map<String, Object>) object, schema, path, errors);
        }
        if (value instanceof List<?> items && schema.get("items") instanceof Map<?, ?> itemSchema) {
            for (int i = 0; i < items.size(); i++) {
                check(items.get(i), (Map<String, Object>) itemSchema, path + "[" + i + "]", errors);
            }
        }
        checkCombinators(value, schema, path, errors);
    }

    @SuppressWarnings("unchecked")
    private static void checkObject(Map<String, Object> object, Map<String, Object> schema, String path, List<String> errors) {
        Map<String, Object> properties = (Map<String, Object>) schema.get("properties");
        Object additional = schema.get("additionalProperties");
        boolean preserve = Boolean.TRUE.equals(schema.get("x-kubernetes-preserve-unknown-fields"));
        if (schema.get("required") instanceof List<?> required) {
            for (Object name : required) {
                if (!object.containsKey(name)) {
                    errors.add(path + ": " + name + " is required");
                }
            }
        }
        for (Map.Entry<String, Object> field : object.entrySet()) {
            String fieldPath = path + "." + field.getKey();
            if (properties != null && properties.containsKey(field.getKey())) {
                check(field.getValue(), (Map<String, Object>) properties.get(field.getKey()), fieldPath, errors);
            } else if (additional instanceof Map<?, ?> additionalSchema) {
                check(field.getValue(), (Map<String, Object>) additionalSchema, fieldPath, errors);
            } else if (properties != null && !preserve && !Boolean.TRUE.equals(additional)) {
                errors.add(fieldPath + ": unknown field");
            } else if (properties == null && Boolean.FALSE.equals(additional)) {
                errors.add(fieldPath + ": unknown field");
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static void checkCombinators(Object value, Map<String, Object> schema, String path, List<String> errors) {
        if (schema.get("allOf") instanceof List<?> all) {
            for (Object sub : all) {
                check(value, (Map<String, Object>) sub, path, errors);
            }
        }
        if (schema.get("anyOf") instanceof List<?> any
                && any.stream().noneMatch(sub -> validateValue(value, (Map<String, Object>) sub).isEmpty())) {
            errors.add(path + ": matches none of the allowed alternatives (anyOf)");
        }
        if (schema.get("oneOf") instanceof List<?> one) {
            long matching = one.stream().filter(sub -> validateValue(value, (Map<String, Object>) sub).isEmpty()).count();
            if (matching != 1) {
                errors.add(path + ": must match exactly one alternative (oneOf), matches " + matching);
            }
        }
        if (schema.get("not") instanceof Map<?, ?> not && validateValue(value, (Map<String, Object>) not).isEmpty()) {
            errors.add(path + ": matches a forbidden combination (not)");
        }
    }

    private static List<String> typeNames(Map<String, Object> schema) {
        Object type = schema.get("type");
        if (type instanceof String single) {
            return List.of(single);
        }
        if (type instanceof List<?> several) {
            return several.stream().map(String::valueOf).toList();
        }
        return List.of();
    }

    private static boolean hasType(Object value, String type) {
        return switch (type) {
            case "object" -> value instanceof Map;
            case "array" -> value instanceof List;
            case "string" -> value instanceof String;
            case "integer" -> value instanceof Integer || value instanceof Long || value instanceof java.math.BigInteger;
            case "number" -> value instanceof Number;
            case "boolean" -> value instanceof Boolean;
            case "null" -> false;
            default -> true;
        };
    }

    private static String describe(Object value) {
        return value instanceof Map ? "an object" : value instanceof List ? "an array"
                : value.getClass().getSimpleName().toLowerCase(Locale.ROOT) + " " + value;
    }
}
