package dev.inference.rollouts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.gateway.GatewayServer;
import dev.inference.platform.GoDuration;
import dev.inference.rollouts.Manifests.Manifest;
import dev.inference.server.Required;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The rendered manifests ({@code kubectl kustomize .}) against what a standard cluster really
 * installs: the Prometheus and Alertmanager that kube-prometheus-stack creates and the ingress
 * gateway of Istio's gateway chart, rendered by real Helm ({@code ../shared/clusters/}). Each test
 * evaluates what the controller would: a selector that would not select, an identity that would
 * not match, a sidecar that would leave before the drain.
 */
class StandardClusterTest {

    private static final Path CLUSTERS = Manifests.ROOT.resolve("../shared/clusters").normalize();

    private static List<Manifest> built;
    private static Manifest prometheus;
    private static Manifest alertmanager;
    private static List<Manifest> ingressChart;

    @BeforeAll
    static void load() throws Exception {
        Required.that(Files.isDirectory(CLUSTERS), "no folder " + CLUSTERS + ": the objects of a standard cluster come from"
                + " ../shared/clusters, which a plain clone of this repository does not have");
        built = Manifests.built();
        List<Manifest> stack = Manifests.parse("kube-prometheus-stack",
                Files.readString(CLUSTERS.resolve("kube-prometheus-stack-88.5.3.yaml")));
        prometheus = only(stack, "Prometheus");
        alertmanager = only(stack, "Alertmanager");
        ingressChart = Manifests.parse("istio gateway chart", Files.readString(CLUSTERS.resolve("istio-gateway-chart.yaml")));
    }

    @Test
    void chartsPrometheusLoadsEveryPodMonitorAndRule() {
        Map<String, Object> spec = spec(prometheus);
        for (String kind : List.of("PodMonitor", "ServiceMonitor", "PrometheusRule", "Probe", "ScrapeConfig")) {
            String field = switch (kind) {
                case "PodMonitor" -> "podMonitor";
                case "ServiceMonitor" -> "serviceMonitor";
                case "PrometheusRule" -> "rule";
                case "Probe" -> "probe";
                default -> "scrapeConfig";
            };
            for (Manifest object : ofKind(built, kind)) {
                assertTrue(selects(map(spec.get(field + "Selector")), labels(object)),
                        "the chart's Prometheus would not load " + object + ": its " + field + "Selector is "
                                + spec.get(field + "Selector") + ", the object's labels " + labels(object));
                assertTrue(namespaceSelected(map(spec.get(field + "NamespaceSelector")), prometheus, object),
                        object + " is in a namespace the Prometheus does not watch");
            }
        }
        assertFalse(ofKind(built, "PodMonitor").isEmpty(), "the platform ships PodMonitors");
        assertFalse(ofKind(built, "PrometheusRule").isEmpty(), "the platform ships its rules");
    }

    @Test
    void analysisTemplatesAskThePrometheusOfTheChart() {
        String service = "http://prometheus-operated." + namespace(prometheus) + ".svc:9090";
        for (Manifest template : ofKind(built, "AnalysisTemplate")) {
            for (Map<String, Object> metric : maps(spec(template).get("metrics"))) {
                Map<String, Object> provider = map(map(metric.get("provider")).get("prometheus"));
                assertEquals(service, provider.get("address"), template + ": the operator's Service for the Prometheus");
            }
        }
    }

