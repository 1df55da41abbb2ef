package io.p2pchat.example.command;

import static io.p2pchat.example.text.TerminalText.escape;

import io.p2pchat.example.chat.ChatService;
import io.p2pchat.example.node.ChatNode;
import io.p2pchat.example.text.Explain;
import io.p2pchat.ledger.model.IdentityRecord;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * What the commands share: the identity a name, an id or an address means on the ledger, how the
 * person knows it, and a bounded wait for the chat's answers. Stateless apart from the node;
 * thread-safe.
 */
final class Targets {
    /** The longest a command waits for the node or the chat. */
    static final long COMMAND_TIMEOUT_SECONDS = 20;

    private final ChatNode chatNode;

    Targets(ChatNode chatNode) {
        this.chatNode = chatNode;
    }

    /**
     * When {@code target} is a name the person knows another identity by than {@code rec}, the one
     * the ledger gives it to now: the chat publishes the loud notice, and the command stops here.
     */
    void requireSameIdentity(String target, IdentityRecord rec, String refused)
            throws CommandError, InterruptedException {
        String name = addressedName(target, rec);
        if (name == null) {
            return; // an identity id: the person chose the identity itself
        }
        if (await(chatNode.chat().checkName(name, rec)).isPresent()) {
            throw new CommandError(
                    refused
                            + " '"
                            + name
                            + "': on your ledger it is now another identity than the "
                            + name
                            + " you knew (see above); /accept "
                            + name
                            + " to talk to the new one");
        }
    }

    /** The name {@code target} addressed {@code rec} by, or null when it gave an id. */
    static @Nullable String addressedName(String target, IdentityRecord rec) {
        String s = target.strip();
        if (s.startsWith("@")) {
            s = s.substring(1);
        }
        String lower = s.toLowerCase(Locale.ROOT);
        return rec.displayName().filter(lower::equals).orElse(null);
    }

    IdentityRecord lookup(String target) throws CommandError {
        Optional<IdentityRecord> rec = chatNode.resolve(target);
        if (rec.isPresent()) {
            return rec.get();
        }
        String s = target.strip();
        if (s.toLowerCase(Locale.ROOT).replace(" ", "").matches("[0-9a-f]{64}")) {
            throw new CommandError(
                    "No identity with peer id "
                            + s
                            + " on your ledger (height "
                            + chatNode.ledger().tip().height()
                            + "): it is not registered, or your ledger is not synced yet");
        }
        throw new CommandError(
                "Unknown name '"
                        + s
                        + "': no identity with that name on your ledger (height "
                        + chatNode.ledger().tip().height()
                        + "). A name appears once its registration is mined and revealed; check"
                        + " the spelling, or use a peer id or HOST:PORT");
    }

    /**
     * How the person knows {@code rec} ({@link ChatService#contact}): its name, marked when it is a
     * name they know another identity by, or its short id.
     */
    String label(IdentityRecord rec) {
        return chatNode.chat().contact(rec).name();
    }

    /** {@link #label} for a line people read. */
    String shown(IdentityRecord rec) {
        return escape(label(rec));
    }

    static <T> T await(CompletableFuture<T> f) throws CommandError, InterruptedException {
        try {
            return f.get(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new CommandError(Explain.unwrap(e).getMessage());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new CommandError("no answer within " + COMMAND_TIMEOUT_SECONDS + " s");
        }
    }

    /** Parses "host:port" (IPv6 in brackets); null when {@code s} is not an address. */
    public static InetSocketAddress parseAddress(String s) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            return null;
        }
        String host = s.substring(0, colon);
        String port = s.substring(colon + 1);
        if (!port.matches("[0-9]{1,5}")) {
            return null;
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            return null;
        }
        int p = Integer.parseInt(port);
        if (p < 1 || p > 65535) {
            return null;
        }
        return new InetSocketAddress(host, p);
    }
}
