package io.ackflow.spring;

import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.LazyInitializationExcludeFilter;

/**
 * Keeps beans with {@link StreamListener} methods eager under
 * {@code spring.main.lazy-initialization=true}, as Spring Boot does for beans with
 * {@code @Scheduled} methods. A lazy listener bean would be created only when something first asks
 * for it, after Ackflow's consumers took their listeners, and would never receive a record.
 * <p>
 * The filter sees the type the bean definition declares: a {@code @Bean} method whose return type
 * is an interface or a superclass without the listener methods hides them, and that bean stays
 * lazy (and is refused if it is created after start-up, see
 * {@link StreamListenerAnnotationBeanPostProcessor}). A bean marked {@code @Lazy} explicitly is
 * never asked about: Spring Boot leaves explicit choices alone.
 * <p>
 * Threads: the container's, while bean factory post-processors run.
 */
final class StreamListenerLazyInitializationExcludeFilter implements LazyInitializationExcludeFilter {

    private final StreamListenerMethods methods = new StreamListenerMethods();

    @Override
    public boolean isExcluded(String beanName, BeanDefinition beanDefinition, Class<?> beanType) {
        return this.methods.any(beanType);
    }

}