    @Test
    void chartsAlertmanagerLoadsTheConfigWithItsTemplatesAndSecrets() throws Exception {
        Map<String, Object> spec = spec(alertmanager);
        Manifest config = only(built, "AlertmanagerConfig");
        assertTrue(selects(map(spec.get("alertmanagerConfigSelector")), labels(config)),
                "the Alertmanager would not select " + config);
        assertTrue(namespaceSelected(map(spec.get("alertmanagerConfigNamespaceSelector")), alertmanager, config),
                config + " is in a namespace the Alertmanager does not watch");

        // spec.configMaps mounts ConfigMaps of the Alertmanager's own namespace only, at
        // /etc/alertmanager/configmaps/<name>/; the chart's values add them and the template glob.
        Manifest templates = built.stream().filter(object -> object.kind().equals("ConfigMap")
                && object.name().equals("alertmanager-inference-templates")).findFirst().orElseThrow();
        assertEquals(namespace(alertmanager), namespace(templates), "the templates' ConfigMap must be in the"
                + " Alertmanager's namespace to be mounted");
        Map<String, Object> values = new Yaml(new LoaderOptions()).load(
                Files.readString(Manifests.ROOT.resolve("monitoring/kube-prometheus-stack-values.yaml")));
        Map<String, Object> alertmanagerValues = map(values.get("alertmanager"));
        assertTrue(list(map(alertmanagerValues.get("alertmanagerSpec")).get("configMaps")).contains(templates.name()),
                "the chart values list the templates' ConfigMap under alertmanagerSpec.configMaps");
        assertTrue(list(map(alertmanagerValues.get("config")).get("templates"))
                        .contains("/etc/alertmanager/configmaps/" + templates.name() + "/*.tmpl"),
                "the chart values load the mounted templates");
        Set<String> defined = matches(Pattern.compile("\\{\\{-?\\s*define\\s+\"([^\"]+)\""),
                String.valueOf(map(templates.object().get("data")).values()));
        Set<String> used = matches(Pattern.compile("template\\s+\"([^\"]+)\""), String.valueOf(config.object()));
        assertFalse(used.isEmpty());
        assertTrue(defined.containsAll(used), "templates used " + used + ", defined " + defined);

        // The operator reads a receiver's Secret from the AlertmanagerConfig's namespace.
        // A SecretKeySelector, with kustomize's sorted keys: {key=..., name=...}.
        Set<String> secrets = matches(Pattern.compile("\\{key=[^,}]+, name=([a-z0-9-]+)}"), String.valueOf(config.object()));
        assertFalse(secrets.isEmpty());
        String delivery = Files.readString(Manifests.ROOT.resolve("docs/delivery.md"));
        for (String secret : secrets) {
            Matcher command = Pattern.compile("kubectl -n ([a-z0-9-]+) create secret generic " + secret).matcher(delivery);
            assertTrue(command.find(), "docs/delivery.md creates the Secret " + secret);
            assertEquals(namespace(config), command.group(1), "the Secret " + secret + " must be created in the"
                    + " AlertmanagerConfig's namespace");
        }
    }

    @Test
    void onlyTheHelmInstalledIngressGatewayMayCallTheGateway() {
        Manifest account = only(ingressChart, "ServiceAccount");
        Manifest deployment = only(ingressChart, "Deployment");
        Map<String, Object> podSpec = map(map(spec(deployment).get("template")).get("spec"));
        String accountName = (String) Objects.requireNonNullElse(podSpec.get("serviceAccountName"), "default");
        assertEquals(account.name(), accountName, "the chart's pods run as its ServiceAccount");
        String principal = "cluster.local/ns/" + namespace(account) + "/sa/" + accountName;

        Manifest policy = named(built, "AuthorizationPolicy", "frontend-gateway");
        List<Object> principals = new ArrayList<>();
        for (Map<String, Object> rule : maps(spec(policy).get("rules"))) {
            for (Map<String, Object> from : maps(rule.get("from"))) {
                principals.addAll(list(map(from.get("source")).get("principals")));
            }
        }
        assertEquals(List.of(principal), principals, "the ingress gateway's identity in " + policy);

        Map<String, String> podLabels = stringMap(map(map(spec(deployment).get("template")).get("metadata")).get("labels"));
        Map<String, Object> admitted = maps(maps(spec(named(built, "NetworkPolicy", "frontend-gateway-ingress"))
                .get("ingress")).get(0).get("from")).get(0);
        assertEquals(Map.of("kubernetes.io/metadata.name", namespace(account)),
                map(admitted.get("namespaceSelector")).get("matchLabels"), "the NetworkPolicy admits the ingress's namespace");
        assertTrue(podLabels.entrySet().containsAll(stringMap(map(admitted.get("podSelector")).get("matchLabels")).entrySet()),
                "the NetworkPolicy admits the chart's pods " + podLabels);
        Manifest gateway = only(built, "Gateway");
        Map<String, String> selector = stringMap(spec(gateway).get("selector"));
        assertTrue(podLabels.entrySet().containsAll(selector.entrySet()),
                "the Gateway's selector " + selector + " must select the chart's pods " + podLabels);
    }

