package io.p2pchat.example.web;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's local web UI: an HTTP server on its own single-thread event loop that serves the page
 * (static files from the jar), a WebSocket at {@code /ws} that carries the node's events to the
 * page and its commands back, and two JSON/SVG endpoints. Built by {@link #builder}:
 *
 * <pre>{@code
 * WebUiServer ui = WebUiServer.builder(backend).port(8080).build().start();
 * System.out.println("open " + ui.url()); // http://127.0.0.1:8080/#token=...
 * ...
 * ui.close();
 * }</pre>
 *
 * <h2>Security</h2>
 *
 * Bound to loopback unless {@link Builder#allowNonLoopback} says otherwise. Every request but the
 * page's own files needs the per-start token ({@link #url} carries it in the fragment); the {@code
 * Host} header must name the served address and a WebSocket's {@code Origin} the page's own. Every
 * answer carries a strict Content-Security-Policy. Sizes, connections, pages and each page's
 * backlog are bounded; a slow page misses events (and is told), it never slows the node. The whole
 * model is in {@code docs/web-ui.md}.
 *
 * <p>Thread-safe.
 */
public final class WebUiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebUiServer.class);

    /** What the node says when the UI listens on an address others can reach. */
    public static final String NON_LOOPBACK_WARNING =
            "the web UI listens on a non-loopback address: " + Builder.RISK;

    private final UiBackend backend;
    private final InetAddress host;
    private final String hostText;
    private final int requestedPort;
    private final Limits limits;
    private final AccessToken token = AccessToken.random();
    private final StaticAssets assets = StaticAssets.load();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger pages = new AtomicInteger();
    private final AtomicLong missedEvents = new AtomicLong();
    private final Object lock = new Object();
    private EventLoopGroup group; // guarded by lock
    private Channel serverChannel; // guarded by lock
    private volatile String authority; // host:port as in the Host header; set once started

    /** The bounds of one server. */
    record Limits(
            int maxConnections,
            int maxPages,
            int maxEventBacklog,
            int maxRequestBytes,
            int maxFrameBytes,
            int maxCommandsInFlight,
            Duration idleTimeout,
            Duration promptTimeout) {}

    private WebUiServer(Builder b) {
        this.backend = b.backend;
        this.host = b.address;
        this.hostText = b.hostText;
        this.requestedPort = b.port;
        this.limits =
                new Limits(
                        b.maxConnections,
                        b.maxPages,
                        b.maxEventBacklog,
                        b.maxRequestBytes,
                        b.maxFrameBytes,
                        b.maxCommandsInFlight,
                        b.idleTimeout,
                        b.promptTimeout);
    }

    /** A builder of a server that talks to {@code backend}. */
    public static Builder builder(UiBackend backend) {
        return new Builder(backend);
    }

    /**
     * Binds and starts serving.
     *
     * @return this server
     * @throws IOException if the address cannot be bound (the port is taken)
     * @throws IllegalStateException if it was started before
     */
    public WebUiServer start() throws IOException {
        synchronized (lock) {
            if (group != null) {
                throw new IllegalStateException("already started");
            }
            group =
                    new MultiThreadIoEventLoopGroup(
                            1,
                            new DefaultThreadFactory("p2pchat-web", true),
                            NioIoHandler.newFactory());
            try {
                serverChannel =
                        new ServerBootstrap()
                                .group(group)
                                .channel(NioServerSocketChannel.class)
                                .childOption(
                                        ChannelOption.WRITE_BUFFER_WATER_MARK,
                                        new WriteBufferWaterMark(32 * 1024, 128 * 1024))
                                .childHandler(new Initializer())
                                .bind(host, requestedPort)
                                .sync()
                                .channel();
            } catch (Exception e) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                group = null;
                if (Thread.currentThread().isInterrupted() || e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException(
                        "cannot serve the web UI at "
                                + NetUtil.toSocketAddressString(hostText, requestedPort)
                                + ": "
                                + e.getMessage(),
                        e);
            }
            InetSocketAddress a = (InetSocketAddress) serverChannel.localAddress();
            authority = NetUtil.toSocketAddressString(hostText, a.getPort());
            if (!host.isLoopbackAddress()) {
                LOG.warn("{} ({})", NON_LOOPBACK_WARNING, authority);
            }
            return this;
        }
    }

    /** The address served. */
    public InetSocketAddress address() {
        synchronized (lock) {
            if (serverChannel == null) {
                throw new IllegalStateException("not started");
            }
            return (InetSocketAddress) serverChannel.localAddress();
        }
    }

    /** The page's origin, {@code http://HOST:PORT}. */
    public String origin() {
        address(); // started?
        return "http://" + authority;
    }

    /**
     * The URL to open: the origin with the token in the fragment ({@code #token=...}), which a
     * browser does not send to the server or in a Referer. It is a secret: print it to the person,
     * never to a log.
     */
    public String url() {
        return origin() + "/#token=" + token.value();
    }

    /** Pages (WebSockets) open now. */
    public int pages() {
        return pages.get();
    }

    /** Events not delivered to pages that fell too far behind, since the start. */
    public long missedEvents() {
        return missedEvents.get();
    }

    /** Stops serving and closes every page; idempotent. Waits at most a few seconds. */
    @Override
    public void close() {
        EventLoopGroup g;
        synchronized (lock) {
            g = group;
            group = null;
        }
        if (g != null) {
            g.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    // For the handlers of this package.
    UiBackend backend() {
        return backend;
    }

    Limits limits() {
        return limits;
    }

    AccessToken token() {
        return token;
    }

    StaticAssets assets() {
        return assets;
    }

    String authority() {
        return authority;
    }

    AtomicInteger pageCount() {
        return pages;
    }

    void missed(long n) {
        missedEvents.addAndGet(n);
    }

    private final class Initializer extends ChannelInitializer<SocketChannel> {
        @Override
        protected void initChannel(SocketChannel ch) {
            if (connections.incrementAndGet() > limits.maxConnections()) {
                connections.decrementAndGet();
                ch.close(); // over the bound: refused before a byte is read
                return;
            }
            ch.closeFuture().addListener(f -> connections.decrementAndGet());
            long idle = limits.idleTimeout().toMillis();
            ch.pipeline()
                    .addLast("idle", new IdleStateHandler(0, 0, idle, TimeUnit.MILLISECONDS))
                    .addLast("http", new HttpServerCodec(4096, 8192, 8192))
                    .addLast("aggregator", new BoundedAggregator(limits.maxRequestBytes()))
                    .addLast("gate", new HttpGate(WebUiServer.this));
        }
    }

    /** Builds a {@link WebUiServer}; every setter checks its value at once. */
    public static final class Builder {
        static final String RISK =
                "anyone on that network can reach it, the token travels in clear HTTP, and"
                        + " whoever sees it controls this node; prefer the loopback address and an"
                        + " SSH tunnel (ssh -L) from the other machine";

        private final UiBackend backend;
        private String hostText = "127.0.0.1";
        private InetAddress address;
        private int port;
        private boolean allowNonLoopback;
        private int maxConnections = 32;
        private int maxPages = 8;
        private int maxEventBacklog = 1000;
        private int maxRequestBytes = 16 * 1024;
        private int maxFrameBytes = 64 * 1024;
        private int maxCommandsInFlight = 16;
        private Duration idleTimeout = Duration.ofSeconds(60);
        private Duration promptTimeout = Duration.ofSeconds(120);

        private Builder(UiBackend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
        }

        /**
         * The IP address to listen on (default {@code 127.0.0.1}; {@code localhost} means that
         * too). A literal address, not a name: the {@code Host} header is checked against it. Not a
         * wildcard such as {@code 0.0.0.0}: name the one address people open.
         */
        public Builder host(String host) {
            Objects.requireNonNull(host, "host");
            this.hostText = host.equals("localhost") ? "127.0.0.1" : host;
            return this;
        }

        /** The TCP port (default 0: any free port; {@link #address} tells which). */
        public Builder port(int port) {
            this.port = check("port", port, 0, 65535);
            return this;
        }

        /**
         * Allows a host that is not a loopback address. Off by default: such an address can be
         * reached by others, and the token then travels in clear HTTP ({@link
         * #NON_LOOPBACK_WARNING} says so in the log at start).
         */
        public Builder allowNonLoopback(boolean allow) {
            this.allowNonLoopback = allow;
            return this;
        }

        /** TCP connections at once (default 32); one more is closed as it arrives. */
        public Builder maxConnections(int n) {
            this.maxConnections = check("maxConnections", n, 1, 1024);
            return this;
        }

        /** Pages (WebSockets) at once (default 8); one more is answered 503. */
        public Builder maxPages(int n) {
            this.maxPages = check("maxPages", n, 1, 256);
            return this;
        }

        /**
         * Messages waiting for one page (default 1,000); past that the page misses events, is told,
         * and gets a new snapshot.
         */
        public Builder maxEventBacklog(int n) {
            this.maxEventBacklog = check("maxEventBacklog", n, 1, 100_000);
            return this;
        }

        /** The largest request, headers excluded (default 16 KiB); a larger one gets 413. */
        public Builder maxRequestBytes(int n) {
            this.maxRequestBytes = check("maxRequestBytes", n, 0, 1 << 20);
            return this;
        }

        /** The largest WebSocket message from a page (default 64 KiB); a larger one closes it. */
        public Builder maxFrameBytes(int n) {
            this.maxFrameBytes = check("maxFrameBytes", n, 1024, 1 << 20);
            return this;
        }

        /** Commands of one page not finished yet (default 16); one more is refused. */
        public Builder maxCommandsInFlight(int n) {
            this.maxCommandsInFlight = check("maxCommandsInFlight", n, 1, 1024);
            return this;
        }

        /**
         * How long a connection may be idle (default 60 s). A page is pinged after a third of it
         * and closed if it answers nothing for the whole of it.
         */
        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout =
                    check("idleTimeout", timeout, Duration.ofMillis(300), Duration.ofHours(24));
            return this;
        }

        /**
         * How long a page has to answer a command's question (a passphrase, a confirmation; default
         * 120 s); then the command is cancelled and says so.
         */
        public Builder promptTimeout(Duration timeout) {
            this.promptTimeout =
                    check("promptTimeout", timeout, Duration.ofMillis(100), Duration.ofMinutes(30));
            return this;
        }

        /**
         * The server, not started yet.
         *
         * @throws IllegalArgumentException if the host is not an IP address, is a wildcard, or is
         *     not loopback while {@link #allowNonLoopback} is off
         */
        public WebUiServer build() {
            if (!NetUtil.isValidIpV4Address(hostText) && !NetUtil.isValidIpV6Address(hostText)) {
                throw new IllegalArgumentException(
                        "host must be an IP address (such as 127.0.0.1), got '" + hostText + "'");
            }
            try {
                address = InetAddress.getByName(hostText); // a literal: no lookup
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("host is not an IP address: " + hostText, e);
            }
            if (address.isAnyLocalAddress()) {
                throw new IllegalArgumentException(
                        "host must be the one address people open, not the wildcard " + hostText);
            }
            if (!address.isLoopbackAddress() && !allowNonLoopback) {
                throw new IllegalArgumentException(
                        "host "
                                + hostText
                                + " is not a loopback address; serving the UI there needs the"
                                + " explicit flag (allowNonLoopback), because "
                                + RISK);
            }
            return new WebUiServer(this);
        }

        private static Duration check(String name, Duration value, Duration min, Duration max) {
            Objects.requireNonNull(value, name);
            if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
                throw new IllegalArgumentException(
                        name + " must be " + min + " to " + max + ", got " + value);
            }
            return value;
        }

        private static int check(String name, int value, int min, int max) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(
                        name + " must be " + min + " to " + max + ", got " + value);
            }
            return value;
        }
    }
}
