package dev.inference.rollouts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.monitoring.ExportedMetrics;
import dev.inference.monitoring.PromQl;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the schemas cannot see: names that must point at each other in the built manifests. */
@SuppressWarnings("unchecked")
class CrossReferenceTest {

    private static final String NAMESPACE = "inference";
    /** Container ports the Istio sidecar injector adds. */
    private static final Set<String> SIDECAR_PORTS = Set.of("http-envoy-prom");

    private static List<Manifests.Manifest> built;

    @BeforeAll
    static void build() throws Exception {
        built = Manifests.built();
    }

    @Test
    void rolloutNamesAnExistingVirtualServiceRouteAndDestinationRuleSubsets() {
        Map<String, Object> canary = at(one("Rollout", "inference-server"), "spec", "strategy", "canary");
        Map<String, Object> istio = at(canary, "trafficRouting", "istio");
        Map<String, Object> virtualService = one("VirtualService", (String) at(istio, "virtualService").get("name"));
        Set<String> routes = list(at(virtualService, "spec"), "http").stream()
                .map(route -> (String) route.get("name")).collect(Collectors.toSet());
        for (Object route : (List<Object>) at(istio, "virtualService").get("routes")) {
            assertTrue(routes.contains(route), "route " + route + " in " + routes);
        }
        Map<String, Object> destinationRule = at(istio, "destinationRule");
        Set<String> subsets = list(at(one("DestinationRule", (String) destinationRule.get("name")), "spec"), "subsets")
                .stream().map(subset -> (String) subset.get("name")).collect(Collectors.toSet());
        assertEquals(Set.of(destinationRule.get("stableSubsetName"), destinationRule.get("canarySubsetName")), subsets);
        Set<String> managed = list(at(canary, "trafficRouting"), "managedRoutes").stream()
                .map(route -> (String) route.get("name")).collect(Collectors.toSet());
        for (Map<String, Object> step : list(canary, "steps")) {
            if (step.containsKey("setMirrorRoute")) {
                assertTrue(managed.contains(at(step, "setMirrorRoute").get("name")), "mirror route is managed");
            }
        }
        assertTrue((Integer) canary.get("abortScaleDownDelaySeconds") > 0, "0 would never scale an aborted canary down");
        assertTrue(list(canary, "steps").stream().anyMatch(step -> step.containsKey("pause")
                && ((Map<String, Object>) step.get("pause")).isEmpty()), "an indefinite pause is the manual gate");
    }

    @Test
    void everyReferencedAnalysisTemplateExistsAndGetsEveryArgItDeclares() {
        Map<String, Object> canary = at(one("Rollout", "inference-server"), "spec", "strategy", "canary");
        List<Map<String, Object>> analyses = new ArrayList<>(List.of(at(canary, "analysis")));
        for (Map<String, Object> step : list(canary, "steps")) {
            if (step.containsKey("analysis")) {
                analyses.add(at(step, "analysis"));
            }
        }
        int referenced = 0;
        for (Map<String, Object> analysis : analyses) {
            Set<String> given = list(analysis, "args").stream().map(arg -> (String) arg.get("name")).collect(Collectors.toSet());
            for (Map<String, Object> reference : list(analysis, "templates")) {
                Map<String, Object> template = one("AnalysisTemplate", (String) reference.get("templateName"));
                for (Map<String, Object> arg : list(at(template, "spec"), "args")) {
                    assertTrue(arg.containsKey("value") || given.contains(arg.get("name")),
                            reference.get("templateName") + " needs arg " + arg.get("name") + ", given " + given);
                }
                referenced++;
            }
        }
        assertEquals(5, referenced);
    }

    /** The alert is the analysis's backstop: both hold a canary to the same agreement and sample size. */
    @Test
    void theDisagreementAlertUsesTheAnalysisThresholds() throws Exception {
        Map<String, String> defaults = new java.util.HashMap<>();
        for (Map<String, Object> arg : list(at(one("AnalysisTemplate", "inference-canary-agreement"), "spec"), "args")) {
            defaults.put((String) arg.get("name"), String.valueOf(arg.get("value")));
        }
        String rules = Files.readString(Manifests.ROOT.resolve("monitoring/rules/inference.rules.yml"));
        String alert = rules.substring(rules.indexOf("- alert: InferenceCanaryDisagrees"));
        assertTrue(alert.contains("ratio_rate10m < " + defaults.get("min-agreement")), "min-agreement " + defaults);
        assertTrue(alert.contains(">= " + defaults.get("min-comparisons")), "min-comparisons " + defaults);
        assertTrue(alert.contains("below the " + Math.round(Double.parseDouble(defaults.get("min-agreement")) * 100) + "%"),
                "the description names the threshold");
    }

