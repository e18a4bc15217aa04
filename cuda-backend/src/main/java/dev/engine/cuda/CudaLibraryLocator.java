package dev.engine.cuda;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Finds NVIDIA's shared libraries (e.g. {@code libcublasLt.so.13}) where CUDA usually lives, so nobody has to
 * set {@code LD_LIBRARY_PATH}: the folders named by {@code -Dengine.cuda.libdir}, {@code CUDA_HOME} and
 * {@code CUDA_PATH}, {@code /usr/local/cuda*}, {@code LD_LIBRARY_PATH}, the pip wheels of Python
 * installations ({@code nvidia/cu13/lib}, {@code nvidia/cublas/lib}) and the distribution's library folders,
 * in that order. To look somewhere else, add to {@link #ROOT_LIB_DIRS}, {@link #WHEEL_LIB_DIRS} or
 * {@link #searchDirs()}.
 *
 * <pre>{@code
 * CudaLibraryLocator.Search s = CudaLibraryLocator.system().find("libcublasLt.so.13");
 * if (s.found().isEmpty()) System.out.println(s.notFoundReason());
 * }</pre>
 */
final class CudaLibraryLocator {
    /** Library folders inside a CUDA installation root; {@code *} matches any one folder name. */
    static final List<String> ROOT_LIB_DIRS = List.of("lib64", "lib", "targets/*/lib");
    /** Library folders inside a Python site-packages where NVIDIA's pip wheels put their libraries. */
    static final List<String> WHEEL_LIB_DIRS = List.of("nvidia/cu13/lib", "nvidia/cublas/lib");
    /** site-packages folders under a Python prefix (a venv, conda, /usr/local, /usr, ~/.local). */
    static final List<String> SITE_PACKAGES = List.of("lib/python3*/site-packages", "lib/python3*/dist-packages");

    private final Function<String, String> env;
    private final Function<String, String> props;
    private final Path fsRoot;

    /** Where the files were found (in search order, one per real file) and every folder looked at. */
    record Search(String fileName, List<Path> found, List<Path> searched) {
        /** Why nothing was found, naming the folders searched. */
        String notFoundReason() {
            return fileName + " not found in " + (searched.isEmpty() ? "any folder (none to search)" : searched);
        }
    }

    /**
     * @param env environment lookup ({@code System::getenv})
     * @param props system-property lookup ({@code System::getProperty})
     * @param fsRoot the file-system root the fixed folders ({@code /usr/local/cuda*}, {@code /usr/lib/...}) are
     *               resolved against: {@code /} normally, a temporary folder in tests
     */
    CudaLibraryLocator(Function<String, String> env, Function<String, String> props, Path fsRoot) {
        this.env = env;
        this.props = props;
        this.fsRoot = fsRoot;
    }

    /** The locator for this process: its environment, system properties and file system. */
    static CudaLibraryLocator system() { return new CudaLibraryLocator(System::getenv, System::getProperty, Path.of("/")); }

    /** The folders to look in, in order, without duplicates; only folders that exist. */
    List<Path> searchDirs() {
        Set<Path> dirs = new LinkedHashSet<>();
        for (String d : split(props.apply("engine.cuda.libdir"))) addDir(dirs, Path.of(d));
        for (String var : new String[]{"CUDA_HOME", "CUDA_PATH"}) {
            String root = env.apply(var);
            if (root != null && !root.isBlank()) addRoot(dirs, Path.of(root));
        }
        for (Path root : expand(fsRoot, "usr/local/cuda")) addRoot(dirs, root);
        for (Path root : expand(fsRoot, "usr/local/cuda-*")) addRoot(dirs, root);
        for (String d : split(env.apply("LD_LIBRARY_PATH"))) addDir(dirs, Path.of(d));
        for (Path prefix : pythonPrefixes()) {
            for (String sp : SITE_PACKAGES)
                for (Path site : expand(prefix, sp))
                    for (String w : WHEEL_LIB_DIRS) addDir(dirs, site.resolve(w));
        }
        String conda = env.apply("CONDA_PREFIX");
        if (conda != null && !conda.isBlank()) addDir(dirs, Path.of(conda, "lib"));
        for (String d : new String[]{"usr/lib/x86_64-linux-gnu", "usr/lib/aarch64-linux-gnu", "usr/lib64"}) addDir(dirs, fsRoot.resolve(d));
        return new ArrayList<>(dirs);
    }

    /** Looks for {@code fileName} in every search folder. */
    Search find(String fileName) {
        List<Path> searched = searchDirs();
        List<Path> found = new ArrayList<>();
        Set<Path> real = new LinkedHashSet<>();
        for (Path d : searched) {
            Path f = d.resolve(fileName);
            if (!Files.isRegularFile(f)) continue;  // follows links, as dlopen does
            try {
                if (real.add(f.toRealPath())) found.add(f.toAbsolutePath());
            } catch (IOException e) {
                // vanished or unreadable: not a candidate
            }
        }
        return new Search(fileName, List.copyOf(found), List.copyOf(searched));
    }

    private List<Path> pythonPrefixes() {
        List<Path> prefixes = new ArrayList<>();
        for (String var : new String[]{"VIRTUAL_ENV", "CONDA_PREFIX"}) {
            String p = env.apply(var);
            if (p != null && !p.isBlank()) prefixes.add(Path.of(p));
        }
        prefixes.add(fsRoot.resolve("usr/local"));
        prefixes.add(fsRoot.resolve("usr"));
        String home = env.apply("HOME");
        if (home != null && !home.isBlank()) prefixes.add(Path.of(home, ".local"));
        return prefixes;
    }

    private static void addRoot(Set<Path> dirs, Path root) {
        for (String sub : ROOT_LIB_DIRS)
            for (Path d : expand(root, sub)) addDir(dirs, d);
    }

    private static void addDir(Set<Path> dirs, Path d) {
        if (Files.isDirectory(d)) dirs.add(d.toAbsolutePath().normalize());
    }

    private static List<String> split(String pathList) {
        List<String> r = new ArrayList<>();
        if (pathList == null) return r;
        for (String s : pathList.split(File.pathSeparator)) if (!s.isBlank()) r.add(s.trim());
        return r;
    }

    /**
     * The existing folders matching {@code pattern} (relative, '/'-separated, {@code *} within a name) under
     * {@code base}; where a name has a {@code *}, newer versions first (cuda-13.1 before cuda-13.0 before cuda-12.8).
     */
    static List<Path> expand(Path base, String pattern) {
        List<Path> current = List.of(base);
        for (String part : pattern.split("/")) {
            List<Path> next = new ArrayList<>();
            for (Path p : current) {
                if (!part.contains("*")) {
                    Path c = p.resolve(part);
                    if (Files.isDirectory(c)) next.add(c);
                    continue;
                }
                List<Path> matches = new ArrayList<>();
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(p, part)) {
                    for (Path c : ds) if (Files.isDirectory(c)) matches.add(c);
                } catch (IOException | RuntimeException e) {
                    // unreadable or not a folder: nothing matches here
                }
                matches.sort(Comparator.comparing((Path x) -> x.getFileName().toString(), CudaLibraryLocator::compareVersions).reversed());
                next.addAll(matches);
            }
            current = next;
        }
        return current;
    }

    /** Compares names with runs of digits compared as numbers ("cuda-12.10" > "cuda-12.9"). */
    static int compareVersions(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            char x = a.charAt(i), y = b.charAt(j);
            if (Character.isDigit(x) && Character.isDigit(y)) {
                int si = i, sj = j;
                while (i < a.length() && Character.isDigit(a.charAt(i))) i++;
                while (j < b.length() && Character.isDigit(b.charAt(j))) j++;
                int c = new java.math.BigInteger(a.substring(si, i)).compareTo(new java.math.BigInteger(b.substring(sj, j)));
                if (c != 0) return c;
            } else {
                if (x != y) return Character.compare(x, y);
                i++;
                j++;
            }
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
