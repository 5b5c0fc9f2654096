// Gen prints java.text.BreakIterator line-break offsets in the format of
// ../linebreaks.txt: the input (tab and backslash escaped), a tab, the offsets.
//
//   javac Gen.java
//   java Gen - < fixed.txt     # inputs from stdin, \t means a tab
//   java Gen 1 2500            # random inputs from seed 1
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.text.BreakIterator;
import java.util.Locale;
import java.util.Random;

public class Gen {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("-")) {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String s; (s = in.readLine()) != null; ) {
                print(s.replace("\\t", "\t"));
            }
            return;
        }
        Random rnd = new Random(Long.parseLong(args[0]));
        int n = Integer.parseInt(args[1]);
        String alphabet = "aaaabbbcX0123   ..,,:;!?%\"'$()[]{}---\t/=_#&*+<>@\\^`|~";
        for (int i = 0; i < n; i++) {
            StringBuilder s = new StringBuilder();
            for (int j = 1 + rnd.nextInt(14); j > 0; j--) {
                s.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            }
            print(s.toString());
        }
    }

    static void print(String s) {
        BreakIterator it = BreakIterator.getLineInstance(Locale.US);
        it.setText(s);
        StringBuilder out = new StringBuilder();
        it.first();
        for (int end = it.next(); end != BreakIterator.DONE; end = it.next()) {
            if (out.length() > 0) {
                out.append(' ');
            }
            out.append(end);
        }
        System.out.println(s.replace("\\", "\\\\").replace("\t", "\\t") + "\t" + out);
    }
}
