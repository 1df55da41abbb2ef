package io.p2pchat.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.lang.ArchRule;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * p2pchat-core's architecture (docs/architecture.md): no package cycle, the layers crypto, util,
 * identity, channel, verify read bottom-up (and nothing of the ledger or the node), exported
 * signatures name exported types only, and the public API is the one architecture.md lists.
 */
class CoreArchitectureTest {
    static final Set<String> EXPORTED =
            Set.of("io.p2pchat.channel", "io.p2pchat.identity", "io.p2pchat.verify");

    /** Bottom-up; proto is the module below. */
    static final ArchitectureRules.Layers LAYERS =
            new ArchitectureRules.Layers(
                    "io.p2pchat",
                    List.of(
                            "io.p2pchat.crypto",
                            "io.p2pchat.util",
                            "io.p2pchat.identity",
                            "io.p2pchat.channel",
                            "io.p2pchat.verify"),
                    EXPORTED,
                    Set.of("io.p2pchat.proto"));

    private static final JavaClasses CLASSES =
            ArchitectureRules.importMain(LAYERS.order().toArray(String[]::new));

    @Test
    void importsTheWholeModule() {
        assertThat(CLASSES.containPackage("io.p2pchat.channel")).isTrue();
        assertThat(CLASSES.size()).isGreaterThan(100);
    }

    @Test
    void noPackageCycle() {
        ArchitectureRules.noCycles("io.p2pchat").check(CLASSES);
    }

    @Test
    void layersReadBottomUp() {
        for (ArchRule rule : ArchitectureRules.layering(LAYERS)) {
            rule.check(CLASSES);
        }
    }

    @Test
    void exportedSignaturesNameOnlyExportedTypes() {
        Set<String> visible = new java.util.TreeSet<>(EXPORTED);
        visible.add("io.p2pchat.proto");
        ArchitectureRules.exportedSignaturesUseExportedTypes(LAYERS, visible).check(CLASSES);
    }

    @Test
    void publicApiIsTheOneArchitectureMdLists() throws Exception {
        assertThat(ArchitectureRules.publicTypes(CLASSES, EXPORTED))
                .isEqualTo(
                        ArchitectureRules.documentedApi(
                                Path.of("..", "docs", "architecture.md"), "p2pchat-core"));
    }
}
