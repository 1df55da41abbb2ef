package io.p2pchat.example.command;

import static io.p2pchat.example.text.TerminalText.escape;

import io.p2pchat.example.event.EventSink;
import io.p2pchat.example.node.ChatNode;
import io.p2pchat.example.node.HostPort;
import io.p2pchat.example.node.IdentityLifecycle;
import io.p2pchat.example.text.Program;
import io.p2pchat.example.text.UserError;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.ledger.Ledger;
import io.p2pchat.ledger.model.IdentityRecord;
import io.p2pchat.ledger.model.RegisteredAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The {@code /identity} commands of the console: show this node's identity, rotate its key, revoke
 * it, change its registered addresses, claim a name. Each works for a person (a terminal: prompts),
 * a script (plain lines; the passphrase re-read from {@code --passphrase-file} or {@code
 * P2PCHAT_PASSPHRASE}, {@code --yes} instead of typing the name) and a program ({@code --json}: one
 * JSON object per event).
 *
 * <pre>
 * /identity [--json]                      this node's identity
 * /identity rotate [--key-bits N]         a new key, signed over by the old one
 * /identity revoke [--yes]                revoke for good (then the node stops)
 * /identity address HOST:PORT ...         replace the registered addresses
 * /identity name NAME                     claim a name (identity registered without one)
 * </pre>
 */
public final class IdentityCommands {
    static final String USAGE =
            "usage: /identity [--json] | rotate [--key-bits N] | revoke [--yes] | address"
                    + " HOST:PORT ... | name NAME";

    private final ChatNode chatNode;
    private final EventSink out;
    private final IdentityLifecycle lifecycle;
    private final Supplier<char[]> scriptPassphrase;

    /**
     * @param scriptPassphrase reads the passphrase again outside a terminal ({@code
     *     --passphrase-file}, else {@code P2PCHAT_PASSPHRASE}); throws a {@link UserError} when
     *     there is none
     */
    public IdentityCommands(
            ChatNode chatNode,
            EventSink out,
            IdentityLifecycle lifecycle,
            Supplier<char[]> scriptPassphrase) {
        this.chatNode = chatNode;
        this.out = out;
        this.lifecycle = lifecycle;
        this.scriptPassphrase = scriptPassphrase;
    }

    /**
     * Runs {@code /identity ...}.
     *
     * @param reader asks the person (a passphrase, a confirmation), or null outside a terminal
     * @return false when the node must stop (the identity was revoked)
     */
    boolean run(Command.Identity command, @Nullable Prompter reader) throws InterruptedException {
        List<String> words = new ArrayList<>(command.args());
        boolean json = command.json();
        try {
            switch (command.action()) {
                case "", "show" -> show(json);
                case "rotate" -> rotate(words, reader);
                case "revoke" -> {
                    return revoke(words, reader);
                }
                case "address", "addresses" -> address(words);
                case "name" -> name(words);
                default -> out.error(USAGE);
            }
        } catch (UserError e) {
            out.error(e.getMessage());
        }
        return true;
    }

