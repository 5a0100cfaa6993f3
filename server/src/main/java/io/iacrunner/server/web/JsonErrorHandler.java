package io.iacrunner.server.web;

import io.iacrunner.protocol.ApiError;
import io.iacrunner.protocol.WireJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own refusals, made before a request reaches Javalin (a URI with a NUL or an illegal escape, a header too
 * large), in the API's error shape instead of an HTML page: every client gets {@code {"error": {code, message}}}.
 */
public final class JsonErrorHandler extends ErrorHandler {
    @Override
    protected void generateResponse(
            Request request, Response response, int code, String message, Throwable cause, Callback callback)
            throws IOException {
        String text = message == null || message.isBlank() ? "the request could not be read" : message;
        byte[] body =
                WireJson.lenient().writeValueAsBytes(ApiError.of(code == 400 ? "bad_request" : "http_" + code, text));
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
