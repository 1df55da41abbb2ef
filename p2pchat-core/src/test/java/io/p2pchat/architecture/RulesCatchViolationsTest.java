package io.p2pchat.architecture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each architecture rule fails on code that breaks it: the deliberately broken fixture in {@code
 * io.p2pchat.architecture.fixture}, and a wrong API list. Without these the module tests could pass
 * because a rule checks nothing.
 */
class RulesCatchViolationsTest {
    private static final String ROOT = "io.p2pchat.architecture.fixture";
    private static final String LOW = ROOT + ".low";
    private static final String HIGH = ROOT + ".high";
    private static final String HIDDEN = ROOT + ".hidden";
    private static final JavaClasses FIXTURE = new ClassFileImporter().importPackages(ROOT);
    private static final ArchitectureRules.Layers LAYERS =
            new ArchitectureRules.Layers(ROOT, List.of(HIDDEN, LOW, HIGH), Set.of(HIGH), Set.of());

    @Test
    void noCycles_failsOnTheFixtureCycle() {
        EvaluationResult r = ArchitectureRules.noCycles(ROOT).evaluate(FIXTURE);
        assertThat(r.hasViolation()).isTrue();
        assertThat(r.getFailureReport().toString())
                .contains("Cycle detected")
                .contains("Low")
                .contains("High");
    }

    @Test
    void layering_failsWhenALowerLayerUsesAnUpperOne() {
        List<ArchRule> rules = ArchitectureRules.layering(LAYERS);
        assertThat(rules.get(0).evaluate(FIXTURE).hasViolation())
                .as("hidden uses nothing")
                .isFalse();
        EvaluationResult low = rules.get(1).evaluate(FIXTURE);
        assertThat(low.hasViolation()).isTrue();
        assertThat(low.getFailureReport().toString()).contains("Low.up()").contains("High.value()");
        assertThat(rules.get(2).evaluate(FIXTURE).hasViolation()).as("high may use low").isFalse();
    }

    @Test
    void exposure_failsOnPublicSignaturesNamingAHiddenType_only() {
        EvaluationResult r =
                ArchitectureRules.exportedSignaturesUseExportedTypes(LAYERS, Set.of(HIGH))
                        .evaluate(FIXTURE);
        String report = r.getFailureReport().toString();
        assertThat(report)
                .contains("LeakyApi.<init>(" + HIDDEN + ".Hidden) exposes")
                .contains("LeakyApi.listed() exposes " + HIDDEN + ".Hidden")
                .contains("LeakyApi.field exposes " + HIDDEN + ".Hidden")
                .contains("LeakyApi.engine() exposes " + HIGH + ".PackagePrivate")
                .doesNotContain("allowed()")
                .doesNotContain("High.");
        assertThat(r.getFailureReport().getDetails()).hasSize(4);
    }

    @Test
    void documentedApi_isComparedExactly_andItsCountsAreChecked(@TempDir Path dir)
            throws Exception {
        Path md = dir.resolve("architecture.md");
        Files.writeString(
                md,
                "## Public API\n\n### fixture\n\n- `"
                        + HIGH
                        + "` (2): High, LeakyApi\n\n### other\n\n"
                        + "- `"
                        + LOW
                        + "` (1): Low\n");
        assertThat(ArchitectureRules.documentedApi(md, "fixture"))
                .isEqualTo(ArchitectureRules.publicTypes(FIXTURE, Set.of(HIGH)));
        Files.writeString(md, "### fixture\n\n- `" + HIGH + "` (2): High\n");
        assertThatThrownBy(() -> ArchitectureRules.documentedApi(md, "fixture"))
                .hasMessageContaining("lists 1 types but says 2");
        Files.writeString(md, "### fixture\n\n- `" + HIGH + "` (1): High\n");
        assertThat(ArchitectureRules.documentedApi(md, "fixture"))
                .isNotEqualTo(ArchitectureRules.publicTypes(FIXTURE, Set.of(HIGH)));
    }
}