    @Test
    void serviceSelectorsMatchPodLabelsAndTargetPortsExist() {
        for (Map<String, Object> service : all("Service")) {
            Map<String, Object> selector = at(service, "spec", "selector");
            Map<String, Object> workload = workloads().stream()
                    .filter(candidate -> podLabels(candidate).entrySet().containsAll(selector.entrySet()))
                    .findFirst().orElseThrow(() -> new AssertionError("no pods match " + selector));
            Set<String> portNames = containerPortNames(workload);
            for (Map<String, Object> port : list(at(service, "spec"), "ports")) {
                assertTrue(portNames.contains(port.get("targetPort")), "target port " + port.get("targetPort"));
                assertNotNull(port.get("appProtocol"), "appProtocol of " + port.get("name"));
            }
        }
    }

    @Test
    void selectorsOfPoliciesBudgetsAndScalersMatchWorkloads() {
        for (String kind : List.of("PodDisruptionBudget", "NetworkPolicy", "AuthorizationPolicy", "RequestAuthentication")) {
            for (Map<String, Object> object : platformOnly(all(kind))) {
                Map<String, Object> selector = kind.equals("NetworkPolicy") ? at(object, "spec", "podSelector")
                        : at(object, "spec", "selector");
                Map<String, Object> labels = (Map<String, Object>) selector.getOrDefault("matchLabels", Map.of());
                assertTrue(workloads().stream().anyMatch(w -> podLabels(w).entrySet().containsAll(labels.entrySet())),
                        kind + " " + name(object) + " selects no pods");
            }
        }
        for (Map<String, Object> scaler : all("HorizontalPodAutoscaler")) {
            Map<String, Object> target = at(scaler, "spec", "scaleTargetRef");
            one((String) target.get("kind"), (String) target.get("name"));
        }
    }

    @Test
    void authorizationPrincipalsAreRealServiceAccounts() {
        Set<String> accounts = all("ServiceAccount").stream().map(CrossReferenceTest::name).collect(Collectors.toSet());
        for (Map<String, Object> policy : platformOnly(all("AuthorizationPolicy"))) {
            for (Map<String, Object> rule : list(at(policy, "spec"), "rules")) {
                for (Map<String, Object> from : list(rule, "from")) {
                    for (Object principal : (List<Object>) at(from, "source").getOrDefault("principals", List.of())) {
                        String[] parts = ((String) principal).split("/");
                        assertEquals("cluster.local", parts[0]);
                        if (!parts[2].equals(NAMESPACE)) {
                            // The ingress gateway's identity, which StandardClusterTest checks against
                            // the Helm-rendered gateway chart.
                            assertEquals(name(policy), "frontend-gateway", principal + " outside the platform");
                        } else {
                            assertEquals(NAMESPACE, parts[2], principal + " is in the platform's namespace");
                            assertTrue(accounts.contains(parts[4]), principal + " names a ServiceAccount: " + accounts);
                        }
                    }
                }
            }
        }
        Map<String, Object> gatewayPod = at(one("Deployment", "frontend-gateway"), "spec", "template", "spec");
        assertEquals("frontend-gateway", gatewayPod.get("serviceAccountName"), "the principal is the gateway's identity");
    }

    @Test
    void virtualServiceDestinationsAreServicesWithThosePorts() {
        Map<String, Set<Integer>> servicePorts = all("Service").stream().collect(Collectors.toMap(CrossReferenceTest::name,
                service -> list(at(service, "spec"), "ports").stream().map(port -> (Integer) port.get("port"))
                        .collect(Collectors.toSet())));
        for (Map<String, Object> virtualService : all("VirtualService")) {
            for (Map<String, Object> http : list(at(virtualService, "spec"), "http")) {
                for (Map<String, Object> route : list(http, "route")) {
                    Map<String, Object> destination = at(route, "destination");
                    assertTrue(servicePorts.containsKey(destination.get("host")), "host " + destination.get("host"));
                    if (destination.get("port") instanceof Map<?, ?> port) {
                        assertTrue(servicePorts.get(destination.get("host")).contains(port.get("number")));
                    }
                }
            }
        }
    }

    @Test
    void containerAndProbePortsMatchTheFlagsInTheConfigMaps() {
        checkPorts(one("Rollout", "inference-server"), "inference-server-config",
                Map.of("grpc", "INFERENCE_PORT", "http-metrics", "INFERENCE_MANAGEMENT_PORT"));
        checkPorts(one("Deployment", "frontend-gateway"), "frontend-gateway-config",
                Map.of("http", "GATEWAY_PORT", "http-metrics", "GATEWAY_MANAGEMENT_PORT"));
        Set<String> inferencePorts = containerPortNames(one("Rollout", "inference-server"));
        for (Map<String, Object> monitor : all("PodMonitor")) {
            Map<String, Object> labels = at(monitor, "spec", "selector", "matchLabels");
            Map<String, Object> workload = workloads().stream()
                    .filter(w -> podLabels(w).entrySet().containsAll(labels.entrySet())).findFirst().orElseThrow();
            for (Map<String, Object> endpoint : list(at(monitor, "spec"), "podMetricsEndpoints")) {
                Object port = endpoint.get("port");
                assertTrue(containerPortNames(workload).contains(port) || SIDECAR_PORTS.contains(port),
                        "PodMonitor " + name(monitor) + " port " + port + " of " + inferencePorts);
            }
        }
    }

