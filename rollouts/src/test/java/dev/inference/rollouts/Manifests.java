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
import java.util.function.Consumer;
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
        requireKubectl();
        if (built != null) {
            return built;
        }
        built = parse("kubectl kustomize .", kustomize("kubectl", "kustomize", ROOT.toString()));
        return built;
    }

    /**
     * The root kustomization built after a change to it, as a user makes one (another Component, an
     * image pinned by digest): a copy of it in a folder of the test's, changed, its paths (the
     * change's too, given from the repository's root) made relative to that folder.
     */
    @SuppressWarnings("unchecked")
    static List<Manifest> builtWith(Path dir, Consumer<Map<String, Object>> change) throws IOException, InterruptedException {
        requireKubectl();
        Map<String, Object> kustomization = new Yaml(new LoaderOptions()).load(Files.readString(ROOT.resolve("kustomization.yaml")));
        change.accept(kustomization);
        String root = dir.toAbsolutePath().relativize(ROOT).toString() + "/";
        for (String field : List.of("resources", "components", "configurations")) {
            List<String> paths = new ArrayList<>((List<String>) kustomization.getOrDefault(field, List.of()));
            paths.replaceAll(path -> root + path);
            kustomization.put(field, paths);
        }
        Files.writeString(dir.resolve("kustomization.yaml"), new Yaml().dump(kustomization));
        // The configurations are files outside the copy's folder, which kustomize refuses by default.
        return parse("kubectl kustomize . changed",
                kustomize("kubectl", "kustomize", "--load-restrictor", "LoadRestrictionsNone", dir.toString()));
    }

    /** A change for {@link #builtWith}: one more Component, by its path from the repository's root. */
    @SuppressWarnings("unchecked")
    static Consumer<Map<String, Object>> withComponent(String component) {
        return kustomization -> {
            List<String> components = new ArrayList<>((List<String>) kustomization.getOrDefault("components", List.of()));
            components.add(component);
            kustomization.put("components", components);
        };
    }

    /** A change for {@link #builtWith}: an image of the root kustomization's images: set as `kustomize edit set image` sets it. */
    @SuppressWarnings("unchecked")
    static Consumer<Map<String, Object>> withImage(String name, String field, String value) {
        return kustomization -> {
            Map<String, Object> image = ((List<Map<String, Object>>) kustomization.get("images")).stream()
                    .filter(entry -> entry.get("name").equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError(name + " is not in the root kustomization's images:"));
            image.remove("newTag");
            image.remove("digest");
            image.put(field, value);
        };
    }

    /** Skips without kubectl (fails under CI=true). */
    private static void requireKubectl() {
        Required.that(Files.isExecutable(Path.of("/usr/bin/kubectl")) || Files.isExecutable(Path.of("/usr/local/bin/kubectl")),
                "kubectl is not installed: the kustomize build cannot be checked");
    }

    private static String kustomize(String... command) throws IOException, InterruptedException {
        Process kustomize = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(kustomize.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!kustomize.waitFor(60, TimeUnit.SECONDS) || kustomize.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed:\n" + output);
        }
        return output;
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
