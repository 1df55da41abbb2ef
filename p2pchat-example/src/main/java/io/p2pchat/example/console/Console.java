package io.p2pchat.example.console;

import static io.p2pchat.example.text.TerminalText.escape;

import io.p2pchat.example.chat.ChatService;
import io.p2pchat.example.chat.ChatService.Contact;
import io.p2pchat.example.command.Command;
import io.p2pchat.example.command.CommandExecutor;
import io.p2pchat.example.command.CommandParser;
import io.p2pchat.example.command.CommandSyntaxException;
import io.p2pchat.example.command.IdentityCommands;
import io.p2pchat.example.command.Prompter;
import io.p2pchat.example.event.ChatEvents;
import io.p2pchat.example.event.EventSink;
import io.p2pchat.example.node.ChatNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.completer.StringsCompleter;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jspecify.annotations.Nullable;

/**
 * The node's console: reads slash commands (and plain text for the current conversation) from a
 * terminal through JLine, or line by line from a pipe, parses them ({@link CommandParser}) and has
 * the {@link CommandExecutor} run them; what they answer comes back as events, which the {@link
 * Output} shows.
 *
 * <pre>
 * /connect &lt;name|peer-id|host:port&gt;   /msg &lt;name|peer-id&gt; &lt;text&gt;   /peers
 * /fingerprint &lt;peer&gt;   /rotate &lt;peer&gt; [--rekey]   /history [peer] [n]
 * /whois &lt;name|peer-id&gt;   /verify &lt;peer&gt;   /accept &lt;peer&gt;   /ledger [--json]
 * /help   /quit
 * </pre>
 *
 * Every command answers through events, so the same commands work for a person, a shell script
 * (plain lines) and a program ({@code --json}), and a second view sees the same answers.
 *
 * <p>Threading: one thread (the caller of {@link #runInteractive} or {@link #runScripted}) reads
 * and runs the commands. After each command it waits, bounded, until the views have shown what the
 * command published, so that its answer is printed before the next prompt or before the process
 * leaves. The JLine reader is {@code volatile}: the output prints above its prompt from the bus's
 * thread.
 */
public final class Console {
    /** The most characters a command line may have: a message of the most, and its command. */
    public static final int MAX_LINE_CHARS = ChatService.MAX_TEXT_CHARS + 128;

    private static final Duration FLUSH = Duration.ofSeconds(10);

    private final ChatNode chatNode;
    private final Output view;
    private final EventSink sink;
    private final CommandParser parser = new CommandParser();
    private final CommandExecutor executor;
    private volatile @Nullable LineReader reader;

    /** A console for {@code chatNode} whose commands print on {@code out} at once. */
    public Console(ChatNode chatNode, Output out, ChatEvents events) {
        this(chatNode, out, out, events);
    }

    /**
     * A console for {@code chatNode}: its commands publish to {@code sink} (the bus), which {@code
     * view} is subscribed to.
     */
    public Console(ChatNode chatNode, Output view, EventSink sink, ChatEvents events) {
        this.chatNode = chatNode;
        this.view = view;
        this.sink = sink;
        this.executor = new CommandExecutor(chatNode, sink);
        events.onIncoming(executor::incoming);
    }

    /** Enables the {@code /identity} commands. */
    public void identityCommands(IdentityCommands commands) {
        executor.identityCommands(commands);
    }

    /** Reads commands from a terminal until /quit, Ctrl-D or Ctrl-C. */
    public void runInteractive() throws IOException {
        try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
            LineReader reader =
                    LineReaderBuilder.builder()
                            .terminal(terminal)
                            .appName("p2pchat")
                            .completer(new StringsCompleter(CommandParser.VERBS))
                            .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                            .build();
            BoundedInput input = BoundedInput.install(reader, MAX_LINE_CHARS);
            view.attach(reader);
            this.reader = reader;
            try {
                while (true) {
                    String line;
                    try {
                        line = reader.readLine(prompt());
                    } catch (UserInterruptException | EndOfFileException e) {
                        break;
                    }
                    if (input.takeOverLong()) {
                        fail(tooLong());
                        continue;
                    }
                    if (!execute(line)) {
                        break;
                    }
                }
            } finally {
                flush();
                view.attach(null);
                this.reader = null;
            }
        }
    }

    /**
     * Reads commands line by line from {@code in} (a pipe or a file) until /quit or the end of the
     * input. A line longer than {@link #MAX_LINE_CHARS} is not kept in memory, nor run: it is
     * reported as an error.
     *
     * @return true if the input ended without /quit
     */
    public boolean runScripted(InputStream in) throws IOException {
        BoundedLineReader r =
                new BoundedLineReader(
                        new InputStreamReader(in, StandardCharsets.UTF_8), MAX_LINE_CHARS);
        BoundedLineReader.Line line;
        while ((line = r.next()) != null) {
            if (line.cut()) {
                fail(tooLong());
                continue;
            }
            if (!execute(line.text())) {
                return false;
            }
        }
        return true;
    }

    /** Whether a command failed (it printed an error): a script's exit status says so. */
    public boolean anyCommandFailed() {
        return executor.anyCommandFailed();
    }

    private static String tooLong() {
        return "this line is longer than "
                + MAX_LINE_CHARS
                + " characters (a message has at most "
                + ChatService.MAX_TEXT_CHARS
                + "): it was dropped, not sent; split the text into several messages";
    }

    private void fail(String text) {
        executor.fail(text);
        flush();
    }

    private String prompt() {
        Contact c = executor.current();
        return escape(chatNode.name()) + (c == null ? "" : " -> " + escape(c.name())) + "> ";
    }

    /**
     * Runs one line.
     *
     * @return false when the console should stop
     */
    public boolean execute(String line) {
        Optional<Command> command;
        try {
            command = parser.parse(line);
        } catch (CommandSyntaxException e) {
            fail(e.getMessage());
            return true;
        }
        if (command.isEmpty()) {
            return true;
        }
        boolean go = executor.execute(command.get(), prompter());
        flush();
        return go;
    }

    /** Asks through the terminal, after the views have shown what came before the question. */
    private @Nullable Prompter prompter() {
        LineReader r = reader;
        if (r == null) {
            return null;
        }
        return (prompt, secret) -> {
            flush();
            try {
                return r.readLine(prompt, secret ? Character.valueOf((char) 0) : null);
            } catch (UserInterruptException | EndOfFileException e) {
                return null;
            }
        };
    }

    private void flush() {
        try {
            sink.flush(FLUSH);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
