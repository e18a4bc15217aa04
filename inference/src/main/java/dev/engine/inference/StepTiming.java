package dev.engine.inference;

import java.util.List;

/**
 * How long one step of a frozen plan took: the median of several timed runs, each step timed on its own
 * (the backend waited for after every step). From {@link FrozenModel#profile(float[][], int, int)}.
 *
 * <pre>{@code
 * List<StepTiming> t = model.profile(new float[][]{x}, 8, 200);
 * System.out.print(StepTiming.table(t));   // " 0  fc1+bias+relu  linear  41.2 us  38.5 %" per step
 * }</pre>
 *
 * @param index  the step's position in the plan
 * @param name   the (fused) node name, as {@link FrozenModel#describePlan(int)} prints it
 * @param kind   the op kind in lower case ("linear", "attention", ...; "copy" for the final output copy)
 * @param micros the median time of the step in microseconds
 */
public record StepTiming(int index, String name, String kind, double micros) {

    /** One line per step with its share of the total, then the total. */
    public static String table(List<StepTiming> steps) {
        double total = steps.stream().mapToDouble(StepTiming::micros).sum();
        StringBuilder sb = new StringBuilder();
        for (StepTiming s : steps)
            sb.append(String.format("  %2d  %-28s %-12s %9.1f us  %5.1f %%%n", s.index, s.name, s.kind, s.micros, total > 0 ? 100 * s.micros / total : 0));
        return sb.append(String.format("      %-28s %-12s %9.1f us%n", "total", "", total)).toString();
    }
}
