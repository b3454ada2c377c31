package io.tern.mqtt;

import io.tern.core.storage.MessageLog;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** Message logs for tests: durable, keeping nothing, with barriers of the test's making. */
final class DurableLogs {
    private DurableLogs() {
    }

    static MessageLog withBarriers(Supplier<CompletionStage<Void>> barrier) {
        return new MessageLog.Discarding() {
            @Override
            public boolean isDurable() {
                return true;
            }

            @Override
            public CompletionStage<Void> barrier() {
                return barrier.get();
            }
        };
    }
}
