package rules

import (
	"strconv"
	"strings"
	"testing"
	"unicode"
)

func TestJobName(t *testing.T) {
	tests := []struct {
		wc                    map[string]string
		plain, ruled, compact string
	}{
		{nil, "all", "rule all", "all"},
		{map[string]string{"s": "A"}, "all (s=A)", "rule all (s=A)", "all s=A"},
		{map[string]string{"u": "1", "s": "A"}, "all (s=A, u=1)", "rule all (s=A, u=1)", "all s=A u=1"},
		{map[string]string{"s": "a, b"}, `all (s="a, b")`, `rule all (s="a, b")`, `all s="a, b"`},
		{map[string]string{"s": "x=y)"}, `all (s="x=y)")`, `rule all (s="x=y)")`, `all s="x=y)"`},
		{map[string]string{"s": "tab\there"}, `all (s="tab\there")`, `rule all (s="tab\there")`, `all s="tab\there"`},
		{map[string]string{"s": ""}, `all (s="")`, `rule all (s="")`, `all s=""`},
		{map[string]string{"s": "ünï"}, "all (s=ünï)", "rule all (s=ünï)", "all s=ünï"},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			f    NameForm
			want string
		}{{Plain, tt.plain}, {Ruled, tt.ruled}, {Compact, tt.compact}} {
			if got := JobName("all", tt.wc, c.f); got != c.want {
				t.Errorf("JobName(all, %v, %d) = %s, want %s", tt.wc, c.f, got, c.want)
			}
		}
	}
	if got, want := WildcardList(map[string]string{"u": "1", "s": "a b"}), `s="a b", u=1`; got != want {
		t.Errorf("WildcardList = %s, want %s", got, want)
	}
	// One wildcard takes a shortcut: the same text.
	for _, tc := range []struct {
		wc    map[string]string
		quote bool
		want  string
	}{
		{map[string]string{"s": "a b"}, true, `s="a b"`},
		{map[string]string{"s": "a b"}, false, `s=a b`},
		{map[string]string{"s": ""}, true, `s=""`},
		{map[string]string{"i": "7"}, true, `i=7`},
	} {
		if got := JoinWildcards(tc.wc, ", ", tc.quote); got != tc.want {
			t.Errorf("JoinWildcards(%v, quote %v) = %s, want %s", tc.wc, tc.quote, got, tc.want)
		}
	}
}

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
