package cli

import (
	"regexp"
	"unicode"
)

// Kafka's tools print usage with jopt-simple, which wraps descriptions at the
// break opportunities of java.text.BreakIterator.getLineInstance. The JDK's
// line iterator is rule based and differs from UAX #14: it breaks after
// sentence punctuation followed by a letter ("e." | "g."), after a run of
// dashes ("--" | "bootstrap-" | "server") and after a tab, but keeps numbers
// such as "-1", "1.5" and "1,000" together, and a "$" or "'" joins the words
// around it ("don't"). A break follows the longest match of
//
//	word (join word)* space* enclosing* ("()" post*)? enclosing* CR? hardbreak?
//	word   = pre* (char* | kanji | number) (dash+ | post*)
//	number = (pre | dash)* digit+ (mid digit+)*
//	join   = space* glue+ space? | "$" | "'"
//
// where the classes are the JDK's (pre: currency and opening punctuation and
// quotes; post: closing punctuation and .,:;!?%"; mid: . and ,). To match
// that with a regular expression, every rune is mapped to one symbol naming
// the set of classes it belongs to; testdata/linebreaks.txt pins the result
// against the JDK for thousands of inputs.

// Symbols; a rune in several classes gets a symbol of its own.
const (
	symBreak   = 'b' // ETX, tab, LF, FF, LS, PS: always break after
	symGlue    = 'g' // no-break spaces
	symSpace   = 's'
	symDash    = 'd'
	symPre     = 'p' // currency (but ¢, $), Ps (but "("), Pi
	symQuote   = 'q' // '"': pre and post
	symApos    = 'a' // '\'': pre and join
	symDollar  = '$' // pre and join
	symOpen    = '(' // pre, and the "(" of "()"
	symClose   = ')' // post, and the ")" of "()"
	symPost    = 'o'
	symMid     = 'm' // '.' ',': post and mid-number
	symDigit   = 'n' // digits are also ordinary characters
	symKanji   = 'k'
	symEnclose = 'e' // Mn, Me: also ordinary characters
	symCR      = 'r'
	symDanda   = 'D'
	symChar    = 'c'
	symIgnore  = 0 // format and control characters: transparent
)

const (
	rePre    = `[pqa$(]`
	rePost   = `[oqm)]`
	reNumber = `[pqa$(d]*n+(?:mn+)*`
	reWord   = rePre + `*(?:[cne]*|k|` + reNumber + `)(?:d+|` + rePost + `*)`
	reJoin   = `(?:s*g+s?|[a$])`
	reLine   = `^` + reWord + `(?:` + reJoin + reWord + `)*s*e*(?:\(\)` + rePost + `*)?e*r?b?`
)

func symbol(r rune) byte {
	switch r {
	case '\u0003', '\t', '\n', '\f', '\u2028', '\u2029':
		return symBreak
	case '\r':
		return symCR
	case '\u00a0', '\u0f0c', '\u2007', '\u2011', '\u202f', '\ufeff':
		return symGlue
	case '"':
		return symQuote
	case '\'':
		return symApos
	case '$':
		return symDollar
	case '(':
		return symOpen
	case ')':
		return symClose
	case '.', ',':
		return symMid
	case '!', '%', ':', ';', '?', '\u00a2', '\u00b0', '\u066a', '\u2103', '\u2105', '\u2109',
		'\u3001', '\u3002', '\u3005', '\uff01', '\uff05', '\uff0c', '\uff0e', '\uff1a', '\uff1b', '\uff1f':
		return symPost
	case '\u00ad':
		return symDash
	case '\u0964', '\u0965':
		return symDanda
	}
	switch {
	case r >= '\u2030' && r <= '\u2034':
		return symPost
	case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Cc, r):
		return symIgnore
	case unicode.Is(unicode.Zs, r):
		return symSpace
	case unicode.Is(unicode.Pd, r):
		return symDash
	case unicode.Is(unicode.Sc, r), unicode.Is(unicode.Ps, r), unicode.Is(unicode.Pi, r):
		return symPre
	case unicode.Is(unicode.Pe, r), unicode.Is(unicode.Pf, r):
		return symPost
	case r >= '\u4e00' && r <= '\u9fa5', r >= '\uac00' && r <= '\ud7a3', r >= '\uf900' && r <= '\ufa2d',
		r >= '\ufa30' && r <= '\ufa6a', r >= '\u3041' && r <= '\u3094', r >= '\u30a1' && r <= '\u30fa':
		return symKanji
	case unicode.Is(unicode.Nd, r), unicode.Is(unicode.No, r):
		return symDigit
	case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r):
		return symEnclose
	}
	return symChar
}

// lineBreaker finds line-break opportunities; make one per use with
// newLineBreaker (compiling its expression costs more than using it).
type lineBreaker struct{ re *regexp.Regexp }

func newLineBreaker() lineBreaker {
	re := regexp.MustCompile(reLine)
	re.Longest()
	return lineBreaker{re}
}

// LineBreaks returns the rune offsets after which Java's
// BreakIterator.getLineInstance lets s be broken across lines, in order; the
// last one is len(s). Kafka's option parsers (jopt-simple, argparse4j) wrap
// help text at these offsets.
func LineBreaks(s []rune) []int { return newLineBreaker().breaks(s) }

func (lb lineBreaker) breaks(s []rune) []int {
	// Ignored runes are dropped from the symbol string and stay attached to
	// the rune before them.
	syms := make([]byte, 0, len(s))
	pos := make([]int, 0, len(s)+1) // rune offset of each symbol
	for i, r := range s {
		if c := symbol(r); c != symIgnore {
			syms = append(syms, c)
			pos = append(pos, i)
		}
	}
	pos = append(pos, len(s))
	re := lb.re
	var out []int
	for p := 0; p < len(syms); {
		n := 1
		if loc := re.FindIndex(syms[p:]); loc != nil && loc[1] > 0 {
			n = loc[1]
		}
		p += n
		out = append(out, pos[p])
	}
	if len(out) == 0 && len(s) > 0 {
		out = append(out, len(s))
	}
	return out
}
