package io.p2pchat.example.node;

import io.p2pchat.example.event.EventSink;
import io.p2pchat.example.text.Words;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.node.NodePeer;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** How a node leaves: it waits, bounded, for the messages it sent to be acknowledged. */
public final class Departure {
    private Departure() {}

    /**
     * Waits (at most 10 s) for queued messages to be acknowledged before leaving.
     *
     * @return how many are still not acknowledged
     */
    public static int awaitDelivery(ChatNode chatNode, EventSink out) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        boolean told = false;
        int pending = pending(chatNode);
        while (pending > 0 && System.nanoTime() < deadline) {
            if (!told) {
                out.info(
                        "waiting up to 10 s for "
                                + Words.count(pending, "message")
                                + " to be delivered before leaving...");
                told = true;
            }
            Thread.sleep(100);
            pending = pending(chatNode);
        }
        return pending;
    }

    /**
     * On {@code /quit}: waits (at most 10 s) only for the acknowledgements that connected peers
     * still owe (a message they received a moment ago), not for peers that are away.
     *
     * @return how many sent messages are still not acknowledged
     */
    public static int awaitAcknowledgements(ChatNode chatNode) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && owedByConnectedPeers(chatNode) > 0) {
            Thread.sleep(50);
        }
        return pending(chatNode);
    }

    private static int owedByConnectedPeers(ChatNode chatNode) throws InterruptedException {
        int owed = 0;
        for (NodePeer p : chatNode.node().peers()) {
            Optional<IdentityRecord> rec = p.identity();
            if (rec.isPresent()) {
                try {
                    owed += chatNode.chat().pending(rec.get().id()).get(5, TimeUnit.SECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    // unknown: not waited for
                }
            }
        }
        return owed;
    }

    /** How many sent messages are not acknowledged yet (unknown counts as none). */
    private static int pending(ChatNode chatNode) throws InterruptedException {
        try {
            return chatNode.chat().totalPending().get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return 0;
        }
    }
}
