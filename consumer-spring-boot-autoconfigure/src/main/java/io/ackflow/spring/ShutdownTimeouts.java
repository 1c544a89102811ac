package io.ackflow.spring;

import java.time.Duration;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;

/**
 * How long Ackflow's stop waits for handlers ({@code ackflow.shutdown-timeout}) against how long
 * Spring Boot waits for the whole shutdown phase Ackflow stops in
 * ({@code spring.lifecycle.timeout-per-shutdown-phase}, 30 s by default).
 * <p>
 * On shutdown, Spring Boot stops the lifecycle beans of a phase and waits for them up to the phase
 * timeout; when it passes, it goes on closing the application, and the JVM exits once that is done.
 * Ackflow's stop is the wait for handlers, then the final commit, then closing the consumer, so
 * the wait must end early enough for the other two to fit in the phase. Unless set, the wait is
 * the phase less {@link #MARGIN} (25 s of Spring Boot's 30 s), or half the phase when it is
 * shorter than twice the margin (5 s of 10 s, 2 s of 4 s): a commit and a close take milliseconds
 * on a healthy cluster, and a few seconds cover a slow coordinator without taking much from the
 * handlers; below 10 s, half keeps both parts in proportion. A timeout set at or above the phase
 * is logged as a WARN at start-up, not refused: a custom {@code lifecycleProcessor} bean may give
 * Ackflow's phase more time than the property says, which this class cannot see.
 * <p>
 * Threads: the container's, while the registry is created. Stateless.
 */
final class ShutdownTimeouts {

    private static final Logger logger = LoggerFactory.getLogger(StreamListenerRegistry.class);

    static final String PHASE_PROPERTY = "spring.lifecycle.timeout-per-shutdown-phase";

    /** Spring Boot's default of {@value #PHASE_PROPERTY}. */
    static final Duration DEFAULT_PHASE = Duration.ofSeconds(30);

    /** Kept out of the phase for the final commit and the consumer's close. */
    static final Duration MARGIN = Duration.ofSeconds(5);

    private ShutdownTimeouts() {
    }

    /** The phase timeout the environment sets; Spring Boot's default without one. */
    static Duration phase(@Nullable Environment environment) {
        if (!(environment instanceof ConfigurableEnvironment)) {
            return DEFAULT_PHASE;
        }
        return Binder.get(environment).bind(PHASE_PROPERTY, Duration.class).orElse(DEFAULT_PHASE);
    }

    /** The default shutdown timeout for a phase timeout: the phase less the margin, or half a short phase. */
    static Duration derive(Duration phase) {
        if (phase.isNegative() || phase.isZero()) {
            return Duration.ZERO;
        }
        return (phase.compareTo(MARGIN.multipliedBy(2)) >= 0) ? phase.minus(MARGIN) : phase.dividedBy(2);
    }

    /** {@code configured} when set, else the default {@link #derive derived} from the phase. */
    static Duration resolve(@Nullable Duration configured, Duration phase) {
        return (configured != null) ? configured : derive(phase);
    }

    /** Logs a WARN when {@code configured} does not end before the phase does. */
    static void warnIfPastThePhase(@Nullable Duration configured, Duration phase) {
        if (configured == null || configured.compareTo(phase) < 0) {
            return;
        }
        logger.warn("ackflow.shutdown-timeout ({}) is not shorter than {} ({}): if handlers run that long on"
                + " shutdown, Spring Boot stops waiting before Ackflow's final commit and goes on closing the"
                + " application, and the records acked since the last commit are read again on restart. Set"
                + " ackflow.shutdown-timeout a few seconds below {}, or remove it for the default of {}.",
                format(configured), PHASE_PROPERTY, format(phase), format(phase), format(derive(phase)));
    }

    /** As the properties are written: {@code 30s}, {@code 2500ms}. */
    static String format(Duration duration) {
        long millis = duration.toMillis();
        return (millis % 1000 == 0) ? (millis / 1000) + "s" : millis + "ms";
    }

}
