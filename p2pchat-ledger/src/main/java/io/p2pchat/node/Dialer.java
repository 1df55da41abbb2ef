package io.p2pchat.node;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.AttributeKey;
import io.p2pchat.ledger.model.RegisteredAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * A {@link Node}'s outbound connections: the client bootstrap, the dials in progress, and the
 * exponential backoff per address (500 ms doubling to 60 s per failed attempt, reset by a handshake
 * that succeeds).
 *
 * <p>Threading: dials start on any thread (callers, the maintenance task) and end on event loops;
 * the set of dials in progress and the backoff map are concurrent, and one address's backoff entry
 * is written by whoever handles its current attempt (at most one runs: {@link #holdOff}).
 */
final class Dialer {
    /** Where an outbound connection was dialed, and who waits for it. */
    record Dial(InetSocketAddress address, CompletableFuture<NodePeer> result) {}

    /** How long the TCP connect of an outbound channel took (connect call to connected). */
    static final AttributeKey<Duration> CONNECT_TIME =
            AttributeKey.valueOf(Dialer.class, "connectTime");

    private final EventLoopGroup group;
    private final String bindHost;
    private final BooleanSupplier running;
    private final Function<Dial, ChannelHandler> initializer;
    private final Map<InetSocketAddress, long[]> backoff = new ConcurrentHashMap<>();
    private final Set<InetSocketAddress> dialing = ConcurrentHashMap.newKeySet();

    /**
     * @param bindHost the node's listen host; outbound connections use it too unless it is a
     *     wildcard
     * @param running whether the node runs (a dial fails at once otherwise)
     * @param initializer the pipeline of an outbound channel for a dial
     */
    Dialer(
            EventLoopGroup group,
            String bindHost,
            BooleanSupplier running,
            Function<Dial, ChannelHandler> initializer) {
        this.group = group;
        this.bindHost = bindHost;
        this.running = running;
        this.initializer = initializer;
    }

    /** Connects to {@code address}; completes with the peer once the handshake succeeds. */
    CompletableFuture<NodePeer> dial(InetSocketAddress address) {
        CompletableFuture<NodePeer> result = new CompletableFuture<>();
        if (!running.getAsBoolean()) {
            result.completeExceptionally(new IllegalStateException("node not running"));
            return result;
        }
        dialing.add(address);
        Bootstrap b =
                new Bootstrap()
                        .group(group)
                        .channel(NioSocketChannel.class)
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                        .handler(initializer.apply(new Dial(address, result)));
        if (!bindHost.equals("0.0.0.0") && !bindHost.equals("::")) {
            b.localAddress(new InetSocketAddress(bindHost, 0));
        }
        long connectStart = System.nanoTime();
        b.connect(address)
                .addListener(
                        (ChannelFuture f) -> {
                            if (f.isSuccess()) {
                                // Runs on the event loop before channelActive reaches the pipeline.
                                f.channel()
                                        .attr(CONNECT_TIME)
                                        .set(Duration.ofNanos(System.nanoTime() - connectStart));
                            } else {
                                failed(address);
                                result.completeExceptionally(f.cause());
                            }
                        });
        return result;
    }

    /**
     * Dials the addresses in order until one handshake succeeds; {@code result} completes with that
     * peer, or fails when none answered.
     */
    void dialInOrder(List<InetSocketAddress> addresses, int i, CompletableFuture<NodePeer> result) {
        if (i >= addresses.size()) {
            result.completeExceptionally(
                    new IllegalStateException("no registered address answered"));
            return;
        }
        dial(addresses.get(i))
                .whenComplete(
                        (p, e) -> {
                            if (e == null) {
                                result.complete(p);
                            } else {
                                dialInOrder(addresses, i + 1, result);
                            }
                        });
    }

    /** The socket addresses of registered addresses that are valid at {@code nowMillis}. */
    static List<InetSocketAddress> valid(List<RegisteredAddress> addresses, long nowMillis) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (RegisteredAddress a : addresses) {
            if (a.isValidAt(nowMillis)) {
                out.add(new InetSocketAddress(a.host(), a.port()));
            }
        }
        return out;
    }

    /** The handshake of a dial succeeded: the address's backoff starts over. */
    void succeeded(InetSocketAddress address) {
        dialing.remove(address);
        backoff.remove(address);
    }

    /** A dial failed (connection or handshake): the address's backoff grows. */
    void failed(InetSocketAddress address) {
        dialing.remove(address);
        long[] state = holdOff(address);
        state[1] = Math.min(60_000, state[1] * 2);
    }

    /** A dial's channel closed before its handshake completed. */
    void abandoned(InetSocketAddress address) {
        dialing.remove(address);
    }

    /** Whether a dial of {@code address} is in progress. */
    boolean isDialing(InetSocketAddress address) {
        return dialing.contains(address);
    }

    /** Dials in progress. */
    int inProgress() {
        return dialing.size();
    }

    /** Whether the backoff of {@code address} allows an attempt at {@code nowNanos}. */
    boolean due(InetSocketAddress address, long nowNanos) {
        long[] state = backoff.get(address);
        return state == null || nowNanos >= state[0];
    }

    /**
     * Holds off the next attempt at {@code address} until {@code untilNanos} (a {@link
     * System#nanoTime} value) at least, without growing its backoff interval: the maintenance
     * redial ({@link #due}) waits; a caller's own dial does not.
     */
    void deferUntil(InetSocketAddress address, long untilNanos) {
        long[] state = backoff.computeIfAbsent(address, a -> new long[] {0, 500});
        state[0] = Math.max(state[0], untilNanos);
    }

    /**
     * Schedules the next attempt at the current backoff interval without growing it: a dial that
     * fails grows it once ({@link #failed}), so the interval doubles once per failed attempt.
     * Returns the address's backoff: the time of the next attempt and the interval (ms).
     */
    long[] holdOff(InetSocketAddress address) {
        long[] state = backoff.computeIfAbsent(address, a -> new long[] {0, 500});
        state[0] = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(state[1]);
        return state;
    }
}
