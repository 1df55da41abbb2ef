package io.p2pchat.bench;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Heap per established idle session: a {@link HeapPeer} in a child JVM opens sessions to a server
 * in this JVM; after each step (1k, 10k sessions) this JVM runs full GCs and divides the growth of
 * the used heap since before the first session by the number of sessions. The figure is what one
 * node pays per connected peer: the socket channel, its pipeline, and the secure channel's state.
 */
final class HeapBench {
    private HeapBench() {}

    /** Bytes per session for each count of {@code counts}. */
    static Map<Integer, Double> run(Loopback loop, Endpoints ep, Side side, int[] counts)
            throws Exception {
        AtomicInteger ready = new AtomicInteger();
        Channel server =
                loop.bind(
                        side == Side.PLAIN
                                ? ep.server(side, () -> new Idle(ready))
                                : ep.serverAnyPeer(() -> new Idle(ready)));
        Map<Integer, Double> perSession = new LinkedHashMap<>();
        long base = usedAfterGc();
        List<String> cmd =
                ChildJvm.command(
                        List.of("-Xmx1g"),
                        HeapPeer.class,
                        "127.0.0.1",
                        Integer.toString(
                                ((java.net.InetSocketAddress) server.localAddress()).getPort()),
                        side == Side.PLAIN ? "plain" : "p2pchat");
        for (int c : counts) {
            cmd.add(Integer.toString(c));
        }
        Process child =
                new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out =
                        new BufferedReader(
                                new InputStreamReader(
                                        child.getInputStream(), StandardCharsets.UTF_8));
                Writer in =
                        new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8)) {
            for (int c : counts) {
                String line = out.readLine();
                if (line == null || !line.equals("READY " + c)) {
                    throw new IllegalStateException("heap peer said " + line);
                }
                awaitReady(ready, c);
                long used = usedAfterGc();
                perSession.put(c, (double) (used - base) / c);
                in.write("NEXT\n");
                in.flush();
            }
        } finally {
            if (!child.waitFor(30, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
            server.close().await(5, TimeUnit.SECONDS);
        }
        return perSession;
    }

    /** Waits (bounded) until the server side has seen {@code n} established sessions. */
    private static void awaitReady(AtomicInteger ready, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (ready.get() < n) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "server saw " + ready.get() + " of " + n + " sessions");
            }
            Loopback.window(10);
        }
    }

    /** Used heap after full collections. */
    static long usedAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Loopback.window(50);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Counts established sessions; does nothing else. */
    private static final class Idle extends Endpoints.AppHandler {
        private final AtomicInteger ready;

        Idle(AtomicInteger ready) {
            this.ready = ready;
        }

        @Override
        protected void ready(ChannelHandlerContext ctx) {
            ready.incrementAndGet();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            io.netty.util.ReferenceCountUtil.release(msg);
        }
    }
}
