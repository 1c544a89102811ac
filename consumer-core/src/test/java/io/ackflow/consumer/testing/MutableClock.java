package io.ackflow.consumer.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that moves only when a test moves it, for engines built with
 * {@code EngineConfig.builder().clock(...)}: commit intervals, back-offs and stuck-partition
 * timeouts then pass when the test says so. It starts at 2026-01-01T00:00:00Z, in UTC.
 * <p>
 * Any thread may use it: the engine's threads read it while the test thread advances it, and
 * each {@link #advance(Duration)} is atomic and seen by every later read.
 */
public final class MutableClock extends Clock {

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));

    /** Moves the clock forward by {@code duration}. */
    public void advance(Duration duration) {
        this.now.updateAndGet((instant) -> instant.plus(duration));
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return this.now.get();
    }

}
