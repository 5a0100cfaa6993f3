package io.iacrunner.server.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * How the server's packages may depend on each other (docs/architecture.md has the map). Production code only: a
 * test may reach across packages as it likes.
 */
@AnalyzeClasses(packages = "io.iacrunner.server", importOptions = ImportOption.DoNotIncludeTests.class)
class ServerArchitectureTest {
    /**
     * Features are layered, never circular: a package can be understood, tested and changed knowing only those below
     * it. A cycle is reported with every dependency that closes it.
     */
    @ArchTest
    static final ArchRule packagesAreFreeOfCycles = slices().matching("io.iacrunner.server.(*)..")
            .as("the server's packages")
            .should()
            .beFreeOfCycles();

    /** IacServer, the composition root, wires every package together; none may use it back. */
    @ArchTest
    static final ArchRule nothingDependsOnTheCompositionRoot = noClasses()
            .that()
            .resideInAPackage("io.iacrunner.server..")
            .and()
            .resideOutsideOfPackage("io.iacrunner.server")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("io.iacrunner.server");

    /** Every package throws ApiProblem, so it stands on nothing of the server: else every package would need all. */
    @ArchTest
    static final ArchRule problemsStandOnNothingOfTheServer = classes()
            .that()
            .resideInAPackage("io.iacrunner.server.problems..")
            .should()
            .onlyDependOnClassesThat()
            .resideInAnyPackage("io.iacrunner.server.problems..", "io.iacrunner.protocol..", "java..");
}
