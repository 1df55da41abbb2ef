package io.p2pchat.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts the whole harness with tiny durations ({@link BenchProfile#SMOKE}) and checks that the
 * JSON holds every required key, and a number for every figure that can be measured now. The
 * figures themselves are meaningless at these durations; no benchmark is judged here.
 */
class BenchSmokeTest {
    @Test
    @Timeout(180)
    void harness_withSmokeProfile_writesJsonWithEveryKey(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        Results results =
                BenchMain.run(
                        BenchProfile.SMOKE,
                        new LinkedHashSet<>(BenchMain.SECTIONS),
                        new PrintStream(progress, true, StandardCharsets.UTF_8));
        Path json = dir.resolve("bench.json");
        results.writeJson(json);
        String text = Files.readString(json);

        assertThat(text.trim()).startsWith("{").endsWith("}");
        for (String key : BenchMain.REQUIRED_KEYS) {
            assertThat(text).as("key %s", key).contains("\"" + key + "\":");
        }
        for (String key : BenchMain.REQUIRED_KEYS) {
            assertThat(results.get(key)).as(key).isPositive();
        }
        assertThat(results.get("ledger_reopen_snapshot_height")).isPositive();
        assertThat(results.get("ledger_reopen_100k_identities_rebuild_s")).isPositive();
        assertThat(results.asMap().get("handshake_verifier").toString()).startsWith("ledger CA");
        assertThat(results.get("handshake_failures")).isZero();
        assertThat(Table.render(results)).contains("bulk 16 KiB MB/s", "handshakes/s 2 clients");
    }
}
