package dev.inference.gateway;

import dev.inference.platform.ManifestVersion;
import dev.inference.platform.Signals;
import dev.inference.platform.UsageErrors;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Starts the gateway; SIGTERM or Ctrl-C drains it. Exit codes are picocli's: 0 after a drain or
 * {@code --help}, 2 for a bad flag.
 */
@Command(name = "frontend-gateway", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, description = "Serves the web UI and REST, and forwards to the inference servers.")
public final class GatewayMain implements Callable<Integer> {

    @Mixin
    GatewayFlags flags;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new GatewayMain()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        GatewayConfig config = UsageErrors.check(spec, flags::toConfig);
        Signals signals = Signals.handleTermination();
        GatewayServer gateway = new GatewayServer(config).start();
        signals.await();
        gateway.close();
        return 0;
    }
}