    private void show(boolean json) {
        LocalIdentity key = chatNode.identity();
        Ledger ledger = chatNode.ledger();
        IdentityRecord rec = lifecycle.record();
        int k = ledger.parameters().confirmations();
        String state = state(ledger, rec);
        long conf =
                rec == null || rec.revoked()
                        ? 0
                        : ledger.confirmations(rec.currentKeyRecord().block());
        String pending = lifecycle.pendingRotation().map(n -> n.peerId().toHex()).orElse(null);
        Map<String, Object> m = new LinkedHashMap<>();
        {
            m.put("identity_id", lifecycle.identityId().toHex());
            m.put("key_id", key.peerId().toHex());
            m.put("key_bits", key.keyBits());
            m.put("name", rec == null ? null : rec.displayName().orElse(null));
            m.put("state", state);
            m.put("rotation_pending_key_id", pending);
            if (rec != null) {
                m.put("registered_at_height", rec.registeredAtHeight());
                m.put("key_height", rec.currentKeyRecord().height());
                m.put("confirmations", conf);
                m.put("required_confirmations", k);
                m.put("keys", rec.keyHistory().size());
                if (rec.revoked()) {
                    m.put("revoked_at_height", rec.revokedAtHeight().getAsLong());
                }
                List<String> addresses = new ArrayList<>();
                for (RegisteredAddress a : rec.addresses()) {
                    addresses.add(a.hostAndPort());
                }
                m.put("addresses", addresses);
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append("identity:     ")
                .append(lifecycle.identityId().toHex())
                .append('\n')
                .append("key:          ")
                .append(key.peerId().shortId())
                .append(", RSA ")
                .append(key.keyBits())
                .append(" bits")
                .append(pending == null ? "" : " (rotation to " + pending.substring(0, 16) + "…")
                .append(pending == null ? "" : " under way)")
                .append('\n');
        if (rec == null) {
            sb.append("state:        not registered yet");
            out.record("identity", sb.toString(), m, json);
            return;
        }
        sb.append("name:         ")
                .append(rec.displayName().map(n -> "'" + escape(n) + "'").orElse("(none)"))
                .append('\n');
        sb.append("addresses:    ");
        List<String> addresses = new ArrayList<>();
        for (RegisteredAddress a : rec.addresses()) {
            addresses.add(escape(a.hostAndPort()));
        }
        sb.append(addresses.isEmpty() ? "none" : String.join(", ", addresses)).append('\n');
        sb.append("registered:   block #").append(rec.registeredAtHeight()).append('\n');
        sb.append("current key:  block #")
                .append(rec.currentKeyRecord().height())
                .append(", ")
                .append(conf)
                .append("/")
                .append(k)
                .append(" confirmations, ")
                .append(rec.keyHistory().size())
                .append(rec.keyHistory().size() == 1 ? " key so far" : " keys so far")
                .append('\n');
        sb.append("state:        ")
                .append(
                        rec.revoked()
                                ? "REVOKED at block #" + rec.revokedAtHeight().getAsLong()
                                : state);
        out.record("identity", sb.toString(), m, json);
    }

    private void rotate(List<String> words, @Nullable Prompter reader) throws InterruptedException {
        int bits = 0;
        if (words.size() == 2 && words.get(0).equals("--key-bits")) {
            if (!words.get(1).matches("[0-9]{1,5}")) {
                throw new UserError("--key-bits is 2048, 3072 or 4096.");
            }
            bits = Integer.parseInt(words.get(1));
        } else if (!words.isEmpty()) {
            throw new UserError("usage: /identity rotate [--key-bits 2048|3072|4096]");
        }
        char[] passphrase =
                passphrase(reader, "Passphrase of this identity (to save the new key): ");
        lifecycle.rotate(bits, passphrase, report());
    }

    private boolean revoke(List<String> words, @Nullable Prompter reader)
            throws InterruptedException {
        boolean yes = words.remove("--yes");
        if (!words.isEmpty()) {
            throw new UserError("usage: /identity revoke [--yes]");
        }
        IdentityRecord rec = lifecycle.record();
        if (rec == null) {
            throw new UserError(
                    "This identity is not on the ledger yet: there is nothing to revoke.");
        }
        String expected = rec.displayName().orElse(rec.id().shortId());
        if (!yes) {
            if (reader == null) {
                throw new UserError("Revoking is for good: add --yes to confirm it from a script.");
            }
            out.info(
                    "Revoking makes this identity unusable for good: peers refuse its key, its name"
                            + " stays taken, and this home stops working.");
            String typed = reader.readLine("Type " + expected + " to revoke it: ", false);
            if (typed == null || !typed.strip().equals(expected)) {
                out.info("not revoked: the name typed did not match");
                return true;
            }
        }
        IdentityLifecycle.Report report = report();
        long height = lifecycle.revoke(report);
        chatNode.node().peers().forEach(p -> p.close());
        report.event(
                "revoked",
                "identity '"
                        + escape(expected)
                        + "' revoked at block #"
                        + height
                        + ": peers refuse its key for good; its connections are closed and this"
                        + " node stops. To chat again, create a new identity in another home: "
                        + Program.command()
                        + " init --home NEWDIR --name NAME",
                "identity_id",
                rec.id().toHex(),
                "height",
                height,
                "next",
                "p2pchat init --home NEWDIR --name NAME");
        return false;
    }

    private void address(List<String> words) throws InterruptedException {
        List<HostPort> addresses = new ArrayList<>();
        for (String w : words) {
            addresses.add(HostPort.parse("/identity address", w));
        }
        lifecycle.updateAddresses(addresses, report());
    }

    private void name(List<String> words) throws InterruptedException {
        if (words.size() != 1) {
            throw new UserError("usage: /identity name NAME");
        }
        lifecycle.claimName(words.get(0), report());
    }

    /**
     * The state of an identity on {@code ledger}: {@code unregistered} (null), {@code revoked},
     * {@code confirming} or {@code active}.
     */
    public static String state(Ledger ledger, @Nullable IdentityRecord rec) {
        if (rec == null) {
            return "unregistered";
        }
        if (rec.revoked()) {
            return "revoked";
        }
        long conf = ledger.confirmations(rec.currentKeyRecord().block());
        return conf >= ledger.parameters().confirmations() ? "active" : "confirming";
    }

    private char[] passphrase(@Nullable Prompter reader, String prompt) {
        if (reader == null) {
            return scriptPassphrase.get();
        }
        String typed = reader.readLine(prompt, true);
        if (typed == null || typed.isEmpty()) {
            throw new UserError("No passphrase given: nothing was changed.");
        }
        return typed.toCharArray();
    }

    private IdentityLifecycle.Report report() {
        return new LifecycleEvents(out, false);
    }
}
