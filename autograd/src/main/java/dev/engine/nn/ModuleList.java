package dev.engine.nn;

import dev.engine.api.EngineException;
import dev.engine.autograd.Tensor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * An indexed list of submodules named "0", "1", ... (PyTorch's {@code nn.ModuleList}): it registers them,
 * so their parameters appear as "name.0.weight", but has no forward of its own.
 *
 * <pre>{@code
 * class Tower extends Module {
 *     final ModuleList blocks = registerModule("blocks", new ModuleList());
 *     Tower() { for (int i = 0; i < 3; i++) blocks.add(new Linear(8, 8)); }
 *     public Tensor forward(Tensor x) { for (Module m : blocks) x = m.forward(x).relu(); return x; }
 * }
 * }</pre>
 */
public class ModuleList extends Module implements Iterable<Module> {
    private final List<Module> items = new ArrayList<>();

    public ModuleList(Module... modules) { for (Module m : modules) add(m); }

    public ModuleList add(Module m) {
        registerModule(Integer.toString(items.size()), m);
        items.add(m);
        return this;
    }

    public Module get(int i) { return items.get(i); }

    public int size() { return items.size(); }

    @Override public Iterator<Module> iterator() { return items.iterator(); }

    @Override public Tensor forward(Tensor input) {
        throw new EngineException("ModuleList has no forward; iterate over its modules");
    }

    @Override public String describe() { return "ModuleList(" + items.size() + ")"; }
}
