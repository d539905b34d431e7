package dev.inference.gateway;

import java.util.List;
import picocli.CommandLine;

/** Starts the gateway; SIGTERM or Ctrl-C stops it gracefully. */
public final class GatewayMain {

    private GatewayMain() {}

    public static void main(String[] args) {
        GatewayConfig config = parseOrExit(args);
        GatewayServer.start(config).closeOnJvmShutdown();
    }

    /** The configuration, or an exit: 0 after printing the usage for --help, 2 for a bad flag. */
    private static GatewayConfig parseOrExit(String[] args) {
        if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
            new CommandLine(new GatewayConfig()).usage(System.out);
            System.exit(0);
        }
        try {
            return GatewayConfig.parse(args);
        } catch (CommandLine.ParameterException | IllegalArgumentException e) {
            System.err.println("frontend-gateway: " + e.getMessage() + " (--help lists the flags)");
            System.exit(2);
            throw e;
        }
    }
}
