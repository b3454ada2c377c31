package io.tern.mqtt;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LogBudgetTest {
    @Test
    void eachEventGetsItsLinesPerWindowAndTheNextWindowStartsAfresh() {
        LogBudget budget = new LogBudget(3);
        long t = 1_000;
        for (int i = 0; i < 3; i++) {
            assertThat(budget.allow("malformed_packet", t)).isTrue();
        }
        assertThat(budget.allow("malformed_packet", t + 5)).isFalse();
        assertThat(budget.allow("connect_refused", t + 5)).isTrue(); // budgets are per event
        assertThat(budget.allow("malformed_packet", t + LogBudget.WINDOW_NANOS - 1)).isFalse();
        assertThat(budget.allow("malformed_packet", t + LogBudget.WINDOW_NANOS)).isTrue();
    }
}
