package io.ackflow.spring;

import java.lang.reflect.Method;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.NoSuchBeanDefinitionException;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.util.ClassUtils;

/**
 * The beans whose {@link StreamListener} methods Ackflow cannot run, each refused with what to
 * change. Ackflow's consumers take their listeners once, when every eager singleton of the context
 * exists, and run each method on one instance for the whole life of the consumer; so:
 * <ul>
 * <li>a bean that is not a singleton (prototype, request, session or any custom scope) has no one
 * instance to run them on: refused at start-up, and whenever one is created;</li>
 * <li>a lazy singleton still missing when the listeners are taken would only come after the
 * consumers started: refused at start-up when its type shows the methods;</li>
 * <li>a bean created after the listeners were taken (a lazy bean whose declared type hid the
 * methods, one registered after refresh) is refused when it is created: {@code getBean} throws.</li>
 * </ul>
 * <p>
 * Threads: the container's thread during refresh; a late bean is refused on the thread that
 * creates it. Stateless.
 */
final class ListenerBeanChecks {

    private ListenerBeanChecks() {
    }

    /**
     * Refuses, at start-up, the bean definitions of listeners that will never run: those that are
     * not singletons, and lazy singletons not created by now. A definition whose type cannot be
     * known without creating the bean is left to {@link #refuseCreatedBean}.
     * @throws AckflowConfigurationException naming the first such bean
     */
    static void refuseDefinitions(ConfigurableListableBeanFactory beanFactory, StreamListenerMethods methods) {
        for (String name : beanFactory.getBeanDefinitionNames()) {
            BeanDefinition definition = beanFactory.getMergedBeanDefinition(name);
            boolean lazyMissing = definition.isSingleton() && definition.isLazyInit()
                    && !beanFactory.containsSingleton(name);
            if (definition.isAbstract() || (definition.isSingleton() && !lazyMissing)) {
                continue;
            }
            Class<?> type = typeOf(beanFactory, name);
            Map<Method, StreamListener> annotated = (type != null) ? methods.of(type) : Map.of();
            if (annotated.isEmpty()) {
                continue;
            }
            throw lazyMissing ? lazy(name, type, annotated) : notSingleton(name, definition.getScope(), type, annotated);
        }
    }

    /**
     * Refuses a bean with listener methods that is being created: one of a scope other than
     * singleton, or any bean once the listeners were taken ({@code registered}).
     * @throws AckflowConfigurationException when the bean cannot be run
     */
    static void refuseCreatedBean(ConfigurableListableBeanFactory beanFactory, String beanName, Class<?> type,
            Map<Method, StreamListener> annotated, boolean registered) {
        if (beanFactory.containsBeanDefinition(beanName)) {
            BeanDefinition definition = beanFactory.getMergedBeanDefinition(beanName);
            if (!definition.isSingleton()) {
                throw notSingleton(beanName, definition.getScope(), type, annotated);
            }
        }
        if (registered) {
            throw late(beanName, type, annotated);
        }
    }

    private static AckflowConfigurationException late(String beanName, Class<?> type, Map<Method, StreamListener> annotated) {
        return new AckflowConfigurationException(bean(beanName, type, annotated) + " but was created after Ackflow"
                + " took the listeners of the application, when its consumers were set up: a consumer's listeners are"
                + " fixed from then on, so these methods would never receive a record. Only singletons that exist"
                + " at start-up can hold @StreamListener methods.",
                "Make '" + beanName + "' a singleton that exists when the context starts: remove @Lazy from it, declare"
                        + " its @Bean method with the listener's own class as return type (so that"
                        + " spring.main.lazy-initialization=true leaves it eager), and register it before the context"
                        + " is refreshed.");
    }

    private static AckflowConfigurationException notSingleton(String beanName, @Nullable String scope, Class<?> type,
            Map<Method, StreamListener> annotated) {
        return new AckflowConfigurationException(bean(beanName, type, annotated) + " but its scope is '" + scope
                + "': Ackflow runs each @StreamListener method on one instance for the whole life of its consumer, and"
                + " a bean of that scope has no such instance.",
                "Make '" + beanName + "' a singleton (remove its @Scope), or move its @StreamListener methods to a"
                        + " singleton bean that looks up the '" + scope + "' bean for each record.");
    }

    private static AckflowConfigurationException lazy(String beanName, Class<?> type, Map<Method, StreamListener> annotated) {
        return new AckflowConfigurationException(bean(beanName, type, annotated) + " but is lazy and was not created"
                + " at start-up: it would be created only when something first asks for it, after Ackflow's consumers"
                + " took their listeners, so these methods would never receive a record.",
                "Remove @Lazy from '" + beanName + "' (or from its @Bean method or its @Configuration class).");
    }

    private static String bean(String beanName, Class<?> type, Map<Method, StreamListener> annotated) {
        return "Bean '" + beanName + "' (" + ClassUtils.getUserClass(type).getName() + ") has "
                + String.join(", ", StreamListenerMethods.describe(annotated));
    }

    private static @Nullable Class<?> typeOf(ConfigurableListableBeanFactory beanFactory, String name) {
        try {
            // false: a factory bean is not created to learn its type
            return beanFactory.getType(name, false);
        }
        catch (NoSuchBeanDefinitionException ex) {
            return null;
        }
    }

}
