package dev.inference.rollouts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every manifest validates against the real upstream schemas, unknown fields being errors. */
class ManifestSchemaTest {

    private static SchemaCatalog schemas;

    @BeforeAll
    static void loadSchemas() throws Exception {
        schemas = SchemaCatalog.load();
    }

    @Test
    void everyManifestFileValidates() throws Exception {
        List<Manifests.Manifest> manifests = Manifests.fromFiles();
        assertTrue(manifests.size() >= 25, "manifests found: " + manifests.size());
        assertEquals(List.of(), problems(manifests));
    }

    @Test
    void theKustomizeBuildValidates() throws Exception {
        List<Manifests.Manifest> built = Manifests.built();
        // Alertmanager mounts ConfigMaps of its own namespace only (monitoring/prometheus-stack.yaml);
        // policies of the ingress gateway apply in its namespace (StandardClusterTest checks which).
        assertTrue(built.stream().allMatch(manifest -> manifest.kind().equals("Namespace")
                || "inference".equals(((Map<?, ?>) manifest.object().get("metadata")).get("namespace"))
                || manifest.name().equals("alertmanager-inference-templates")
                || manifest.name().startsWith("inference-ingress-")),
                "every object but the Alertmanager's templates and the ingress's policies lands in the inference namespace");
        assertEquals(List.of(), problems(built));
    }

    /** The Component that is off by default, built in as a user turns it on. */
    @Test
    void theKustomizeBuildWithTheModelCopyComponentValidates(@TempDir Path dir) throws Exception {
        assertEquals(List.of(), problems(Manifests.builtWith(dir, Manifests.withComponent("rollouts/model-copy"))));
    }

    @Test
    void theValidatorRejectsUnknownFieldsWrongTypesAndMissingRequiredOnes() throws Exception {
        Map<String, Object> rollout = schemas.schemaFor("argoproj.io/v1alpha1", "Rollout");
        assertNotNull(rollout);
        List<Manifests.Manifest> typo = Manifests.parse("test", """
                apiVersion: argoproj.io/v1alpha1
                kind: Rollout
                metadata: {name: x}
                spec:
                  replicas: three
                  strategy:
                    canary:
                      abortScaleDownDelaySecond: 30
                """);
        List<String> errors = StrictValidator.validate(typo.get(0).object(), rollout);
        assertTrue(errors.contains(".spec.replicas: expected integer, got string three"), errors.toString());
        assertTrue(errors.contains(".spec.strategy.canary.abortScaleDownDelaySecond: unknown field"), errors.toString());
        List<String> service = StrictValidator.validate(Manifests.parse("test", """
                apiVersion: v1
                kind: Service
                metadata: {name: x}
                spec: {ports: [{name: grpc}]}
                """).get(0).object(), schemas.schemaFor("v1", "Service"));
        assertTrue(service.contains(".spec.ports[0]: port is required"), service.toString());
        List<String> virtualService = StrictValidator.validate(Manifests.parse("test", """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: x}
                spec:
                  hosts: [x]
                  http:
                    - route:
                        - destination: {host: x}
                          weigth: 10
                """).get(0).object(), schemas.schemaFor("networking.istio.io/v1", "VirtualService"));
        assertTrue(virtualService.contains(".spec.http[0].route[0].weigth: unknown field"), virtualService.toString());
    }

    private static List<String> problems(List<Manifests.Manifest> manifests) {
        List<String> problems = new ArrayList<>();
        for (Manifests.Manifest manifest : manifests) {
            Map<String, Object> schema = schemas.schemaFor(manifest.apiVersion(), manifest.kind());
            if (schema == null) {
                problems.add(manifest + ": no schema for " + manifest.apiVersion());
                continue;
            }
            StrictValidator.validate(manifest.object(), schema).forEach(error -> problems.add(manifest + error));
        }
        return problems;
    }
}
