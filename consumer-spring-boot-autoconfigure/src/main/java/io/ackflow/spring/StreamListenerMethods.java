package io.ackflow.spring;

import java.lang.reflect.Method;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.aop.framework.AopInfrastructureBean;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;
import org.springframework.util.ClassUtils;

/**
 * The {@link StreamListener} methods of a class, in a stable order: by name, then by the whole
 * signature for overloads. Reflection lists methods in an order that differs between JDKs, and
 * this order is the engine's order of subscriptions and of start-up checks. Classes with no such
 * method are remembered and not introspected again; AOP infrastructure (scoped proxies, advisors)
 * never has any: a scoped proxy's listeners are those of its target bean.
 * <p>
 * Threads: any; the memory of classes without listeners is a concurrent set.
 */
final class StreamListenerMethods {

    private static final Comparator<Method> METHOD_ORDER = Comparator.comparing(Method::getName)
        .thenComparing(Method::toGenericString);

    private final Set<Class<?>> classesWithout = ConcurrentHashMap.newKeySet();

    StreamListenerMethods() {
        this.classesWithout.add(AopInfrastructureBean.class);
    }

    /** The listener methods of {@code type} (a CGLIB subclass stands for its user class); empty when none. */
    Map<Method, StreamListener> of(Class<?> type) {
        Class<?> userClass = ClassUtils.getUserClass(type);
        if (this.classesWithout.contains(userClass) || AopInfrastructureBean.class.isAssignableFrom(userClass)
                || !AnnotationUtils.isCandidateClass(userClass, StreamListener.class)) {
            return Map.of();
        }
        Map<Method, StreamListener> annotated = MethodIntrospector.selectMethods(userClass,
                (MethodIntrospector.MetadataLookup<StreamListener>) (method) -> AnnotatedElementUtils
                    .findMergedAnnotation(method, StreamListener.class));
        if (annotated.isEmpty()) {
            this.classesWithout.add(userClass);
            return Map.of();
        }
        Map<Method, StreamListener> sorted = new LinkedHashMap<>();
        annotated.entrySet().stream().sorted(Map.Entry.comparingByKey(METHOD_ORDER))
            .forEach((entry) -> sorted.put(entry.getKey(), entry.getValue()));
        return sorted;
    }

    /** Whether {@code type} has at least one listener method. */
    boolean any(Class<?> type) {
        return !of(type).isEmpty();
    }

    /** The methods as start-up failures name them, in order. */
    static List<String> describe(Map<Method, StreamListener> methods) {
        return methods.keySet().stream().map(StreamListenerEndpoint::describe).toList();
    }

}
