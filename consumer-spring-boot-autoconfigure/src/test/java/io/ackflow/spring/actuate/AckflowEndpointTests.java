package io.ackflow.spring.actuate;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import io.ackflow.spring.AckflowOperations;
import io.ackflow.spring.StreamListenerRegistry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

/** The endpoint's write operation, which the application must allow: what each call asks of the consumers. */
class AckflowEndpointTests {

    private final AckflowOperations operations = mock(AckflowOperations.class);

    private final AckflowEndpoint endpoint = new AckflowEndpoint(mock(StreamListenerRegistry.class), this.operations);

    @Test
    void pausesOnePartitionOrAWholeTopic() throws Exception {
        when(this.operations.pause(List.of(new TopicPartition("orders", 3)))).thenReturn(CompletableFuture.completedFuture(null));
        when(this.operations.pause("orders")).thenReturn(CompletableFuture.completedFuture(null));
        assertThat(this.endpoint.changeFetching("pause", "orders", 3))
            .isEqualTo(Map.of("action", "pause", "topic", "orders", "partition", 3));
        assertThat(this.endpoint.changeFetching("pause", "orders", null)).isEqualTo(Map.of("action", "pause", "topic", "orders"));
        verify(this.operations).pause(List.of(new TopicPartition("orders", 3)));
        verify(this.operations).pause("orders");
    }

    @Test
    void resumesWhatWasPaused() throws Exception {
        when(this.operations.resume("orders")).thenReturn(CompletableFuture.completedFuture(null));
        this.endpoint.changeFetching("resume", "orders", null);
        verify(this.operations).resume("orders");
    }

    @Test
    void anUnknownActionIsRefusedNamingTheOnesThereAre() {
        assertThatIllegalArgumentException().isThrownBy(() -> this.endpoint.changeFetching("seek", "orders", 1))
            .withMessage("Unknown action 'seek': use pause or resume");
        verifyNoInteractions(this.operations);
    }

}
