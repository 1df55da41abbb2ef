package io.p2pchat.example.demo;

import io.p2pchat.channel.KeyRotatedEvent;
import io.p2pchat.example.text.Words;
import io.p2pchat.ledger.Ledger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The demo's summary: handshake times, messages, keys, and the checks that both sides agree
 * (fingerprints, ledgers, encrypted histories).
 */
final class DemoSummary {
    private final Narrator n;
    private final List<Person> people;
    private final Map<String, Long> handshakeMillis;
    private final int messages;
    private final Path dir;
    private final long started;

    DemoSummary(
            Narrator n,
            List<Person> people,
            Map<String, Long> handshakeMillis,
            int messages,
            Path dir,
            long started) {
        this.n = n;
        this.people = people;
        this.handshakeMillis = handshakeMillis;
        this.messages = messages;
        this.dir = dir;
        this.started = started;
    }

    private Person person(String name) {
        return Person.named(people, name);
    }

    // ------------------------------------------------------------------ summary

    void summary() throws Exception {
        n.section("Summary");
        List<String> hs = new ArrayList<>();
        handshakeMillis.forEach((k, v) -> hs.add(k + " " + v + " ms"));
        n.say(Narrator.pad("handshakes", 22) + String.join(", ", hs));
        long sent = 0;
        long delivered = 0;
        long received = 0;
        for (Person p : people) {
            sent += p.node.chat().sentCount();
            delivered += p.node.chat().deliveredCount();
            received += p.node.chat().receivedCount();
        }
        n.check(sent == messages && delivered == sent && received == sent, "no message lost");
        n.say(
                Narrator.pad("messages", 22)
                        + sent
                        + " sent, "
                        + delivered
                        + " acknowledged, "
                        + received
                        + " received: "
                        + (sent == delivered && delivered == received
                                ? "none lost, none doubled"
                                : "MISMATCH"));
        int ratchets = 0;
        int updates = 0;
        int rekeys = 0;
        for (Person p : people) {
            for (WireTap t : p.taps.values()) {
                for (KeyRotatedEvent e : t.allRotations()) {
                    if (e.direction() != KeyRotatedEvent.Direction.OUTBOUND) {
                        continue;
                    }
                    switch (e.kind()) {
                        case RATCHET -> ratchets++;
                        case KEY_UPDATE -> updates++;
                        case REKEY -> rekeys++;
                    }
                }
            }
        }
        n.say(
                Narrator.pad("key changes", 22)
                        + Words.count(ratchets, "ratchet")
                        + ", "
                        + Words.count(updates, "key update")
                        + ", "
                        + Words.count(rekeys, "rekey")
                        + " (each direction counted once)");
        n.say(
                "fingerprints (compare them out of band; equal on both sides = no one in the"
                        + " middle):");
        Person[][] pairs = {
            {person("alice"), person("carol")},
            {person("alice"), person("bob")},
            {person("bob"), person("carol")}
        };
        for (Person[] pair : pairs) {
            Person x = pair[0];
            Person y = pair[1];
            String sx = x.peerOf(y).session().sessionFingerprint();
            String sy = y.peerOf(x).session().sessionFingerprint();
            String cx = x.node.chat().conversationFingerprint(y.id()).get(5, TimeUnit.SECONDS);
            String cy = y.node.chat().conversationFingerprint(x.id()).get(5, TimeUnit.SECONDS);
            n.check(sx.equals(sy), "session fingerprints " + x.name + "/" + y.name);
            n.check(cx.equals(cy), "conversation fingerprints " + x.name + "/" + y.name);
            n.say(
                    Narrator.INDENT
                            + Narrator.pad(x.name + " - " + y.name, 14)
                            + "session      "
                            + sx
                            + (sx.equals(sy) ? "  both sides: OK" : "  DIFFERENT: " + sy));
            n.say(
                    Narrator.INDENT
                            + Narrator.pad("", 14)
                            + "conversation "
                            + cx
                            + (cx.equals(cy) ? "  both sides: OK" : "  DIFFERENT: " + cy));
        }
        Ledger l = person("alice").node.ledger();
        boolean sameTip = true;
        for (Person p : people) {
            sameTip &= p.node.ledger().tip().equals(l.tip());
        }
        long verified = l.verifyFully().get(Narrator.WAIT.toSeconds(), TimeUnit.SECONDS);
        n.check(sameTip, "identical ledgers");
        n.say(
                Narrator.pad("ledger", 22)
                        + "height "
                        + l.tip().height()
                        + ", tip "
                        + l.tip().hash().toHex().substring(0, 16)
                        + "..., "
                        + (sameTip ? "identical on all three nodes" : "DIFFERENT tips")
                        + "; re-verified from genesis ("
                        + verified
                        + " blocks, every signature): OK");
        boolean clean = true;
        int files = 0;
        for (Person p : people) {
            try (var s = Files.list(dir.resolve(p.name).resolve("history"))) {
                for (Path f : s.filter(f -> f.toString().endsWith(".log")).toList()) {
                    files++;
                    String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                    for (Person q : people) {
                        for (String t : q.texts) {
                            clean &= !content.contains(t);
                        }
                    }
                }
            }
        }
        n.check(clean, "histories encrypted");
        n.say(
                Narrator.pad("histories", 22)
                        + files
                        + " files on disk, AES-256-GCM encrypted: "
                        + (clean ? "no message text in them: OK" : "PLAINTEXT FOUND"));
        n.say(
                Narrator.pad("total", 22)
                        + Narrator.seconds(System.nanoTime() - started)
                        + (n.ok() ? ", every check passed." : ", SOME CHECKS FAILED."));
        n.say("");
        String cmd = System.getProperty("p2pchat.command", "p2pchat");
        n.say(
                "Next: chat between two terminals with "
                        + cmd
                        + " init and "
                        + cmd
                        + " node (README.md, \"Chat between two terminals\").");
    }
}
