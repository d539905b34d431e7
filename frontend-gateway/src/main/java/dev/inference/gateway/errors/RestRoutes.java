package dev.inference.gateway.errors;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.server.DecoratingHttpServiceFunction;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The REST routes of a service as its {@code google.api.http} options declare them, matched as
 * Google's path templates are: a custom verb ({@code :predict}) belongs to the template, so
 * {@code GET /v1/models/sentiment:predict} is {@code /v1/models/{model}:predict} asked with the
 * wrong method, not a model named "sentiment:predict" (which Armeria's transcoding would make of
 * it). A request whose path matches a route but not its method gets 405 with {@code Allow}.
 */
public final class RestRoutes implements DecoratingHttpServiceFunction {

    private record Route(HttpMethod method, Pattern path) {}

    private final List<Route> routes;

    private RestRoutes(List<Route> routes) {
        this.routes = routes;
    }

    /** The routes of generated gRPC services, read from the proto descriptors they carry. */
    public static RestRoutes of(io.grpc.ServiceDescriptor... services) {
        List<Route> routes = new ArrayList<>();
        for (io.grpc.ServiceDescriptor grpcService : services) {
            ServiceDescriptor service = ((ProtoServiceDescriptorSupplier) grpcService.getSchemaDescriptor()).getServiceDescriptor();
            for (MethodDescriptor method : service.getMethods()) {
                HttpRule rule = method.getOptions().getExtension(AnnotationsProto.http);
                for (Map.Entry<HttpMethod, String> binding : bindings(rule).entrySet()) {
                    routes.add(new Route(binding.getKey(), template(binding.getValue())));
                }
            }
        }
        return new RestRoutes(List.copyOf(routes));
    }

    /** The methods the routes allow on a path; empty when no route has the path. */
    public Set<HttpMethod> allowed(String path) {
        Set<HttpMethod> allowed = new TreeSet<>();
        for (Route route : routes) {
            if (route.path().matcher(path).matches()) {
                allowed.add(route.method());
            }
        }
        return allowed;
    }

    @Override
    public HttpResponse serve(HttpService delegate, ServiceRequestContext ctx, HttpRequest req)
            throws Exception {
        if (RestErrors.isGrpc(req.headers())) {
            return delegate.serve(ctx, req);
        }
        Set<HttpMethod> allowed = allowed(ctx.path());
        if (allowed.isEmpty() || allowed.contains(req.method())
                || (req.method() == HttpMethod.HEAD && allowed.contains(HttpMethod.GET))) {
            return delegate.serve(ctx, req);
        }
        AggregatedHttpResponse error = RestErrors.json(HttpStatus.METHOD_NOT_ALLOWED,
                req.method() + " is not allowed on " + ctx.path() + "; allowed: " + join(allowed));
        return AggregatedHttpResponse.of(error.headers().toBuilder().set(HttpHeaderNames.ALLOW, join(allowed)).build(),
                error.content()).toHttpResponse();
    }

    /** The {@code Allow} value for a path: its routes' methods, comma-separated; empty for none. */
    public String allowHeader(String path) {
        return join(allowed(path));
    }

    private static String join(Set<HttpMethod> methods) {
        return String.join(", ", methods.stream().map(HttpMethod::name).toList());
    }

    private static Map<HttpMethod, String> bindings(HttpRule rule) {
        return switch (rule.getPatternCase()) {
            case GET -> Map.of(HttpMethod.GET, rule.getGet());
            case POST -> Map.of(HttpMethod.POST, rule.getPost());
            case PUT -> Map.of(HttpMethod.PUT, rule.getPut());
            case DELETE -> Map.of(HttpMethod.DELETE, rule.getDelete());
            case PATCH -> Map.of(HttpMethod.PATCH, rule.getPatch());
            default -> Map.of();
        };
    }

    /** {@code /v1/models/{model}:predict}: a variable is one segment, without the verb's colon. */
    private static Pattern template(String template) {
        StringBuilder regex = new StringBuilder();
        for (String part : template.split("(?=\\{)|(?<=})")) {
            regex.append(part.startsWith("{") ? "[^/:]+" : Pattern.quote(part));
        }
        return Pattern.compile(regex.toString());
    }
}
