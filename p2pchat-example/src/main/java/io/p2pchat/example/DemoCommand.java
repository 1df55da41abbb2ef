package io.p2pchat.example;

import io.p2pchat.example.demo.Demo;
import io.p2pchat.example.text.UserError;
import io.p2pchat.identity.RsaKeySizes;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code p2pchat demo}: a whole network on this machine, every step shown. */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Run three peers (alice, bob, carol) and a fresh ledger on 127.0.0.1 in this process,"
                    + " and show each step as it happens: connect, fetch keys from the ledger,"
                    + " authenticate, agree keys, encrypted messages, key rotations.",
            "Needs no setup; exits 0 when every check passed."
        })
final class DemoCommand implements Callable<Integer> {
    @ParentCommand P2pChat parent;

    @Option(names = "--keep", description = "Keep the working directory (ledgers, histories).")
    boolean keep;

    @Option(
            names = "--key-bits",
            defaultValue = "3072",
            description = "RSA identity key size: 2048, 3072 or 4096 (default ${DEFAULT-VALUE}).")
    int keyBits;

    @Option(
            names = "--ui",
            description =
                    "Also serve a web page for each person on 127.0.0.1 (the URLs are printed);"
                            + " after the summary the demo runs until Enter or Ctrl-D.")
    boolean ui;

    @Override
    public Integer call() throws Exception {
        if (!RsaKeySizes.isAllowed(keyBits)) {
            throw UserError.usage("--key-bits must be " + RsaKeySizes.describe() + ".");
        }
        return new Demo(parent.out(), keep, keyBits, ui ? parent.in() : null).run();
    }
}
