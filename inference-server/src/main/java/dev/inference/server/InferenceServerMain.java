package dev.inference.server;

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
        ServerConfig config = new ServerConfig();
        CommandLine commandLine = new CommandLine(config);
        try {
            commandLine.parseArgs(args);
            if (commandLine.isUsageHelpRequested() || commandLine.isVersionHelpRequested()) {
                commandLine.usage(System.out);
                return;
            }
            config.validate();
        } catch (CommandLine.ParameterException | IllegalArgumentException e) {
            System.err.println("inference-server: " + e.getMessage());
            commandLine.usage(System.err);
            System.exit(2);
        }

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
}
