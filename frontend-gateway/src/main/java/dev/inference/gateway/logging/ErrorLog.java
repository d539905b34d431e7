package dev.inference.gateway.logging;

import com.linecorp.armeria.common.HttpStatusClass;
import com.linecorp.armeria.common.logging.LogWriter;
import com.linecorp.armeria.common.logging.RequestLog;
import com.linecorp.armeria.common.logging.RequestOnlyLog;
import com.linecorp.armeria.common.util.Sampler;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.logging.LoggingService;
import dev.inference.api.Headers;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the gateway logs of its calls, through Armeria's {@link LoggingService}: nothing for a
 * success; for a client error (4xx) one line with status, route, request id and reason; for a
 * server error (5xx) that line at WARN with the stack trace of its cause. Failures are sampled at
 * {@value #FAILURES_PER_SECOND} a second, so that a flood of bad requests is not a flood of logs.
 * Armeria's own writer would add the request on a line of its own for every failure.
 */
public final class ErrorLog implements LogWriter {

    static final int FAILURES_PER_SECOND = 10;
    private static final Logger log = LoggerFactory.getLogger("dev.inference.gateway.access");
    private static final Pattern UNPRINTABLE = Pattern.compile("[^\\x20-\\x7e]");
    private static final int MAX_FIELD = 160;

    private ErrorLog() {}

    public static Function<? super HttpService, LoggingService> decorator() {
        return LoggingService.builder()
                .logWriter(new ErrorLog())
                .successSampler(Sampler.never())
                .failureSampler(Sampler.rateLimiting(FAILURES_PER_SECOND))
                .newDecorator();
    }

    @Override
    public void logRequest(RequestOnlyLog requestLog) {
        // Only the outcome is logged, on one line.
    }

    @Override
    public void logResponse(RequestLog requestLog) {
        HttpStatusClass statusClass = requestLog.responseHeaders().status().codeClass();
        if (statusClass == HttpStatusClass.SERVER_ERROR) {
            log.warn(line(requestLog), requestLog.responseCause());
        } else if (statusClass == HttpStatusClass.CLIENT_ERROR) {
            log.info(line(requestLog));
        }
    }

    /** {@code 400 POST /v1/models/sentiment:predict request-id=... reason: ...}. */
    static String line(RequestLog requestLog) {
        String requestId = requestLog.responseHeaders().get(Headers.REQUEST_ID);
        if (requestId == null) {
            requestId = requestLog.requestHeaders().get(Headers.REQUEST_ID, "-");
        }
        return requestLog.responseHeaders().status().code() + " " + requestLog.requestHeaders().method() + " "
                + clean(requestLog.requestHeaders().path()) + " request-id=" + clean(requestId)
                + " reason: " + clean(reason(requestLog));
    }

    private static String reason(RequestLog requestLog) {
        String grpcMessage = requestLog.responseTrailers().get("grpc-message");
        if (grpcMessage != null) {
            return grpcMessage;
        }
        Throwable root = requestLog.responseCause();
        while (root != null && root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != null && root.getMessage() != null) {
            return root.getClass().getSimpleName() + ": " + root.getMessage();
        }
        return requestLog.responseHeaders().status().reasonPhrase();
    }

    private static String clean(String text) {
        String printable = UNPRINTABLE.matcher(text).replaceAll("?");
        return printable.length() <= MAX_FIELD ? printable : printable.substring(0, MAX_FIELD) + "...";
    }
}
