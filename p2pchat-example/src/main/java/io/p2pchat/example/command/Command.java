package io.p2pchat.example.command;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A command a person gives the node, from any view: the console parses it from a line ({@link
 * CommandParser}), a web page may build it directly. {@link CommandExecutor} runs it and reports
 * the outcome as events.
 */
public sealed interface Command {
    /** The command's canonical name, as typed on the console ({@code /connect}). */
    String verb();

    /** A text for the current conversation (a line without a leading slash). */
    record Say(String text) implements Command {
        /** Checks the text. */
        public Say {
            Objects.requireNonNull(text, "text");
        }

        @Override
        public String verb() {
            return "say";
        }
    }

    /** Open a secure channel to a name, a peer id or {@code HOST:PORT}. */
    record Connect(String target) implements Command {
        @Override
        public String verb() {
            return "/connect";
        }
    }

    /** Send {@code text} to {@code target} (and make it the current conversation). */
    record Msg(String target, String text) implements Command {
        @Override
        public String verb() {
            return "/msg";
        }
    }

    /** The connected peers and their sessions. */
    record Peers() implements Command {
        @Override
        public String verb() {
            return "/peers";
        }
    }

    /** The fingerprints to compare with {@code target}. */
    record Fingerprint(String target) implements Command {
        @Override
        public String verb() {
            return "/fingerprint";
        }
    }

    /** Change the session's keys with {@code target} now: a key update, or a fresh rekey. */
    record Rotate(String target, boolean rekey) implements Command {
        @Override
        public String verb() {
            return "/rotate";
        }
    }

    /** The last {@code count} messages with {@code target} (null: the current conversation). */
    record History(@Nullable String target, int count) implements Command {
        /** The default number of messages shown. */
        public static final int DEFAULT_COUNT = 20;

        @Override
        public String verb() {
            return "/history";
        }
    }

    /** An identity on the ledger; {@code json}: the JSON object whatever the console's mode. */
    record Whois(String target, boolean json) implements Command {
        @Override
        public String verb() {
            return "/whois";
        }
    }

    /** Mark {@code target} verified (after comparing fingerprints). */
    record Verify(String target) implements Command {
        @Override
        public String verb() {
            return "/verify";
        }
    }

    /** Accept a name that now means another identity, or a verified contact's new key. */
    record Accept(String target) implements Command {
        @Override
        public String verb() {
            return "/accept";
        }
    }

    /**
     * This node's identity: {@code action} is empty or {@code show}, {@code rotate}, {@code
     * revoke}, {@code address} or {@code name}, with its {@code args}.
     */
    record Identity(String action, List<String> args, boolean json) implements Command {
        /** Copies the arguments. */
        public Identity {
            args = List.copyOf(args);
        }

        @Override
        public String verb() {
            return "/identity";
        }
    }

    /** The ledger's status; {@code json}: the JSON object whatever the console's mode. */
    record Ledger(boolean json) implements Command {
        @Override
        public String verb() {
            return "/ledger";
        }
    }

    /** The command list. */
    record Help() implements Command {
        @Override
        public String verb() {
            return "/help";
        }
    }

    /** Leave. */
    record Quit() implements Command {
        @Override
        public String verb() {
            return "/quit";
        }
    }
}
