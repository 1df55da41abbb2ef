package io.p2pchat.example.demo;

import com.google.protobuf.ByteString;
import io.p2pchat.channel.KeyRotatedEvent;
import io.p2pchat.example.text.Words;
import io.p2pchat.node.NodePeer;
import io.p2pchat.proto.ChatMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Parts 5 and 6 of the demo: encrypted messages as an eavesdropper sees them on the wire, then the
 * key rotations (ratchets, a key update, a rekey) as they happen.
 */
final class Messages {
    private static final int RATCHET_RECORDS = Demo.RATCHET_RECORDS;

    private final Narrator n;
    private final List<Person> people;
    private int messages; // sent so far

    Messages(Narrator n, List<Person> people) {
        this.n = n;
        this.people = people;
    }

    /** How many messages were sent. */
    int count() {
        return messages;
    }

    private Person person(String name) {
        return Person.named(people, name);
    }

    // ------------------------------------------------------------------ 5. messages

    void messages() throws Exception {
        n.section("5. Encrypted messages");
        n.say(
                "Each message is stored in the sender's encrypted history, sent as a record of the"
                        + " secure channel, stored by the receiver, and acknowledged.");
        Person alice = person("alice");
        Person bob = person("bob");
        Person carol = person("carol");
        send(alice, carol, "Hi Carol! This goes straight to you: no server, no account.");
        send(carol, alice, "Hi Alice. And nobody else can read it.");
        send(alice, bob, "Bob, your name is on the ledger now.");
        send(bob, alice, "Since block #1. Shall we compare fingerprints?");
        send(bob, carol, "Carol, hello from bob.");
        send(carol, bob, "Hello bob: your key checked out against my ledger.");
    }

    private void send(Person from, Person to, String text) throws Exception {
        // The chat reports a connection on its own thread, after the handshake the demo awaited:
        // the taps are in place once both sides have reported it.
        from.peerOf(to);
        to.peerOf(from);
        WireTap tap = from.taps.get(to.id());
        WireTap back = to.taps.get(from.id());
        // Key changes not shown yet (the ledger's sync uses the channel too) happened before this
        // message: they are shown before its record.
        List<Object> earlier = tap.drain();
        List<Object> earlierBack = back.drain();
        long t0 = System.nanoTime();
        ChatMessage m =
                from.node
                        .chat()
                        .send(to.contact(), text)
                        .get(Narrator.WAIT.toSeconds(), TimeUnit.SECONDS);
        from.texts.add(text);
        awaitDelivered(from, m);
        ChatMessage got = to.received.poll(Narrator.WAIT.toSeconds(), TimeUnit.SECONDS);
        n.check(got != null && got.getText().equals(text), to.name + " received the message");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        messages++;
        n.say(Narrator.pad(from.name + " -> " + to.name, 16) + "\"" + text + "\"");
        showKeyChanges(from, to, earlier);
        showKeyChanges(to, from, earlierBack);
        // The message's record, and a key change right after it if it was its key's last.
        for (Object o : tap.drain()) {
            if (o instanceof WireTap.Record r && r.type() == WireTap.DATA) {
                n.say(
                        Narrator.INDENT
                                + "on the wire: "
                                + r.typeName()
                                + " record, key epoch "
                                + r.epoch()
                                + ", "
                                + r.bytes()
                                + " bytes (9-byte header in clear; ciphertext "
                                + r.head()
                                + "... and a 16-byte tag)");
            } else if (o instanceof KeyRotatedEvent e) {
                showKeyChange(from, to, e);
            }
        }
        n.say(
                Narrator.INDENT
                        + to.name
                        + " stored it (encrypted at rest) and acknowledged it ("
                        + ms
                        + " ms round trip)");
        // The acknowledgement's record may have been the last of its key.
        showKeyChanges(to, from, back.drain());
    }

