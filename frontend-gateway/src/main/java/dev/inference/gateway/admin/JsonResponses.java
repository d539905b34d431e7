package dev.inference.gateway.admin;

import com.google.gson.JsonElement;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import dev.inference.gateway.errors.RestErrors;

/** JSON bodies of the gateway's own endpoints; errors in the same shape as REST errors. */
final class JsonResponses {

    private JsonResponses() {}

    static HttpResponse ok(JsonElement body) {
        return of(HttpStatus.OK, body);
    }

    static HttpResponse of(HttpStatus status, JsonElement body) {
        return HttpResponse.builder().status(status).content(MediaType.JSON_UTF_8, body.toString())
                .header("cache-control", "no-store").build();
    }

    static HttpResponse error(HttpStatus status, String message) {
        return RestErrors.json(status, message).toHttpResponse();
    }
}
