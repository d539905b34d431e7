package dev.inference.rollouts;


import dev.inference.server.Required;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/** The repository's Kubernetes manifests, as files and as the root kustomization builds them. */
final class Manifests {

    static final Path ROOT = Path.of(System.getProperty("repository.root", "..")).toAbsolutePath().normalize();
    /** Directories whose YAML documents with apiVersion and kind are Kubernetes objects. */
    static final List<String> MANIFEST_DIRS = List.of("rollouts", "istio", "monitoring");

    /** One Kubernetes object and where it came from. */
    record Manifest(String source, Map<String, Object> object) {

        String apiVersion() {
            return (String) object.get("apiVersion");
        }

        String kind() {
            return (String) object.get("kind");
        }

        @SuppressWarnings("unchecked")
        String name() {
            return (String) ((Map<String, Object>) object.get("metadata")).get("name");
        }

        @Override
        public String toString() {
            return kind() + " " + name() + " (" + source + ")";
        }
    }

    private Manifests() {}

    /** Every Kubernetes object in the manifest directories' YAML files, kustomizations excepted. */
    static List<Manifest> fromFiles() throws IOException {
        List<Manifest> manifests = new ArrayList<>();
        for (String dir : MANIFEST_DIRS) {
            try (Stream<Path> files = Files.walk(ROOT.resolve(dir))) {
                for (Path file : files.filter(Manifests::isManifestFile).sorted().toList()) {
                    manifests.addAll(parse(ROOT.relativize(file).toString(), Files.readString(file)));
                }
            }
        }
        manifests.addAll(parse("namespace.yaml", Files.readString(ROOT.resolve("namespace.yaml"))));
        return manifests;
    }

    private static List<Manifest> built;

    /**
     * What {@code kubectl kustomize} makes of the root kustomization, built once per test run;
     * skips without kubectl.
     */
    static synchronized List<Manifest> built() throws IOException, InterruptedException {
        Required.that(Files.isExecutable(Path.of("/usr/bin/kubectl")) || Files.isExecutable(Path.of("/usr/local/bin/kubectl")),
                "kubectl is not installed: the kustomize build cannot be checked");
        if (built != null) {
            return built;
        }
        Process kustomize = new ProcessBuilder("kubectl", "kustomize", ROOT.toString()).redirectErrorStream(true).start();
        String output = new String(kustomize.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!kustomize.waitFor(60, TimeUnit.SECONDS) || kustomize.exitValue() != 0) {
            throw new AssertionError("kubectl kustomize failed:\n" + output);
        }
        built = parse("kubectl kustomize .", output);
        return built;
    }

    @SuppressWarnings("unchecked")
    static List<Manifest> parse(String source, String yaml) {
        List<Manifest> manifests = new ArrayList<>();
        for (Object document : new Yaml(new LoaderOptions()).loadAll(yaml)) {
            if (document instanceof Map<?, ?> object && object.containsKey("apiVersion") && object.containsKey("kind")) {
                manifests.add(new Manifest(source, (Map<String, Object>) object));
            }
        }
        return manifests;
    }

    private static boolean isManifestFile(Path file) {
        String name = file.getFileName().toString();
        String path = file.toString();
        return (name.endsWith(".yaml") || name.endsWith(".yml"))
                && !name.equals("kustomization.yaml")
                && !path.contains("/target/") && !path.contains("/src/")
                && !path.contains("/kustomize-config/") && !path.contains("/rules/")
                && !name.equals("alertmanager.yml");
    }
}
