package dag

import (
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// TestQuoteValueShortcut: quoteValue's ASCII shortcut answers as the rule
// it shortcuts.
func TestQuoteValueShortcut(t *testing.T) {
	slow := func(v string) string {
		if v == "" || strings.ContainsAny(v, ",()=\"\\") || strings.IndexFunc(v, func(r rune) bool {
			return unicode.IsSpace(r) || !unicode.IsPrint(r)
		}) >= 0 {
			return strconv.Quote(v)
		}
		return v
	}
	vals := []string{"", "a", "A1", "s12345", "a b", "a\tb", "x,y", "(x)", "k=v", `q"`, `b\N`, "ünï", "日本", "\x7f", "\xff", "a\u00a0b", "~!@#$%^&*_+-[]{};:'<>./?|`"}
	for c := 0; c < 256; c++ {
		vals = append(vals, string([]byte{byte(c)}), "a"+string([]byte{byte(c)}))
	}
	for _, v := range vals {
		if got, want := quoteValue(v), slow(v); got != want {
			t.Errorf("quoteValue(%q) = %q, want %q", v, got, want)
		}
	}
}
