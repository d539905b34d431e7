package dev.inference.loadtest.bench;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The jars a benchmark starts its servers from: a picocli mixin shared by every benchmark. */
final class PlatformJars {

    @Option(names = "--server-jar", defaultValue = "inference-server/target/inference-server.jar",
            description = "The inference server's jar (default: ${DEFAULT-VALUE}).")
    Path server;

    @Option(names = "--gateway-jar", defaultValue = "frontend-gateway/target/frontend-gateway.jar",
            description = "The gateway's jar (default: ${DEFAULT-VALUE}).")
    Path gateway;
}
