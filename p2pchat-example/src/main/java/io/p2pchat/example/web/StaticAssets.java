package io.p2pchat.example.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The page's files, read once from the jar ({@code /web/} on the class path) into memory. Only the
 * files listed here are served, by exact path: no file system, no directory listing, no path to
 * traverse. They are public (the token is checked for everything else): the page needs them to read
 * its token from the URL, and they hold no secret and no data of the node.
 */
final class StaticAssets {
    /** One file: its bytes and content type. */
    record Asset(byte[] bytes, String contentType) {}

    private static final Map<String, String> FILES = new LinkedHashMap<>();

    static {
        FILES.put("/index.html", "text/html; charset=utf-8");
        FILES.put("/style.css", "text/css; charset=utf-8");
        FILES.put("/app.js", "text/javascript; charset=utf-8");
        FILES.put("/dom.js", "text/javascript; charset=utf-8");
        FILES.put("/model.js", "text/javascript; charset=utf-8");
        FILES.put("/view.js", "text/javascript; charset=utf-8");
        FILES.put("/net.js", "text/javascript; charset=utf-8");
        FILES.put("/ledger.js", "text/javascript; charset=utf-8");
        FILES.put("/proof.js", "text/javascript; charset=utf-8");
        FILES.put("/favicon.svg", "image/svg+xml");
    }

    private final Map<String, Asset> assets;

    private StaticAssets(Map<String, Asset> assets) {
        this.assets = assets;
    }

    /** Reads every listed file from the class path; a missing one is a packaging bug. */
    static StaticAssets load() {
        Map<String, Asset> m = new LinkedHashMap<>();
        for (Map.Entry<String, String> f : FILES.entrySet()) {
            String resource = "/web" + f.getKey();
            try (InputStream in = StaticAssets.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("missing from the jar: " + resource);
                }
                m.put(f.getKey(), new Asset(in.readAllBytes(), f.getValue()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + resource, e);
            }
        }
        m.put("/", m.get("/index.html"));
        return new StaticAssets(Map.copyOf(m));
    }

    /** The file served at {@code path} (no query), if it is one of the page's files. */
    Optional<Asset> get(String path) {
        return Optional.ofNullable(assets.get(path));
    }
}
