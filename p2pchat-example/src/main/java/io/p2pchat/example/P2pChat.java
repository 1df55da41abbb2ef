package io.p2pchat.example;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.io.PrintWriter;
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
 * <p>Errors are explained in one line; {@code --verbose} adds stack traces and debug logs.
 */
@Command(
        name = "p2pchat",
        mixinStandardHelpOptions = true,
        version = "p2pchat 0.1.0",
        description = "Secure peer-to-peer chat with a certificate authority that nobody runs.",
        subcommands = {InitCommand.class, CommandLine.HelpCommand.class})
public final class P2pChat implements Callable<Integer> {
    @Option(
            names = {"-v", "--verbose"},
            scope = CommandLine.ScopeType.INHERIT,
            description = "Show debug logs and stack traces.")
    void verbose(boolean on) {
        verbose = on;
        Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(on ? Level.INFO : Level.ERROR);
        ((Logger) LoggerFactory.getLogger("io.p2pchat")).setLevel(on ? Level.DEBUG : Level.ERROR);
    }

    static boolean verbose;

    @Override
    public Integer call() {
        CommandLine.usage(this, System.out);
        return 0;
    }

    /** Builds the command line with p2pchat's error handling. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new P2pChat());
        cl.setExecutionExceptionHandler(
                (ex, commandLine, parseResult) -> {
                    PrintWriter err = commandLine.getErr();
                    if (ex instanceof UserError) {
                        err.println("error: " + ex.getMessage());
                        if (verbose && ex.getCause() != null) {
                            ex.getCause().printStackTrace(err);
                        }
                        err.flush();
                        return ((UserError) ex).exitCode();
                    }
                    err.println("error: " + ex);
                    if (verbose) {
                        ex.printStackTrace(err);
                    } else {
                        err.println("(run with --verbose for details)");
                    }
                    err.flush();
                    return 2;
                });
        return cl;
    }

    /** Entry point. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
