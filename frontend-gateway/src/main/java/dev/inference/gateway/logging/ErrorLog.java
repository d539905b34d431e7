package dev.inference.gateway.logging;

import com.linecorp.armeria.common.HttpStatusClass;
import com.linecorp.armeria.common.logging.LogWriter;
import com.linecorp.armeria.common.logging.RequestLog;
import com.linecorp.armeria.common.logging.RequestOnlyLog;
import com.linecorp.armeria.common.util.Sampler;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.logging.LoggingService;
import com.linecorp.armeria.common.grpc.protocol.GrpcHeaderNames;
import com.linecorp.armeria.common.grpc.protocol.StatusMessageEscaper;
import dev.inference.api.Headers;
import dev.inference.gateway.access.Authenticator;
import dev.inference.gateway.metrics.GatewayMetrics;
import io.grpc.Status;
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
        HttpStatusClass statusClass = statusClass(requestLog);
        if (statusClass == HttpStatusClass.SERVER_ERROR) {
            log.warn(line(requestLog), requestLog.responseCause());
        } else if (statusClass == HttpStatusClass.CLIENT_ERROR) {
            log.info(line(requestLog));
        }
    }

    /**
     * The HTTP status's class, or for a gRPC call (HTTP 200) its status's: the codes that mean the
     * platform failed are server errors, the others the caller's.
     */
    private static HttpStatusClass statusClass(RequestLog requestLog) {
        String grpcStatus = grpcStatus(requestLog);
        if (grpcStatus == null || grpcStatus.equals("0")) {
            return requestLog.responseHeaders().status().codeClass();
        }
        Status.Code code = Status.fromCodeValue(Integer.parseInt(grpcStatus)).getCode();
        return GatewayMetrics.SERVER_FAULTS.contains(code) && code != Status.Code.RESOURCE_EXHAUSTED
                ? HttpStatusClass.SERVER_ERROR : HttpStatusClass.CLIENT_ERROR;
    }

    /** In the trailers, or in the headers of a trailers-only answer (a call refused before it ran). */
    private static String grpcStatus(RequestLog requestLog) {
        String status = requestLog.responseTrailers().get(GrpcHeaderNames.GRPC_STATUS);
        return status != null ? status : requestLog.responseHeaders().get(GrpcHeaderNames.GRPC_STATUS);
    }

    /** {@code 400 POST /v1/models/sentiment:predict request-id=... client=... reason: ...}. */
    static String line(RequestLog requestLog) {
        String requestId = requestLog.responseHeaders().get(Headers.REQUEST_ID);
        if (requestId == null) {
            requestId = requestLog.requestHeaders().get(Headers.REQUEST_ID, "-");
        }
        String grpcStatus = grpcStatus(requestLog);
        String client = Authenticator.clientId(requestLog.context());
        return requestLog.responseHeaders().status().code()
                + (grpcStatus != null && !grpcStatus.equals("0") ? " grpc-status=" + grpcStatus : "")
                + " " + requestLog.requestHeaders().method() + " "
                + clean(requestLog.requestHeaders().path()) + " request-id=" + clean(requestId)
                + (client != null ? " client=" + clean(client) : "")
                + " reason: " + clean(reason(requestLog));
    }

    private static String reason(RequestLog requestLog) {
        String grpcMessage = requestLog.responseTrailers().get(GrpcHeaderNames.GRPC_MESSAGE);
        if (grpcMessage == null) {
            grpcMessage = requestLog.responseHeaders().get(GrpcHeaderNames.GRPC_MESSAGE);
        }
        if (grpcMessage != null) {
            return StatusMessageEscaper.unescape(grpcMessage);
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
