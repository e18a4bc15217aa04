package dev.engine.bench;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Report metadata for one benchmark class. The report reads it by reflection: a title for the section,
 * a note, and optional targets checked against this run's numbers.
 *
 * <p>Naming convention (see benchmarks/README.md): methods named {@code engine*} are the subjects,
 * methods named {@code peer*} the baselines measured beside them; every subject is compared with every
 * peer that has the same {@code @Param} values.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface Suite {
    /** Section heading. */
    String title();

    /** One line printed under the heading. */
    String note() default "";

    /** Peer method whose ratio is checked against {@link #minRatio()} ("" = none). */
    String targetPeer() default "";

    /** The engine method the {@link #targetPeer()} target applies to ("" = every engine method). */
    String targetEngine() default "";

    /** Smallest acceptable engine-vs-peer speed ratio for {@link #targetPeer()} (0 = no target). */
    double minRatio() default 0;

    /**
     * The {@code @Param} settings ("name=value") the {@link #minRatio()} target applies to; a row is a target
     * when it has one of them (empty = every row). Other rows are reported, not judged.
     */
    String[] targetParams() default {};

    /** Largest acceptable engine score, in nanoseconds per op (0 = no target). */
    double maxNanos() default 0;

    /**
     * An {@code engine*} method that also serves as a baseline for the class's other {@code engine*}
     * methods (e.g. {@code engineEager} for {@code engineFrozen}): the report adds an
     * "engine / engineEager" column and ratio ("" = none).
     */
    String baseline() default "";

    /** Smallest acceptable speed ratio against {@link #baseline()} (0 = no target). */
    double baselineMinRatio() default 0;
}
