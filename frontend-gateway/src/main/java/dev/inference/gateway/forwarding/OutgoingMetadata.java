package dev.inference.gateway.forwarding;

import com.linecorp.armeria.common.RequestHeaders;
import dev.inference.api.Headers;
import dev.inference.gateway.routing.TrackPin;
import dev.inference.gateway.routing.TrackRouter;
import io.grpc.Metadata;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * What every call the gateway makes upstream for a client's call carries of it, the forwarded
 * call and its shadow alike: the request id (the client's, if it sent a usable one, else a new
 * one), the W3C trace context, and the track it asks for. Only values that may travel as gRPC
 * ASCII metadata are taken from the client.
 */
public final class OutgoingMetadata {

    private static final Metadata.Key<String> REQUEST_ID_KEY = ResponseMetadata.key(Headers.REQUEST_ID);
    private static final Metadata.Key<String> TRACK_KEY = ResponseMetadata.key(TrackPin.HEADER);
    private static final String[] TRACE_HEADERS = {"traceparent", "tracestate"};
    private static final Pattern PRINTABLE = Pattern.compile("[\\x20-\\x7e]{1,512}");

    private final String requestId;
    private final Map<String, String> trace;

    private OutgoingMetadata(String requestId, Map<String, String> trace) {
        this.requestId = requestId;
        this.trace = trace;
    }

    /** The metadata of the call that arrived with {@code headers}. */
    static OutgoingMetadata of(RequestHeaders headers) {
        String given = headers.get(Headers.REQUEST_ID);
        String requestId = given != null && !given.isBlank() && given.length() <= 128 && PRINTABLE.matcher(given).matches()
                ? given : UUID.randomUUID().toString();
        Map<String, String> trace = new LinkedHashMap<>();
        for (String name : TRACE_HEADERS) {
            String value = headers.get(name);
            if (value != null && PRINTABLE.matcher(value).matches()) {
                trace.put(name, value);
            }
        }
        return new OutgoingMetadata(requestId, Map.copyOf(trace));
    }

    public String requestId() {
        return requestId;
    }

    /**
     * {@code stub} with this metadata attached, for a call on {@code route}. Unpinned calls say
     * so: the Rollout's mirror route matches {@code x-model-track: auto}, because Argo puts
     * managed routes above the pinned ones (orderRoutes in Argo's istio.go).
     */
    public <S extends AbstractStub<S>> S attach(S stub, TrackRouter.Route route) {
        Metadata outgoing = new Metadata();
        outgoing.put(REQUEST_ID_KEY, requestId);
        trace.forEach((name, value) -> outgoing.put(ResponseMetadata.key(name), value));
        outgoing.put(TRACK_KEY, route.pinHeader().orElse(TrackPin.AUTO));
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(outgoing));
    }
}
