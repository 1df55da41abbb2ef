package io.p2pchat.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of one run, in insertion order: numbers, {@code null} for a figure not measured (with
 * a note saying why), and strings for context (CPU, JDK, notes). Written as one flat JSON object.
 *
 * <p>Not thread-safe: filled by the harness's main thread.
 */
public final class Results {
    private final Map<String, Object> values = new LinkedHashMap<>();

    /** Records a number; NaN and infinities are stored as {@code null}. */
    public synchronized void put(String key, double value) {
        values.put(key, Double.isFinite(value) ? value : null);
    }

    /** Records a string. */
    public synchronized void putText(String key, String value) {
        values.put(key, value);
    }

    /** Records a figure that was not measured, and why under {@code key + "_note"}. */
    public synchronized void putPending(String key, String note) {
        values.put(key, null);
        values.put(key + "_note", note);
    }

    /** The number under {@code key}, or NaN when absent or null. */
    public synchronized double get(String key) {
        Object v = values.get(key);
        return v instanceof Double ? (Double) v : Double.NaN;
    }

    /** Records {@code a / b} when both are known, else {@code null}. */
    public synchronized void putRatio(String key, String numerator, String denominator) {
        double a = get(numerator);
        double b = get(denominator);
        put(key, (Double.isNaN(a) || Double.isNaN(b) || b == 0) ? Double.NaN : a / b);
    }

    /** A read-only view. */
    public synchronized Map<String, Object> asMap() {
        return Collections.unmodifiableMap(values);
    }

    /** The flat JSON object. */
    public synchronized String toJson() {
        StringBuilder sb = new StringBuilder("{\n");
        int i = 0;
        for (Map.Entry<String, Object> e : values.entrySet()) {
            sb.append("  ").append(quote(e.getKey())).append(": ");
            Object v = e.getValue();
            if (v == null) {
                sb.append("null");
            } else if (v instanceof Double) {
                double d = (Double) v;
                if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                    sb.append((long) d);
                } else {
                    sb.append(String.format(Locale.ROOT, "%.4f", d));
                }
            } else {
                sb.append(quote(v.toString()));
            }
            sb.append(++i < values.size() ? ",\n" : "\n");
        }
        return sb.append("}\n").toString();
    }

    /** Writes {@link #toJson()} to {@code file}. */
    public synchronized void writeJson(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, toJson(), StandardCharsets.UTF_8);
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"':
                    sb.append("\\\"");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                default:
                    if (c < 0x20) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        return sb.append('"').toString();
    }
}
