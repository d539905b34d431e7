package dev.inference.rollouts;


import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inference.server.Required;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The upstream schemas in {@code ../shared/schemas}: the CRDs of Argo Rollouts, Istio and the
 * Prometheus Operator, and Kubernetes' own JSON schemas, by apiVersion and kind.
 */
final class SchemaCatalog {

    static final Path SCHEMAS = Manifests.ROOT.resolve("../shared/schemas").normalize();

    /** Namespace has no schema in the shared folder; this is its whole API, closed. */
    private static final Map<String, Object> NAMESPACE = new Yaml().load("""
            type: object
            required: [apiVersion, kind, metadata]
            properties:
              apiVersion: {type: string}
              kind: {type: string}
              metadata:
                type: object
                required: [name]
                properties:
                  name: {type: string}
                  labels: {type: object, additionalProperties: {type: string}}
                  annotations: {type: object, additionalProperties: {type: string}}
            """);

    private final Map<String, Map<String, Object>> byApiVersionAndKind = new HashMap<>();

    private SchemaCatalog() {}

    /** Loads every schema; skips the calling test, saying why, when the folder is absent. */
    static SchemaCatalog load() throws IOException {
        Required.that(Files.isDirectory(SCHEMAS), "no schema folder at " + SCHEMAS + ": the manifests are validated "
                + "against ../shared/schemas, which a plain clone of this repository does not have");
        SchemaCatalog catalog = new SchemaCatalog();
        catalog.byApiVersionAndKind.put(key("v1", "Namespace"), NAMESPACE);
        for (String dir : List.of("argo-rollouts", "prometheus-operator")) {
            try (Stream<Path> files = Files.list(SCHEMAS.resolve(dir))) {
                for (Path file : files.filter(f -> f.toString().endsWith("-crd.yaml") || dir.equals("prometheus-operator")).toList()) {
                    catalog.addCrd(Files.readString(file));
                }
            }
        }
        // All of Istio's CRDs, RequestAuthentication among them, as istio/api publishes them in one file.
        catalog.addCrd(Files.readString(SCHEMAS.resolve("istio/customresourcedefinitions.gen.yaml")));
        try (Stream<Path> files = Files.list(SCHEMAS.resolve("kubernetes/v1.30.0-standalone-strict"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).toList()) {
                catalog.addJsonSchema(Files.readString(file));
            }
        }
        return catalog;
    }

    /** The schema for an object, or null when none is known. */
    Map<String, Object> schemaFor(String apiVersion, String kind) {
        return byApiVersionAndKind.get(key(apiVersion, kind));
    }

    @SuppressWarnings("unchecked")
    private void addCrd(String yaml) {
        for (Object document : new Yaml(new LoaderOptions()).loadAll(yaml)) {
            Map<String, Object> crd = (Map<String, Object>) document;
            if (crd == null || !"CustomResourceDefinition".equals(crd.get("kind"))) {
                continue;
            }
            Map<String, Object> spec = (Map<String, Object>) crd.get("spec");
            String group = (String) spec.get("group");
            String kind = (String) ((Map<String, Object>) spec.get("names")).get("kind");
            for (Map<String, Object> version : (List<Map<String, Object>>) spec.get("versions")) {
                Map<String, Object> schema = (Map<String, Object>) ((Map<String, Object>) version.get("schema"))
                        .get("openAPIV3Schema");
                byApiVersionAndKind.put(key(group + "/" + version.get("name"), kind), schema);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void addJsonSchema(String json) throws IOException {
        Map<String, Object> schema = new ObjectMapper().readValue(json, Map.class);
        for (Map<String, Object> gvk : (List<Map<String, Object>>) schema.get("x-kubernetes-group-version-kind")) {
            String group = (String) gvk.get("group");
            String apiVersion = group.isEmpty() ? (String) gvk.get("version") : group + "/" + gvk.get("version");
            byApiVersionAndKind.put(key(apiVersion, (String) gvk.get("kind")), schema);
        }
    }

    private static String key(String apiVersion, String kind) {
        return apiVersion + " " + kind;
    }
}
