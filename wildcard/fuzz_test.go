package wildcard

import (
	"errors"
	"reflect"
	"regexp"
	"testing"
	"unicode/utf8"
)

// FuzzPatternRoundTrip parses arbitrary text; when it parses, it substitutes
// values that satisfy the constraints and checks that Match finds a binding
// that rebuilds the same path (equal to the values when the pattern has one
// wildcard; with several, "{a}_{b}" shows the split may differ). It also
// cross-checks Expand and Clean on the same text.
func FuzzPatternRoundTrip(f *testing.F) {
	seeds := [][4]string{
		{"counts/{sample}.txt", "A", "", ""},
		{"{a}_{b}", "x_y", "z", ""},
		{"{s}/{s}.txt", "a/b", "", ""},
		{"{id,[0-9]{3}}.{ext}", "123", "tar.gz", ""},
		{"{x,.*}{y,.*}", "a", "b", ""},
		{"out{x,.*}.txt", "", "", ""},
		{"{x,.*}-{y}-{x,.*}", "", "q", ""},
		{"r+(1)[2].{a}/{b,[^/]+}/{c}", "é ü", "b", "c/d"},
		{"{{lit}}/{v}", "{v}", "", ""},
		{"{a,a|b}{b,c|d}{a}", "a", "d", ""},
		{"a/{b", "", "", ""},
		{"x/{a,\\}}", "}", "", ""},
		{"{ a , (x)+ }-{b}", "xx", "-", ""},
		{"{a}.txt", "../x", "", ""},
		{"{a}/{b}", "/x", "..", ""},
		{".{a}", "./x", "", ""},
		{"{A}{B}{C}", "é", "0", "0/"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, pattern, v0, v1, v2 string) {
		c := Clean(pattern)
		if Clean(c) != c {
			t.Fatalf("Clean not idempotent: %q -> %q -> %q", pattern, c, Clean(c))
		}
		p, err := Parse(pattern, nil)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(pattern) {
				t.Fatalf("Parse(%q) error %#v", pattern, err)
			}
			return
		}
		if cp, err := Parse(c, nil); err != nil || !reflect.DeepEqual(cp.Names(), p.Names()) {
			t.Fatalf("Clean(%q) = %q parses to %v, %v", pattern, c, cp, err)
		}

		in := []string{v0, v1, v2}
		values := map[string]string{}
		lists := map[string][]string{}
		for i, name := range p.Names() {
			v := in[i%len(in)]
			if !fullMatch(t, p.Constraint(name), v) {
				return
			}
			values[name] = v
			lists[name] = []string{v}
		}
		path, err := p.Substitute(values)
		if err != nil {
			t.Fatal(err)
		}
		if exp, err := Expand([]string{pattern}, lists); err != nil || len(exp) != 1 || exp[0] != path {
			t.Fatalf("Expand = %q, %v; Substitute = %q", exp, err, path)
		}

		got, ok := p.Match(path)
		if ok && leavesWith(p, path, got) {
			t.Fatalf("Match(%q) on %q = %q leaves the working directory", path, pattern, got)
		}
		if !ok && leavesWith(p, path, values) {
			// Refused on purpose (Escape says why); another split might
			// stay inside, but Match does not look for one.
			return
		}
		if !ok && !allValid(values) {
			// The regexp reads runes, so a value that ends in half a rune
			// the next text completes ("\xc3" then "\xa9") cannot be split
			// off again. Such names are rare; only check consistency.
			return
		}
		if !ok {
			t.Fatalf("Match(%q) on %q: no match; values %q", path, pattern, values)
		}
		if back, err := p.Substitute(got); err != nil || back != path {
			t.Fatalf("Match(%q) on %q = %q, which rebuilds %q, %v", path, pattern, got, back, err)
		}
		for name, v := range got {
			if !fullMatch(t, p.Constraint(name), v) {
				t.Fatalf("Match(%q) on %q = %q: %s=%q breaks its constraint", path, pattern, got, name, v)
			}
		}
		if len(p.occ) == 1 && !reflect.DeepEqual(got, values) {
			t.Fatalf("Match(%q) on %q = %q, want %q", path, pattern, got, values)
		}
	})
}

// leavesWith reports whether the binding values of path leaves the
// working directory, which Match refuses.
func leavesWith(p *Pattern, path string, values map[string]string) bool {
	byName := make([]string, len(p.names))
	for k, name := range p.names {
		if Escapes(values[name]) {
			return true
		}
		byName[k] = values[name]
	}
	return p.leaves(path, byName) >= 0
}

func allValid(values map[string]string) bool {
	for _, v := range values {
		if !utf8.ValidString(v) {
			return false
		}
	}
	return true
}

// fullMatch reports whether constraint re matches all of v. It avoids
// wrapping re in "^(?:...)$" as Parse does, to check Parse independently: the
// leftmost-longest match of v starts at 0 and ends at len(v) exactly when
// some match spans all of v.
func fullMatch(t *testing.T, re, v string) bool {
	r, err := regexp.Compile(re)
	if err != nil {
		t.Fatalf("constraint %q does not compile: %v", re, err)
	}
	r.Longest()
	loc := r.FindStringIndex(v)
	return loc != nil && loc[0] == 0 && loc[1] == len(v)
}
