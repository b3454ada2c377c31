package io.tern.mqtt;

import io.tern.core.storage.MessageLog;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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

    /** A durable log whose every barrier waits until the test completes it: a slow store. */
    static final class HeldCommits {
        /** One per barrier asked for, in order. */
        final List<CompletableFuture<Void>> commits = new ArrayList<>();
        final MessageLog log = withBarriers(() -> {
            CompletableFuture<Void> commit = new CompletableFuture<>();
            commits.add(commit);
            return commit;
        });

        void completeAll() {
            commits.forEach(commit -> commit.complete(null));
        }
    }
}