    private void awaitDelivered(Person from, ChatMessage m) throws InterruptedException {
        long deadline = System.nanoTime() + Narrator.WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            ByteString id = from.delivered.poll(100, TimeUnit.MILLISECONDS);
            if (id != null && id.equals(m.getMessageId())) {
                return;
            }
        }
        n.fail();
        n.say(Narrator.INDENT + "! no acknowledgement within " + Narrator.WAIT.toSeconds() + " s");
    }

    // ------------------------------------------------------------------ 6. rotations

    void rotations(Person a, Person c) throws Exception {
        n.section("6. Key rotations");
        WireTap ac = a.taps.get(c.id());
        WireTap ca = c.taps.get(a.id());
        showKeyChanges(a, c, ac.drain());
        showKeyChanges(c, a, ca.drain());
        n.say(
                "Symmetric ratchet: in each direction, a key protects "
                        + RATCHET_RECORDS
                        + " records (every record counts: messages, acknowledgements, control"
                        + " messages); the "
                        + RATCHET_RECORDS
                        + "th is its last, then the direction moves to the next key and erases"
                        + " the old one. "
                        + a.name
                        + " sends "
                        + c.name
                        + " a burst of 8 messages:");
        List<ChatMessage> burst = new ArrayList<>();
        for (int i = 1; i <= 8; i++) {
            String text = "burst message " + i + " of 8";
            burst.add(
                    a.node.chat()
                            .send(c.contact(), text)
                            .get(Narrator.WAIT.toSeconds(), TimeUnit.SECONDS));
            a.texts.add(text);
        }
        for (ChatMessage m : burst) {
            awaitDelivered(a, m);
            ChatMessage got = c.received.poll(Narrator.WAIT.toSeconds(), TimeUnit.SECONDS);
            n.check(got != null, c.name + " received the burst");
            messages++;
        }
        List<Object> timeline = ac.drain();
        List<Long> epochs = new ArrayList<>();
        for (Object o : timeline) {
            if (o instanceof WireTap.Record r && r.type() == WireTap.DATA) {
                epochs.add(r.epoch());
            }
        }
        StringBuilder shown = new StringBuilder();
        for (int i = 0; i < epochs.size(); i++) {
            if (i > 0) {
                shown.append(epochs.get(i).equals(epochs.get(i - 1)) ? " " : " | ");
            }
            shown.append(epochs.get(i));
        }
        n.say(
                Narrator.INDENT
                        + "key epochs of the "
                        + Words.count(epochs.size(), "data record")
                        + " on the wire: "
                        + shown
                        + "  (| marks a key change)");
        for (String line : explainRatchets(timeline)) {
            n.say(Narrator.INDENT + line);
        }
        showKeyChanges(a, c, timeline);
        // carol's acknowledgements count in her direction, so it moves on too.
        showKeyChanges(c, a, ca.drain());

        n.say(
                "Key update (/rotate "
                        + c.name
                        + "): "
                        + a.name
                        + " moves her sending key forward now and asks "
                        + c.name
                        + " to do the same.");
        NodePeer acPeer = a.peerOf(c);
        acPeer.session().rotateKeys(true).await(Narrator.WAIT.toSeconds(), TimeUnit.SECONDS);
        awaitRotations(a, c, KeyRotatedEvent.Kind.KEY_UPDATE);
        showKeyChanges(a, c, ac.drain());
        showKeyChanges(c, a, ca.drain());

        n.say(
                "Rekey (/rotate "
                        + c.name
                        + " --rekey): a fresh X25519 + ML-KEM-768 exchange inside the channel;"
                        + " someone who stole the current keys loses access (post-compromise"
                        + " security).");
        acPeer.session().rekey().await(Narrator.WAIT.toSeconds(), TimeUnit.SECONDS);
        awaitRotations(a, c, KeyRotatedEvent.Kind.REKEY);
        showKeyChanges(a, c, ac.drain());
        showKeyChanges(c, a, ca.drain());
        send(a, c, "Still here, under brand-new keys.");
        send(c, a, "Same conversation, same fingerprint.");
    }

    /**
     * For each ratchet in {@code timeline} (what one side wrote during the burst), which record was
     * the old key's last: the one just before the change, the {@value #RATCHET_RECORDS}th under it
     * (docs/protocol.md §8.1). Records before the burst are counted back from there.
     */
    static List<String> explainRatchets(List<Object> timeline) {
        List<String> lines = new ArrayList<>();
        int data = 0;
        int total = 0;
        for (Object o : timeline) {
            if (o instanceof WireTap.Record r && r.type() == WireTap.DATA) {
                total++;
            }
        }
        Map<Long, Integer> recordsIn = new LinkedHashMap<>();
        for (Object o : timeline) {
            if (o instanceof WireTap.Record r) {
                if (r.epoch() == 0) {
                    continue;
                }
                recordsIn.merge(r.epoch(), 1, Integer::sum);
                if (r.type() == WireTap.DATA) {
                    data++;
                }
            } else if (o instanceof KeyRotatedEvent e
                    && e.direction() == KeyRotatedEvent.Direction.OUTBOUND
                    && e.kind() == KeyRotatedEvent.Kind.RATCHET) {
                long old = e.epoch() - 1;
                int before = RATCHET_RECORDS - recordsIn.getOrDefault(old, 0);
                lines.add(
                        "epoch "
                                + old
                                + (before > 0
                                        ? " had protected "
                                                + Words.count(before, "record")
                                                + " before the burst (earlier messages and"
                                                + " acknowledgements), so burst message "
                                        : ": burst message ")
                                + data
                                + " was its "
                                + RATCHET_RECORDS
                                + "th and last record, and "
                                + (data < total
                                        ? "burst message " + (data + 1) + " the first"
                                        : "the next record is the first")
                                + " under epoch "
                                + e.epoch());
            }
        }
        return lines;
    }

    /** Waits until both sides' outbound directions report a change of {@code kind}. */
    private void awaitRotations(Person a, Person c, KeyRotatedEvent.Kind kind)
            throws InterruptedException {
        long deadline = System.nanoTime() + Narrator.WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (hasOutbound(a.taps.get(c.id()), kind) && hasOutbound(c.taps.get(a.id()), kind)) {
                return;
            }
            Thread.sleep(10);
        }
        n.fail();
        n.say(Narrator.INDENT + "! the " + kind + " did not complete on both sides");
    }

    private static boolean hasOutbound(WireTap tap, KeyRotatedEvent.Kind kind) {
        for (KeyRotatedEvent e : tap.allRotations()) {
            if (e.direction() == KeyRotatedEvent.Direction.OUTBOUND && e.kind() == kind) {
                return true;
            }
        }
        return false;
    }

    /** Prints the key changes {@code sender} made in its direction to {@code receiver}. */
    private void showKeyChanges(Person sender, Person receiver, List<Object> timeline) {
        for (Object o : timeline) {
            if (o instanceof KeyRotatedEvent e) {
                showKeyChange(sender, receiver, e);
            }
        }
    }

    private void showKeyChange(Person sender, Person receiver, KeyRotatedEvent e) {
        if (e.direction() != KeyRotatedEvent.Direction.OUTBOUND) {
            return;
        }
        String why =
                switch (e.kind()) {
                    case RATCHET ->
                            "ratchet: the old key protected its " + RATCHET_RECORDS + " records";
                    case KEY_UPDATE -> "key update";
                    case REKEY -> "rekey: fresh ephemeral exchange";
                };
        n.say(
                Narrator.INDENT
                        + "key change  "
                        + Narrator.pad(sender.name + " -> " + receiver.name, 15)
                        + "epoch "
                        + (e.epoch() - 1)
                        + " -> "
                        + e.epoch()
                        + "  ("
                        + why
                        + "; it is erased, and "
                        + receiver.name
                        + " follows in step)");
    }
}
