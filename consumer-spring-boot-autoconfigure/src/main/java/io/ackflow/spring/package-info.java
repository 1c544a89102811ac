/**
 * Spring Boot integration of the Ackflow engine: {@code @StreamListener} handlers configured
 * from {@code application.yml} under the {@code ackflow} prefix.
 */
package io.ackflow.spring;
