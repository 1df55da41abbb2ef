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
import io.p2pchat.ledger.chain.ChainState;
import io.p2pchat.ledger.chain.Tx;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.ChainTip;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.LedgerHashes;
import io.p2pchat.ledger.model.TxId;
import io.p2pchat.ledger.model.TxResult;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.proto.Announce;
import io.p2pchat.proto.Block;
import io.p2pchat.proto.Blocks;
import io.p2pchat.proto.GetBlocks;
import io.p2pchat.proto.GetHeaders;
import io.p2pchat.proto.GetTransactions;
import io.p2pchat.proto.Headers;
import io.p2pchat.proto.LedgerMessage;
import io.p2pchat.proto.NodeMessage;
import io.p2pchat.proto.NotFound;
import io.p2pchat.proto.Status;
import io.p2pchat.proto.Transactions;
import io.p2pchat.util.TokenBucket;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * State is confined to the channel's event loop. Validation, storage and block reads run on the
 * ledger thread; results return through {@code ctx.executor()}. Timeouts use the monotonic clock.
 *
 * <p>Created per channel by {@link LedgerSync}; not sharable.
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
    private final byte[] networkId;
    private final ByteString networkIdBytes;
    private final TokenBucket rate;
    private final LinkedHashMap<BlockHash, Long> blocksInFlight = new LinkedHashMap<>();
    private final LinkedHashMap<TxId, Long> txsRequested = new LinkedHashMap<>();
    private final BoundedSet<BlockHash> peerKnowsBlocks = new BoundedSet<>(5_000);
    private final BoundedSet<TxId> peerKnowsTxs = new BoundedSet<>(20_000);

    private @Nullable ChannelHandlerContext ctx;
    private @Nullable PeerId peer;
    private boolean started;
    private boolean closed;
    private @Nullable ScheduledFuture<?> tick;
    private @Nullable BlockHash peerBest;
    private @Nullable BlockHash reportedConflict;

    /** The work of the tip the peer announced in its first Status; null before it. */
    private @Nullable BigInteger catchUpTo;

    private boolean caughtUp;
    private long headersRequestedAt = -1;
    private long lastStatusSent;
    private int unconnectedHeaders;
    private int servingBlocks;
    private int servingTxs;
    private boolean computingDownloads;
    private final List<BlockHeader> pendingHeaders = new ArrayList<>();
    private final java.util.LinkedHashSet<TxId> pendingTxs = new java.util.LinkedHashSet<>();
    private boolean tipOverflow;
    private boolean flushScheduled;

    LedgerSyncHandler(LedgerSync sync) {
        this.sync = sync;
        this.networkId = sync.ledger().parameters().networkId();
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
        onLedgerThread(
                sync.service()
                        .call(
                                () -> {
                                    List<TxId> ids = new ArrayList<>();
                                    for (Tx tx : sync.service().chain().mempool().transactions()) {
                                        ids.add(tx.id());
                                    }
                                    return ids;
                                }),
                this::announceTransactions);
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
        for (BlockHash h : blocksInFlight.keySet()) {
            sync.release(h, this);
        }
        blocksInFlight.clear();
        for (TxId id : txsRequested.keySet()) {
            sync.forgetSeen(id);
        }
        txsRequested.clear();
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
                    onGetHeaders(m.getGetHeaders());
                    break;
                case HEADERS:
                    onHeaders(m.getHeaders());
                    break;
                case GET_BLOCKS:
                    onGetBlocks(m.getGetBlocks());
                    break;
                case BLOCKS:
                    onBlocks(m.getBlocks());
                    break;
                case ANNOUNCE:
                    onAnnounce(m.getAnnounce());
                    break;
                case GET_TRANSACTIONS:
                    onGetTransactions(m.getGetTransactions());
                    break;
                case TRANSACTIONS:
                    onTransactions(m.getTransactions());
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
    private static final class Misbehaviour extends Exception {
        private static final long serialVersionUID = 1L;

        Misbehaviour(String message) {
            super(message, null, false, false);
        }
    }

    private static BlockHash hash(ByteString b, String what) throws Misbehaviour {
        if (b.size() != 32) {
            throw new Misbehaviour(what + " of " + b.size() + " bytes");
        }
        return BlockHash.of(b.toByteArray());
    }

    private static BlockHeader header(ByteString b) throws Misbehaviour {
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
        ChainTip ours = sync.ledger().tip();
        ChainState chain = sync.service().chain();
        int cmp = work.compareTo(ours.totalWork());
        // A tip of equal work is fetched too (stored on a side branch): the next block on either
        // branch then settles the choice for both sides (docs/ledger.md §11.3).
        if (cmp >= 0 && !chain.hasBlock(tip)) {
            if (chain.knowsHeader(tip)) {
                peerBest = better(peerBest, tip);
                requestBlocks();
            } else {
                requestHeaders(chain.locator());
            }
        }
        checkCaughtUp();
        if (cmp > 0) {
            return;
        }
        if (!tip.equals(ours.hash())
                && chain.confirmations(tip) == 0
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

    private @Nullable BlockHash better(@Nullable BlockHash current, BlockHash candidate) {
        if (current == null) {
            return candidate;
        }
        ChainState chain = sync.service().chain();
        BigInteger a = chain.chainWork(current);
        BigInteger b = chain.chainWork(candidate);
        if (a == null) {
            return candidate;
        }
        return b != null && b.compareTo(a) > 0 ? candidate : current;
    }

    private void onGetHeaders(GetHeaders g) throws Misbehaviour {
        if (g.getLocatorCount() > MAX_LOCATOR) {
            throw new Misbehaviour("locator of " + g.getLocatorCount() + " hashes");
        }
        if (g.getMaxCount() < 1 || g.getMaxCount() > MAX_HEADERS) {
            throw new Misbehaviour("max_count " + Integer.toUnsignedString(g.getMaxCount()));
        }
        List<BlockHash> locator = new ArrayList<>();
        for (ByteString b : g.getLocatorList()) {
            locator.add(hash(b, "locator hash"));
        }
        List<BlockHeader> headers = sync.service().chain().headersAfter(locator, g.getMaxCount());
        Headers.Builder out = Headers.newBuilder();
        for (BlockHeader h : headers) {
            out.addHeaders(ByteString.copyFrom(h.encodedUnsafe()));
            peerKnowsBlocks.add(h.hash());
        }
        send(LedgerMessage.newBuilder().setHeaders(out));
    }

    private void onHeaders(Headers h) throws Misbehaviour {
        if (headersRequestedAt < 0) {
            throw new Misbehaviour("unsolicited headers");
        }
        headersRequestedAt = -1;
        if (h.getHeadersCount() > MAX_HEADERS) {
            throw new Misbehaviour(h.getHeadersCount() + " headers in one message");
        }
        List<BlockHeader> headers = decodeConsecutive(h.getHeadersList());
        if (headers.isEmpty()) {
            requestBlocks();
            return;
        }
        boolean full = headers.size() == MAX_HEADERS;
        processHeaders(headers, full);
    }

    private List<BlockHeader> decodeConsecutive(List<ByteString> list) throws Misbehaviour {
        List<BlockHeader> headers = new ArrayList<>(list.size());
        for (ByteString b : list) {
            BlockHeader x = header(b);
            if (!headers.isEmpty()
                    && !x.previous().equals(headers.get(headers.size() - 1).hash())) {
                throw new Misbehaviour("headers not consecutive");
            }
            headers.add(x);
            peerKnowsBlocks.add(x.hash());
        }
        return headers;
    }

    private void processHeaders(List<BlockHeader> headers, boolean more) {
        onLedgerThread(
                sync.service().submitHeaders(headers),
                outcome -> {
                    InvalidBlockException error = outcome.error();
                    if (error != null) {
                        if (error.reason() == io.p2pchat.ledger.model.RejectReason.UNKNOWN_PARENT) {
                            if (++unconnectedHeaders > sync.settings().maxUnconnectedHeaders()) {
                                misbehave(
                                        "headers that connect to nothing, "
                                                + unconnectedHeaders
                                                + " times");
                                return;
                            }
                            requestHeaders(sync.service().chain().locator());
                        } else if (!error.reason().temporary()) {
                            misbehave("invalid header: " + error.getMessage());
                            return;
                        }
                    }
                    if (outcome.last() != null) {
                        peerBest = better(peerBest, outcome.last().hash());
                        if (more && error == null) {
                            requestHeaders(sync.service().chain().locatorOf(outcome.last().hash()));
                        }
                    }
                    requestBlocks();
                });
    }

    private void requestHeaders(List<BlockHash> locator) {
        if (headersRequestedAt >= 0 || closed) {
            return;
        }
        GetHeaders.Builder g = GetHeaders.newBuilder().setMaxCount(MAX_HEADERS);
        for (BlockHash h : locator) {
            g.addLocator(ByteString.copyFrom(h.toBytes()));
        }
        headersRequestedAt = System.nanoTime();
        send(LedgerMessage.newBuilder().setGetHeaders(g));
    }

    /** Requests the next blocks toward the peer's best header, if it has more work than our tip. */
    private void requestBlocks() {
        if (closed || peerBest == null || computingDownloads) {
            return;
        }
        int room = sync.settings().maxBlocksInFlight() - blocksInFlight.size();
        if (room <= 0) {
            return;
        }
        BlockHash target = peerBest;
        Set<BlockHash> exclude = sync.claimedByOthers(this);
        exclude.addAll(blocksInFlight.keySet());
        computingDownloads = true;
        onLedgerThread(
                sync.service()
                        .call(
                                () -> {
                                    ChainState chain = sync.service().chain();
                                    BigInteger w = chain.chainWork(target);
                                    // Equal work is fetched too (docs/ledger.md §11.3).
                                    if (w == null
                                            || w.compareTo(chain.tip().totalWork()) < 0
                                            || chain.hasBlock(target)) {
                                        return null;
                                    }
                                    return chain.missingBlocks(target, room, exclude);
                                }),
                missing -> {
                    computingDownloads = false;
                    if (missing == null) {
                        if (target.equals(peerBest)) {
                            peerBest = null;
                        }
                        return;
                    }
                    GetBlocks.Builder g = GetBlocks.newBuilder();
                    long now = System.nanoTime();
                    for (BlockHash h : missing) {
                        if (blocksInFlight.size() >= sync.settings().maxBlocksInFlight()) {
                            break;
                        }
                        if (!blocksInFlight.containsKey(h) && sync.claim(h, this)) {
                            blocksInFlight.put(h, now);
                            g.addHashes(ByteString.copyFrom(h.toBytes()));
                        }
                    }
                    if (g.getHashesCount() > 0) {
                        send(LedgerMessage.newBuilder().setGetBlocks(g));
                    }
                },
                () -> computingDownloads = false);
    }

    private void onGetBlocks(GetBlocks g) throws Misbehaviour {
        if (g.getHashesCount() > 16) {
            throw new Misbehaviour(g.getHashesCount() + " blocks requested at once");
        }
        if (servingBlocks + g.getHashesCount() > MAX_SERVING_BLOCKS) {
            throw new Misbehaviour(
                    "more than " + MAX_SERVING_BLOCKS + " blocks requested and not yet served");
        }
        List<BlockHash> wanted = new ArrayList<>();
        for (ByteString b : g.getHashesList()) {
            wanted.add(hash(b, "block hash"));
        }
        int count = wanted.size();
        servingBlocks += count;
        onLedgerThread(
                sync.service()
                        .call(
                                () -> {
                                    List<Object> out = new ArrayList<>();
                                    for (BlockHash h : wanted) {
                                        BlockData b = sync.service().chain().readBlock(h);
                                        out.add(
                                                b == null
                                                                || h.equals(
                                                                        sync.ledger()
                                                                                .parameters()
                                                                                .genesis()
                                                                                .hash())
                                                        ? h
                                                        : b.toProto());
                                    }
                                    return out;
                                }),
                found -> {
                    servingBlocks -= count;
                    int limit = sync.settings().maxMessageBytes() / 2;
                    Blocks.Builder batch = Blocks.newBuilder();
                    int size = 0;
                    NotFound.Builder missing = NotFound.newBuilder();
                    for (Object o : found) {
                        if (o instanceof BlockHash) {
                            missing.addBlockHashes(ByteString.copyFrom(((BlockHash) o).toBytes()));
                            continue;
                        }
                        Block b = (Block) o;
                        if (size > 0 && size + b.getSerializedSize() > limit) {
                            send(LedgerMessage.newBuilder().setBlocks(batch));
                            batch = Blocks.newBuilder();
                            size = 0;
                        }
                        batch.addBlocks(b);
                        size += b.getSerializedSize();
                    }
                    if (batch.getBlocksCount() > 0) {
                        send(LedgerMessage.newBuilder().setBlocks(batch));
                    }
                    if (missing.getBlockHashesCount() > 0) {
                        send(LedgerMessage.newBuilder().setNotFound(missing));
                    }
                },
                () -> servingBlocks -= count);
    }

    private void onBlocks(Blocks b) throws Misbehaviour {
        List<BlockData> blocks = new ArrayList<>(b.getBlocksCount());
        for (Block block : b.getBlocksList()) {
            BlockData data;
            try {
                data = BlockData.fromProto(block);
            } catch (InvalidBlockException e) {
                throw new Misbehaviour("undecodable block: " + e.getMessage());
            }
            BlockHash h = data.hash();
            if (blocksInFlight.remove(h) == null) {
                throw new Misbehaviour("unsolicited block " + h.shortHex());
            }
            sync.release(h, this);
            peerKnowsBlocks.add(h);
            blocks.add(data);
        }
        onLedgerThread(
                sync.service().submitBlocks(blocks),
                results -> {
                    boolean orphan = false;
                    int connected = 0;
                    for (BlockResult r : results) {
                        if (r.status() == BlockResult.Status.CONNECTED) {
                            connected++;
                        }
                        if (r.misbehaving()) {
                            misbehave(
                                    "invalid block "
                                            + (r.hash() == null ? "?" : r.hash().shortHex())
                                            + ": "
                                            + r.message());
                            return;
                        }
                        if (r.status() == BlockResult.Status.ORPHAN) {
                            orphan = true;
                        }
                        if (r.reason() == io.p2pchat.ledger.model.RejectReason.TIME_TOO_NEW) {
                            // Not valid yet: stop following this peer's branch until it announces
                            // again, instead of fetching the same block in a loop.
                            peerBest = null;
                            log.info(
                                    "{}: block {} is too far in the future for now",
                                    ctx.channel(),
                                    r.hash().shortHex());
                            return;
                        }
                    }
                    if (connected > 0) {
                        for (SyncListener l : sync.listeners()) {
                            try {
                                l.onBlocksConnected(peer, connected);
                            } catch (RuntimeException e) {
                                log.warn("sync listener failed", e);
                            }
                        }
                    }
                    if (orphan) {
                        requestHeaders(sync.service().chain().locator());
                    }
                    checkCaughtUp();
                    requestBlocks();
                    sync.wakeDownloads();
                });
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
            List<BlockHeader> headers = decodeConsecutive(a.getBlockHeadersList());
            ChainState chain = sync.service().chain();
            List<BlockHeader> unknown = new ArrayList<>();
            for (BlockHeader h : headers) {
                if (!chain.knowsHeader(h.hash())) {
                    unknown.add(h);
                } else if (!chain.hasBlock(h.hash())) {
                    peerBest = better(peerBest, h.hash());
                }
            }
            if (!unknown.isEmpty()) {
                if (!chain.knowsHeader(unknown.get(0).previous())) {
                    requestHeaders(chain.locator());
                } else {
                    processHeaders(unknown, false);
                }
            } else {
                requestBlocks();
            }
        }
        if (a.getTxIdsCount() > 0) {
            GetTransactions.Builder g = GetTransactions.newBuilder();
            long now = System.nanoTime();
            for (ByteString b : a.getTxIdsList()) {
                if (b.size() != 32) {
                    throw new Misbehaviour("transaction id of " + b.size() + " bytes");
                }
                TxId id = TxId.of(b.toByteArray());
                peerKnowsTxs.add(id);
                if (txsRequested.size() < MAX_TX_REQUESTED && sync.markSeen(id)) {
                    txsRequested.put(id, now);
                    g.addTxIds(b);
                }
            }
            if (g.getTxIdsCount() > 0) {
                send(LedgerMessage.newBuilder().setGetTransactions(g));
            }
        }
    }

    private void onGetTransactions(GetTransactions g) throws Misbehaviour {
        if (g.getTxIdsCount() > MAX_TX_IDS) {
            throw new Misbehaviour(g.getTxIdsCount() + " transactions requested at once");
        }
        if (servingTxs + g.getTxIdsCount() > MAX_SERVING_TXS) {
            throw new Misbehaviour(
                    "more than " + MAX_SERVING_TXS + " transactions requested and not yet served");
        }
        List<TxId> wanted = new ArrayList<>();
        for (ByteString b : g.getTxIdsList()) {
            if (b.size() != 32) {
                throw new Misbehaviour("transaction id of " + b.size() + " bytes");
            }
            wanted.add(TxId.of(b.toByteArray()));
        }
        int count = wanted.size();
        servingTxs += count;
        onLedgerThread(
                sync.service()
                        .call(
                                () -> {
                                    List<Object> out = new ArrayList<>();
                                    for (TxId id : wanted) {
                                        Tx tx = sync.service().chain().mempool().get(id);
                                        out.add(tx == null ? id : tx.envelope());
                                    }
                                    return out;
                                }),
                found -> {
                    servingTxs -= count;
                    Transactions.Builder t = Transactions.newBuilder();
                    NotFound.Builder nf = NotFound.newBuilder();
                    int size = 0;
                    int limit = sync.settings().maxMessageBytes() / 2;
                    for (Object o : found) {
                        if (o instanceof TxId) {
                            nf.addTxIds(ByteString.copyFrom(((TxId) o).toBytes()));
                            continue;
                        }
                        byte[] env = (byte[]) o;
                        if (size > 0 && size + env.length > limit) {
                            send(LedgerMessage.newBuilder().setTransactions(t));
                            t = Transactions.newBuilder();
                            size = 0;
                        }
                        t.addTransactions(ByteString.copyFrom(env));
                        size += env.length;
                    }
                    if (t.getTransactionsCount() > 0) {
                        send(LedgerMessage.newBuilder().setTransactions(t));
                    }
                    if (nf.getTxIdsCount() > 0) {
                        send(LedgerMessage.newBuilder().setNotFound(nf));
                    }
                },
                () -> servingTxs -= count);
    }

    private void onTransactions(Transactions t) throws Misbehaviour {
        if (t.getTransactionsCount() > MAX_TX_IDS) {
            throw new Misbehaviour(t.getTransactionsCount() + " transactions in one message");
        }
        List<byte[]> envelopes = new ArrayList<>();
        for (ByteString b : t.getTransactionsList()) {
            byte[] env = b.toByteArray();
            TxId id = TxId.of(LedgerHashes.leafHash(env));
            if (txsRequested.remove(id) == null) {
                throw new Misbehaviour("unsolicited transaction " + id.shortHex());
            }
            peerKnowsTxs.add(id);
            envelopes.add(env);
        }
        onLedgerThread(
                sync.service().submitTransactions(envelopes),
                results -> {
                    for (TxResult r : results) {
                        if (r.misbehaving()) {
                            misbehave(
                                    "invalid transaction "
                                            + r.id().shortHex()
                                            + ": "
                                            + r.message());
                            return;
                        }
                        if (r.status() == TxResult.Status.REJECTED) {
                            log.debug(
                                    "{}: transaction {} not accepted: {}",
                                    ctx.channel(),
                                    r.id().shortHex(),
                                    r.message());
                        }
                    }
                });
    }

    private void onNotFound(NotFound n) throws Misbehaviour {
        for (ByteString b : n.getBlockHashesList()) {
            BlockHash h = hash(b, "block hash");
            if (blocksInFlight.remove(h) != null) {
                sync.release(h, this);
            }
        }
        for (ByteString b : n.getTxIdsList()) {
            if (b.size() == 32) {
                TxId id = TxId.of(b.toByteArray());
                if (txsRequested.remove(id) != null) {
                    sync.forgetSeen(id);
                }
            }
        }
        // The peer lacks what it announced: stop following its best header.
        peerBest = null;
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
                    requestBlocks();
                });
    }

    /** New mempool transactions: announce them, coalesced (called from the ledger thread). */
    void announceTransactions(List<TxId> ids) {
        execute(
                () -> {
                    if (!started || closed) {
                        return;
                    }
                    for (TxId id : ids) {
                        if (pendingTxs.size() < MAX_PENDING_TX_ANNOUNCEMENTS
                                && !peerKnowsTxs.contains(id)) {
                            pendingTxs.add(id);
                        }
                    }
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
        Announce.Builder t = Announce.newBuilder();
        for (TxId id : pendingTxs) {
            if (peerKnowsTxs.add(id)) {
                t.addTxIds(ByteString.copyFrom(id.toBytes()));
                if (t.getTxIdsCount() == MAX_TX_IDS) {
                    send(LedgerMessage.newBuilder().setAnnounce(t));
                    t = Announce.newBuilder();
                }
            }
        }
        pendingTxs.clear();
        if (t.getTxIdsCount() > 0) {
            send(LedgerMessage.newBuilder().setAnnounce(t));
        }
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
        execute(this::requestBlocks);
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
        ChainTip tip = sync.ledger().tip();
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

    private void send(LedgerMessage.Builder m) {
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
        if (headersRequestedAt >= 0 && now - headersRequestedAt > timeout) {
            stalling("headers");
            return;
        }
        for (Map.Entry<BlockHash, Long> e : blocksInFlight.entrySet()) {
            if (now - e.getValue() > timeout) {
                stalling("block " + e.getKey().shortHex());
                return;
            }
        }
        for (Iterator<Map.Entry<TxId, Long>> it = txsRequested.entrySet().iterator();
                it.hasNext(); ) {
            Map.Entry<TxId, Long> e = it.next();
            if (now - e.getValue() > timeout) {
                it.remove();
                sync.forgetSeen(e.getKey());
            }
        }
        if (now - lastStatusSent > sync.settings().statusInterval().toNanos()) {
            sendStatus();
        }
        checkCaughtUp();
        requestBlocks();
    }

    /**
     * Once our best chain has at least the work of the tip the peer announced in its first Status
     * (we caught up with it, or were ahead), tells {@link LedgerSync}: once per connection.
     */
    private void checkCaughtUp() {
        BigInteger target = catchUpTo;
        if (caughtUp || closed || target == null) {
            return;
        }
        ChainTip ours = sync.ledger().tip();
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

    private void misbehave(String reason) {
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
    private <T> void onLedgerThread(CompletableFuture<T> future, Consumer<T> then) {
        onLedgerThread(future, then, () -> {});
    }

    private <T> void onLedgerThread(
            CompletableFuture<T> future, Consumer<T> then, Runnable failed) {
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

    @Override
    public String toString() {
        return "LedgerSyncHandler[" + (peer == null ? "?" : peer.shortId()) + "]";
    }

    /** Ids of transactions requested and not yet received; for tests. */
    Set<TxId> pendingTransactions() {
        return new HashSet<>(txsRequested.keySet());
    }
}
