package io.p2pchat.ledger.sync;

import static io.p2pchat.ledger.sync.LedgerSyncHandler.MAX_HEADERS;

import com.google.protobuf.ByteString;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.BlockResult;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.RejectReason;
import io.p2pchat.ledger.store.BlockData;
import io.p2pchat.ledger.sync.LedgerSyncHandler.Misbehaviour;
import io.p2pchat.proto.Block;
import io.p2pchat.proto.Blocks;
import io.p2pchat.proto.GetBlocks;
import io.p2pchat.proto.GetHeaders;
import io.p2pchat.proto.Headers;
import io.p2pchat.proto.LedgerMessage;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's download of the peer's chain (docs/ledger.md §11.3): header-first sync ({@code
 * GetHeaders}/{@code Headers} from a locator, at most one request outstanding) toward the best
 * header the peer showed us, then block fetch ({@code GetBlocks}, at most {@link
 * SyncSettings#maxBlocksInFlight()} in flight, each claimed in {@link LedgerSync} so that no two
 * peers download the same block), and the checks that the responses answer our requests.
 *
 * <p>Threading: confined to the channel's event loop, as its {@link LedgerSyncHandler}; the
 * ledger's answers come back there through {@link LedgerSyncHandler#onLedgerThread}.
 */
final class BlockDownload {
    private static final Logger log = LoggerFactory.getLogger(BlockDownload.class);

    private final LedgerSyncHandler handler;
    private final LedgerSync sync;
    private final SyncLedger ledger;

    private final LinkedHashMap<BlockHash, Long> blocksInFlight = new LinkedHashMap<>();

    /** The most-work header the peer has shown us whose block we lack, or null. */
    private @Nullable BlockHash peerBest;

    private long headersRequestedAt = -1;
    private int unconnectedHeaders;
    private boolean computingDownloads;

    BlockDownload(LedgerSyncHandler handler, LedgerSync sync, SyncLedger ledger) {
        this.handler = handler;
        this.sync = sync;
        this.ledger = ledger;
    }

    /**
     * The peer showed a tip with at least our work whose block we lack: fetch it, by headers first
     * if its header is unknown.
     */
    void follow(BlockHash tip) {
        if (ledger.knowsHeader(tip)) {
            peerBest = better(peerBest, tip);
            requestBlocks();
        } else {
            requestHeaders(ledger.locator());
        }
    }

    /** Stops following the peer's best header (it lacks what it announced). */
    void unfollow() {
        peerBest = null;
    }

    /** Announced headers (consecutive): processes the unknown ones, fetches known ones' blocks. */
    void onAnnouncedHeaders(List<BlockHeader> headers) {
        List<BlockHeader> unknown = new ArrayList<>();
        for (BlockHeader h : headers) {
            if (!ledger.knowsHeader(h.hash())) {
                unknown.add(h);
            } else if (!ledger.hasBlock(h.hash())) {
                peerBest = better(peerBest, h.hash());
            }
        }
        if (!unknown.isEmpty()) {
            if (!ledger.knowsHeader(unknown.get(0).previous())) {
                requestHeaders(ledger.locator());
            } else {
                processHeaders(unknown, false);
            }
        } else {
            requestBlocks();
        }
    }

    /** The peer does not have a block we asked for: another peer may. */
    void notFound(BlockHash h) {
        if (blocksInFlight.remove(h) != null) {
            sync.release(h, handler);
        }
    }

    /** What the peer has not delivered within {@code timeoutNanos}, or null. */
    @Nullable String overdue(long nowNanos, long timeoutNanos) {
        if (headersRequestedAt >= 0 && nowNanos - headersRequestedAt > timeoutNanos) {
            return "headers";
        }
        for (Map.Entry<BlockHash, Long> e : blocksInFlight.entrySet()) {
            if (nowNanos - e.getValue() > timeoutNanos) {
                return "block " + e.getKey().shortHex();
            }
        }
        return null;
    }

    /** The connection ended: its claimed downloads go to other peers. */
    void release() {
        for (BlockHash h : blocksInFlight.keySet()) {
            sync.release(h, handler);
        }
        blocksInFlight.clear();
    }

    private @Nullable BlockHash better(@Nullable BlockHash current, BlockHash candidate) {
        if (current == null) {
            return candidate;
        }
        BigInteger a = ledger.chainWork(current);
        BigInteger b = ledger.chainWork(candidate);
        if (a == null) {
            return candidate;
        }
        return b != null && b.compareTo(a) > 0 ? candidate : current;
    }

    void onHeaders(Headers h) throws Misbehaviour {
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

    List<BlockHeader> decodeConsecutive(List<ByteString> list) throws Misbehaviour {
        List<BlockHeader> headers = new ArrayList<>(list.size());
        for (ByteString b : list) {
            BlockHeader x = LedgerSyncHandler.header(b);
            if (!headers.isEmpty()
                    && !x.previous().equals(headers.get(headers.size() - 1).hash())) {
                throw new Misbehaviour("headers not consecutive");
            }
            headers.add(x);
            handler.peerKnowsBlocks.add(x.hash());
        }
        return headers;
    }

    void processHeaders(List<BlockHeader> headers, boolean more) {
        handler.onLedgerThread(
                ledger.submitHeaders(headers),
                outcome -> {
                    InvalidBlockException error = outcome.error();
                    if (error != null) {
                        if (error.reason() == RejectReason.UNKNOWN_PARENT) {
                            if (++unconnectedHeaders > sync.settings().maxUnconnectedHeaders()) {
                                handler.misbehave(
                                        "headers that connect to nothing, "
                                                + unconnectedHeaders
                                                + " times");
                                return;
                            }
                            requestHeaders(ledger.locator());
                        } else if (!error.reason().temporary()) {
                            handler.misbehave("invalid header: " + error.getMessage());
                            return;
                        }
                    }
                    if (outcome.last() != null) {
                        peerBest = better(peerBest, outcome.last().hash());
                        if (more && error == null) {
                            requestHeaders(ledger.locatorOf(outcome.last().hash()));
                        }
                    }
                    requestBlocks();
                });
    }

    void requestHeaders(List<BlockHash> locator) {
        if (headersRequestedAt >= 0 || handler.isClosed()) {
            return;
        }
        GetHeaders.Builder g = GetHeaders.newBuilder().setMaxCount(MAX_HEADERS);
        for (BlockHash h : locator) {
            g.addLocator(ByteString.copyFrom(h.toBytes()));
        }
        headersRequestedAt = System.nanoTime();
        handler.send(LedgerMessage.newBuilder().setGetHeaders(g));
    }

    /** Requests the next blocks toward the peer's best header, if it has more work than our tip. */
    void requestBlocks() {
        if (handler.isClosed() || peerBest == null || computingDownloads) {
            return;
        }
        int room = sync.settings().maxBlocksInFlight() - blocksInFlight.size();
        if (room <= 0) {
            return;
        }
        BlockHash target = peerBest;
        Set<BlockHash> exclude = sync.claimedByOthers(handler);
        exclude.addAll(blocksInFlight.keySet());
        computingDownloads = true;
        handler.onLedgerThread(
                ledger.missingBlocks(target, room, exclude),
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
                        if (!blocksInFlight.containsKey(h) && sync.claim(h, handler)) {
                            blocksInFlight.put(h, now);
                            g.addHashes(ByteString.copyFrom(h.toBytes()));
                        }
                    }
                    if (g.getHashesCount() > 0) {
                        handler.send(LedgerMessage.newBuilder().setGetBlocks(g));
                    }
                },
                () -> computingDownloads = false);
    }

    void onBlocks(Blocks b) throws Misbehaviour {
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
            sync.release(h, handler);
            handler.peerKnowsBlocks.add(h);
            blocks.add(data);
        }
        handler.onLedgerThread(
                ledger.submitBlocks(blocks),
                results -> {
                    boolean orphan = false;
                    int connected = 0;
                    for (BlockResult r : results) {
                        if (r.status() == BlockResult.Status.CONNECTED) {
                            connected++;
                        }
                        if (r.misbehaving()) {
                            handler.misbehave(
                                    "invalid block "
                                            + (r.hash() == null ? "?" : r.hash().shortHex())
                                            + ": "
                                            + r.message());
                            return;
                        }
                        if (r.status() == BlockResult.Status.ORPHAN) {
                            orphan = true;
                        }
                        if (r.reason() == RejectReason.TIME_TOO_NEW) {
                            // Not valid yet: stop following this peer's branch until it announces
                            // again, instead of fetching the same block in a loop.
                            peerBest = null;
                            log.info(
                                    "{}: block {} is too far in the future for now",
                                    handler.channel(),
                                    r.hash().shortHex());
                            return;
                        }
                    }
                    if (connected > 0) {
                        for (SyncListener l : sync.listeners()) {
                            try {
                                l.onBlocksConnected(handler.peer(), connected);
                            } catch (RuntimeException e) {
                                log.warn("sync listener failed", e);
                            }
                        }
                    }
                    if (orphan) {
                        requestHeaders(ledger.locator());
                    }
                    handler.checkCaughtUp();
                    requestBlocks();
                    sync.wakeDownloads();
                });
    }
}
