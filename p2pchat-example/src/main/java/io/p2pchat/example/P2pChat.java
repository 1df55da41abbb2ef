package io.p2pchat.example;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.p2pchat.example.text.ExitCode;
import io.p2pchat.example.text.Explain;
import io.p2pchat.example.text.Program;
import io.p2pchat.example.text.TerminalText;
import io.p2pchat.example.text.UserError;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The p2pchat command-line client: a chat program for people, and an audit tool for identities and
 * the ledger.
 *
 * <pre>
 * p2pchat demo                                   a whole network on this machine, step by step
 * p2pchat init   --home DIR --name NAME          create an identity
 * p2pchat node   --home DIR --listen HOST:PORT [--join HOST:PORT] [--genesis]
 * p2pchat ledger show|verify|whois X|proof X --home DIR [--json]
 * </pre>
 *
 * <p>Errors are explained in one line; {@code --verbose} adds stack traces and debug logs. Logs go
 * to standard error, so that standard output stays clean for scripts.
 */
@Command(
        name = "p2pchat",
        mixinStandardHelpOptions = true,
        versionProvider = P2pChat.Version.class,
        description = "Secure peer-to-peer chat with a certificate authority that nobody runs.",
        subcommands = {
            DemoCommand.class,
            InitCommand.class,
            NodeCommand.class,
            LedgerCommand.class,
            PassphraseCommand.class,
            CommandLine.HelpCommand.class
        })
public final class P2pChat implements Callable<Integer> {
    @Option(
            names = {"-v", "--verbose"},
            scope = CommandLine.ScopeType.INHERIT,
            description = "Show debug logs and stack traces.")
    void verbose(boolean on) {
        verbose = on;
        if (!on) {
            return;
        }
        Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(on ? Level.INFO : Level.ERROR);
        ((Logger) LoggerFactory.getLogger("io.p2pchat")).setLevel(on ? Level.DEBUG : Level.ERROR);
    }

    static volatile boolean verbose;

    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;

    private P2pChat(InputStream in, PrintStream out, PrintStream err) {
        this.in = in;
        this.out = out;
        this.err = err;
    }

    /** How the person started this program, for hints ("./p2pchat" from the launcher). */
    public static String command() {
        return Program.command();
    }

    /** Standard input of this run. */
    InputStream in() {
        return in;
    }

    /** Standard output of this run. */
    PrintStream out() {
        return out;
    }

    /** Standard error of this run. */
    PrintStream err() {
        return err;
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, out);
        return 0;
    }

    /** Builds the command line on the process's standard streams. */
    public static CommandLine commandLine() {
        return commandLine(System.in, System.out, System.err);
    }

    /** Builds the command line with p2pchat's error handling, on the given streams. */
    public static CommandLine commandLine(InputStream in, PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(new P2pChat(in, out, err));
        cl.setOut(new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        footers(cl);
        cl.setParameterExceptionHandler(
                (ex, args) -> {
                    // One line and where to look, not the whole usage.
                    CommandLine c = ex.getCommandLine();
                    PrintWriter e = c.getErr();
                    String name = c.getCommandSpec().qualifiedName();
                    String sub = name.contains(" ") ? name.substring(name.indexOf(' ')) : "";
                    String message = TerminalText.escape(ex.getMessage());
                    e.println(
                            "error: "
                                    + message
                                    + (message.endsWith(".") ? "" : ".")
                                    + " Run '"
                                    + command()
                                    + sub
                                    + " --help' for the options.");
                    CommandLine.UnmatchedArgumentException.printSuggestions(ex, e);
                    e.flush();
                    return ExitCode.USAGE.code();
                });
        cl.setExecutionExceptionHandler(
                (ex, commandLine, parseResult) -> {
                    PrintWriter e = commandLine.getErr();
                    Throwable t = Explain.unwrap(ex);
                    if (Interruption.happened()) {
                        // Stopped by Ctrl-C or SIGTERM: the line saying what was saved is printed;
                        // what failed because the node closed under this thread is no news.
                        return ExitCode.INTERRUPTED.code();
                    }
                    if (t instanceof UserError) {
                        // One line: the message may quote a peer's text (a network name).
                        e.println("error: " + TerminalText.escape(t.getMessage()));
                        if (verbose && t.getCause() != null) {
                            t.getCause().printStackTrace(e);
                        }
                        e.flush();
                        return ((UserError) t).exitCode().code();
                    }
                    if (t instanceof IOException) {
                        // File-system trouble no command explained more precisely.
                        e.println("error: " + Explain.fileProblem("A file operation failed", t));
                        if (verbose) {
                            t.printStackTrace(e);
                        }
                        e.flush();
                        return ExitCode.USER_ERROR.code();
                    }
                    e.println("error: " + TerminalText.escape(t.toString()));
                    if (verbose) {
                        t.printStackTrace(e);
                    } else {
                        e.println("(an internal error: run with --verbose for details)");
                    }
                    e.flush();
                    return ExitCode.INTERNAL.code();
                });
        return cl;
    }

    /** Every command's help ends with the exit codes. */
    private static void footers(CommandLine cl) {
        cl.getCommandSpec()
                .usageMessage()
                .exitCodeListHeading("%nExit codes:%n")
                .exitCodeList(ExitCode.usageList());
        cl.getCommandSpec().versionProvider(new Version());
        for (CommandLine sub : cl.getSubcommands().values()) {
            footers(sub);
        }
    }

    /** The version of this build, from the artifact (Maven fills version.properties in). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"p2pchat " + version()};
        }

        /** The artifact's version, such as {@code 0.1.0-SNAPSHOT}. */
        static String version() {
            Properties p = new Properties();
            try (InputStream in = P2pChat.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (IOException e) {
                // unknown, below
            }
            String v = p.getProperty("version", "");
            return v.isEmpty() || v.startsWith("${") ? "(unknown version)" : v;
        }
    }

    /** Entry point. */
    public static void main(String[] args) {
        Interruption.install();
        int code = commandLine().execute(args);
        System.exit(Interruption.happened() ? ExitCode.INTERRUPTED.code() : code);
    }
}
