package io.ackflow.spring;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.util.StringUtils;

import io.ackflow.consumer.Ordering;

/**
 * Finds {@link StreamListener} methods on beans, as spring-kafka finds {@code @KafkaListener}
 * methods: introspects each bean's target class once (classes without the annotation are
 * remembered and skipped), resolves {@code ${...}} placeholders in the topics, and hands the
 * endpoints to the {@link StreamListenerRegistry} once every singleton exists. Endpoints come in
 * the order of the beans, and within a bean in the order of the methods' names, on every JDK.
 * <p>
 * The registry builds its consumers from those endpoints, and a consumer's listeners are fixed
 * from then on. So listener beans that could only come later are refused with a start-up failure
 * that says what to change (see {@link ListenerBeanChecks}): beans of a scope other than singleton,
 * lazy singletons not created by then, and any listener bean created after the endpoints were
 * handed over, for which {@code getBean} throws. Under {@code spring.main.lazy-initialization=true}
 * listener beans stay eager ({@link StreamListenerLazyInitializationExcludeFilter}).
 * <p>
 * Threads: the container's, during context refresh; a bean created after refresh is looked at
 * (only to be refused) on the thread that creates it.
 */
public class StreamListenerAnnotationBeanPostProcessor
        implements BeanPostProcessor, BeanFactoryAware, SmartInitializingSingleton {

    private final StreamListenerMethods methods = new StreamListenerMethods();

    /** Guarded by itself, as is {@link #registered}. */
    private final List<StreamListenerEndpoint> endpoints = new ArrayList<>();

    /** Whether the endpoints went to the registry: from then on a listener bean is refused. */
    private boolean registered;

    private ConfigurableListableBeanFactory beanFactory;

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        this.beanFactory = (ConfigurableListableBeanFactory) beanFactory;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        Class<?> targetClass = AopUtils.getTargetClass(bean);
        Map<Method, StreamListener> annotated = this.methods.of(targetClass);
        if (annotated.isEmpty()) {
            return bean;
        }
        synchronized (this.endpoints) {
            ListenerBeanChecks.refuseCreatedBean(this.beanFactory, beanName, targetClass, annotated, this.registered);
            annotated.forEach((method, listener) -> this.endpoints.add(endpoint(bean, beanName,
                    AopUtils.selectInvocableMethod(method, bean.getClass()), listener)));
        }
        return bean;
    }

    @Override
    public void afterSingletonsInstantiated() {
        ListenerBeanChecks.refuseDefinitions(this.beanFactory, this.methods);
        // First, as creating it may create lazy beans: a listener among them is still taken.
        StreamListenerRegistry registry = this.beanFactory.getBean(StreamListenerRegistry.class);
        List<StreamListenerEndpoint> found;
        synchronized (this.endpoints) {
            this.registered = true;
            found = List.copyOf(this.endpoints);
        }
        registry.register(found);
    }

    private StreamListenerEndpoint endpoint(Object bean, String beanName, Method method, StreamListener listener) {
        String where = StreamListenerEndpoint.describe(method);
        String id = StringUtils.hasText(listener.id()) ? resolve(listener.id()) : beanName + "." + method.getName();
        List<String> topics = new ArrayList<>();
        for (String entry : listener.topics()) {
            for (String topic : StringUtils.commaDelimitedListToStringArray(resolve(entry))) {
                if (StringUtils.hasText(topic)) {
                    topics.add(topic.trim());
                }
            }
        }
        if (topics.isEmpty()) {
            throw new AckflowConfigurationException(where + " has no topic: its topics "
                    + Arrays.toString(listener.topics()) + " resolve to nothing.",
                    "Name at least one topic in the topics of " + where + ", or set the property its placeholder"
                            + " refers to.");
        }
        if (listener.ordering().length > 1) {
            throw new AckflowConfigurationException(where + " sets more than one ordering: "
                    + Arrays.toString(listener.ordering()) + ".",
                    "Set one ordering (PARTITION, KEY or UNORDERED) on " + where + ", or none for ackflow.ordering.");
        }
        int concurrency = listener.concurrency();
        if (concurrency != StreamListener.DEFAULT_CONCURRENCY && concurrency < 1) {
            throw new AckflowConfigurationException(where + " has concurrency " + concurrency
                    + "; concurrency must be at least 1.",
                    "Set concurrency to 1 or more on " + where + ", or leave it out for ackflow.concurrency.");
        }
        Ordering ordering = (listener.ordering().length == 1) ? listener.ordering()[0] : null;
        return new StreamListenerEndpoint(id, bean, method, topics, ordering, concurrency);
    }

    private String resolve(String value) {
        String resolved = this.beanFactory.resolveEmbeddedValue(value);
        return (resolved != null) ? resolved : "";
    }

}
