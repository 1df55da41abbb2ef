package io.p2pchat.ledger.sync;

import com.google.protobuf.ByteString;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import io.p2pchat.channel.ErrorCode;
import io.p2pchat.channel.HandshakeCompletionEvent;
import io.p2pchat.channel.SecureSession;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.ChainTip;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.TxId;
import io.p2pchat.proto.Announce;
import io.p2pchat.proto.LedgerMessage;
import io.p2pchat.proto.NodeMessage;
import io.p2pchat.proto.NotFound;
import io.p2pchat.proto.Status;
import io.p2pchat.util.TokenBucket;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The blockchain CA handler: replicates the ledger over one secure channel, and passes every
 * non-ledger {@link NodeMessage} on to the next handler.
 *
 * <h2>Message sequence</h2>
 *
 * <pre>
 * A                                         B
 * Status{tip, height, work} ------------->  (both sides, once the handshake completes,
 *              &lt;------------- Status        then every status interval)
 * (B has more work)
 * GetHeaders{locator} ------------------->
 *              &lt;------------- Headers{up to 2000, parent first}
 * (repeat while 2000 come back)
 * GetBlocks{up to 16 hashes} ------------>
 *              &lt;------------- Blocks{...}  (or NotFound)
 * (gossip, either side)
 * Announce{new block headers | tx ids} -->
 *              &lt;------------- GetBlocks / GetTransactions (only what it lacks)
 * Blocks / Transactions ----------------->
 * </pre>
 *
 * Responses must answer a request: headers, blocks and transactions nobody asked for, messages of
 * another network, oversized or undecodable messages, invalid blocks and transactions, message
 * floods, and the channel errors that only the peer's key could have caused ({@code BANS_THE_KEY},
 * docs/protocol.md §11.1) are misbehaviour: the channel is closed and {@link
 * SyncListener#onMisbehaviour} fires. A peer that does not answer within {@link
 * SyncSettings#requestTimeout()} is disconnected as stalling, without penalty, and its downloads go
 * to other peers.
 *
 * <h2>Threading</h2>
 *
 * State is confined to the channel's event loop: this handler's and that of its parts. Validation,
 * storage and block and mempool reads run on the ledger thread (through the package's narrow {@code
 * SyncLedger} view of the ledger); results return through {@code ctx.executor()}. What other
 * threads call ({@code announceTip}, {@code announceTransactions}, {@code wake}) only hops onto the
 * event loop. Shared across connections, in {@link LedgerSync}: the download claims and the
 * seen-transaction set (concurrent). Timeouts use the monotonic clock.
 *
 * <p>Created per channel by {@link LedgerSync}; not sharable.
 *
 * <h2>Parts</h2>
 *
 * The concerns with state of their own are package-private parts, one each per connection: {@code
 * BlockDownload} (header sync and block fetch), {@code BlockServing} (answering the peer's header
 * and block requests) and {@code TransactionRelay}. This class keeps the connection's lifecycle,
 * the dispatch and rate limit of incoming messages, the Status and coalesced announcement gossip,
 * and the failure policy ({@code BANS_THE_KEY}); at about 700 lines, it is the one place where they
 * meet, and splitting it further would spread one state machine over several files.
 */
