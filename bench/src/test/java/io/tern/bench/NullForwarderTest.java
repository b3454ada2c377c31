package io.tern.bench;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The latency control carries the generator's latency scenario at QoS 0 and 1, losing nothing. No timing asserted. */
class NullForwarderTest {

    @Test
    void carriesTheLatencyScenarioAtQos0And1() throws Exception {
        try (NullForwarder forwarder = new NullForwarder(0)) {
            for (String qos : new String[] {"0", "1"}) {
                String line = LoadGenerator.run(new HashMap<>(Map.of("port", Integer.toString(forwarder.port()),
                        "scenario", "latency", "qos", qos, "rate", "500", "duration", "1")));
                assertThat(line).contains("qos=" + qos).containsPattern(" sent=[1-9]\\d* ")
                        .contains(" lost=0 ", " dup=0 ", " ooo=0 ");
            }
        }
    }
}