    @Test
    void everyMetricInAQueryIsExportedOrIstioStandard() throws Exception {
        Set<String> known = new HashSet<>(ExportedMetrics.names(Manifests.ROOT.resolve("monitoring"),
                System.getProperty("inference.modelRepository")));
        known.addAll(ExportedMetrics.ISTIO_STANDARD);
        List<String> queries = new ArrayList<>();
        for (Map<String, Object> template : all("AnalysisTemplate")) {
            for (Map<String, Object> metric : list(at(template, "spec"), "metrics")) {
                queries.add((String) at(metric, "provider", "prometheus").get("query"));
            }
        }
        for (Map<String, Object> rules : all("PrometheusRule")) {
            for (Map<String, Object> group : list(at(rules, "spec"), "groups")) {
                list(group, "rules").forEach(rule -> queries.add((String) rule.get("expr")));
            }
        }
        assertTrue(queries.size() > 20);
        for (String query : queries) {
            Set<String> unknown = new HashSet<>(PromQl.metricNames(query));
            unknown.removeAll(known);
            assertTrue(unknown.isEmpty(), "not exported by the server or gateway, not recorded, not Istio: "
                    + unknown + " in " + query);
        }
    }

    private static void checkPorts(Map<String, Object> workload, String configMapPrefix, Map<String, String> portFlags) {
        Map<String, Object> data = at(all("ConfigMap").stream()
                .filter(configMap -> name(configMap).startsWith(configMapPrefix + "-")).findFirst().orElseThrow(), "data");
        Map<String, Object> container = list(at(workload, "spec", "template", "spec"), "containers").get(0);
        Map<String, Integer> ports = list(container, "ports").stream()
                .collect(Collectors.toMap(port -> (String) port.get("name"), port -> (Integer) port.get("containerPort")));
        portFlags.forEach((portName, flag) ->
                assertEquals(Integer.parseInt((String) data.get(flag)), ports.get(portName), portName + " = " + flag));
        for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
            if (container.get(probe) instanceof Map<?, ?> definition) {
                Integer port = (Integer) ((Map<String, Object>) definition.get("grpc")).get("port");
                assertTrue(ports.containsValue(port), probe + " port " + port + " is a container port");
            }
        }
        String configMapRef = (String) at(list(container, "envFrom").get(0), "configMapRef").get("name");
        assertTrue(configMapRef.startsWith(configMapPrefix + "-"), "envFrom follows the hashed ConfigMap name: " + configMapRef);
        assertFalse(data.containsKey("INFERENCE_HOST") || data.containsKey("GATEWAY_HOST"), "pods bind 0.0.0.0");
    }

    private static List<Map<String, Object>> workloads() {
        List<Map<String, Object>> workloads = new ArrayList<>(all("Rollout"));
        workloads.addAll(all("Deployment"));
        return workloads;
    }

    private static Map<String, Object> podLabels(Map<String, Object> workload) {
        return at(workload, "spec", "template", "metadata", "labels");
    }

    private static Set<String> containerPortNames(Map<String, Object> workload) {
        return list(at(workload, "spec", "template", "spec"), "containers").stream()
                .flatMap(container -> list(container, "ports").stream())
                .map(port -> (String) port.get("name")).collect(Collectors.toSet());
    }

    /** The objects in the platform's namespace: the ingress gateway's policies are checked against its chart (StandardClusterTest). */
    private static List<Map<String, Object>> platformOnly(List<Map<String, Object>> objects) {
        return objects.stream().filter(object -> NAMESPACE.equals(at(object, "metadata").get("namespace"))).toList();
    }

    private static List<Map<String, Object>> all(String kind) {
        return built.stream().filter(manifest -> manifest.kind().equals(kind)).map(Manifests.Manifest::object).toList();
    }

    private static Map<String, Object> one(String kind, String name) {
        return all(kind).stream().filter(object -> name(object).equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " named " + name));
    }

    private static String name(Map<String, Object> object) {
        return (String) at(object, "metadata").get("name");
    }

    private static Map<String, Object> at(Map<String, Object> object, String... path) {
        Map<String, Object> current = object;
        for (String key : path) {
            current = (Map<String, Object>) current.get(key);
            assertNotNull(current, "missing " + key + " in " + String.join(".", path));
        }
        return current;
    }

    private static List<Map<String, Object>> list(Map<String, Object> object, String key) {
        return (List<Map<String, Object>>) object.getOrDefault(key, List.of());
    }
}
