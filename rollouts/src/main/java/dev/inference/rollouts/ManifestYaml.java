package dev.inference.rollouts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * Reads a manifest into typed records. A field the records do not declare is an error unless the
 * record says it ignores unknown fields: the runner must not silently skip what it cannot honour.
 */
public final class ManifestYaml {

    private static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private ManifestYaml() {}

    /**
     * @throws IllegalArgumentException naming the field the records do not support, or what is malformed
     */
    public static <T> T read(String yaml, Class<T> type, String what) {
        try {
            return MAPPER.readValue(yaml, type);
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException(what + ": the runner does not support " + e.getPropertyName()
                    + " (at " + e.getPathReference() + ")", e);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + ": " + e.getOriginalMessage(), e);
        }
    }
}
