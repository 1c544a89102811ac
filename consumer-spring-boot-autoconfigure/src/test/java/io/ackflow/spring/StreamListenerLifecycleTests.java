package io.ackflow.spring;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.boot.LazyInitializationBeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import org.springframework.context.annotation.Scope;
import org.springframework.context.support.GenericApplicationContext;

import io.ackflow.consumer.EngineState;
import io.ackflow.consumer.Subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Which listener beans Ackflow finds, under {@code spring.main.lazy-initialization=true} too, and
 * how it refuses those it could only find after its consumers took their listeners. The context
 * never connects: {@code ackflow.auto-startup=false}, and the listeners are taken at refresh.
 */
class StreamListenerLifecycleTests {

    private static final String LATE_DESCRIPTION = "Bean 'lateHandler'"
            + " (io.ackflow.spring.StreamListenerLifecycleTests$LateHandler) has @StreamListener method"
            + " StreamListenerLifecycleTests.LateHandler.handle(String) but was created after Ackflow took the"
            + " listeners of the application, when its consumers were set up: a consumer's listeners are fixed from"
            + " then on, so these methods would never receive a record. Only singletons that exist at start-up"
            + " can hold @StreamListener methods.";

    private static final String LATE_ACTION = "Make 'lateHandler' a singleton that exists when the context starts:"
            + " remove @Lazy from it, declare its @Bean method with the listener's own class as return type (so that"
            + " spring.main.lazy-initialization=true leaves it eager), and register it before the context is"
            + " refreshed.";

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, AckflowAutoConfiguration.class))
        .withPropertyValues("spring.kafka.consumer.group-id=test-group", "ackflow.auto-startup=false");

    /** What {@code spring.main.lazy-initialization=true} makes SpringApplication add. */
    private final ApplicationContextRunner lazyRunner = this.contextRunner
        .withInitializer((context) -> context.addBeanFactoryPostProcessor(new LazyInitializationBeanFactoryPostProcessor()));

    @Test
    void lazyInitializationKeepsListenerBeansEagerAndTheRegistryBuildsTheEngine() {
        this.lazyRunner.withUserConfiguration(ListenerBeans.class).run((context) -> {
            assertThat(context).hasNotFailed();
            ConfigurableBeanFactory beanFactory = context.getBeanFactory();
            assertThat(beanFactory.getMergedBeanDefinition("streamListenerRegistry").isLazyInit())
                .as("Ackflow's own beans are lazy too").isTrue();
            assertThat(beanFactory.getMergedBeanDefinition("auditHandler").isLazyInit()).isFalse();
            assertThat(beanFactory.getMergedBeanDefinition("unrelated").isLazyInit()).isTrue();
            assertThat(beanFactory.containsSingleton("unrelated")).isFalse();
            StreamListenerRegistry registry = context.getBean(StreamListenerRegistry.class);
            assertThat(registry.getEndpoints()).extracting(StreamListenerEndpoint::id)
                .containsExactly("audit", "charge");
            assertThat(registry.getEngine().subscriptions()).extracting(Subscription::id)
                .containsExactly("audit", "charge");
        });
    }

    @Test
    void lazyInitializationStillStartsAndStopsTheRegistryWithTheContext() {
        // Nothing listens on port 1: the consumer starts and stops without ever reaching a broker.
        this.lazyRunner.withUserConfiguration(ListenerBeans.class)
            .withPropertyValues("ackflow.auto-startup=true", "spring.kafka.bootstrap-servers=localhost:1")
            .run((context) -> {
                StreamListenerRegistry registry = context.getBean(StreamListenerRegistry.class);
                assertThat(registry.isRunning()).isTrue();
                assertThat(registry.getEngine().state()).isEqualTo(EngineState.RUNNING);
                context.close();
                assertThat(registry.isRunning()).isFalse();
                assertThat(registry.getEngine().state()).isEqualTo(EngineState.STOPPED);
            });
    }

    @Test
    void lazyListenerWhoseTypeHidItsMethodsFailsWhenFetchedAfterStartup() {
        this.lazyRunner.withUserConfiguration(ListenerBeans.class, HiddenHandler.class).run((context) -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(StreamListenerRegistry.class).getEndpoints()).extracting(StreamListenerEndpoint::id)
                .containsExactly("audit", "charge");
            assertLate(context, () -> context.getBean("lateHandler"));
        });
    }

    @Test
    void listenerBeanRegisteredAfterRefreshFailsWhenCreated() {
        this.contextRunner.withUserConfiguration(ListenerBeans.class).run((context) -> {
            GenericApplicationContext source = context.getSourceApplicationContext(GenericApplicationContext.class);
            source.registerBean("lateHandler", LateHandler.class);
            assertLate(context, () -> context.getBean("lateHandler"));
            assertThat(context.getBean(StreamListenerRegistry.class).getEndpoints()).hasSize(2);
        });
    }

    @Test
    void listenerBeanCreatedDuringRefreshAfterTheListenersWereTakenFailsStartup() {
        this.contextRunner.withUserConfiguration(HiddenLateHandler.class, FetchesOnStart.class).run((context) -> {
            FailureAnalysis analysis = new AckflowFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis).isNotNull();
            assertThat(analysis.getDescription()).isEqualTo(LATE_DESCRIPTION);
            assertThat(analysis.getAction()).isEqualTo(LATE_ACTION);
        });
    }

    @Test
    void prototypeListenerFailsStartupNamingItsScope() {
        this.contextRunner.withUserConfiguration(PrototypeHandler.class).run((context) -> {
            FailureAnalysis analysis = new AckflowFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis).isNotNull();
            assertThat(analysis.getDescription()).isEqualTo("Bean 'lateHandler'"
                    + " (io.ackflow.spring.StreamListenerLifecycleTests$LateHandler) has @StreamListener method"
                    + " StreamListenerLifecycleTests.LateHandler.handle(String) but its scope is 'prototype': Ackflow"
                    + " runs each @StreamListener method on one instance for the whole life of its consumer, and a bean"
                    + " of that scope has no such instance.");
            assertThat(analysis.getAction()).isEqualTo("Make 'lateHandler' a singleton (remove its @Scope), or move its"
                    + " @StreamListener methods to a singleton bean that looks up the 'prototype' bean for each record.");
        });
    }

    @Test
    void prototypeWhoseTypeHidItsMethodsFailsWhenCreatedNamingItsScope() {
        this.contextRunner.withUserConfiguration(HiddenPrototypeHandler.class).run((context) -> {
            assertThat(context).hasNotFailed();
            assertThatExceptionOfType(BeanCreationException.class).isThrownBy(() -> context.getBean("lateHandler"))
                .havingRootCause().isInstanceOf(AckflowConfigurationException.class)
                .withMessageContaining("but its scope is 'prototype'");
        });
    }

    @Test
    void explicitlyLazyListenerFailsStartupUnlessSomethingCreatesItDuringRefresh() {
        this.contextRunner.withUserConfiguration(ExplicitlyLazyHandler.class).run((context) -> {
            FailureAnalysis analysis = new AckflowFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis).isNotNull();
            assertThat(analysis.getDescription()).isEqualTo("Bean 'lateHandler'"
                    + " (io.ackflow.spring.StreamListenerLifecycleTests$LateHandler) has @StreamListener method"
                    + " StreamListenerLifecycleTests.LateHandler.handle(String) but is lazy and was not created at"
                    + " start-up: it would be created only when something first asks for it, after Ackflow's consumers"
                    + " took their listeners, so these methods would never receive a record.");
            assertThat(analysis.getAction())
                .isEqualTo("Remove @Lazy from 'lateHandler' (or from its @Bean method or its @Configuration class).");
        });
        this.contextRunner.withUserConfiguration(ExplicitlyLazyHandler.class, DependsOnLateHandler.class)
            .run((context) -> assertThat(context.getBean(StreamListenerRegistry.class).getEndpoints())
                .extracting(StreamListenerEndpoint::id)
                .containsExactly("lateHandler.handle"));
    }

    private static void assertLate(AssertableApplicationContext context, Runnable fetch) {
        assertThatExceptionOfType(BeanCreationException.class).isThrownBy(fetch::run)
            .havingRootCause()
            .isInstanceOfSatisfying(AckflowConfigurationException.class, (refused) -> {
                assertThat(refused.getMessage()).isEqualTo(LATE_DESCRIPTION);
                assertThat(refused.getAction()).isEqualTo(LATE_ACTION);
            });
        assertThat(context.getBean(StreamListenerRegistry.class).getEndpoints()).extracting(StreamListenerEndpoint::id)
            .doesNotContain("lateHandler.handle");
    }

    /** What a handler's @Bean method may declare instead of the handler's own class. */
    interface Handler {

    }

    static class AuditHandler {

        @StreamListener(id = "audit", topics = "orders")
        void handle(String order) {
        }

    }

    static class ChargeHandler {

        @StreamListener(id = "charge", topics = "orders")
        void handle(String order) {
        }

    }

    static class LateHandler implements Handler {

        @StreamListener(topics = "orders")
        void handle(String order) {
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class ListenerBeans {

        @Bean
        AuditHandler auditHandler() {
            return new AuditHandler();
        }

        @Bean
        ChargeHandler chargeHandler() {
            return new ChargeHandler();
        }

        @Bean
        Object unrelated() {
            return new Object();
        }

    }

    /** Lazy only under spring.main.lazy-initialization=true, which cannot tell it is a listener. */
    @Configuration(proxyBeanMethods = false)
    static class HiddenHandler {

        @Bean
        Handler lateHandler() {
            return new LateHandler();
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class HiddenLateHandler {

        @Bean
        @Lazy
        Handler lateHandler() {
            return new LateHandler();
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class PrototypeHandler {

        @Bean
        @Scope(ConfigurableBeanFactory.SCOPE_PROTOTYPE)
        LateHandler lateHandler() {
            return new LateHandler();
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class HiddenPrototypeHandler {

        @Bean
        @Scope(ConfigurableBeanFactory.SCOPE_PROTOTYPE)
        Handler lateHandler() {
            return new LateHandler();
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class ExplicitlyLazyHandler {

        @Bean
        @Lazy
        LateHandler lateHandler() {
            return new LateHandler();
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class DependsOnLateHandler {

        @Bean
        String needsTheHandler(LateHandler lateHandler) {
            return "uses " + lateHandler;
        }

    }

    /** Asks for the lazy handler when the context starts its lifecycle beans, after the listeners were taken. */
    @Configuration(proxyBeanMethods = false)
    static class FetchesOnStart {

        @Bean
        SmartLifecycle fetchesOnStart(ApplicationContext context) {
            return new SmartLifecycle() {

                private boolean running;

                @Override
                public void start() {
                    context.getBean("lateHandler");
                    this.running = true;
                }

                @Override
                public void stop() {
                    this.running = false;
                }

                @Override
                public boolean isRunning() {
                    return this.running;
                }

            };
        }

    }

}
