package io.ackflow.spring;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;
import org.springframework.kafka.core.KafkaAdmin;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cluster id of the observations: asked of the admin by one handler thread at a time, never
 * waited for by the others, kept once known, asked again after a failure.
 */
class ClusterIdLookupTests {

    @Test
    void oneThreadAsksTheAdminWhileOthersGoOnWithoutTheIdWhichIsKeptOnceKnown() throws Exception {
        CountDownLatch asked = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        ScriptedAdmin admin = new ScriptedAdmin(() -> {
            asked.countDown();
            await(answer);
            return "cluster-1";
        });
        ClusterIdLookup lookup = new ClusterIdLookup(admin);

        CompletableFuture<String> first = CompletableFuture.supplyAsync(lookup::get);
        assertThat(asked.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(lookup.get()).as("while the admin is being asked").isNull();
        answer.countDown();

        assertThat(first).succeedsWithin(Duration.ofSeconds(10)).isEqualTo("cluster-1");
        assertThat(lookup.get()).isEqualTo("cluster-1");
        assertThat(lookup.get()).isEqualTo("cluster-1");
        assertThat(admin.calls).as("asked once, then kept").hasValue(1);
    }

    @Test
    void anAdminThatCouldNotAnswerIsAskedAgainByTheNextObservation() {
        Deque<String> answers = new ArrayDeque<>(List.of("", "cluster-2"));
        // KafkaAdmin answers null when it cannot reach the cluster.
        ScriptedAdmin admin = new ScriptedAdmin(() -> {
            String answer = answers.poll();
            return (answer == null || answer.isEmpty()) ? null : answer;
        });
        ClusterIdLookup lookup = new ClusterIdLookup(admin);

        assertThat(lookup.get()).as("the admin could not reach the cluster").isNull();
        assertThat(lookup.get()).isEqualTo("cluster-2");
        assertThat(lookup.get()).isEqualTo("cluster-2");
        assertThat(admin.calls).hasValue(2);
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /** An admin whose cluster id comes from a script, counting the questions. */
    static final class ScriptedAdmin extends KafkaAdmin {

        private final Supplier<String> answers;

        final AtomicInteger calls = new AtomicInteger();

        ScriptedAdmin(Supplier<String> answers) {
            super(Map.of());
            this.answers = answers;
        }

        @Override
        public String clusterId() {
            this.calls.incrementAndGet();
            return this.answers.get();
        }

    }

}
