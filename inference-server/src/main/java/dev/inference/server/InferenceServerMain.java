package dev.inference.server;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import sun.misc.Signal;

/** Starts the inference server and drains it on SIGTERM or SIGINT, exiting 0. */
public final class InferenceServerMain {

    private InferenceServerMain() {}

    public static void main(String[] args) throws InterruptedException {
        DjlOffline.enforce();
        ServerConfig config = parseOrExit(args);

        Logger log = LoggerFactory.getLogger(InferenceServerMain.class);
        InferenceServer server;
        try {
            server = InferenceServer.start(config);
        } catch (Exception e) {
            log.error("cannot start: {}", e.getMessage(), e);
            System.exit(1);
            return;
        }

        // A signal handler instead of a shutdown hook: the JVM would otherwise exit with 143
        // after SIGTERM, and Kubernetes reads a non-zero code as a crash.
        CountDownLatch stopped = new CountDownLatch(1);
        Runnable drain = () -> {
            log.info("draining: NOT_SERVING, finishing in-flight calls (grace {} s)", config.drainGraceSeconds);
            server.stop();
            stopped.countDown();
        };
        Signal.handle(new Signal("TERM"), signal -> new Thread(drain, "drain").start());
        Signal.handle(new Signal("INT"), signal -> new Thread(drain, "drain").start());
        stopped.await();
        System.exit(0);
    }

    /** The configuration, or an exit: 0 after printing the usage for --help, 2 for a bad flag. */
    private static ServerConfig parseOrExit(String[] args) {
        if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
            new CommandLine(new ServerConfig()).usage(System.out);
            System.exit(0);
        }
        try {
            return ServerConfig.parse(args);
        } catch (CommandLine.ParameterException | IllegalArgumentException e) {
            System.err.println("inference-server: " + e.getMessage() + " (--help lists the flags)");
            System.exit(2);
            throw e;
        }
    }
}
