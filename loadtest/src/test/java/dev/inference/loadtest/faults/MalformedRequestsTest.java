package dev.inference.loadtest.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.RequestHeaders;
import dev.inference.api.v1.PredictRequest;
import dev.inference.gateway.GatewayConfig;
import dev.inference.gateway.GatewayServer;
import dev.inference.loadtest.bench.ServerProcess;
import dev.inference.loadtest.client.GrpcPredictClient;
import dev.inference.loadtest.client.PredictClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input of every shape against the real gateway and a real inference server process: each
 * request gets a precise 4xx (REST) or a non-OK gRPC status, and both processes serve a good
 * call afterwards. The REST requests are written byte by byte on a socket, so that malformed
 * framing reaches the server as it was sent.
 */
class MalformedRequestsTest {

    private static final String PREDICT = "/v1/models/sentiment:predict";

    @TempDir
    static Path logs;
    private static ServerProcess server;
    private static GatewayServer gateway;

    @BeforeAll
    static void start() throws Exception {
        server = ServerProcess.inferenceServer(Path.of(System.getProperty("inference.serverJar")), logs.resolve("server.log"));
        gateway = new GatewayServer(GatewayConfig.builder().host("127.0.0.1").port(0)
                .upstream("127.0.0.1:" + server.port).build()).start();
    }

