package io.ackflow.spring;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.StringUtils;

import io.ackflow.consumer.Ordering;

/**
 * Finds {@link StreamListener} methods on beans, as spring-kafka finds {@code @KafkaListener}
 * methods: introspects each bean's target class once (classes without the annotation are
 * remembered and skipped), resolves {@code ${...}} placeholders in the topics, and hands the
 * endpoints to the {@link StreamListenerRegistry} once every singleton exists. Endpoints come in
 * the order of the beans, and within a bean in the order of the methods' names, on every JDK.
 * <p>
 * Threads: the container's, during context refresh.
 */
public class StreamListenerAnnotationBeanPostProcessor
        implements BeanPostProcessor, BeanFactoryAware, SmartInitializingSingleton {

    /** By name, then by the whole signature for overloads. */
    private static final Comparator<Method> METHOD_ORDER = Comparator.comparing(Method::getName)
        .thenComparing(Method::toGenericString);

    private final Set<Class<?>> classesWithout = ConcurrentHashMap.newKeySet();

    private final List<StreamListenerEndpoint> endpoints = new ArrayList<>();

    private ConfigurableBeanFactory beanFactory;

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        this.beanFactory = (ConfigurableBeanFactory) beanFactory;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        Class<?> targetClass = AopUtils.getTargetClass(bean);
        if (this.classesWithout.contains(targetClass)) {
            return bean;
        }
        Map<Method, StreamListener> annotated = MethodIntrospector.selectMethods(targetClass,
                (MethodIntrospector.MetadataLookup<StreamListener>) (method) -> AnnotatedElementUtils
                    .findMergedAnnotation(method, StreamListener.class));
        if (annotated.isEmpty()) {
            this.classesWithout.add(targetClass);
            return bean;
        }
        // In a stable order: reflection lists methods in an order that differs between JDKs, and
        // the order is the engine's order of subscriptions and of start-up checks.
        annotated.entrySet().stream().sorted(Map.Entry.comparingByKey(METHOD_ORDER)).forEach((entry) -> {
            Method invocable = AopUtils.selectInvocableMethod(entry.getKey(), bean.getClass());
            synchronized (this.endpoints) {
                this.endpoints.add(endpoint(bean, beanName, invocable, entry.getValue()));
            }
        });
        return bean;
    }

    @Override
    public void afterSingletonsInstantiated() {
        List<StreamListenerEndpoint> found;
        synchronized (this.endpoints) {
            found = List.copyOf(this.endpoints);
        }
        this.beanFactory.getBean(StreamListenerRegistry.class).register(found);
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
