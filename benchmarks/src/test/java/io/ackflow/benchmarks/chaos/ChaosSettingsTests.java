package io.ackflow.benchmarks.chaos;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.ackflow.benchmarks.chaos.ChaosSettings.Fault;
import io.ackflow.benchmarks.chaos.ChaosSettings.FaultKind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class ChaosSettingsTests {

    @Test
    void durationsAreWrittenWithAUnit() {
        assertThat(ChaosSettings.duration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(ChaosSettings.duration("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(ChaosSettings.duration("20m")).isEqualTo(Duration.ofMinutes(20));
        assertThat(ChaosSettings.duration("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(ChaosSettings.duration("PT2M")).isEqualTo(Duration.ofMinutes(2));
        assertThatIllegalArgumentException().isThrownBy(() -> ChaosSettings.duration("20x")).withMessageContaining("20x");
    }

    @Test
    void theShortScheduleHasEveryKindOfFaultInsideTheProducePhase() {
        List<Fault> faults = settings(null).faults();
        assertThat(faults).extracting(Fault::kind).containsExactly(FaultKind.KILL_CONSUMER, FaultKind.STALL,
                FaultKind.STOP_CONSUMER, FaultKind.KILL_BROKER, FaultKind.KILL_CONSUMER);
        assertThat(faults).extracting(Fault::at).isSorted().allSatisfy((at) -> assertThat(at).isLessThan(Duration.ofSeconds(60)));
    }

    @Test
    void thePeriodicScheduleCyclesThroughTheFaultsAndEndsHalfAPeriodBeforeTheProducePhase() {
        List<Fault> faults = settings(Duration.ofSeconds(10)).faults();
        assertThat(faults).hasSize(5);
        assertThat(faults).extracting(Fault::at).containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(20),
                Duration.ofSeconds(30), Duration.ofSeconds(40), Duration.ofSeconds(50));
        assertThat(faults).extracting(Fault::kind).containsExactly(FaultKind.KILL_CONSUMER, FaultKind.STOP_CONSUMER,
                FaultKind.STALL, FaultKind.KILL_CONSUMER, FaultKind.STOP_CONSUMER);
        assertThat(settings(Duration.ofSeconds(5)).faults()).extracting(Fault::kind).contains(FaultKind.KILL_BROKER);
    }

    private static ChaosSettings settings(Duration faultEvery) {
        return new ChaosSettings(100_000, 1_000, 6, 3, Duration.ofSeconds(60), 0.01, 0.02, faultEvery, Duration.ofSeconds(4),
                Duration.ofSeconds(2), Duration.ofMinutes(3), "classic", 1, Path.of("target", "chaos-test"));
    }

}
