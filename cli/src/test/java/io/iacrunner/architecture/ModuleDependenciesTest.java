package io.iacrunner.architecture;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * How the modules may depend on each other, checked on their classes rather than left to the poms: a dependency added
 * to a pom (or a class put in the wrong module) fails here. cli's tests see every module, main and test code alike;
 * cli itself may use them all. Each module's classes are its package's: {@code io.iacrunner.protocol..}, {@code
 * io.iacrunner.server..}, {@code io.iacrunner.agent..}.
 */
@AnalyzeClasses(packages = "io.iacrunner")
class ModuleDependenciesTest {
    /** The wire protocol is what server, agent and CLI share: it can know none of them. */
    @ArchTest
    static final ArchRule protocolUsesNoOtherModule = classes()
            .that()
            .resideInAPackage("io.iacrunner.protocol..")
            .should()
            .onlyDependOnClassesThat(resideInAPackage("io.iacrunner.protocol..")
                    .or(resideOutsideOfPackage("io.iacrunner.."))
                    .as("reside in protocol or outside io.iacrunner"));

    /** An agent talks to a server through the protocol only, so either can change, ship and run without the other. */
    @ArchTest
    static final ArchRule agentDoesNotUseTheServer = noClasses()
            .that()
            .resideInAPackage("io.iacrunner.agent..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("io.iacrunner.server..");

    @ArchTest
    static final ArchRule serverDoesNotUseTheAgent = noClasses()
            .that()
            .resideInAPackage("io.iacrunner.server..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("io.iacrunner.agent..");
}