public final class LedgerSyncHandler extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(LedgerSyncHandler.class);

    static final int MAX_HEADERS = 2000;
    static final int MAX_LOCATOR = 64;
    static final int MAX_ANNOUNCED_HEADERS = 8;
    static final int MAX_TX_IDS = 256;
    static final int MAX_TX_REQUESTED = 512;

    /** How long announcements wait to be coalesced. */
    static final long ANNOUNCE_DELAY_MILLIS = 50;

    /** Transaction announcements queued per peer, at most (the mempool is bounded anyway). */
    static final int MAX_PENDING_TX_ANNOUNCEMENTS = 8192;

    /**
     * Items (blocks or transactions) a peer may have asked for and not yet received. An honest peer
     * keeps at most 16 blocks and 512 transactions in flight; the rest is slack for timing.
     */
    static final int MAX_SERVING_BLOCKS = 64;

    static final int MAX_SERVING_TXS = 2 * MAX_TX_REQUESTED;

    private final LedgerSync sync;
    private final SyncLedger ledger;
    private final byte[] networkId;
    private final ByteString networkIdBytes;
    private final TokenBucket rate;
    private final BlockDownload download;
    private final TransactionRelay txs;
    private final BlockServing serving;

    /** Blocks the peer has (announced, sent, or been sent); event loop only. */
    final BoundedSet<BlockHash> peerKnowsBlocks = new BoundedSet<>(5_000);

    private @Nullable ChannelHandlerContext ctx;
    private @Nullable PeerId peer;
    private boolean started;
    private boolean closed;
    private @Nullable ScheduledFuture<?> tick;
    private @Nullable BlockHash reportedConflict;

    /** The work of the tip the peer announced in its first Status; null before it. */
    private @Nullable BigInteger catchUpTo;

    private boolean caughtUp;
    private long lastStatusSent;
    private final List<BlockHeader> pendingHeaders = new ArrayList<>();
    private boolean tipOverflow;
    private boolean flushScheduled;

    LedgerSyncHandler(LedgerSync sync) {
        this.sync = sync;
        this.ledger = sync.view();
        this.networkId = ledger.networkId();
        this.download = new BlockDownload(this, sync, ledger);
        this.txs = new TransactionRelay(this, sync, ledger);
        this.serving = new BlockServing(this, sync, ledger);
        this.networkIdBytes = ByteString.copyFrom(networkId);
        this.rate =
                new TokenBucket(
                        sync.settings().messagesPerSecond() * 10,
                        sync.settings().messagesPerSecond());
    }

    /** The peer (its key's PeerId), once the handshake has completed. */
    public @Nullable PeerId peer() {
        return peer;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive() && SecureSession.of(ctx.channel()).isPresent()) {
            start();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof HandshakeCompletionEvent
                && ((HandshakeCompletionEvent) evt).isSuccess()) {
            start();
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void start() {
        if (started || closed) {
            return;
        }
        SecureSession session = SecureSession.of(ctx.channel()).orElse(null);
        if (session == null) {
            return;
        }
        if (!java.util.Arrays.equals(session.peerNetworkId(), networkId)) {
            // An unbound joiner asking for the network parameters (docs/ledger.md §11.7): no
            // replication with it; its ledger messages are ignored.
            return;
        }
        started = true;
        peer = session.peerId();
        sync.register(this);
        sendStatus();
        // The transactions waiting in our mempool are announced to a new peer too: one whose
        // announcement died with an earlier connection is not stranded until the next block.
        onLedgerThread(ledger.mempoolIds(), this::announceTransactions);
        long period = Math.max(10, Math.min(1000, sync.settings().requestTimeout().toMillis() / 4));
        tick =
                ctx.executor()
                        .scheduleAtFixedRate(this::tick, period, period, TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    private void stop() {
        if (closed) {
            return;
        }
        closed = true;
        if (tick != null) {
            tick.cancel(false);
        }
        download.release();
        txs.release();
        sync.unregister(this);
        if (started) {
            sync.wakeDownloads();
        }
    }

    // ------------------------------------------------------------------ inbound

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof NodeMessage)
                || ((NodeMessage) msg).getBodyCase() != NodeMessage.BodyCase.LEDGER) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (closed || !started) {
            return;
        }
        LedgerMessage m = ((NodeMessage) msg).getLedger();
        // Responses are bounded by our own requests (and rejected when unsolicited); only the
        // messages a peer may send on its own count toward the rate limit.
        boolean unsolicited =
                m.getBodyCase() != LedgerMessage.BodyCase.HEADERS
                        && m.getBodyCase() != LedgerMessage.BodyCase.BLOCKS
                        && m.getBodyCase() != LedgerMessage.BodyCase.TRANSACTIONS
                        && m.getBodyCase() != LedgerMessage.BodyCase.NOT_FOUND;
        if (unsolicited && !rate.tryAcquire(System.nanoTime())) {
            misbehave("ledger messages faster than " + sync.settings().messagesPerSecond() + "/s");
            return;
        }
        if (!m.getNetworkId().equals(networkIdBytes)) {
            misbehave("WRONG_NETWORK: ledger message of another network");
            return;
        }
        try {
            switch (m.getBodyCase()) {
                case STATUS:
                    onStatus(m.getStatus());
                    break;
                case GET_HEADERS:
                    serving.onGetHeaders(m.getGetHeaders());
                    break;
                case HEADERS:
                    download.onHeaders(m.getHeaders());
                    break;
                case GET_BLOCKS:
                    serving.onGetBlocks(m.getGetBlocks());
                    break;
                case BLOCKS:
                    download.onBlocks(m.getBlocks());
                    break;
                case ANNOUNCE:
                    onAnnounce(m.getAnnounce());
                    break;
                case GET_TRANSACTIONS:
                    txs.onGetTransactions(m.getGetTransactions());
                    break;
                case TRANSACTIONS:
                    txs.onTransactions(m.getTransactions());
                    break;
                case NOT_FOUND:
                    onNotFound(m.getNotFound());
                    break;
                default:
                    misbehave("ledger message without a body");
            }
        } catch (Misbehaviour e) {
            misbehave(e.getMessage());
        }
    }

    /** A protocol violation found while handling a message. */
    static final class Misbehaviour extends Exception {
        private static final long serialVersionUID = 1L;

        Misbehaviour(String message) {
            super(message, null, false, false);
        }
    }

    static BlockHash hash(ByteString b, String what) throws Misbehaviour {
        if (b.size() != 32) {
            throw new Misbehaviour(what + " of " + b.size() + " bytes");
        }
        return BlockHash.of(b.toByteArray());
    }

    static BlockHeader header(ByteString b) throws Misbehaviour {
        try {
            return BlockHeader.decode(b.toByteArray());
        } catch (InvalidBlockException e) {
            throw new Misbehaviour(e.getMessage());
        }
    }

    private void onStatus(Status s) throws Misbehaviour {
        BlockHash tip = hash(s.getTipHash(), "status tip");
        if (s.getTotalWork().size() > 33) {
            throw new Misbehaviour("status work of " + s.getTotalWork().size() + " bytes");
        }
        BigInteger work = new BigInteger(1, s.getTotalWork().toByteArray());
        peerKnowsBlocks.add(tip);
        if (catchUpTo == null) {
            catchUpTo = work;
        }
        ChainTip ours = ledger.tip();
        int cmp = work.compareTo(ours.totalWork());
        // A tip of equal work is fetched too (stored on a side branch): the next block on either
        // branch then settles the choice for both sides (docs/ledger.md §11.3).
        if (cmp >= 0 && !ledger.hasBlock(tip)) {
            download.follow(tip);
        }
        checkCaughtUp();
        if (cmp > 0) {
            return;
        }
        if (!tip.equals(ours.hash())
                && ledger.confirmations(tip) == 0
                && !tip.equals(reportedConflict)) {
            reportedConflict = tip;
            ChainTip theirs =
                    new ChainTip(
                            tip, s.getTipHeight() < 0 ? Long.MAX_VALUE : s.getTipHeight(), work, 0);
            log.info(
                    "{}: peer {} is on another branch (tip {} at height {}, work {}); ours is {} at"
                            + " height {}",
                    ctx.channel(),
                    peer.shortId(),
                    tip.shortHex(),
                    theirs.height(),
                    work.toString(16),
                    ours.hash().shortHex(),
                    ours.height());
            for (SyncListener l : sync.listeners()) {
                try {
                    l.onConflictingView(peer, theirs, ours);
                } catch (RuntimeException e) {
                    log.warn("sync listener failed", e);
                }
            }
        }
    }

    private void onAnnounce(Announce a) throws Misbehaviour {
        if (a.getBlockHeadersCount() > MAX_ANNOUNCED_HEADERS || a.getTxIdsCount() > MAX_TX_IDS) {
            throw new Misbehaviour(
                    "announce of "
                            + a.getBlockHeadersCount()
                            + " headers and "
                            + a.getTxIdsCount()
                            + " transactions");
        }
        if (a.getBlockHeadersCount() > 0) {
            download.onAnnouncedHeaders(download.decodeConsecutive(a.getBlockHeadersList()));
        }
        if (a.getTxIdsCount() > 0) {
            txs.onAnnouncedIds(a.getTxIdsList());
        }
    }

    private void onNotFound(NotFound n) throws Misbehaviour {
        for (ByteString b : n.getBlockHashesList()) {
            download.notFound(hash(b, "block hash"));
        }
        txs.notFound(n.getTxIdsList());
        // The peer lacks what it announced: stop following its best header.
        download.unfollow();
        sync.wakeDownloads();
    }

    // ------------------------------------------------------------------ outbound gossip

    /**
     * The best chain moved: announce the new blocks (called from the ledger thread). Announcements
     * are coalesced: at most one Announce per {@link #ANNOUNCE_DELAY_MILLIS} per peer, carrying the
     * last 8 new headers; when more blocks arrived in between, a Status replaces it and the peer
     * syncs by headers.
     */
    void announceTip(List<BlockHeader> headers, boolean reorganized) {
        execute(
                () -> {
                    if (!started || closed) {
                        return;
                    }
                    if (reorganized) {
                        tipOverflow = true;
                    }
                    if (!headers.isEmpty()
                            && !pendingHeaders.isEmpty()
                            && !headers.get(0)
                                    .previous()
                                    .equals(pendingHeaders.get(pendingHeaders.size() - 1).hash())) {
                        // Not a continuation of what is pending (the chain moved to another
                        // branch): an Announce must carry consecutive headers, so send a Status.
                        pendingHeaders.clear();
                        tipOverflow = true;
                    }
                    for (BlockHeader h : headers) {
                        pendingHeaders.add(h);
                        if (pendingHeaders.size() > MAX_ANNOUNCED_HEADERS) {
                            pendingHeaders.remove(0);
                            tipOverflow = true;
                        }
                    }
                    scheduleFlush();
                    download.requestBlocks();
                });
    }

    /** New mempool transactions: announce them, coalesced (called from the ledger thread). */
    void announceTransactions(List<TxId> ids) {
        execute(
                () -> {
                    if (!started || closed) {
                        return;
                    }
                    txs.queue(ids);
                    scheduleFlush();
                });
    }

    private void scheduleFlush() {
        if (!flushScheduled) {
            flushScheduled = true;
            ctx.executor()
                    .schedule(
                            this::flushAnnouncements, ANNOUNCE_DELAY_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void flushAnnouncements() {
        flushScheduled = false;
        if (!started || closed) {
            return;
        }
        if (tipOverflow) {
            sendStatus();
        } else {
            Announce.Builder a = Announce.newBuilder();
            for (BlockHeader h : headersToAnnounce(pendingHeaders, peerKnowsBlocks)) {
                a.addBlockHeaders(ByteString.copyFrom(h.encodedUnsafe()));
            }
            if (a.getBlockHeadersCount() > 0) {
                send(LedgerMessage.newBuilder().setAnnounce(a));
            }
        }
        for (BlockHeader h : pendingHeaders) {
            peerKnowsBlocks.add(h.hash());
        }
        tipOverflow = false;
        pendingHeaders.clear();
        txs.flush();
    }

    /**
     * The headers of an Announce of {@code pending} (consecutive): all of them from the first one
     * the peer does not know. A header the peer knows in the middle is sent again, since an
     * Announce must carry consecutive headers; leaving it out made honest peers ban each other for
     * "headers not consecutive" (robustness.md, defect 17). Marks them all known to the peer.
     */
    static List<BlockHeader> headersToAnnounce(
            List<BlockHeader> pending, BoundedSet<BlockHash> peerKnows) {
        List<BlockHeader> out = new ArrayList<>(pending.size());
        for (BlockHeader h : pending) {
            boolean known = !peerKnows.add(h.hash());
            if (!known || !out.isEmpty()) {
                out.add(h);
            }
        }
        return out;
    }

    /** Another download finished: continue ours (called from any thread). */
    void wake() {
        execute(download::requestBlocks);
    }

    private void execute(Runnable r) {
        ChannelHandlerContext c = ctx;
        if (c == null) {
            return;
        }
        try {
            c.executor().execute(r);
        } catch (RejectedExecutionException e) {
            // the event loop is shutting down
        }
    }

    private void sendStatus() {
        ChainTip tip = ledger.tip();
        byte[] work = tip.totalWork().toByteArray();
        if (work.length > 1 && work[0] == 0) {
            work = java.util.Arrays.copyOfRange(work, 1, work.length);
        }
        lastStatusSent = System.nanoTime();
        send(
                LedgerMessage.newBuilder()
                        .setStatus(
                                Status.newBuilder()
                                        .setTipHash(ByteString.copyFrom(tip.hash().toBytes()))
                                        .setTipHeight(tip.height())
                                        .setTotalWork(ByteString.copyFrom(work))));
    }

    void send(LedgerMessage.Builder m) {
        if (closed || ctx == null) {
            return;
        }
        NodeMessage msg =
                NodeMessage.newBuilder().setLedger(m.setNetworkId(networkIdBytes)).build();
        ctx.writeAndFlush(msg)
                .addListener(
                        (ChannelFutureListener)
                                f -> {
                                    if (!f.isSuccess()) {
                                        log.debug(
                                                "{}: ledger message not sent: {}",
                                                f.channel(),
                                                f.cause().toString());
                                    }
                                });
    }

    // ------------------------------------------------------------------ timers and failures

    private void tick() {
        if (closed) {
            return;
        }
        long now = System.nanoTime();
        long timeout = sync.settings().requestTimeout().toNanos();
        String overdue = download.overdue(now, timeout);
        if (overdue != null) {
            stalling(overdue);
            return;
        }
        txs.expire(now, timeout);
        if (now - lastStatusSent > sync.settings().statusInterval().toNanos()) {
            sendStatus();
        }
        checkCaughtUp();
        download.requestBlocks();
    }

    /**
     * Once our best chain has at least the work of the tip the peer announced in its first Status
     * (we caught up with it, or were ahead), tells {@link LedgerSync}: once per connection.
     */
    void checkCaughtUp() {
        BigInteger target = catchUpTo;
        if (caughtUp || closed || target == null) {
            return;
        }
        ChainTip ours = ledger.tip();
        if (ours.totalWork().compareTo(target) >= 0) {
            caughtUp = true;
            log.debug(
                    "{}: caught up with peer {} at height {}",
                    ctx.channel(),
                    peer.shortId(),
                    ours.height());
            sync.caughtUp(peer, ours);
        }
    }

    private void stalling(String what) {
        log.info(
                "{}: peer {} did not deliver {} within {} ms; disconnecting",
                ctx.channel(),
                peer == null ? "?" : peer.shortId(),
                what,
                sync.settings().requestTimeout().toMillis());
        ctx.close();
    }

    void misbehave(String reason) {
        if (closed) {
            return;
        }
        log.warn(
                "{}: peer {} misbehaves: {}",
                ctx.channel(),
                peer == null ? "?" : peer.shortId(),
                reason);
        for (SyncListener l : sync.listeners()) {
            try {
                l.onMisbehaviour(peer, ctx.channel().remoteAddress(), reason);
            } catch (RuntimeException e) {
                log.warn("sync listener failed", e);
            }
        }
        ctx.close();
        stop();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ErrorCode code = ErrorCode.of(cause);
        if (unauthenticatedFraming(cause)) {
            // The record layer's frame header is not authenticated: a bad length may come from
            // the link (corruption, a duplicated byte range) or an on-path injector, not from the
            // peer. Close without punishing the peer, as for a record that fails its MAC.
            log.debug("{}: transport framing error: {}", ctx.channel(), cause.toString());
            ctx.close();
        } else if (started && code != null && BANS_THE_KEY.contains(code)) {
            misbehave(code + ": " + cause.getMessage());
        } else if (cause instanceof IOException) {
            log.debug("{}: {}", ctx.channel(), cause.toString());
            ctx.close();
        } else if (cause instanceof Error) {
            ctx.close();
            throw (Error) cause;
        } else {
            log.debug("{}: closing after {}", ctx.channel(), cause.toString());
            ctx.close();
        }
        ctx.fireExceptionCaught(cause);
    }

    /**
     * The channel errors that are misbehaviour once the handshake is done (docs/protocol.md §11.1):
     * each is decided on bytes the record layer has authenticated as the peer's (a decrypted
     * record, or an application message inside the record stream), and an honest implementation
     * never causes it. Everything else closes without a penalty: a bad tag, a wrong epoch, a
     * garbled frame header or a record type byte (checked before decryption) may come from the
     * network or an on-path attacker, and timeouts, truncation and alerts are not evidence either.
     */
    static final Set<ErrorCode> BANS_THE_KEY =
            Collections.unmodifiableSet(
                    EnumSet.of(
                            ErrorCode.MALFORMED,
                            ErrorCode.FRAME_TOO_LARGE,
                            ErrorCode.RECORD_OVERFLOW,
                            ErrorCode.RATE_LIMIT,
                            ErrorCode.TOO_MANY_KEY_UPDATES,
                            ErrorCode.IDENTITY_CHANGED,
                            ErrorCode.BAD_KEY_SHARE));

    /** Whether a failure comes from the record layer's (unauthenticated) frame header. */
    private static boolean unauthenticatedFraming(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof io.p2pchat.channel.FrameTooLargeException
                    || t instanceof io.p2pchat.channel.MalformedFrameException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /** Runs {@code then} on the event loop with the future's result; {@code failed} on failure. */
    <T> void onLedgerThread(CompletableFuture<T> future, Consumer<T> then) {
        onLedgerThread(future, then, () -> {});
    }

    <T> void onLedgerThread(CompletableFuture<T> future, Consumer<T> then, Runnable failed) {
        future.whenComplete(
                (r, e) ->
                        execute(
                                () -> {
                                    if (e != null) {
                                        failed.run();
                                        if (!closed) {
                                            log.debug(
                                                    "{}: ledger work failed: {}",
                                                    ctx.channel(),
                                                    e.toString());
                                        }
                                        return;
                                    }
                                    if (!closed) {
                                        then.accept(r);
                                    } else {
                                        failed.run();
                                    }
                                }));
    }

    /** The channel, for log lines (after {@link #handlerAdded}). */
    Object channel() {
        ChannelHandlerContext c = ctx;
        return c == null ? "?" : c.channel();
    }

    /** Whether the connection ended (or misbehaved): nothing more is sent or requested. */
    boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "LedgerSyncHandler[" + (peer == null ? "?" : peer.shortId()) + "]";
    }

    /** Ids of transactions requested and not yet received; for tests. */
    Set<TxId> pendingTransactions() {
        return txs.pending();
    }
}
