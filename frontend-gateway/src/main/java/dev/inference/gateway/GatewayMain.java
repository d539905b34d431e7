package dev.inference.gateway;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import sun.misc.Signal;

/** Starts the gateway; SIGTERM or Ctrl-C drains it and exits 0. */
public final class GatewayMain {

    private GatewayMain() {}

    public static void main(String[] args) throws InterruptedException {
        GatewayConfig config = parseOrExit(args);
        GatewayServer gateway = GatewayServer.start(config);
        // A signal handler instead of a shutdown hook, as in the inference server: after a hook the
        // JVM exits 143, and closing Armeria from a hook can wait for ever on its own event loops.
        CountDownLatch stopped = new CountDownLatch(1);
        Runnable drain = () -> {
            gateway.close();
            stopped.countDown();
        };
        Signal.handle(new Signal("TERM"), signal -> new Thread(drain, "drain").start());
        Signal.handle(new Signal("INT"), signal -> new Thread(drain, "drain").start());
        stopped.await();
        System.exit(0);
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