    /** One malformed REST request and the status it must get. */
    record Case(String name, int status, byte[] request) {
        static Case of(String name, int status, String request) {
            return new Case(name, status, request.getBytes(StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void everyMalformedRestRequestGetsAPrecise4xxAndTheGatewayLivesOn() throws Exception {
        List<Case> corpus = restCorpus();
        assertTrue(corpus.size() >= 30, "corpus of " + corpus.size());
        List<String> wrong = new ArrayList<>();
        for (Case request : corpus) {
            int status = send(request.request());
            if (status != request.status()) {
                wrong.add(request.name() + ": expected " + request.status() + ", got " + status);
            }
        }
        assertEquals(List.of(), wrong);
        assertEquals(200, send(post(PREDICT, "application/json", "{\"instances\":[\"still serving\"]}").getBytes(StandardCharsets.ISO_8859_1)), "the gateway lives on");
        System.out.println("FIGURE " + corpus.size() + " malformed REST requests, each answered with its 4xx; the gateway"
                + " served the next call");
    }

    static List<Case> restCorpus() throws IOException {
        List<Case> cases = new ArrayList<>();
        // Bodies that are not the request message.
        cases.add(Case.of("truncated JSON", 400, post(PREDICT, "application/json", "{\"instances\":[\"x\"")));
        cases.add(Case.of("not JSON", 400, post(PREDICT, "application/json", "hello")));
        cases.add(Case.of("JSON array", 400, post(PREDICT, "application/json", "[1,2]")));
        cases.add(Case.of("instances not a list", 400, post(PREDICT, "application/json", "{\"instances\":{\"a\":1}}")));
        cases.add(Case.of("instances of objects", 400, post(PREDICT, "application/json", "{\"instances\":[{\"text\":\"x\"}]}")));
        cases.add(Case.of("empty body", 400, post(PREDICT, "application/json", "")));
        cases.add(Case.of("no instances", 400, post(PREDICT, "application/json", "{\"instances\":[]}")));
        cases.add(Case.of("deeply nested", 400, post(PREDICT, "application/json",
                "{\"instances\":" + "[".repeat(20_000) + "]".repeat(20_000) + "}")));
        cases.add(Case.of("duplicate key with another type", 400, post(PREDICT, "application/json",
                "{\"instances\":[\"x\"],\"instances\":7}")));
        cases.add(Case.of("too many instances", 400, post(PREDICT, "application/json",
                "{\"instances\":[" + "\"x\",".repeat(5_000) + "\"x\"]}")));
        cases.add(Case.of("one instance too long", 400, post(PREDICT, "application/json",
                "{\"instances\":[\"" + "x".repeat(100_000) + "\"]}")));
        cases.add(Case.of("body over the size limit", 413, post(PREDICT, "application/json",
                "{\"instances\":[\"" + "x".repeat(11 << 20) + "\"]}")));
        cases.add(new Case("invalid UTF-8 in a string", 400, concat(head("POST", PREDICT, "application/json", 17),
                new byte[] {'{', '"', 'i', 'n', 's', 't', 'a', 'n', 'c', 'e', 's', '"', ':', '[', '"', (byte) 0xC3, (byte) 0x28})));
        // Compression tricks.
        cases.add(new Case("gzip that is not gzip", 400, concat(headWith("POST", PREDICT, "content-encoding: gzip\r\n",
                5), new byte[] {0x1f, (byte) 0x8b, 8, 0, 0})));
        byte[] bomb = gzip(new byte[64 << 20]);
        cases.add(new Case("gzip bomb of 64 MB zeros", 400, concat(headWith("POST", PREDICT, "content-encoding: gzip\r\n",
                bomb.length), bomb)));
        cases.add(Case.of("unknown content encoding", 400, "POST " + PREDICT + " HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                + "content-encoding: zstd-but-not\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}"));
        // Paths and methods.
        cases.add(Case.of("model with an encoded slash", 400, post("/v1/models/..%2F..%2Fetc%2Fpasswd:predict",
                "application/json", "{\"instances\":[\"x\"]}")));
        cases.add(Case.of("bad percent encoding", 400, post("/v1/models/%ZZ:predict", "application/json", "{}")));
        cases.add(Case.of("encoded NUL in the model name", 400, post("/v1/models/a%00b:predict", "application/json",
                "{\"instances\":[\"x\"]}")));
        cases.add(Case.of("path of 5,000 characters", 414, post("/v1/models/" + "a".repeat(5_000) + ":predict",
                "application/json", "{}")));
        cases.add(Case.of("unknown route", 404, "GET /v1/nothing-here HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"));
        cases.add(Case.of("GET on predict", 405, "GET " + PREDICT + " HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"));
        cases.add(Case.of("DELETE on the model list", 405, "DELETE /v1/models HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"));
        cases.add(Case.of("unknown model", 404, post("/v1/models/nope:predict", "application/json", "{\"instances\":[\"x\"]}")));
        cases.add(Case.of("unknown version", 404, post(PREDICT, "application/json", "{\"instances\":[\"x\"],\"version\":\"99\"}")));
        // Headers.
        cases.add(Case.of("request id of 10 kB", 431, "POST " + PREDICT + " HTTP/1.1\r\nhost: x\r\nx-request-id: "
                + "a".repeat(10_000) + "\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}"));
        cases.add(Case.of("300 headers", 431, "GET /v1/models HTTP/1.1\r\nhost: x\r\n" + "x-filler: 0123456789abcdef0123\r\n".repeat(300)
                + "connection: close\r\n\r\n"));
        cases.add(Case.of("space in a header name", 400, "GET /v1/models HTTP/1.1\r\nhost: x\r\nbad header: 1\r\nconnection: close\r\n\r\n"));
        cases.add(Case.of("control character in a header value", 400, "GET /v1/models HTTP/1.1\r\nhost: x\r\nx-a: a\u0001b\r\n"
                + "connection: close\r\n\r\n"));
        // Request lines and framing, including request smuggling shapes.
        cases.add(Case.of("garbage request line", 400, "GARBAGE\r\n\r\n"));
        cases.add(Case.of("request line without a version", 400, "GET /v1/models\r\nhost: x\r\n\r\n"));
        cases.add(Case.of("Content-Length and Transfer-Encoding", 400, "POST " + PREDICT + " HTTP/1.1\r\nhost: x\r\n"
                + "content-type: application/json\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
                + "2\r\n{}\r\n0\r\n\r\n"));
        cases.add(Case.of("two different Content-Lengths", 400, "POST " + PREDICT + " HTTP/1.1\r\nhost: x\r\n"
                + "content-type: application/json\r\ncontent-length: 2\r\ncontent-length: 20\r\nconnection: close\r\n\r\n{}"));
        cases.add(Case.of("negative Content-Length", 400, "POST " + PREDICT + " HTTP/1.1\r\nhost: x\r\n"
                + "content-type: application/json\r\ncontent-length: -5\r\nconnection: close\r\n\r\n{}"));
        cases.add(Case.of("chunk size that is not hex", 400, "POST " + PREDICT + " HTTP/1.1\r\nhost: x\r\n"
                + "content-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"));
        cases.add(Case.of("chunked not last in Transfer-Encoding", 400, "POST " + PREDICT + " HTTP/1.1\r\nhost: x\r\n"
                + "content-type: application/json\r\ntransfer-encoding: chunked, gzip\r\nconnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n"));
        return cases;
    }

    /**
     * Six kinds of broken gRPC frames, against the gateway (Armeria) and against the inference
     * server (grpc-java), with the status each answers; grpc-java fails a unary call with a second
     * message by resetting the stream, which a client sees as CANCELLED. None of these reaches a
     * handler, so none counts in the request metrics that the canary analysis reads.
     */
    @Test
    void everyMalformedGrpcFrameGetsANonOkStatusAndBothProcessesLiveOn() throws Exception {
        byte[] valid = PredictRequest.newBuilder().setModel("sentiment").addInstances("fine").build().toByteArray();
        Map<String, byte[]> frames = new java.util.LinkedHashMap<>();
        frames.put("bytes that are not the message", frame(0, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07}));
        // Field 1 (model), length 2, bytes C3 28: not UTF-8, which proto3 strings must be.
        frames.put("invalid UTF-8 in a string field", frame(0, new byte[] {0x0a, 0x02, (byte) 0xc3, 0x28}));
        frames.put("length prefix longer than the body", concat(prefix(0, valid.length + 100), valid));
        frames.put("compressed flag without an encoding", frame(1, valid));
        frames.put("a declared 2 GB message", concat(prefix(0, Integer.MAX_VALUE), valid));
        frames.put("two messages on a unary call", concat(frame(0, valid), frame(0, valid)));
        List<String> lines = new ArrayList<>();
        for (int port : new int[] {gateway.port(), server.port}) {
            WebClient client = WebClient.of("h2c://127.0.0.1:" + port);
            for (Map.Entry<String, byte[]> frame : frames.entrySet()) {
                String where = (port == server.port ? "server" : "gateway") + ", " + frame.getKey();
                String status;
                try {
                    AggregatedHttpResponse response = client.execute(RequestHeaders.builder(HttpMethod.POST,
                                    "/inference.v1.InferenceService/Predict").contentType(
                                    com.linecorp.armeria.common.MediaType.parse("application/grpc")).add("te", "trailers").build(),
                            HttpData.wrap(frame.getValue())).aggregate().get(10, TimeUnit.SECONDS);
                    status = response.trailers().contains("grpc-status") ? response.trailers().get("grpc-status")
                            : response.headers().get("grpc-status");
                } catch (java.util.concurrent.ExecutionException e) {
                    status = "RST_STREAM: " + e.getCause().getMessage();
                }
                lines.add(where + ": " + status);
            }
            try (GrpcPredictClient good = new GrpcPredictClient("127.0.0.1:" + port, "sentiment", "", Map.of(), 10_000)) {
                assertEquals(PredictClient.OK, good.predict(List.of("still serving")).get(10, TimeUnit.SECONDS));
            }
        }
        lines.forEach(line -> System.out.println("FIGURE gRPC " + line));
        assertEquals(List.of(
                "gateway, bytes that are not the message: 13", "gateway, invalid UTF-8 in a string field: 13",
                "gateway, length prefix longer than the body: 2", "gateway, compressed flag without an encoding: 13",
                "gateway, a declared 2 GB message: 8", "gateway, two messages on a unary call: 3",
                "server, bytes that are not the message: 2", "server, invalid UTF-8 in a string field: 2",
                "server, length prefix longer than the body: 13", "server, compressed flag without an encoding: 13",
                "server, a declared 2 GB message: 8",
                "server, two messages on a unary call: RST_STREAM: received a RST_STREAM frame: CANCEL"), lines);
    }

    // --- the bytes ------------------------------------------------------------------------------------

    /** Writes a request and returns the status of the answer, or -1 when the connection closed without one. */
    private static int send(byte[] request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request);
                out.flush();
            } catch (IOException closedEarly) {
                // The server may answer and close before reading everything (an oversized body).
            }
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            try {
                for (int b = in.read(); b != -1 && b != '\n'; b = in.read()) {
                    line.write(b);
                }
            } catch (SocketTimeoutException | java.net.SocketException noAnswer) {
                return -1;
            }
            String status = line.toString(StandardCharsets.ISO_8859_1);
            return status.startsWith("HTTP/1.1 ") ? Integer.parseInt(status.substring(9, 12)) : -1;
        }
    }

    private static String post(String path, String contentType, String body) {
        return new String(head("POST", path, contentType, body.getBytes(StandardCharsets.UTF_8).length), StandardCharsets.ISO_8859_1)
                + body;
    }

    private static byte[] head(String method, String path, String contentType, int length) {
        return headWith(method, path, "content-type: " + contentType + "\r\n", length);
    }

    private static byte[] headWith(String method, String path, String headers, int length) {
        return (method + " " + path + " HTTP/1.1\r\nhost: x\r\n" + headers + "content-length: " + length
                + "\r\nconnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(data);
        }
        return out.toByteArray();
    }

    private static byte[] frame(int flag, byte[] message) {
        return concat(prefix(flag, message.length), message);
    }

    private static byte[] prefix(int flag, int length) {
        return new byte[] {(byte) flag, (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length};
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = java.util.Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (server != null) {
            server.close();
        }
    }
}
