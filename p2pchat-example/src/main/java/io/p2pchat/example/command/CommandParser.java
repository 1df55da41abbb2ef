package io.p2pchat.example.command;

import io.p2pchat.example.command.CommandSyntaxException.Reason;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Parses a console line into a {@link Command}: {@code /whois bob --json}, {@code /identity
 * rotate}, or a plain text for the current conversation. Only the syntax is checked here (names are
 * looked up when the command runs), so that every view rejects a malformed command with the same
 * words. Stateless and thread-safe.
 */
public final class CommandParser {
    /** The command names the console completes. */
    public static final List<String> VERBS =
            List.of(
                    "/connect",
                    "/msg",
                    "/peers",
                    "/fingerprint",
                    "/rotate",
                    "/history",
                    "/whois",
                    "/verify",
                    "/accept",
                    "/identity",
                    "/ledger",
                    "/help",
                    "/quit");

    /**
     * The command on {@code line}.
     *
     * @return empty for a blank line or a comment ({@code #...})
     * @throws CommandSyntaxException for an unknown command or malformed arguments
     */
    public Optional<Command> parse(String line) throws CommandSyntaxException {
        String trimmed = line.strip();
        if (trimmed.isEmpty() || trimmed.startsWith("#")) {
            return Optional.empty();
        }
        if (!trimmed.startsWith("/")) {
            return Optional.of(new Command.Say(trimmed));
        }
        String[] parts = trimmed.split("\\s+", 2);
        String verb = parts[0].toLowerCase(Locale.ROOT);
        String args = parts.length > 1 ? parts[1].strip() : "";
        return Optional.of(
                switch (verb) {
                    case "/quit", "/exit", "/q" -> new Command.Quit();
                    case "/help", "/?" -> new Command.Help();
                    case "/connect", "/c" ->
                            new Command.Connect(
                                    required(args, "usage: /connect <name|peer-id|host:port>"));
                    case "/msg", "/m" -> msg(args);
                    case "/peers" -> new Command.Peers();
                    case "/fingerprint", "/fp" ->
                            new Command.Fingerprint(
                                    required(args, "usage: /fingerprint <name|peer-id>"));
                    case "/rotate" -> rotate(args);
                    case "/history" -> history(args);
                    case "/whois" -> whois(args);
                    case "/verify" ->
                            new Command.Verify(required(args, "usage: /verify <name|peer-id>"));
                    case "/accept" ->
                            new Command.Accept(required(args, "usage: /accept <name|peer-id>"));
                    case "/identity", "/id" -> identity(args);
                    case "/ledger" -> new Command.Ledger(args.contains("--json"));
                    default ->
                            throw new CommandSyntaxException(
                                    Reason.UNKNOWN_COMMAND,
                                    "unknown command " + verb + ": /help lists them");
                });
    }

    private static String required(String args, String usage) throws CommandSyntaxException {
        if (args.isEmpty()) {
            throw new CommandSyntaxException(Reason.USAGE, usage);
        }
        return args;
    }

    private static Command msg(String args) throws CommandSyntaxException {
        String[] parts = args.split("\\s+", 2);
        if (parts.length < 2 || parts[1].isBlank()) {
            throw new CommandSyntaxException(Reason.USAGE, "usage: /msg <name|peer-id> <text>");
        }
        return new Command.Msg(parts[0], parts[1].strip());
    }

    private static Command rotate(String args) throws CommandSyntaxException {
        boolean rekey = false;
        String target = null;
        for (String p : args.split("\\s+")) {
            if (p.equals("--rekey")) {
                rekey = true;
            } else if (!p.isEmpty()) {
                target = p;
            }
        }
        if (target == null) {
            throw new CommandSyntaxException(
                    Reason.USAGE, "usage: /rotate <name|peer-id> [--rekey]");
        }
        return new Command.Rotate(target, rekey);
    }

    private static Command history(String args) throws CommandSyntaxException {
        String usage = "usage: /history [name|peer-id] [n] (default: the current conversation)";
        String[] parts = args.isEmpty() ? new String[0] : args.split("\\s+");
        // "/history", "/history 50", "/history bob", "/history bob 50".
        @Nullable String target = null;
        @Nullable String count = null;
        if (parts.length == 1 && parts[0].matches("[0-9]{1,9}")) {
            count = parts[0];
        } else if (parts.length >= 1) {
            target = parts[0];
            count = parts.length > 1 ? parts[1] : null;
        }
        if (parts.length > 2) {
            throw new CommandSyntaxException(Reason.USAGE, usage);
        }
        int n = Command.History.DEFAULT_COUNT;
        if (count != null) {
            try {
                n = Math.max(1, Integer.parseInt(count));
            } catch (NumberFormatException e) {
                throw new CommandSyntaxException(Reason.USAGE, usage);
            }
        }
        return new Command.History(target, n);
    }

    private static Command whois(String args) throws CommandSyntaxException {
        boolean json = args.endsWith("--json");
        String target = json ? args.substring(0, args.length() - 6).strip() : args;
        return new Command.Whois(required(target, "usage: /whois <name|peer-id> [--json]"), json);
    }

    private static Command identity(String args) {
        List<String> words = new ArrayList<>(Arrays.asList(args.strip().split("\\s+")));
        words.removeIf(String::isEmpty);
        boolean json = words.remove("--json");
        String action = words.isEmpty() ? "" : words.remove(0).toLowerCase(Locale.ROOT);
        return new Command.Identity(action, words, json);
    }
}
