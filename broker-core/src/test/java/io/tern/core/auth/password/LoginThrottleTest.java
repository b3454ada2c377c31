package io.tern.core.auth.password;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class LoginThrottleTest {

    @Test
    void failuresDoubleTheDelayOfTheirAddressOnlyUntilQuietOrSuccess() {
        AtomicLong now = new AtomicLong(1_000_000);
        LoginThrottle throttle = new LoginThrottle(now::get);
        assertThat(throttle.delayMillis("10.0.0.1")).isZero();
        throttle.failed("10.0.0.1");
        assertThat(throttle.delayMillis("10.0.0.1")).isEqualTo(100);
        throttle.failed("10.0.0.1");
        throttle.failed("10.0.0.1");
        assertThat(throttle.delayMillis("10.0.0.1")).isEqualTo(400);
        assertThat(throttle.delayMillis("10.0.0.2")).isZero();
        for (int i = 0; i < 30; i++) {
            throttle.failed("10.0.0.1");
        }
        assertThat(throttle.delayMillis("10.0.0.1")).isEqualTo(LoginThrottle.MAX_DELAY_MILLIS);
        now.addAndGet(LoginThrottle.FORGET_AFTER_MILLIS + 1);
        assertThat(throttle.delayMillis("10.0.0.1")).isZero();
        throttle.failed("10.0.0.3");
        throttle.succeeded("10.0.0.3");
        assertThat(throttle.delayMillis("10.0.0.3")).isZero();
    }
}