    /**
     * The ingress's JWT rule and its credential requirement apply where the Helm-installed ingress
     * gateway runs: a RequestAuthentication or AuthorizationPolicy selects workloads of its own
     * namespace only (or all of them from the root namespace). Its rule is the gateway's own.
     */
    @Test
    void theIngressValidatesTheGatewaysJwtsOnItsOwnPods() {
        Manifest deployment = only(ingressChart, "Deployment");
        Map<String, String> podLabels = stringMap(map(map(spec(deployment).get("template")).get("metadata")).get("labels"));
        Manifest jwt = named(built, "RequestAuthentication", "inference-ingress-jwt");
        Manifest required = named(built, "AuthorizationPolicy", "inference-ingress-require-credential");
        for (Manifest policy : List.of(jwt, required)) {
            assertEquals(namespace(deployment), namespace(policy), policy + " in the ingress gateway's namespace");
            Map<String, String> selector = stringMap(map(spec(policy).get("selector")).get("matchLabels"));
            assertTrue(podLabels.entrySet().containsAll(selector.entrySet()), policy + " selects the chart's pods " + podLabels);
        }
        Map<String, String> gatewayEnv = stringMap(map(built.stream().filter(object -> object.kind().equals("ConfigMap")
                && object.name().startsWith("frontend-gateway-config-")).findFirst().orElseThrow().object().get("data")));
        Map<String, Object> rule = maps(spec(jwt).get("jwtRules")).get(0);
        assertEquals(gatewayEnv.get("GATEWAY_JWT_ISSUER"), rule.get("issuer"));
        assertEquals(gatewayEnv.get("GATEWAY_JWKS"), rule.get("jwksUri"));
        assertEquals(List.of(gatewayEnv.get("GATEWAY_JWT_AUDIENCE")), rule.get("audiences"));
        assertEquals(true, rule.get("forwardOriginalToken"), "the gateway validates the token again and reads the client from it");
        assertEquals("DENY", spec(required).get("action"));
    }

    /**
     * Istio's sidecar drains for terminationDrainDuration after SIGTERM and then exits (default
     * 5 s). It must outlive the application's own drain, and end within the grace period.
     */
    @Test
    void sidecarsOutliveTheDrainOfTheirApplication() throws Exception {
        Map<String, String> serverEnv = envFile("rollouts/config/inference-server.env");
        Duration serverDrain = Duration.ofSeconds(Long.parseLong(serverEnv.get("INFERENCE_DRAIN_GRACE_SECONDS")));
        assertSidecarOutlives(named(built, "Rollout", "inference-server"), serverDrain);
        assertSidecarOutlives(named(built, "Deployment", "frontend-gateway"), GatewayServer.DRAIN_TIMEOUT);
    }

    private static void assertSidecarOutlives(Manifest workload, Duration applicationDrain) {
        Map<String, Object> template = map(spec(workload).get("template"));
        Map<String, Object> annotations = map(map(template.get("metadata")).get("annotations"));
        Object proxyConfig = annotations.get("proxy.istio.io/config");
        assertNotNull(proxyConfig, workload + " sets the sidecar's terminationDrainDuration");
        Map<String, Object> config = new Yaml(new LoaderOptions()).load(String.valueOf(proxyConfig));
        Duration sidecarDrain = GoDuration.parse(String.valueOf(config.get("terminationDrainDuration")));
        Map<String, Object> podSpec = map(template.get("spec"));
        Map<String, Object> container = maps(podSpec.get("containers")).get(0);
        List<Object> preStop = list(map(map(map(container.get("lifecycle")).get("preStop")).get("exec")).get("command"));
        assertEquals("sleep", preStop.get(0));
        Duration stopping = Duration.ofSeconds(Long.parseLong(String.valueOf(preStop.get(1)))).plus(applicationDrain);
        Duration grace = Duration.ofSeconds(((Number) podSpec.get("terminationGracePeriodSeconds")).longValue());
        assertTrue(sidecarDrain.compareTo(stopping) >= 0, workload + ": the sidecar drains " + sidecarDrain
                + ", the application stops within " + stopping);
        assertTrue(sidecarDrain.compareTo(grace) < 0, workload + ": the sidecar's drain ends before the grace period " + grace);
    }

    /** Kubernetes makes a pod Guaranteed only when every container, the injected sidecar too, has requests == limits. */
    @Test
    void inferencePodsStayGuaranteedWithTheSidecar() {
        Map<String, Object> template = map(spec(named(built, "Rollout", "inference-server")).get("template"));
        Map<String, Object> annotations = map(map(template.get("metadata")).get("annotations"));
        assertEquals(annotations.get("sidecar.istio.io/proxyCPU"), annotations.get("sidecar.istio.io/proxyCPULimit"));
        assertEquals(annotations.get("sidecar.istio.io/proxyMemory"), annotations.get("sidecar.istio.io/proxyMemoryLimit"));
        assertNotNull(annotations.get("sidecar.istio.io/proxyCPU"));
        for (Map<String, Object> container : maps(map(template.get("spec")).get("containers"))) {
            Map<String, Object> resources = map(container.get("resources"));
            assertEquals(resources.get("requests"), resources.get("limits"), container.get("name") + " requests == limits");
        }
    }

