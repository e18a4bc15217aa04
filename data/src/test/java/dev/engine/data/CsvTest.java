package dev.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvTest {
    @TempDir Path dir;

    private Path file(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void headerlessNumericWithIntegerLabels() {
        Dataset d = Csv.parse("1,0.5,2\n0,1.5,3\n2,-1,4e1\n", "t.csv").labelColumn(0).build();
        assertEquals(3, d.size());
        assertArrayEquals(new int[] {2}, d.featureShape());
        assertArrayEquals(new int[] {1, 0, 2}, d.labels());
        assertArrayEquals(new float[] {0.5f, 2, 1.5f, 3, -1, 40}, d.features());
        assertEquals(3, d.numClasses());
        assertTrue(d.columnNames().isEmpty());
    }

    @Test
    void headerDetectedAndLabelByNameWithStringClasses() {
        String text = "sepal,petal,species\n1.0,2.0,setosa\n3.0,4.0,virginica\n5.0,6.0,setosa\n";
        Dataset d = Csv.parse(text, "iris.csv").labelColumn("species").build();
        assertEquals(List.of("sepal", "petal"), d.columnNames());
        assertEquals(List.of("setosa", "virginica"), d.classNames());
        assertArrayEquals(new int[] {0, 1, 0}, d.labels());
        // auto-detected header without names used
        Dataset auto = Csv.parse("a,b\n1,2\n", "x.csv").build();
        assertEquals(1, auto.size());
        assertEquals(List.of("a", "b"), auto.columnNames());
        assertFalse(auto.hasLabels());
    }

    @Test
    void delimiterQuotesCategoricalAndMissing() {
        String text = "name;city;size;y\r\n"
                + "\"a;b\";\"Paris\";1.5;1\r\n"
                + "\"say \"\"hi\"\"\";Oslo;NA;0\r\n"
                + "\"multi\nline\";;?;1\r\n"
                + "z;Paris;;0\r\n";
        Dataset d = Csv.parse(text, "q.csv").delimiter(';').labelColumn("y").categorical("name", "city").build();
        assertEquals(4, d.size());
        assertEquals(List.of("name", "city", "size"), d.columnNames());
        assertEquals(List.of("a;b", "multi\nline", "say \"hi\"", "z"), d.categories(0));
        assertEquals(List.of("Oslo", "Paris"), d.categories(1));
        assertEquals(0f, d.feature(0, 0));      // "a;b"
        assertEquals(2f, d.feature(1, 0));      // say "hi"
        assertEquals(1f, d.feature(0, 1));      // Paris
        assertTrue(Float.isNaN(d.feature(2, 1)));   // empty city
        assertTrue(Float.isNaN(d.feature(1, 2)));   // NA
        assertTrue(Float.isNaN(d.feature(2, 2)));   // ?
        assertTrue(Float.isNaN(d.feature(3, 2)));   // empty
        assertEquals(4, d.countMissing());
        assertArrayEquals(new int[] {1, 0, 1, 0}, d.labels());
    }

    @Test
    void regressionAndSelectedColumns() {
        String text = "id,x1,x2,price\n1,2,3,10.5\n2,4,5,20.25\n";
        Dataset d = Csv.parse(text, "h.csv").labelColumn("price").regression().columns("x1", "x2").build();
        assertTrue(d.hasTargets());
        assertArrayEquals(new float[] {10.5f, 20.25f}, d.targets());
        assertArrayEquals(new float[] {2, 3, 4, 5}, d.features());
    }

    @Test
    void readsFileFromDiskAndCountsLinesAcrossQuotedNewlines() throws Exception {
        Path p = file("data.csv", "a,b,y\n\"x\ny\",1,0\n1,2\n");
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> Csv.read(p).labelColumn("y").categorical("a").build());
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(":4:"), e.getMessage());   // the short row starts on line 4
        assertTrue(e.getMessage().contains("expected 3 fields, found 2"), e.getMessage());
    }

    @Test
    void nonNumericValueNamesFileLineAndColumn() throws Exception {
        Path p = file("bad.csv", "x,y,label\n1,2,0\n3,abc,1\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> Csv.read(p).labelColumn("label").build());
        assertTrue(e.getMessage().startsWith(p + ":3:"), e.getMessage());
        assertTrue(e.getMessage().contains("'y'") && e.getMessage().contains("'abc' is not a number"), e.getMessage());
    }

    @Test
    void rejectsJavaOnlyNumberSyntaxAndInfinity() {
        assertThrows(DataFormatException.class, () -> Csv.parse("1f,0\n", "s.csv").header(false).build());
        assertThrows(DataFormatException.class, () -> Csv.parse("0x10,0\n", "s.csv").header(false).build());
        DataFormatException e = assertThrows(DataFormatException.class, () -> Csv.parse("1e60,0\n", "s.csv").header(false).build());
        assertTrue(e.getMessage().contains("finite"), e.getMessage());
    }

    @Test
    void truncatedFileWithUnterminatedQuote() {
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> Csv.parse("a,b\n1,2\n3,\"4", "trunc.csv").build());
        assertTrue(e.getMessage().startsWith("trunc.csv:3:") && e.getMessage().contains("unterminated"), e.getMessage());
    }

    @Test
    void missingLabelEmptyFileAndUnknownClass() {
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> Csv.parse("x,y\n1,0\n2,\n", "m.csv").labelColumn("y").build());
        assertTrue(e.getMessage().startsWith("m.csv:3:") && e.getMessage().contains("missing label"), e.getMessage());
        assertThrows(DataFormatException.class, () -> Csv.parse("", "empty.csv").build());
        assertThrows(DataFormatException.class, () -> Csv.parse("a,b\n", "hdr.csv").build());
        DataFormatException c = assertThrows(DataFormatException.class,
                () -> Csv.parse("1,cat\n2,dog\n", "c.csv").header(false).labelColumn(1).classNames(List.of("cat")).build());
        assertTrue(c.getMessage().startsWith("c.csv:2:"), c.getMessage());
    }

    @Test
    void textAfterClosingQuoteAndUnknownColumn() {
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> Csv.parse("a,b\n\"1\"x,2\n", "q.csv").build());
        assertTrue(e.getMessage().startsWith("q.csv:2:"), e.getMessage());
        DataFormatException u = assertThrows(DataFormatException.class,
                () -> Csv.parse("a,b\n1,2\n", "q.csv").labelColumn("c").build());
        assertTrue(u.getMessage().contains("no column named 'c'"), u.getMessage());
    }

    @Test
    void spacesBeforeQuotedFieldsAreIgnored() {
        Dataset d = Csv.parse("a, b, y\n \"1,5\" , 2, 0\n", "s.csv").labelColumn("y").categorical("a").build();
        assertEquals(List.of("a", "b"), d.columnNames());
        assertEquals(List.of("1,5"), d.categories(0));
        assertEquals(2f, d.feature(0, 1));
    }

    @Test
    void designSketchReadsDigitsStyleFileWithoutHeader() throws Exception {
        Path p = file("digits.csv", "0,1,2\n1,3,4\n0,5,6\n1,7,8\n");
        Dataset d = Csv.read(p).labelColumn(0).build();
        assertEquals(4, d.size());
        Split s = d.split(0.5, 0, Split.STRATIFIED);
        assertEquals(2, s.train().size());
        assertEquals(1, java.util.Arrays.stream(s.train().labels()).sum());
    }

    @Test
    void tabSeparatedWithQuotedFields() {
        Dataset d = Csv.parse("a\tb\ty\n\"x\ty\"\t2\t1\n\"z\"\t\t0\n", "t.tsv").delimiter('\t').labelColumn("y").categorical("a").build();
        assertEquals(List.of("x\ty", "z"), d.categories(0));
        assertEquals(2f, d.feature(0, 1));
        assertTrue(Float.isNaN(d.feature(1, 1)));
    }

    @Test
    void invalidUtf8IsAFormatError() throws Exception {
        Path p = dir.resolve("latin1.csv");
        Files.write(p, new byte[] {'a', ',', 'b', '\n', '1', ',', '2', '\n', (byte) 0xE9, ',', '3', '\n'});
        DataFormatException e = assertThrows(DataFormatException.class, () -> Csv.read(p).categorical("a").build());
        assertTrue(e.getMessage().startsWith(p + ":") && e.getMessage().contains("UTF-8"), e.getMessage());
    }

    @Test
    void blankLinesAndByteOrderMarkAreSkipped() {
        Dataset d = Csv.parse("\uFEFFa,b\n\n1,2\n\n3,4\n\n", "b.csv").build();
        assertEquals(2, d.size());
        assertEquals(List.of("a", "b"), d.columnNames());
    }

    @Test
    void inferCategoricalReadsNonNumericColumnsAsCategories() {
        Dataset d = Csv.parse("age,color,y\n30,red,0\n,blue,1\n25,NA,1\n", "c.csv").labelColumn("y").inferCategorical().build();
        assertTrue(d.isCategorical(1));
        assertFalse(d.isCategorical(0));
        assertEquals(List.of("blue", "red"), d.categories(1));
        assertArrayEquals(new float[] {30, 1, Float.NaN, 0, 25, Float.NaN}, d.features());
    }

    @Test
    void aSemicolonFileGetsAHintAndColumnsAreNumberedFromOne() {
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> Csv.parse("a;b;y\n1;2;0\n", "s.csv").header(true).labelColumn(2).build());
        assertTrue(e.getMessage().contains("';'-separated"), e.getMessage());
        assertTrue(e.getMessage().contains("column 3 "), e.getMessage());
    }
}
