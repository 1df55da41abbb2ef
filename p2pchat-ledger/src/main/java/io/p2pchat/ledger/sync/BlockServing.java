package io.p2pchat.ledger.sync;

import static io.p2pchat.ledger.sync.LedgerSyncHandler.MAX_HEADERS;
import static io.p2pchat.ledger.sync.LedgerSyncHandler.MAX_LOCATOR;
import static io.p2pchat.ledger.sync.LedgerSyncHandler.MAX_SERVING_BLOCKS;

import com.google.protobuf.ByteString;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.sync.LedgerSyncHandler.Misbehaviour;
import io.p2pchat.proto.Block;
import io.p2pchat.proto.Blocks;
import io.p2pchat.proto.GetBlocks;
import io.p2pchat.proto.GetHeaders;
import io.p2pchat.proto.Headers;
import io.p2pchat.proto.LedgerMessage;
import io.p2pchat.proto.NotFound;
import java.util.ArrayList;
import java.util.List;

/**
 * One connection's answers to the peer's chain requests (docs/ledger.md §11.3): best-chain headers
 * after its locator, and the blocks it asks for, batched under half the message limit, with a
 * {@code NotFound} for those we do not serve. Requests are bounded: 16 blocks per message and
 * {@link LedgerSyncHandler#MAX_SERVING_BLOCKS} requested and not yet served.
 *
 * <p>Threading: confined to the channel's event loop, as its {@link LedgerSyncHandler}; blocks are
 * read on the ledger thread ({@link SyncLedger#readBlocks}).
 */
final class BlockServing {
    private final LedgerSyncHandler handler;
    private final LedgerSync sync;
    private final SyncLedger ledger;
    private int servingBlocks;

    BlockServing(LedgerSyncHandler handler, LedgerSync sync, SyncLedger ledger) {
        this.handler = handler;
        this.sync = sync;
        this.ledger = ledger;
    }

    void onGetHeaders(GetHeaders g) throws Misbehaviour {
        if (g.getLocatorCount() > MAX_LOCATOR) {
            throw new Misbehaviour("locator of " + g.getLocatorCount() + " hashes");
        }
        if (g.getMaxCount() < 1 || g.getMaxCount() > MAX_HEADERS) {
            throw new Misbehaviour("max_count " + Integer.toUnsignedString(g.getMaxCount()));
        }
        List<BlockHash> locator = new ArrayList<>();
        for (ByteString b : g.getLocatorList()) {
            locator.add(LedgerSyncHandler.hash(b, "locator hash"));
        }
        List<BlockHeader> headers = ledger.headersAfter(locator, g.getMaxCount());
        Headers.Builder out = Headers.newBuilder();
        for (BlockHeader h : headers) {
            out.addHeaders(ByteString.copyFrom(h.encodedUnsafe()));
            handler.peerKnowsBlocks.add(h.hash());
        }
        handler.send(LedgerMessage.newBuilder().setHeaders(out));
    }

    void onGetBlocks(GetBlocks g) throws Misbehaviour {
        if (g.getHashesCount() > 16) {
            throw new Misbehaviour(g.getHashesCount() + " blocks requested at once");
        }
        if (servingBlocks + g.getHashesCount() > MAX_SERVING_BLOCKS) {
            throw new Misbehaviour(
                    "more than " + MAX_SERVING_BLOCKS + " blocks requested and not yet served");
        }
        List<BlockHash> wanted = new ArrayList<>();
        for (ByteString b : g.getHashesList()) {
            wanted.add(LedgerSyncHandler.hash(b, "block hash"));
        }
        int count = wanted.size();
        servingBlocks += count;
        handler.onLedgerThread(
                ledger.readBlocks(wanted),
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
                            handler.send(LedgerMessage.newBuilder().setBlocks(batch));
                            batch = Blocks.newBuilder();
                            size = 0;
                        }
                        batch.addBlocks(b);
                        size += b.getSerializedSize();
                    }
                    if (batch.getBlocksCount() > 0) {
                        handler.send(LedgerMessage.newBuilder().setBlocks(batch));
                    }
                    if (missing.getBlockHashesCount() > 0) {
                        handler.send(LedgerMessage.newBuilder().setNotFound(missing));
                    }
                },
                () -> servingBlocks -= count);
    }
}
