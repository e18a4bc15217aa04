package dev.engine.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads a CSV file into a {@link Dataset}. Configure, then {@link #build()}:
 * <ul>
 *   <li>{@link #header(boolean)}: whether line 1 names the columns. If not set, it is a header when a name
 *       is used to pick a column, or when one of its fields in a numeric column is not a number.</li>
 *   <li>{@link #delimiter(char)} (default {@code ','}); fields may be quoted ({@code "a, b"}, {@code ""} for a quote).</li>
 *   <li>{@link #labelColumn(int)} / {@link #labelColumn(String)}: integer labels, or string class names
 *       (sorted into labels 0..k-1); {@link #regression()} reads float targets instead. No label column:
 *       an unlabeled dataset.</li>
 *   <li>{@link #columns(String...)}: the feature columns (default: every column but the label).</li>
 *   <li>{@link #categorical(String...)}: string columns, stored as codes into a sorted vocabulary
 *       ({@link Dataset#categories(int)}), ready for {@link OneHotEncode} or {@link OrdinalEncode}.</li>
 *   <li>{@link #inferCategorical()}: every feature column holding a value that is not a number (other than a
 *       missing-value marker) is read as categorical too.</li>
 *   <li>{@link #missing(String...)}: the markers of a missing value (default {@code "", "NA", "?", "NaN"}),
 *       recorded as {@code NaN} for {@link Impute}.</li>
 * </ul>
 * A malformed file fails as a whole with a {@link DataFormatException} naming the file, the line and
 * what was wrong: a wrong number of fields, a value that is not a number, an unterminated quote, a
 * missing label. Nothing is returned half-loaded.
 *
 * <pre>{@code
 * Dataset digits = Csv.read(Path.of("digits.csv")).header(false).labelColumn(0).build();
 * Dataset houses = Csv.read(Path.of("houses.csv")).labelColumn("price").regression()
 *         .categorical("district").build();
 * }</pre>
 */
public final class Csv {
    private final ReaderSource open;
    private final String source;
    private Boolean header;
    private char delimiter = ',';
    private Object label;                     // Integer or String, or null
    private boolean regression;
    private List<Object> columns;             // Integers or Strings, or null for "all but the label"
    private final List<Object> categorical = new ArrayList<>();
    private Set<String> missing = new LinkedHashSet<>(List.of("", "NA", "?", "NaN"));
    private List<String> classNames;
    private boolean inferCategorical;
    private String hintSemicolon = "";

    @FunctionalInterface
    private interface ReaderSource { Reader open() throws IOException; }

    private Csv(ReaderSource open, String source) {
        this.open = open;
        this.source = source;
    }

    /** A reader for a UTF-8 file; the file is opened by {@link #build()}. */
    public static Csv read(Path path) {
        return new Csv(() -> Files.newBufferedReader(path, StandardCharsets.UTF_8), path.toString());
    }

    /** A reader for a UTF-8 stream (read and closed by {@link #build()}); {@code sourceName} appears in errors. */
    public static Csv read(InputStream in, String sourceName) {
        return new Csv(() -> new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), sourceName);
    }

    /** A reader for CSV text held in memory; {@code sourceName} appears in errors. */
    public static Csv parse(String text, String sourceName) {
        return new Csv(() -> new StringReader(text), sourceName);
    }

    /** Whether the first line is a header of column names. */
    public Csv header(boolean hasHeader) { this.header = hasHeader; return this; }

    /** The field delimiter, e.g. {@code ';'} or {@code '\t'}. */
    public Csv delimiter(char d) { this.delimiter = d; return this; }

    /** The label (or regression target) column by 0-based index. */
    public Csv labelColumn(int index) { this.label = index; return this; }

    /** The label (or regression target) column by header name. */
    public Csv labelColumn(String name) { this.label = name; return this; }

    /** Reads the label column as float regression targets instead of class labels. */
    public Csv regression() { this.regression = true; return this; }

    /** Fixes the class names (label = index in this list); a label not in it is an error. */
    public Csv classNames(List<String> names) { this.classNames = List.copyOf(names); return this; }

    /** The feature columns, by header name (categorical columns are always included). */
    public Csv columns(String... names) { this.columns = new ArrayList<>(Arrays.asList(names)); return this; }

    /** The feature columns, by 0-based index (categorical columns are always included). */
    public Csv columns(int... indices) {
        this.columns = new ArrayList<>();
        for (int i : indices) columns.add(i);
        return this;
    }

    /** Columns holding strings (categories), by header name. */
    public Csv categorical(String... names) { categorical.addAll(Arrays.asList(names)); return this; }

    /** Columns holding strings (categories), by 0-based index. */
    public Csv categorical(int... indices) {
        for (int i : indices) categorical.add(i);
        return this;
    }

    /** Reads every feature column with a non-numeric value (not a missing-value marker) as categorical. */
    public Csv inferCategorical() { this.inferCategorical = true; return this; }

    /** Replaces the missing-value markers (compared after trimming unquoted fields). */
    public Csv missing(String... markers) { this.missing = new LinkedHashSet<>(Arrays.asList(markers)); return this; }

    /**
     * Reads the whole file.
     *
     * @throws DataFormatException on malformed content (file, line and problem in the message)
     * @throws dev.engine.api.EngineException when the file cannot be read
     */
    public Dataset build() {
        CsvTokenizer tok = null;
        try (Reader r = open.open()) {
            tok = new CsvTokenizer(r, source, delimiter);
            return parseAll(tok);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw DataFormatException.atLine(source, tok == null ? 1 : tok.line(), "not valid UTF-8 text", e);
        } catch (IOException e) {
            throw new dev.engine.api.EngineException("cannot read " + source + ": " + e.getMessage(), e);
        }
    }

    private Dataset parseAll(CsvTokenizer tok) throws IOException {
        List<String> first = tok.next();
        if (first == null) throw new DataFormatException(source + ": empty file (no header and no rows)");
        int ncol = first.size();
        hintSemicolon = ncol == 1 && first.get(0).contains(";")
                ? " (line 1 holds ';' but no '" + delimiter + "': is the file ';'-separated? set the delimiter to ';')" : "";
        boolean usesNames = label instanceof String || categorical.stream().anyMatch(o -> o instanceof String)
                || (columns != null && columns.stream().anyMatch(o -> o instanceof String));
        if (Boolean.FALSE.equals(header) && usesNames) {
            throw new DataFormatException(source + ": columns are chosen by name but header(false) was set");
        }
        List<String> names = null;
        boolean hasHeader = header != null ? header : usesNames || looksLikeHeader(first);
        if (hasHeader) {
            names = first;
            Set<String> seen = new java.util.HashSet<>();
            for (String nm : names) {
                if (!seen.add(nm)) throw DataFormatException.atLine(source, tok.recordLine(), "duplicate column name '" + nm + "' in the header");
            }
        }
        int labelCol = label == null ? -1 : resolve(label, names, ncol);
        Set<Integer> cat = new TreeSet<>();
        for (Object o : categorical) cat.add(resolve(o, names, ncol));
        // with inference the records are read first, to find the non-numeric columns
        List<List<String>> records = null;
        List<Long> recordLines = null;
        if (inferCategorical) {
            records = new ArrayList<>();
            recordLines = new ArrayList<>();
            for (List<String> r = hasHeader ? tok.next() : first; r != null; r = tok.next()) {
                records.add(r);
                recordLines.add(tok.recordLine());
            }
            for (List<String> r : records) {
                for (int j = 0; j < Math.min(ncol, r.size()); j++) {
                    if (j != labelCol && !cat.contains(j) && !missing.contains(r.get(j)) && !isNumber(r.get(j))) cat.add(j);
                }
            }
        }
        if (cat.contains(labelCol)) throw new DataFormatException(source + ": the label column cannot also be categorical");
        TreeSet<Integer> feat = new TreeSet<>(cat);
        if (columns == null) {
            for (int j = 0; j < ncol; j++) if (j != labelCol) feat.add(j);
        } else {
            for (Object o : columns) {
                int j = resolve(o, names, ncol);
                if (j == labelCol) throw new DataFormatException(source + ": the label column cannot also be a feature");
                feat.add(j);
            }
        }
        if (feat.isEmpty()) throw new DataFormatException(source + ": no feature columns" + hintSemicolon);
        int[] fcols = feat.stream().mapToInt(Integer::intValue).toArray();
        boolean[] isCat = new boolean[ncol];
        for (int j : cat) isCat[j] = true;

        FloatList x = new FloatList(1024);
        List<String> labelStrings = new ArrayList<>();
        FloatList targets = new FloatList(regression ? 256 : 0);
        List<Map<String, Integer>> vocab = new ArrayList<>();   // per feature position, first-seen codes
        for (int k = 0; k < fcols.length; k++) vocab.add(isCat[fcols[k]] ? new HashMap<>() : null);

        int next = 0;
        List<String> rec = records != null ? (records.isEmpty() ? null : records.get(0)) : hasHeader ? tok.next() : first;
        while (rec != null) {
            long line = records != null ? recordLines.get(next) : tok.recordLine();
            if (rec.size() != ncol) {
                throw DataFormatException.atLine(source, line, "expected " + ncol + " fields, found " + rec.size());
            }
            for (int k = 0; k < fcols.length; k++) {
                int j = fcols[k];
                String f = rec.get(j);
                if (missing.contains(f)) { x.add(Float.NaN); continue; }
                if (isCat[j]) {
                    Map<String, Integer> v = vocab.get(k);
                    Integer code = v.computeIfAbsent(f, s -> v.size());
                    x.add(code);
                } else {
                    x.add(number(f, line, j, names));
                }
            }
            if (labelCol >= 0) {
                String f = rec.get(labelCol);
                if (missing.contains(f)) throw DataFormatException.atLine(source, line, "missing label in " + describe(labelCol, names));
                if (regression) {
                    targets.add(number(f, line, labelCol, names));
                } else {
                    if (classNames != null && !classNames.contains(f)) {
                        throw DataFormatException.atLine(source, line, "label '" + f + "' in " + describe(labelCol, names)
                                + " is not one of the class names " + classNames);
                    }
                    labelStrings.add(f);
                }
            }
            next++;
            rec = records != null ? (next < records.size() ? records.get(next) : null) : tok.next();
        }
        int n = fcols.length == 0 ? 0 : x.size() / fcols.length;
        if (n == 0) throw new DataFormatException(source + ": no data rows" + (hasHeader ? " after the header" : ""));

        float[] data = x.toArray();
        Map<Integer, List<String>> categories = new TreeMap<>();
        for (int k = 0; k < fcols.length; k++) {
            if (vocab.get(k) == null) continue;
            categories.put(k, sortCodes(data, k, fcols.length, vocab.get(k)));
        }
        List<String> colNames = new ArrayList<>();
        if (names != null) for (int j : fcols) colNames.add(names.get(j));
        int[] shape = {fcols.length};
        if (labelCol < 0) return Dataset.of(data, shape, null, null, 0, colNames, List.of(), categories);
        if (regression) return Dataset.of(data, shape, null, targets.toArray(), 1, colNames, List.of(), categories);
        return labelled(data, shape, labelStrings, colNames, categories);
    }

    private Dataset labelled(float[] data, int[] shape, List<String> ls,
                             List<String> colNames, Map<Integer, List<String>> categories) {
        int n = ls.size();
        int[] labels = new int[n];
        List<String> classes;
        if (classNames != null) {
            Map<String, Integer> idx = new HashMap<>();
            for (int i = 0; i < classNames.size(); i++) idx.put(classNames.get(i), i);
            for (int i = 0; i < n; i++) labels[i] = idx.get(ls.get(i));   // membership checked while parsing
            classes = classNames;
        } else if (ls.stream().allMatch(Csv::isNonNegativeInt)) {
            for (int i = 0; i < n; i++) labels[i] = Integer.parseInt(ls.get(i));
            classes = List.of();
        } else {
            List<String> sorted = new ArrayList<>(new TreeSet<>(ls));
            Map<String, Integer> idx = new HashMap<>();
            for (int i = 0; i < sorted.size(); i++) idx.put(sorted.get(i), i);
            for (int i = 0; i < n; i++) labels[i] = idx.get(ls.get(i));
            classes = sorted;
        }
        return Dataset.of(data, shape, labels, null, 0, colNames, classes, categories);
    }

    /** Rewrites first-seen codes of column {@code k} into codes of the sorted vocabulary; returns it. */
    private static List<String> sortCodes(float[] data, int k, int width, Map<String, Integer> firstSeen) {
        List<String> sorted = new ArrayList<>(new TreeSet<>(firstSeen.keySet()));
        int[] remap = new int[firstSeen.size()];
        for (int i = 0; i < sorted.size(); i++) remap[firstSeen.get(sorted.get(i))] = i;
        for (int i = k; i < data.length; i += width) {
            if (!Float.isNaN(data[i])) data[i] = remap[(int) data[i]];
        }
        return sorted;
    }

    private boolean looksLikeHeader(List<String> first) {
        Set<Integer> catIdx = new TreeSet<>();
        for (Object o : categorical) if (o instanceof Integer) catIdx.add((Integer) o);
        for (int j = 0; j < first.size(); j++) {
            if (catIdx.contains(j) || (label instanceof Integer && (Integer) label == j && !regression)) continue;
            String f = first.get(j);
            if (!missing.contains(f) && !isNumber(f)) return true;
        }
        return false;
    }

    private int resolve(Object ref, List<String> names, int ncol) {
        if (ref instanceof Integer) {
            int j = (Integer) ref;
            if (j < 0 || j >= ncol)
                throw new DataFormatException(source + ": column " + (j + 1) + " (0-based index " + j + ") is out of range; the file has " + ncol
                        + " columns, numbered 1.." + ncol + (ncol == 1 && delimiter != ';' ? hintSemicolon : ""));
            return j;
        }
        int j = names.indexOf(ref);
        if (j < 0) throw new DataFormatException(source + ": no column named '" + ref + "'; the header has " + names);
        return j;
    }

    private float number(String f, long line, int col, List<String> names) {
        if (!isNumber(f)) {
            throw DataFormatException.atLine(source, line, describe(col, names) + ": '" + f + "' is not a number");
        }
        float v = Float.parseFloat(f);
        if (!Float.isFinite(v)) {
            throw DataFormatException.atLine(source, line, describe(col, names) + ": '" + f + "' is not a finite float");
        }
        return v;
    }

    private static String describe(int col, List<String> names) {
        return names == null ? "column " + (col + 1) : "column " + (col + 1) + " ('" + names.get(col) + "')";
    }

    /** Decimal numbers only: no Java suffixes (1f, 2d), no hex, no "Infinity". */
    static boolean isNumber(String s) {
        if (s.isEmpty()) return false;
        char last = s.charAt(s.length() - 1);
        if (!(last >= '0' && last <= '9') && last != '.') return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) return false;
        }
        try {
            Float.parseFloat(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean isNonNegativeInt(String s) {
        if (s.isEmpty() || s.length() > 9) return false;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
        return true;
    }

    /** A growable float array. */
    static final class FloatList {
        private float[] a;
        private int size;

        FloatList(int capacity) { a = new float[Math.max(capacity, 16)]; }

        void add(float v) {
            if (size == a.length) a = Arrays.copyOf(a, Math.max(16, a.length * 2));
            a[size++] = v;
        }

        int size() { return size; }

        float[] toArray() { return Arrays.copyOf(a, size); }
    }
}
