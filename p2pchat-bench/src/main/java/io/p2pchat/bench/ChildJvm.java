package io.p2pchat.bench;

import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/** Command lines of the harness's child JVMs: this JVM's {@code java} and class path. */
final class ChildJvm {
    private ChildJvm() {}

    /**
     * {@code java [jvmOptions] -cp <this class path> main args...}, with the workaround for the C2
     * AVX-512 partial-inlining issue of this JDK that every JVM of the suite runs with
     * (docs/ledger.md §14, "Known JVM issue").
     */
    static List<String> command(List<String> jvmOptions, Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:+IgnoreUnrecognizedVMOptions");
        cmd.add("-XX:+UnlockDiagnosticVMOptions");
        cmd.add("-XX:ArrayOperationPartialInlineSize=0");
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }
}
