package dev.engine.inference;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.EngineException;
import dev.engine.api.ShapeException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link FrozenModel#profile}: one timing per plan step, named as the plan names them, and checked inputs. */
class StepTimingTest {
    @Test void oneTimingPerStepInPlanOrder() {
        try (FrozenModel f = Freezer.freeze(Models.tinyCnn(3), new long[]{1, 2, 8, 8}, FreezeOptions.defaults())) {
            float[] x = Models.randn(new Random(1), 4 * f.inputFeatures(), 1);
            float[] before = f.run(x, 4);
            List<StepTiming> t = f.profile(new float[][]{x}, 4, 5);
            ExecutionPlan plan = f.plan(4);
            assertEquals(plan.steps().size() + (plan.finalCopy() ? 1 : 0), t.size());
            for (int i = 0; i < plan.steps().size(); i++) {
                assertEquals(i, t.get(i).index());
                assertTrue(t.get(i).name().startsWith(plan.steps().get(i).node().name()), t.get(i).name());  // + what a fused step took in
                assertEquals(plan.steps().get(i).node().kind().name().toLowerCase(), t.get(i).kind());
                assertTrue(t.get(i).micros() > 0, t.get(i).toString());
            }
            String table = StepTiming.table(t);
            assertTrue(table.contains(t.get(0).name()) && table.contains("total"), table);
            assertArrayEquals(before, f.run(x, 4), "profiling leaves the model as it was");
        }
    }

    @Test void badArgumentsAreRefused() {
        try (FrozenModel f = Freezer.freeze(Models.tinyMlp(2, 5, 8, 3), new long[]{1, 5}, FreezeOptions.defaults())) {
            assertThrows(ShapeException.class, () -> f.profile(new float[][]{new float[4]}, 1, 3));
            EngineException e = assertThrows(EngineException.class, () -> f.profile(new float[][]{new float[5]}, 1, 0));
            assertTrue(e.getMessage().contains("at least 1 run"), e.getMessage());
        }
    }
}
