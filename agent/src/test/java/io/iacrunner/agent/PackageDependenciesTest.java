package io.iacrunner.agent;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The agent's packages are layers: {@code util} at the bottom; {@code sandbox} and {@code logs} on it; {@code terraform}
 * on those; the agent itself ({@code io.iacrunner.agent}: registration, loops, task runs) on top. A package may use the
 * ones below it, never one above, so there is no cycle to untangle and each package can be read on its own.
 */
class PackageDependenciesTest {
    private static final JavaClasses AGENT = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.iacrunner.agent");

    @Test
    void theAgentsPackagesHaveNoCycles() {
        slices().matching("io.iacrunner.agent.(*)..").should().beFreeOfCycles().check(AGENT);
    }

    @Test
    void noPackageBelowTheAgentReachesUpIntoIt() {
        noClasses()
                .that()
                .resideInAPackage("io.iacrunner.agent.*..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("io.iacrunner.agent")
                .check(AGENT);
    }

    @Test
    void theAgentNeverDependsOnTheServer() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAPackage("io.iacrunner.server..")
                .check(AGENT);
    }
}
