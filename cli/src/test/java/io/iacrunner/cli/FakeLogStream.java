package io.iacrunner.cli;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A hand-rolled server for the viewer WebSocket (the JDK has no WebSocket server): each upgrade request is handed to
 * the next scripted {@link Session}; plain GETs of the task get {@code taskJson}. Enough protocol to send text frames,
 * fragmented ones included, and to drop a connection without a close frame.
 */
final class FakeLogStream implements AutoCloseable {
    interface Session {
        void run(String query, Conn conn) throws Exception;
    }

    /** The server side of one WebSocket connection. */
    static final class Conn {
        private final Socket socket;
        private final OutputStream out;

        Conn(Socket socket) throws IOException {
            this.socket = socket;
            this.out = socket.getOutputStream();
        }

        void text(String message) throws IOException {
            frame(0x1, true, message.getBytes(StandardCharsets.UTF_8));
        }

        /** One message split into two frames: the client must join them before parsing. */
        void textInTwoParts(String message) throws IOException {
            byte[] all = message.getBytes(StandardCharsets.UTF_8);
            int half = all.length / 2;
            frame(0x1, false, java.util.Arrays.copyOfRange(all, 0, half));
            frame(0x0, true, java.util.Arrays.copyOfRange(all, half, all.length));
        }

        /**
         * A ping, then waits for the client's pong. The client answers a ping once it has read the frames before it,
         * so after this the frames sent so far have reached its listener: a FIN sent now cannot overtake them (the JDK
         * client may report a connection's end before frames it has not yet handed on).
         */
        void pingAndAwaitPong() throws IOException {
            frame(0x9, true, new byte[0]);
            socket.setSoTimeout(10_000);
            InputStream in = socket.getInputStream();
            while (true) {
                int first = in.read();
                int second = in.read();
                if (first < 0 || second < 0) throw new IOException("the client went away before its pong");
                long length = second & 0x7f;
                if (length == 126) length = (in.read() << 8) | in.read();
                else if (length == 127) {
                    length = 0;
                    for (int i = 0; i < 8; i++) length = (length << 8) | in.read();
                }
                in.readNBytes(((second & 0x80) != 0 ? 4 : 0) + (int) length); // the mask key and payload
                if ((first & 0x0f) == 0xA) return;
            }
        }

        /**
         * Ends the connection at once without a close frame, like a crashed server. Only after {@link
         * #pingAndAwaitPong}: a close with frames unread by the client could take them with it.
         */
        void crash() throws IOException {
            socket.close();
        }

        /** A close frame with {@code code} and {@code reason}. */
        void close(int code, String reason) throws IOException {
            byte[] text = reason.getBytes(StandardCharsets.UTF_8);
            byte[] payload = new byte[text.length + 2];
            payload[0] = (byte) (code >> 8);
            payload[1] = (byte) code;
            System.arraycopy(text, 0, payload, 2, text.length);
            frame(0x8, true, payload);
        }

        /** Waits until the client goes away (it closes after the end frame). */
        void awaitClientGone() throws IOException {
            socket.setSoTimeout(10_000);
            InputStream in = socket.getInputStream();
            try {
                while (in.read() >= 0) {
                    // Discard the client's frames (close, pings).
                }
            } catch (IOException ignored) {
                // Timeout or reset: either way the test is done with this connection.
            }
            socket.close();
        }

        private void frame(int opcode, boolean fin, byte[] payload) throws IOException {
            ByteArrayOutputStream f = new ByteArrayOutputStream();
            f.write((fin ? 0x80 : 0) | opcode);
            if (payload.length < 126) {
                f.write(payload.length);
            } else if (payload.length < 65536) {
                f.write(126);
                f.write(payload.length >> 8);
                f.write(payload.length & 0xff);
            } else {
                f.write(127);
                for (int i = 7; i >= 0; i--) f.write((int) ((long) payload.length >> (8 * i)) & 0xff);
            }
            f.write(payload);
            out.write(f.toByteArray());
            out.flush();
        }
    }

    private final ServerSocket server;
    private final String taskJson;
    private final List<Session> sessions;
    private final Thread acceptor;
    final List<String> upgradeQueries = new CopyOnWriteArrayList<>();
    volatile int refuseWithStatus;

    FakeLogStream(String taskJson, Session... sessions) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.taskJson = taskJson;
        this.sessions = new ArrayList<>(List.of(sessions));
        this.acceptor = Thread.ofVirtual().start(this::acceptLoop);
    }

    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread.ofVirtual().start(() -> serve(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String requestLine = readLine(in);
            Map<String, String> headers = new HashMap<>();
            for (String h = readLine(in); !h.isEmpty(); h = readLine(in)) {
                int colon = h.indexOf(':');
                headers.put(
                        h.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        h.substring(colon + 1).trim());
            }
            String target = requestLine.split(" ")[1];
            String query = target.contains("?") ? target.substring(target.indexOf('?') + 1) : "";
            OutputStream out = socket.getOutputStream();
            if (!"websocket".equalsIgnoreCase(headers.get("upgrade"))) {
                byte[] body = taskJson.getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                                + "\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.flush();
                socket.close();
                return;
            }
            upgradeQueries.add(query);
            if (refuseWithStatus != 0) {
                out.write(
                        ("HTTP/1.1 " + refuseWithStatus + " Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                                .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                socket.close();
                return;
            }
            String accept = Base64.getEncoder()
                    .encodeToString(MessageDigest.getInstance("SHA-1")
                            .digest((headers.get("sec-websocket-key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                    .getBytes(StandardCharsets.ISO_8859_1)));
            out.write(
                    ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
                                    + accept + "\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Session session;
            synchronized (sessions) {
                session = sessions.isEmpty() ? null : sessions.removeFirst();
            }
            if (session == null) {
                socket.close();
                return;
            }
            session.run(query, new Conn(socket));
        } catch (Exception e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Already gone.
            }
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') line.append((char) c);
        }
        return line.toString();
    }

    @Override
    public void close() throws IOException {
        server.close();
        acceptor.interrupt();
    }
}