    /**
     * An autoscaled workload must not carry spec.replicas (every apply would reset the
     * autoscaler), and its CPU metric measures the application container, not the sidecar.
     */
    @Test
    void autoscalersOwnTheReplicaCounts() {
        List<Manifest> autoscalers = ofKind(built, "HorizontalPodAutoscaler");
        assertEquals(2, autoscalers.size());
        for (Manifest hpa : autoscalers) {
            Map<String, Object> target = map(spec(hpa).get("scaleTargetRef"));
            Manifest workload = named(built, (String) target.get("kind"), (String) target.get("name"));
            assertFalse(spec(workload).containsKey("replicas"), workload + " leaves spec.replicas to " + hpa);
            Set<Object> containers = new LinkedHashSet<>();
            for (Map<String, Object> container : maps(map(map(spec(workload).get("template")).get("spec")).get("containers"))) {
                containers.add(container.get("name"));
            }
            for (Map<String, Object> metric : maps(spec(hpa).get("metrics"))) {
                assertEquals("ContainerResource", metric.get("type"), hpa + " measures its container alone");
                assertTrue(containers.contains(map(metric.get("containerResource")).get("container")));
            }
        }
    }

    /** A container's image, or an image volume's reference. */
    private static final Pattern IMAGE = Pattern.compile("(?:image|reference)=([^,{}]+)");

    /**
     * Images are tagged in one place, the root kustomization's images:, which every apply enforces;
     * a model image pinned by digest there, as docs/delivery.md ships a model, reaches its volume
     * and changes nothing else.
     */
    @Test
    void imagesAreTaggedOnlyByTheRootKustomization(@TempDir Path modelChange) throws Exception {
        Map<String, Object> kustomization = new Yaml(new LoaderOptions()).load(
                Files.readString(Manifests.ROOT.resolve("kustomization.yaml")));
        Map<String, String> tags = new HashMap<>();
        for (Map<String, Object> image : maps(kustomization.get("images"))) {
            tags.put((String) image.get("name"), ":" + image.get("newTag"));
        }
        for (Manifest file : Manifests.fromFiles()) {
            for (String image : matches(IMAGE, String.valueOf(file.object()))) {
                assertFalse(image.contains(":"), file + " tags its image " + image + "; the tag belongs in kustomization.yaml");
                assertTrue(tags.containsKey(image), image + " is not in the root kustomization's images:");
            }
        }
        assertImagesAsTagged(built, tags);

        String model = "ghcr.io/inference-platform/model-sentiment-2";
        String digest = "sha256:" + "5e".repeat(32);
        Map<String, String> pinned = new HashMap<>(tags);
        pinned.put(model, "@" + digest);
        assertImagesAsTagged(Manifests.builtWith(modelChange, Manifests.withImage(model, "digest", digest)), pinned);
    }

    private static void assertImagesAsTagged(List<Manifest> objects, Map<String, String> tags) {
        for (Manifest object : objects) {
            for (String image : matches(IMAGE, String.valueOf(object.object()))) {
                String name = image.contains("@") ? image.substring(0, image.indexOf('@')) : image.substring(0, image.lastIndexOf(':'));
                assertEquals(name + tags.get(name), image, object.toString());
            }
        }
    }

    /** Pod-template hashes are content hashes and repeat across namespaces. */
    @Test
    void analysisIsScopedToTheRolloutsNamespace() {
        Manifest rollout = named(built, "Rollout", "inference-server");
        Map<String, Object> canary = map(map(spec(rollout).get("strategy")).get("canary"));
        assertTrue(Boolean.TRUE.equals(spec(rollout).get("progressDeadlineAbort")),
                "a canary that never becomes available is aborted, not left at weight 0 with 'no data'");
        List<List<Map<String, Object>>> argLists = new ArrayList<>();
        argLists.add(list(map(canary.get("analysis")).get("args")));
        for (Map<String, Object> step : maps(canary.get("steps"))) {
            if (step.containsKey("analysis")) {
                argLists.add(list(map(step.get("analysis")).get("args")));
            }
        }
        for (List<Map<String, Object>> args : argLists) {
            Map<String, Object> namespaceArg = args.stream().filter(arg -> "namespace".equals(arg.get("name")))
                    .findFirst().orElseThrow(() -> new AssertionError("the Rollout passes no namespace arg: " + args));
            assertEquals("metadata.namespace", map(map(namespaceArg.get("valueFrom")).get("fieldRef")).get("fieldPath"));
        }
        for (Manifest template : ofKind(built, "AnalysisTemplate")) {
            for (Map<String, Object> metric : maps(spec(template).get("metrics"))) {
                String query = String.valueOf(map(map(metric.get("provider")).get("prometheus")).get("query"))
                        .replaceAll("\\{\\{\\s*args\\.([a-z-]+)\\s*}}", "ARG_$1");
                Matcher selector = Pattern.compile("\\{([^}]*)}").matcher(query);
                int selectors = 0;
                while (selector.find()) {
                    if (selector.group(1).contains("ARG_canary-hash")) {
                        selectors++;
                        assertTrue(selector.group(1).contains("namespace=\"ARG_namespace\""),
                                template + " selects a canary hash without the namespace: " + selector.group(1));
                    }
                }
                assertTrue(selectors > 0, template + " selects the canary by its hash");
            }
        }
    }

