package dev.inference.gateway.access;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.RequestHeaders;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CredentialTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln | true",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.     | true",
        "a.b.c                                    | true",
        "sk-live_ABC-123                          | false",
        ".eyJzdWIiOiJhIn0.c2ln                    | false",
        "a.b                                      | false",
        "a.b.c.d                                  | false",
        "a.b+c.d                                  | false",
        "a.b.c=                                   | false",
    })
    void aBearerValueShapedLikeACompactJwsIsAJwtAnythingElseAnApiKey(String token, boolean jwt) {
        RequestHeaders headers = RequestHeaders.of(HttpMethod.POST, "/v2/models/m/infer", "authorization", "Bearer " + token);

        assertEquals(Optional.of(new Credential(token, jwt)), Credential.of(headers));
    }
}
