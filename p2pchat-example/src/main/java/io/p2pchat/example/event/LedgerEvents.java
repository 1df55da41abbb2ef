package io.p2pchat.example.event;

import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.LedgerListener;
import io.p2pchat.ledger.model.TipChangeEvent;
import io.p2pchat.proto.Block;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A {@code block} event ({@link Event.Form#DETAIL}) for each block the best chain gains: height,
 * hash, transactions, time. Registered on the ledger, it is called on the ledger thread and only
 * asks the ledger for the block (answered later, on that thread) before it publishes; it never
 * blocks.
 */
public final class LedgerEvents implements LedgerListener {
    /** The most blocks of one tip change reported one by one (a long sync reports its tip). */
    static final int MAX_BLOCKS_PER_CHANGE = 20;

    private final Ledger ledger;
    private final EventSink out;

    /** Blocks of {@code ledger} published to {@code out}. */
    public LedgerEvents(Ledger ledger, EventSink out) {
        this.ledger = ledger;
        this.out = out;
    }

    @Override
    public void onTipChanged(TipChangeEvent event) {
        // The blocks the best chain gained end at the new tip, oldest first.
        long tip = event.newTip().height();
        int count = Math.min(event.connected().size(), MAX_BLOCKS_PER_CHANGE);
        for (long height = tip - count + 1; height <= tip; height++) {
            ledger.headerAt(height).ifPresent(h -> fields(ledger, h).thenAccept(this::publish));
        }
    }

    private void publish(Map<String, Object> fields) {
        out.publish(
                new Event(
                        "block",
                        "block #" + fields.get("height") + " " + fields.get("hash"),
                        fields,
                        Event.Form.DETAIL));
    }

    /**
     * What the page shows of a block: {@code height}, {@code hash}, {@code transactions} (-1 if the
     * block is not stored), {@code time_ms}, {@code work} (expected hashes, ⌊2^256 / (target + 1)⌋,
     * as a decimal string). Completes on the ledger thread.
     */
    public static CompletableFuture<Map<String, Object>> fields(Ledger ledger, BlockHeader h) {
        return ledger.block(h.hash())
                .handle(
                        (block, error) -> {
                            Map<String, Object> m = new LinkedHashMap<>();
                            m.put("height", h.height());
                            m.put("hash", h.hash().toHex());
                            m.put("transactions", transactions(error == null ? block : null));
                            m.put("time_ms", h.timestampMillis());
                            m.put("work", h.work().toString());
                            return m;
                        });
    }

    private static int transactions(Optional<byte[]> block) {
        if (block == null || block.isEmpty()) {
            return -1;
        }
        try {
            return Block.parseFrom(block.get()).getTransactionsCount();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return -1;
        }
    }
}
