package io.p2pchat.bench;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.p2pchat.channel.HandshakeCompletionEvent;
import io.p2pchat.channel.PeerVerifier;
import io.p2pchat.channel.Role;
import io.p2pchat.channel.SecureChannelContext;
import io.p2pchat.channel.SecureSession;
import io.p2pchat.identity.LocalIdentity;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.SecureRandom;
import java.util.Locale;

/**
 * The CPU cost of a resumed handshake's connection without sockets: two {@link EmbeddedChannel}s on
 * this thread run what the bench's handshake figure runs per connection (the handshake, the
 * responder's NewTicket and one-byte greeting, the initiator's authenticated close and the
 * responder's answer), every step on the calling thread (the crypto executor runs tasks in place).
 * Its CPU time is the cost whatever the load of the machine (GC and JIT threads excepted): what a
 * resumed handshake costs p2pchat and its primitives, without TCP, selects and thread switches. A
 * design tool, not part of the suite:
 *
 * <pre>
 * java -cp p2pchat-bench.jar io.p2pchat.bench.HandshakeCost [CONNECTIONS [ROUNDS]]
 * </pre>
 *
 * <p>The peer verifier accepts any authenticated peer (the ledger CA's costs are not in it).
 */
public final class HandshakeCost {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** Frame exchanges per connection before it counts as stuck. */
    private static final int MAX_EXCHANGES = 50;

    private HandshakeCost() {}

    /** Entry point. */
    public static void main(String[] args) throws Exception {
        int connections = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        SecureRandom random = new SecureRandom();
        SecureChannelContext initiator = context(LocalIdentity.generate(2048, random));
        SecureChannelContext responder = context(LocalIdentity.generate(2048, random));
        // Warm-up: until the JIT has compiled the handshake path.
        for (int i = 0; i < 8; i++) {
            cost(initiator, responder, connections);
        }
        for (int r = 1; r <= rounds; r++) {
            System.out.printf(
                    Locale.ROOT,
                    "round %d: %.1f us CPU per resumed connection (%d connections)%n",
                    r,
                    cost(initiator, responder, connections) / 1e3,
                    connections);
        }
    }

    private static SecureChannelContext context(LocalIdentity id) {
        return SecureChannelContext.builder(id)
                .peerVerifier(PeerVerifier.insecureAcceptAny())
                .delegatedCredentials(false)
                .resumption(true)
                .cryptoExecutor(Runnable::run)
                .build();
    }

    /** CPU ns per connection over {@code n} connections, all of which must resume. */
    private static double cost(SecureChannelContext ic, SecureChannelContext rc, int n) {
        connect(ic, rc); // leaves a ticket for the first measured connection
        long c0 = THREADS.getCurrentThreadCpuTime();
        int resumed = 0;
        for (int k = 0; k < n; k++) {
            resumed += connect(ic, rc) ? 1 : 0;
        }
        long c1 = THREADS.getCurrentThreadCpuTime();
        if (resumed != n) {
            throw new IllegalStateException(resumed + " of " + n + " connections resumed");
        }
        return (double) (c1 - c0) / n;
    }

    /** One connection: handshake, greeting, close; whether it resumed. */
    private static boolean connect(SecureChannelContext ic, SecureChannelContext rc) {
        EmbeddedChannel i = new EmbeddedChannel();
        EmbeddedChannel r = new EmbeddedChannel();
        Closer closer = new Closer();
        ic.addHandlers(i.pipeline(), Role.INITIATOR);
        i.pipeline().addLast(closer);
        rc.addHandlers(r.pipeline(), Role.RESPONDER);
        r.pipeline().addLast(new Greeter());
        for (int x = 0; x < MAX_EXCHANGES && (i.isOpen() || r.isOpen()); x++) {
            boolean moved = move(i, r) | move(r, i);
            i.runPendingTasks();
            r.runPendingTasks();
            if (!moved && !i.isOpen()) {
                r.close();
            }
        }
        i.finishAndReleaseAll();
        r.finishAndReleaseAll();
        if (!closer.greeted) {
            throw new IllegalStateException("connection did not complete");
        }
        return closer.resumed;
    }

    /** Delivers what {@code from} wrote to {@code to}, frame by frame; whether there was any. */
    private static boolean move(EmbeddedChannel from, EmbeddedChannel to) {
        boolean any = false;
        Object msg;
        while ((msg = from.readOutbound()) != null) {
            any = true;
            if (to.isOpen()) {
                to.writeInbound(msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }
        return any;
    }

    /** Responder: one byte once its side of the handshake completes, as the bench's greeter. */
    private static final class Greeter extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof HandshakeCompletionEvent e && e.isSuccess()) {
                ctx.writeAndFlush(ctx.alloc().buffer(1).writeByte(1));
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }

    /** Initiator: closes when the greeting arrives. */
    private static final class Closer extends ChannelInboundHandlerAdapter {
        boolean greeted;
        boolean resumed;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            greeted = true;
            resumed = SecureSession.of(ctx.channel()).map(SecureSession::resumed).orElse(false);
            ctx.close();
        }
    }
}