    // --- what the controllers do with selectors -------------------------------------------------

    /** A Kubernetes LabelSelector: null selects nothing, {} everything. */
    static boolean selects(Map<String, Object> selector, Map<String, String> labels) {
        if (selector == null) {
            return false;
        }
        for (Map.Entry<String, String> required : stringMap(selector.get("matchLabels")).entrySet()) {
            if (!required.getValue().equals(labels.get(required.getKey()))) {
                return false;
            }
        }
        for (Map<String, Object> expression : maps(selector.get("matchExpressions"))) {
            String value = labels.get((String) expression.get("key"));
            List<Object> values = list(expression.get("values"));
            boolean ok = switch ((String) expression.get("operator")) {
                case "In" -> values.contains(value);
                case "NotIn" -> !values.contains(value);
                case "Exists" -> value != null;
                case "DoesNotExist" -> value == null;
                default -> throw new IllegalArgumentException("operator " + expression.get("operator"));
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * The operator's namespace selectors: unset means the operator object's own namespace only,
     * {@code {}} every namespace, else the namespaces whose labels match.
     */
    private static boolean namespaceSelected(Map<String, Object> selector, Manifest owner, Manifest object) {
        if (selector == null) {
            return namespace(owner).equals(namespace(object));
        }
        Map<String, String> namespaceLabels = new HashMap<>(built.stream()
                .filter(candidate -> candidate.kind().equals("Namespace") && candidate.name().equals(namespace(object)))
                .findFirst().map(StandardClusterTest::labels).orElse(Map.of()));
        namespaceLabels.put("kubernetes.io/metadata.name", namespace(object));
        return selects(selector, namespaceLabels);
    }

    // --- reading the objects -----------------------------------------------------------------------

    private static Map<String, String> envFile(String path) throws Exception {
        Map<String, String> env = new HashMap<>();
        for (String line : Files.readAllLines(Manifests.ROOT.resolve(path))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                env.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
        }
        return env;
    }

    private static Set<String> matches(Pattern pattern, String text) {
        Set<String> found = new LinkedHashSet<>();
        Matcher matcher = pattern.matcher(text);
        while (matcher.find()) {
            found.add(matcher.group(1));
        }
        return found;
    }

    private static List<Manifest> ofKind(List<Manifest> objects, String kind) {
        return objects.stream().filter(object -> object.kind().equals(kind)).toList();
    }

    private static Manifest only(List<Manifest> objects, String kind) {
        List<Manifest> ofKind = ofKind(objects, kind);
        assertEquals(1, ofKind.size(), "one " + kind);
        return ofKind.get(0);
    }

    private static Manifest named(List<Manifest> objects, String kind, String name) {
        return ofKind(objects, kind).stream().filter(object -> object.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    private static String namespace(Manifest object) {
        return (String) map(object.object().get("metadata")).get("namespace");
    }

    private static Map<String, String> labels(Manifest object) {
        return stringMap(map(object.object().get("metadata")).get("labels"));
    }

    private static Map<String, Object> spec(Manifest object) {
        return map(object.object().get("spec"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static <T> List<T> list(Object value) {
        return value == null ? List.of() : (List<T>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> maps(Object value) {
        return value == null ? List.of() : (List<Map<String, Object>>) value;
    }

    private static Map<String, String> stringMap(Object value) {
        Map<String, String> strings = new HashMap<>();
        if (value != null) {
            map(value).forEach((key, item) -> strings.put(key, String.valueOf(item)));
        }
        return strings;
    }
}
