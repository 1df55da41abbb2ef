package io.p2pchat.channel;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps the inbound connections of a server: in total, and per remote IP address. A connection over
 * either cap is closed at once, before any handshake work, and established connections are never
 * evicted. Servers put it <b>first</b> in every child pipeline, before {@link
 * SecureChannelContext#addHandlers}:
 *
 * <pre>{@code
 * ConnectionLimiter limiter = ConnectionLimiter.of(1024, 8);   // one per server, shared
 * serverBootstrap.childHandler(new ChannelInitializer<Channel>() {
 *     protected void initChannel(Channel ch) {
 *         ch.pipeline().addLast(limiter);
 *         context.addHandlers(ch.pipeline(), Role.RESPONDER);
 *         ch.pipeline().addLast(new MyApplicationHandler());
 *     }
 * });
 * }</pre>
 *
 * <p>A connection counts from the moment the limiter sees it active until it closes; the limiter
 * removes itself from the pipeline once the connection is admitted, so it costs nothing per
 * message. What a rejected connection costs is a socket accept and a close: no allocation beyond
 * the channel, no cryptography (ATTACKS R-03). The {@code maxConcurrentHandshakes} of the context
 * caps the connections still in their handshake.
 *
 * <h2>Threading</h2>
 *
 * {@linkplain Sharable Sharable} and thread-safe: one instance serves all child channels of a
 * server, on any event loop. The counters are lock-free.
 */
@Sharable
public final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionLimiter.class);
    private static final AttributeKey<Boolean> ADMITTED =
            AttributeKey.valueOf(ConnectionLimiter.class, "admitted");

    private final int maxConnections;
    private final int maxConnectionsPerAddress;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perAddress =
            new ConcurrentHashMap<>();
    private final AtomicLong rejected = new AtomicLong();

    private ConnectionLimiter(int maxConnections, int maxConnectionsPerAddress) {
        this.maxConnections = maxConnections;
        this.maxConnectionsPerAddress = maxConnectionsPerAddress;
    }

    /**
     * Creates a limiter.
     *
     * @param maxConnections connections admitted at once, at least 1
     * @param maxConnectionsPerAddress connections admitted at once from one IP address, 1 to {@code
     *     maxConnections}
     */
    public static ConnectionLimiter of(int maxConnections, int maxConnectionsPerAddress) {
        if (maxConnections < 1) {
            throw new IllegalArgumentException(
                    "maxConnections: " + maxConnections + " (expected: >= 1)");
        }
        if (maxConnectionsPerAddress < 1 || maxConnectionsPerAddress > maxConnections) {
            throw new IllegalArgumentException(
                    "maxConnectionsPerAddress: "
                            + maxConnectionsPerAddress
                            + " (expected: 1.."
                            + maxConnections
                            + ")");
        }
        return new ConnectionLimiter(maxConnections, maxConnectionsPerAddress);
    }

    /** Connections admitted and still open. */
    public int activeConnections() {
        return total.get();
    }

    /** Connections admitted and still open from {@code address}. */
    public int activeConnections(InetAddress address) {
        AtomicInteger n = perAddress.get(address);
        return n == null ? 0 : n.get();
    }

    /** Connections refused so far. */
    public long rejectedConnections() {
        return rejected.get();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // An accepted child is already active when its initializer runs: decide now, before the
        // handlers after us (the handshake) start any work.
        if (ctx.channel().isActive()) {
            admit(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (admit(ctx)) {
            ctx.fireChannelActive();
        }
    }

    /** Admits or closes the channel; true if it may proceed. Idempotent per channel. */
    private boolean admit(ChannelHandlerContext ctx) {
        Channel ch = ctx.channel();
        Boolean decided = ch.attr(ADMITTED).get();
        if (decided != null) {
            return decided;
        }
        InetAddress address = addressOf(ch.remoteAddress());
        boolean ok = acquire(address);
        ch.attr(ADMITTED).set(ok);
        if (!ok) {
            rejected.incrementAndGet();
            log.debug("{} refused: connection limit", ch);
            ctx.close();
            return false;
        }
        ch.closeFuture().addListener(f -> release(address));
        if (ctx.pipeline().context(this) != null) {
            ctx.pipeline().remove(this);
        }
        return true;
    }

    private boolean acquire(InetAddress address) {
        if (total.incrementAndGet() > maxConnections) {
            total.decrementAndGet();
            return false;
        }
        if (address != null) {
            boolean[] admitted = new boolean[1];
            // Atomic with release's removal of the entry, so no count is lost.
            perAddress.compute(
                    address,
                    (a, n) -> {
                        int current = n == null ? 0 : n.get();
                        if (current >= maxConnectionsPerAddress) {
                            return n;
                        }
                        admitted[0] = true;
                        AtomicInteger counter = n == null ? new AtomicInteger() : n;
                        counter.incrementAndGet();
                        return counter;
                    });
            if (!admitted[0]) {
                total.decrementAndGet();
                return false;
            }
        }
        return true;
    }

    private void release(InetAddress address) {
        total.decrementAndGet();
        if (address != null) {
            perAddress.computeIfPresent(address, (a, n) -> n.decrementAndGet() <= 0 ? null : n);
        }
    }

    private static InetAddress addressOf(SocketAddress remote) {
        return remote instanceof InetSocketAddress
                ? ((InetSocketAddress) remote).getAddress()
                : null;
    }

    @Override
    public String toString() {
        return "ConnectionLimiter["
                + total.get()
                + "/"
                + maxConnections
                + ", per address "
                + maxConnectionsPerAddress
                + ", rejected "
                + rejected.get()
                + "]";
    }
}
