package io.p2pchat.example.web;

import io.netty.util.NetUtil;
import io.p2pchat.example.chat.ContactStore;
import io.p2pchat.example.event.ChatEvents;
import io.p2pchat.example.event.EventBus;
import io.p2pchat.example.node.ChatNode;
import io.p2pchat.example.text.Explain;
import io.p2pchat.example.text.UserError;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A node's web UI as {@code p2pchat node --ui} and {@code p2pchat demo --ui} run it: the {@link
 * WebUiServer} and its {@link NodeUiBackend}, started and closed together.
 */
public final class WebUi implements AutoCloseable {
    private final WebUiServer server;
    private final NodeUiBackend backend;
    private final boolean remote;

    private WebUi(WebUiServer server, NodeUiBackend backend, boolean remote) {
        this.server = server;
        this.backend = backend;
        this.remote = remote;
    }

    /**
     * Where to serve, from {@code --ui [HOST:]PORT}.
     *
     * @param host an IP address literal
     * @param port 0 to 65535 (0: any free port)
     * @param allowRemote whether a host that is not loopback was explicitly allowed
     */
    public record Address(String host, int port, boolean allowRemote) {
        /**
         * Parses {@code [HOST:]PORT}.
         *
         * @throws UserError (usage) for a malformed value, a host name or wildcard, or a
         *     non-loopback host without {@code allowRemote}
         */
        public static Address parse(String value, boolean allowRemote) {
            String v = value.strip();
            String host = "127.0.0.1";
            String port = v;
            int colon = v.lastIndexOf(':');
            if (colon >= 0) {
                host = v.substring(0, colon);
                port = v.substring(colon + 1);
                if (host.startsWith("[") && host.endsWith("]")) {
                    host = host.substring(1, host.length() - 1);
                }
            }
            if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) > 65535) {
                throw UserError.usage("--ui is [HOST:]PORT, such as 8080 or 127.0.0.1:8080.");
            }
            if (host.equals("localhost")) {
                host = "127.0.0.1";
            }
            if (!NetUtil.isValidIpV4Address(host) && !NetUtil.isValidIpV6Address(host)) {
                throw UserError.usage(
                        "--ui needs an IP address (such as 127.0.0.1), not '" + host + "'.");
            }
            boolean loopback = host.startsWith("127.") || host.equals("::1");
            if (host.equals("0.0.0.0") || host.equals("::")) {
                throw UserError.usage(
                        "--ui needs the one address people open, not the wildcard "
                                + host
                                + ": name this machine's address on that network (with"
                                + " --ui-allow-remote), or better, keep 127.0.0.1 and use an SSH"
                                + " tunnel.");
            }
            if (!loopback && !allowRemote) {
                throw UserError.usage(
                        "--ui "
                                + host
                                + " is not a loopback address; add --ui-allow-remote to serve"
                                + " there. It is risky: "
                                + WebUiServer.Builder.RISK
                                + ".");
            }
            return new Address(host, Integer.parseInt(port), allowRemote);
        }
    }

    /**
     * Starts the backend over the node's bus and the server at {@code address}.
     *
     * @throws UserError when the address cannot be served (a port in use)
     */
    public static WebUi start(
            Address address,
            ChatNode chatNode,
            EventBus bus,
            ChatEvents events,
            ContactStore contacts) {
        NodeUiBackend backend = NodeUiBackend.start(chatNode, bus, events, contacts);
        try {
            WebUiServer server =
                    WebUiServer.builder(backend)
                            .host(address.host())
                            .port(address.port())
                            .allowNonLoopback(address.allowRemote())
                            .build()
                            .start();
            return new WebUi(server, backend, !server.address().getAddress().isLoopbackAddress());
        } catch (IOException | RuntimeException e) {
            backend.close();
            throw new UserError(
                    Explain.bindFailure(address.host() + ":" + address.port(), e)
                            + " (the web UI, --ui)",
                    e);
        }
    }

    /** The URL to open, with the secret token: for the person, never for a log. */
    public String url() {
        return server.url();
    }

    /** The server. */
    public WebUiServer server() {
        return server;
    }

    /** The backend (to enable {@code /identity} once the node has its lifecycle). */
    public NodeUiBackend backend() {
        return backend;
    }

    /** Whether the UI is served on an address others can reach. */
    public boolean remote() {
        return remote;
    }

    /** Closes the server (and every page), then the backend; idempotent. */
    @Override
    public void close() {
        server.close();
        backend.close();
    }

    /**
     * Opens {@code url} in a browser, in the background: {@code xdg-open} (or {@code open} on
     * macOS) if installed, else Java's desktop support; nothing at all when there is none (a
     * server, an SSH session). The URL travels as an argument, never through a shell.
     */
    public static void openBrowser(String url) {
        Thread t =
                new Thread(
                        () -> {
                            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
                            String tool = os.contains("mac") ? "open" : "xdg-open";
                            if (onPath(tool)) {
                                try {
                                    new ProcessBuilder(tool, url)
                                            .redirectErrorStream(true)
                                            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                                            .start();
                                    return;
                                } catch (IOException e) {
                                    // try the desktop
                                }
                            }
                            try {
                                if (!java.awt.GraphicsEnvironment.isHeadless()
                                        && java.awt.Desktop.isDesktopSupported()
                                        && java.awt.Desktop.getDesktop()
                                                .isSupported(java.awt.Desktop.Action.BROWSE)) {
                                    java.awt.Desktop.getDesktop().browse(URI.create(url));
                                }
                            } catch (IOException | RuntimeException | LinkageError e) {
                                // no browser: the person opens the URL printed
                            }
                        },
                        "p2pchat-open-browser");
        t.setDaemon(true);
        t.start();
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
