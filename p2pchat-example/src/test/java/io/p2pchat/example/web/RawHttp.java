package io.p2pchat.example.web;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 and WebSocket frames by hand over a loopback socket, so that a test controls every
 * header (a {@code Host} or {@code Origin} that a real client would not let it set).
 */
final class RawHttp {
    /** A response: status code, headers (lower-case names), body. */
    record Response(int status, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private RawHttp() {}

    /** Sends {@code request} (the head, and a body if any) and reads one response. */
    static Response exchange(InetSocketAddress to, String request) throws IOException {
        try (Socket s = connect(to)) {
            s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            return read(s.getInputStream());
        }
    }

    /** A GET of {@code path} with {@code headers} (each "Name: value"). */
    static Response get(InetSocketAddress to, String path, String... headers) throws IOException {
        return exchange(to, head("GET", path, headers));
    }

    /** The request head: method, path, headers, blank line. */
    static String head(String method, String path, String... headers) {
        StringBuilder b = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
        for (String h : headers) {
            b.append(h).append("\r\n");
        }
        return b.append("\r\n").toString();
    }

    static Socket connect(InetSocketAddress to) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout(10_000);
        s.connect(to, 5_000);
        return s;
    }

    /** Reads one response: status line, headers, and a body of Content-Length bytes. */
    static Response read(InputStream in) throws IOException {
        String status = line(in);
        if (status == null) {
            throw new IOException("connection closed before a response");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
            int colon = l.indexOf(':');
            headers.put(
                    l.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                    l.substring(colon + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = new DataInputStream(in).readNBytes(length);
        return new Response(Integer.parseInt(status.split(" ")[1]), headers, body);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < 65536; i++) {
            int c = in.read();
            if (c < 0) {
                return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
            }
            if (c == '\n') {
                String s = b.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
        throw new IOException("line too long");
    }

    /** The head of a WebSocket upgrade of /ws with {@code headers} added. */
    static String upgrade(String... headers) {
        String[] all = new String[headers.length + 4];
        all[0] = "Upgrade: websocket";
        all[1] = "Connection: Upgrade";
        all[2] = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==";
        all[3] = "Sec-WebSocket-Version: 13";
        System.arraycopy(headers, 0, all, 4, headers.length);
        return head("GET", "/ws", all);
    }

    /** Reads one WebSocket frame from the server (unmasked) and returns its payload as text. */
    static String readFrame(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        d.readUnsignedByte(); // FIN, opcode
        long len = d.readUnsignedByte() & 0x7f;
        if (len == 126) {
            len = d.readUnsignedShort();
        } else if (len == 127) {
            len = d.readLong();
        }
        if (len > 1 << 20) {
            throw new IOException("frame too long: " + len);
        }
        byte[] payload = d.readNBytes((int) len);
        return new String(payload, StandardCharsets.UTF_8);
    }

    /** Writes a masked text frame (as a browser does). */
    static void writeText(Socket s, String text) throws IOException {
        byte[] p = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x81);
        if (p.length < 126) {
            b.write(0x80 | p.length);
        } else {
            b.write(0x80 | 126);
            b.write(p.length >> 8);
            b.write(p.length & 0xff);
        }
        byte[] mask = {1, 2, 3, 4};
        b.write(mask);
        for (int i = 0; i < p.length; i++) {
            b.write(p[i] ^ mask[i % 4]);
        }
        s.getOutputStream().write(b.toByteArray());
        s.getOutputStream().flush();
    }
}
