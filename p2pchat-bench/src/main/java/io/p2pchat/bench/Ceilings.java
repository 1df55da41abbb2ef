package io.p2pchat.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/** Runs the JMH benchmarks through JMH's API and records their figures. */
final class Ceilings {
    private Ceilings() {}

    static void run(BenchProfile profile, Results results) throws RunnerException {
        ChainedOptionsBuilder b =
                new OptionsBuilder()
                        .include(CryptoBenchmarks.class.getName() + "\\.")
                        .forks(profile.jmhForks())
                        .warmupIterations(profile.jmhWarmupIterations())
                        .warmupTime(TimeValue.milliseconds(profile.jmhIterationMillis()))
                        .measurementIterations(profile.jmhMeasureIterations())
                        .measurementTime(TimeValue.milliseconds(profile.jmhIterationMillis()))
                        .threads(1)
                        .shouldFailOnError(true)
                        .verbosity(VerboseMode.SILENT);
        if (profile != BenchProfile.QUICK) {
            // --quick keeps its three minutes for the figures the issue names: the record-layer
            // costs are in the full run.
            b.include(RecordBenchmarks.class.getName() + "\\.");
        }
        if (profile.jmhForks() > 0) {
            b.jvmArgs(forkJvmArgs());
        }
        Collection<RunResult> runs = new Runner(b.build()).run();
        for (RunResult run : runs) {
            String bench = run.getParams().getBenchmark();
            String method = bench.substring(bench.lastIndexOf('.') + 1);
            double opsPerSecond = run.getPrimaryResult().getScore();
            if (bench.startsWith(CryptoBenchmarks.class.getName())) {
                crypto(method, opsPerSecond, results);
            } else {
                int size = Integer.parseInt(run.getParams().getParam("size"));
                String kind = method.replace("Direct", "_direct");
                if (size == 64) {
                    results.put("record_" + kind + "_64b_ns", 1e9 / opsPerSecond);
                } else {
                    results.put("record_" + kind + "_16k_mbps", opsPerSecond * size / 1e6);
                }
            }
        }
    }

    private static void crypto(String method, double ops, Results r) {
        switch (method) {
            case "aes128GcmSeal16k":
                r.put("ceiling_aes128gcm_seal_16k_mbps", ops * CryptoBenchmarks.AES_SIZE / 1e6);
                break;
            case "aes128GcmOpen16k":
                r.put("ceiling_aes128gcm_open_16k_mbps", ops * CryptoBenchmarks.AES_SIZE / 1e6);
                break;
            case "aes128GcmSeal16kDirect":
                r.put(
                        "ceiling_aes128gcm_seal_16k_direct_mbps",
                        ops * CryptoBenchmarks.AES_SIZE / 1e6);
                break;
            case "rsa3072PssSign":
                r.put("ceiling_rsa3072_sign_per_s", ops);
                break;
            case "rsa3072PssVerify":
                r.put("ceiling_rsa3072_verify_per_s", ops);
                break;
            case "x25519AgreeBc":
                r.put("ceiling_x25519_bc_per_s", ops);
                break;
            case "x25519AgreeJdk":
                r.put("ceiling_x25519_jdk_per_s", ops);
                break;
            case "x25519KeygenBc":
                r.put("ceiling_x25519_keygen_bc_per_s", ops);
                break;
            case "mlkem768Keygen":
                r.put("ceiling_mlkem768_keygen_per_s", ops);
                break;
            case "mlkem768Encaps":
                r.put("ceiling_mlkem768_encaps_per_s", ops);
                break;
            case "mlkem768Decaps":
                r.put("ceiling_mlkem768_decaps_per_s", ops);
                break;
            default:
                r.put("ceiling_" + method + "_per_s", ops);
        }
    }

    /** The harness's JVM flags, less profilers and agents, for JMH's forked JVMs. */
    private static String[] forkJvmArgs() {
        List<String> args = new ArrayList<>();
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-XX:StartFlightRecording")
                    && !a.startsWith("-XX:FlightRecorderOptions")
                    && !a.startsWith("-agentpath")
                    && !a.startsWith("-javaagent")) {
                args.add(a);
            }
        }
        return args.toArray(new String[0]);
    }
}
