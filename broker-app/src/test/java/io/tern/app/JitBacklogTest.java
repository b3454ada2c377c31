package io.tern.app;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class JitBacklogTest {

    @Test
    void countsC2CompilesUnderWayAndQueuedButNotC1Ones() {
        String queue = """
                Current compiles:\s
                C2 CompilerThread0  1298       4       java.util.HashMap::putVal (300 bytes)
                C1 CompilerThread0  1359       2       javax.management.StandardMBean::equal (23 bytes)

                C1 compile queue:
                1360       3       java.lang.String::length (11 bytes)

                C2 compile queue:
                1246       4       jdk.internal.org.objectweb.asm.Symbol::<init> (38 bytes)
                1264       4       java.lang.String::<init> (15 bytes)

                """;
        assertThat(JitBacklog.countC2Tasks(queue)).isEqualTo(3);
    }

    @Test
    void anIdleCompilerHasNoBacklog() {
        String queue = """
                Current compiles:\s

                C1 compile queue:
                Empty

                C2 compile queue:
                Empty

                """;
        assertThat(JitBacklog.countC2Tasks(queue)).isZero();
    }

    @Test
    void readsThisJvmsQueueAndWaitsNoLongerThanTheDeadline() throws InterruptedException {
        assertThat(JitBacklog.c2Tasks()).isNotNegative();
        long start = System.nanoTime();
        JitBacklog.awaitBelow(0, start); // never satisfied: only the deadline ends it
        assertThat(System.nanoTime() - start).isLessThan(5_000_000_000L);
    }
}
