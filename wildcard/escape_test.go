package wildcard

import (
	"reflect"
	"testing"
)

func TestEscapes(t *testing.T) {
	tests := []struct {
		value string
		want  bool
	}{
		{"", false},
		{"a", false},
		{"a/b", false},
		{".", false},
		{"./a", false},
		{"a/./b", false},
		{"...", false},
		{"..a", false},
		{"a..", false},
		{"a/..b", false},
		{"a../b", false},
		{"a/.../b", false},
		{"a..b..c", false},
		{"..", true},
		{"../a", true},
		{"a/..", true},
		{"a/../b", true},
		{"a/../../x", true},
		{"x/..a/../y", true},
		{"..a/..", true},
		{"/", true},
		{"/tmp/x", true},
		{"//x", true},
	}
	for _, tt := range tests {
		if got := Escapes(tt.value); got != tt.want {
			t.Errorf("Escapes(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}

// TestMatchStaysInside checks that Match never binds a value that leaves
// the working directory, while the author's literal text may, and that
// Escape names the refused wildcard.
func TestMatchStaysInside(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          map[string]string // nil: no match
		escName       string            // with want nil: Escape's wildcard, or "" for nil
		escValue      string
	}{
		{"{name}.txt", "../outside.txt", nil, "name", "../outside"},
		{"{name}.txt", "/tmp/x.txt", nil, "name", "/tmp/x"},
		{"{name}.txt", "a/../../x.txt", nil, "name", "a/../../x"},
		{"{name}", "..", nil, "name", ".."},
		{"out/{a}/{b}.txt", "out/../x.txt", nil, "a", ".."},
		{"{a}_{b}", "x_../y", nil, "b", "../y"},
		{"{s}/x/{s}", "../x/..", nil, "s", ".."},
		{"{s,.*}.txt", "/.txt", nil, "s", "/"},
		{"{name}.txt", "x.csv", nil, "", ""},
		// A ".." made of a value and the text next to it leaves too.
		{".{a}", "../x", nil, "a", "./x"},
		{"{a}{b}", "../x", nil, "a", "../"},
		{"{a}.{b}", "../x", nil, "b", "/x"},
		// When the regexp's split leaves, another that stays is found.
		{"{a}{b}", "xy/", map[string]string{"a": "x", "b": "y/"}, "", ""},
		{"{A}{B}{C}", "é00/", map[string]string{"A": "é", "B": "0", "C": "0/"}, "", ""},
		{"{s,.*}", "", map[string]string{"s": ""}, "", ""},
		// Values with "/" stay allowed, as in Snakemake.
		{"{sample}.txt", "a/b.txt", map[string]string{"sample": "a/b"}, "", ""},
		{"{s}.txt", "..a.txt", map[string]string{"s": "..a"}, "", ""},
		{"{s}.txt", "a..b/c...txt", map[string]string{"s": "a..b/c.."}, "", ""},
		{"{a}/{b}", "x/y/z", map[string]string{"a": "x/y", "b": "z"}, "", ""},
		// The author's own literal text may point outside.
		{"../data/{s}.fq", "../data/A.fq", map[string]string{"s": "A"}, "", ""},
		{"/abs/{s}.txt", "/abs/x.txt", map[string]string{"s": "x"}, "", ""},
		{"../raw.fq", "../raw.fq", map[string]string{}, "", ""},
	}
	for _, tt := range tests {
		p, err := Parse(tt.pattern, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := p.Match(tt.path)
		if ok != (tt.want != nil) || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Match(%q) on %q = %q, %v; want %q", tt.path, tt.pattern, got, ok, tt.want)
		}
		e := p.Escape(tt.path)
		switch {
		case tt.escName == "" && e != nil:
			t.Errorf("Escape(%q) on %q = %v, want nil", tt.path, tt.pattern, e)
		case tt.escName != "" && (e == nil || e.Name != tt.escName || e.Value != tt.escValue || e.Path != tt.path):
			t.Errorf("Escape(%q) on %q = %+v, want {%s}=%q", tt.path, tt.pattern, e, tt.escName, tt.escValue)
		}
	}
	e := &EscapeError{Name: "name", Value: "../outside"}
	if got, want := e.Error(), `a wildcard value may not leave the working directory ({name}="../outside")`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
