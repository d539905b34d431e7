package dev.inference.gateway.errors;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.DecoratingHttpServiceFunction;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;

/**
 * Reads a REST body as JSON when the client did not say otherwise: curl's default form type or no
 * content type at all. The REST API only speaks JSON, as TensorFlow Serving and KServe do.
 */
public final class JsonByDefault implements DecoratingHttpServiceFunction {

    @Override
    public HttpResponse serve(HttpService delegate, ServiceRequestContext ctx, HttpRequest req) throws Exception {
        MediaType type = req.contentType();
        if (type == null || type.is(MediaType.FORM_DATA)) {
            HttpRequest asJson = req.withHeaders(req.headers().toBuilder().contentType(MediaType.JSON_UTF_8).build());
            ctx.updateRequest(asJson);
            return delegate.serve(ctx, asJson);
        }
        return delegate.serve(ctx, req);
    }
}
