package io.iacrunner.protocol;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.net.http.WebSocketHandshakeException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.UnresolvedAddressException;
import java.util.Locale;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * What went wrong on the way to the server, in words for people: "connection refused", not
 * {@code java.net.ConnectException}. Used wherever a transport failure reaches a message or a log line.
 */
public final class NetworkErrors {
    private NetworkErrors() {}

    public static String describe(Throwable failure) {
        for (Throwable e = failure; e != null; e = e.getCause() == e ? null : e.getCause()) {
            String plain = plain(e);
            if (plain != null) return plain;
        }
        String message = failure == null ? null : failure.getMessage();
        return message == null || looksLikeCode(message) ? "the connection failed" : message;
    }

    private static String plain(Throwable e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        String lower = message.toLowerCase(Locale.ROOT);
        if (e instanceof HttpConnectTimeoutException) return "no connection within the time allowed";
        if (e instanceof HttpTimeoutException) return "no reply within the time allowed";
        if (e instanceof ConnectException) return "connection refused (is anything listening there?)";
        if (e instanceof UnknownHostException || e instanceof UnresolvedAddressException) return "unknown host";
        if (e instanceof NoRouteToHostException) return "no route to the host";
        if (e instanceof SSLHandshakeException || e instanceof SSLException) {
            if (lower.contains("pkix") || lower.contains("certification path") || lower.contains("certificate")) {
                return "the server's TLS certificate is not trusted (give the CA that signed it with --ca-file)";
            }
            return "the TLS handshake with the server failed";
        }
        if (e instanceof WebSocketHandshakeException handshake) {
            return "the server refused the WebSocket (HTTP "
                    + handshake.getResponse().statusCode() + ")";
        }
        if (e instanceof EOFException
                || e instanceof ClosedChannelException
                || lower.contains("connection reset")
                || lower.contains("closed")
                || lower.contains("no bytes")) {
            return "the connection was closed before the server replied";
        }
        return null;
    }

    /** A message that is only a class name or carries one: not for people. */
    private static boolean looksLikeCode(String message) {
        return message.isBlank()
                || message.contains("java.")
                || message.contains("Exception")
                || message.contains("jdk.");
    }
}
