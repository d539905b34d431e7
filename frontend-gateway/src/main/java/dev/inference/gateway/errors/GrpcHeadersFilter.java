package dev.inference.gateway.errors;

import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpHeadersBuilder;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import com.linecorp.armeria.server.DecoratingHttpServiceFunction;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import java.util.List;

/** Keeps {@code grpc-*} headers and trailers, an artifact of transcoding, out of REST responses. */
public final class GrpcHeadersFilter implements DecoratingHttpServiceFunction {

    @Override
    public HttpResponse serve(HttpService delegate, ServiceRequestContext ctx, HttpRequest req) throws Exception {
        HttpResponse response = delegate.serve(ctx, req);
        if (RestErrors.isGrpc(req.headers())) {
            return response;
        }
        return response.mapHeaders(GrpcHeadersFilter::withoutGrpc).mapTrailers(GrpcHeadersFilter::withoutGrpc);
    }

    private static ResponseHeaders withoutGrpc(ResponseHeaders headers) {
        ResponseHeadersBuilder builder = headers.toBuilder();
        grpcNames(headers).forEach(builder::remove);
        return builder.build();
    }

    private static HttpHeaders withoutGrpc(HttpHeaders headers) {
        HttpHeadersBuilder builder = headers.toBuilder();
        grpcNames(headers).forEach(builder::remove);
        return builder.build();
    }

    private static List<CharSequence> grpcNames(HttpHeaders headers) {
        return headers.names().stream()
                .filter(name -> name.toString().startsWith("grpc-"))
                .map(CharSequence.class::cast)
                .toList();
    }
}
