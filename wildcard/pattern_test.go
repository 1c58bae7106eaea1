package wildcard

import (
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		cons    map[string]string
		path    string
		want    map[string]string // nil: no match
	}{
		{"literal", "data/a.txt", nil, "data/a.txt", map[string]string{}},
		{"literal differs", "data/a.txt", nil, "data/b.txt", nil},
		{"literal dot is not any char", "data/a.txt", nil, "data/aXtxt", nil},
		{"one wildcard", "counts/{sample}.txt", nil, "counts/A.txt", map[string]string{"sample": "A"}},
		{"default spans slash", "counts/{sample}.txt", nil, "counts/a/b.txt", map[string]string{"sample": "a/b"}},
		{"prefix differs", "counts/{sample}.txt", nil, "count/A.txt", nil},
		{"suffix differs", "counts/{sample}.txt", nil, "counts/A.csv", nil},
		{"prefix and suffix overlap", "a{x}a", nil, "a", nil},
		{"default excludes newline", "{x}.txt", nil, "a\nb.txt", nil},

		{"global constraint rejects", "counts/{sample}.txt", map[string]string{"sample": "[a-z]+"}, "counts/A.txt", nil},
		{"global constraint accepts", "counts/{sample}.txt", map[string]string{"sample": "[a-z]+"}, "counts/abc.txt", map[string]string{"sample": "abc"}},
		{"global constraint for other name", "counts/{sample}.txt", map[string]string{"other": "[a-z]+"}, "counts/A.txt", map[string]string{"sample": "A"}},
		{"inline wins over global", "{s,[0-9]+}.txt", map[string]string{"s": "[a-z]+"}, "12.txt", map[string]string{"s": "12"}},
		{"inline wins over global, rejects", "{s,[0-9]+}.txt", map[string]string{"s": "[a-z]+"}, "ab.txt", nil},
		{"inline with braces", "{id,[0-9]{3}}.txt", nil, "123.txt", map[string]string{"id": "123"}},
		{"inline with braces, too long", "{id,[0-9]{3}}.txt", nil, "1234.txt", nil},
		{"inline with blanks", "{ id , [0-9]+}.txt", nil, "12.txt", map[string]string{"id": "12"}},
		{"alternation is grouped", "{x,a|b}{y,c|d}", nil, "ad", map[string]string{"x": "a", "y": "d"}},
		{"alternation is grouped, rejects", "{x,a|b}{y,c|d}", nil, "abd", nil},
		{"constraint with groups", "{a,(x)+}-{b,(y|z)}/{c}", nil, "xx-z/w", map[string]string{"a": "xx", "b": "z", "c": "w"}},
		{"constraint anchors nothing outside", "p/{x,[a-z]+}/{y}", nil, "p/ab/1/2", map[string]string{"x": "ab", "y": "1/2"}},
		{"redundant anchors dropped", "{a,^[a-z]+$}_{b,\\A[0-9]+\\z}", nil, "ab_12", map[string]string{"a": "ab", "b": "12"}},
		{"redundant anchors dropped, rejects", "{a,^[a-z]+$}_{b}", nil, "a1_2", nil},
		{"constraint limits slash", "{a,[^/]+}/{b}", nil, "x/y/z", map[string]string{"a": "x", "b": "y/z"}},

		{"repeated equal", "{s}/{s}.txt", nil, "a/a.txt", map[string]string{"s": "a"}},
		{"repeated unequal", "{s}/{s}.txt", nil, "a/b.txt", nil},
		{"repeated, greedy split unequal", "{s}/{s}.txt", nil, "a/b/a/b.txt", map[string]string{"s": "a/b"}},
		{"repeated three times", "{s}-{t}-{s}-{s}", nil, "x-y-x-x", map[string]string{"s": "x", "t": "y"}},
		{"repeated, one constrained", "{s,[a-z]+}/{s}.txt", nil, "ab/ab.txt", map[string]string{"s": "ab"}},
		{"repeated, constraint applies to all", "{s,[a-z]+}/{n}/{s}", nil, "ab/1/ab", map[string]string{"s": "ab", "n": "1"}},

		{"dot in literal", "{a}.{b}", nil, "x.y", map[string]string{"a": "x", "b": "y"}},
		{"dot in literal is not any char", "{a}.{b}", nil, "xzy", nil},
		{"plus in literal", "{a}+{b}", nil, "x+y", map[string]string{"a": "x", "b": "y"}},
		{"plus in literal is not repeat", "{a}x+{b}", nil, "axxb", nil},
		{"paren in literal", "{a}({b})", nil, "x(y)", map[string]string{"a": "x", "b": "y"}},
		{"bracket in literal", "{a}[{b}]", nil, "x[y]", map[string]string{"a": "x", "b": "y"}},
		{"bracket in literal is not a class", "{a}[{b}]", nil, "xy", nil},
		{"anchors in literal", "{a}$^{b}", nil, "x$^y", map[string]string{"a": "x", "b": "y"}},
		{"backslash in literal", `{a}\{b}`, nil, `x\y`, map[string]string{"a": "x", "b": "y"}},
		{"metachars in prefix", "r+(1)[2].{a}", nil, "r+(1)[2].z", map[string]string{"a": "z"}},
		{"escaped braces", "{{x}}/{y}", nil, "{x}/1", map[string]string{"y": "1"}},

		{"spaces", "my data/{sample} file.txt", nil, "my data/a b file.txt", map[string]string{"sample": "a b"}},
		{"unicode", "データ/{s}.txt", nil, "データ/サンプル é.txt", map[string]string{"s": "サンプル é"}},
		{"unicode between wildcards", "{a}→{b}", nil, "α→β→γ", map[string]string{"a": "α→β", "b": "γ"}},

		// A constraint that matches "" allows an empty value, as in
		// Snakemake; the default and non-empty constraints do not.
		{"empty value allowed by .*", "{x,.*}.txt", nil, ".txt", map[string]string{"x": ""}},
		{"empty value between literals", "out{suffix,.*}.txt", nil, "out.txt", map[string]string{"suffix": ""}},
		{"empty value, greedy first", "{x,.*}{y,.*}", nil, "ab", map[string]string{"x": "ab", "y": ""}},
		{"empty value last", "{x,.*}/{y,.*}", nil, "a/", map[string]string{"x": "a", "y": ""}},
		{"empty value by global constraint", "out{s}.txt", map[string]string{"s": "[a-z]*"}, "out.txt", map[string]string{"s": ""}},
		{"empty value by optional group", "v{n,(_[0-9]+)?}.txt", nil, "v.txt", map[string]string{"n": ""}},
		{"empty value rejected by default", "out{x}.txt", nil, "out.txt", nil},
		{"empty value rejected by +", "out{x,[a-z]+}.txt", nil, "out.txt", nil},
		{"empty value rejected, other split found", "{x}{y,.*}", nil, "ab", map[string]string{"x": "ab", "y": ""}},
		{"empty value rejected for one, other split", "{x,.*}{y}", nil, "ab", map[string]string{"x": "a", "y": "b"}},
		{"empty value rejected, no other split", "{x}/{y}", nil, "a/", nil},
		{"repeated empty", "{s,.*}/x{s,.*}", nil, "/x", map[string]string{"s": ""}},
		{"repeated empty unequal", "{s,.*}/x{s,.*}", nil, "/xa", nil},
		{"empty search with repeats", "{a,.*}-{b}-{a,.*}", nil, "-q-", map[string]string{"a": "", "b": "q"}},

		// Go's regexp is leftmost-first: the first wildcard takes as much
		// as it can. Snakemake (Python re) behaves the same.
		{"greedy", "{a}_{b}", nil, "x_y_z", map[string]string{"a": "x_y", "b": "z"}},
		{"greedy with lazy constraint", "{a,.+?}_{b}", nil, "x_y_z", map[string]string{"a": "x", "b": "y_z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.pattern, tt.cons)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.pattern, err)
			}
			got, ok := p.Match(tt.path)
			if ok != (tt.want != nil) || !reflect.DeepEqual(got, tt.want) && ok {
				t.Fatalf("Match(%q) on %q = %v, %v; want %v", tt.path, tt.pattern, got, ok, tt.want)
			}
			if !ok {
				return
			}
			// Every binding must rebuild the path.
			back, err := p.Substitute(got)
			if err != nil || back != tt.path {
				t.Errorf("Substitute(%v) = %q, %v; want %q", got, back, err, tt.path)
			}
		})
	}
}

// TestMatchSearchBudget checks that pathological repeated patterns give up
// (a few ms each) instead of running for minutes. No split can work: the
// single "y" would have to appear in two copies of a repeated value.
func TestMatchSearchBudget(t *testing.T) {
	path := strings.Repeat("x", 1000) + "y#"
	for _, pattern := range []string{
		"{a}{b}{c}{d}{a}{b}{c}{d}#",
		"{a,[a-z0-9]{1,500}x?}{b}{a}{b}#",
		`{a,(?:[\pL\pN]|x){0,1000}}{b,(?:[\pL\pN]|y){0,1000}}{a}{b}#`,
	} {
		p, err := Parse(pattern, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := p.Match(path); ok {
			t.Errorf("Match on %q = %v, want no match", pattern, got)
		}
	}
}

// TestMatchLongRepeats checks that the fallback finds the split of long
// repeated values directly (by length), well within its budget.
func TestMatchLongRepeats(t *testing.T) {
	v := strings.Repeat("ab/", 2000)
	tests := []struct {
		pattern string
		path    string
		want    map[string]string
	}{
		{"{a}{a}{a}{a}", v + v + v + v, map[string]string{"a": v}},
		{"{a}/{b}/{a}", v + "/x/" + v, map[string]string{"a": v, "b": "x"}},
		{"{a,[ab/]+}{a}", v + v, map[string]string{"a": v}},
	}
	for _, tt := range tests {
		p, err := Parse(tt.pattern, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := p.Match(tt.path); !ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Match on %q: got %d values, %v", tt.pattern, len(got), ok)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		pattern string
		cons    map[string]string
		offset  int
		msg     string // substring of Msg
	}{
		{"a/{b", nil, 2, `unclosed "{"`},
		{"a/{b,[0-9]{3}", nil, 2, `unclosed "{"`},
		{`{a,\}`, nil, 0, `unclosed "{"`},
		{"a}b", nil, 1, `unmatched "}"`},
		{"{a}}", nil, 3, `unmatched "}"`},
		{"{{a}", nil, 3, `unmatched "}"`},
		{"x/{}", nil, 3, "empty wildcard name"},
		{"x/{,[0-9]}", nil, 3, "empty wildcard name"},
		{"x/{1a}", nil, 3, `invalid wildcard name "1a"`},
		{"x/{a-b}", nil, 3, `invalid wildcard name "a-b"`},
		{"x/{ é }", nil, 4, `invalid wildcard name "é"`},
		{"{a,}", nil, 3, "empty constraint for wildcard {a}"},
		{"x/{a,[}", nil, 5, "invalid constraint for wildcard {a}"},
		{"x/{a, (}", nil, 6, "invalid constraint for wildcard {a}"},
		{"{a,x$y}/{b}", nil, 3, "invalid constraint for wildcard {a}"},
		{"{a,x$|y}/{b}", nil, 3, "$ and \\z only end it"},
		{"p/{a,\\bx}", nil, 5, "invalid constraint for wildcard {a}"},
		{"p/{a,(?m)^x}", nil, 5, "invalid constraint for wildcard {a}"},
		{"p/{a}", map[string]string{"a": "x^"}, 2, "invalid constraint for wildcard {a}"},
		{"{a,x}/{a,y}", nil, 9, "wildcard {a} has two different constraints"},
		{"x/{a}", map[string]string{"a": "("}, 2, "invalid constraint for wildcard {a}"},
		{"x/{a}", map[string]string{"a": ""}, 2, "empty constraint for wildcard {a}"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			p, err := Parse(tt.pattern, tt.cons)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v, %v; want *SyntaxError", tt.pattern, p, err)
			}
			if se.Pattern != tt.pattern || se.Offset != tt.offset || !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("got %+v; want offset %d, message containing %q", se, tt.offset, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "pattern "+quote(tt.pattern)+": ") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `\`, `\\`) + `"` }

func TestAccessors(t *testing.T) {
	tests := []struct {
		pattern        string
		cons           map[string]string
		names          []string
		prefix, suffix string
		constraints    map[string]string
	}{
		{"data/a.txt", nil, nil, "data/a.txt", "data/a.txt", nil},
		{"counts/{sample}.txt", nil, []string{"sample"}, "counts/", ".txt", map[string]string{"sample": ".+", "x": ""}},
		{"{a}/{b}/{a}.txt", map[string]string{"b": "[0-9]+"}, []string{"a", "b"}, "", ".txt", map[string]string{"a": ".+", "b": "[0-9]+"}},
		{"x{{/{a,[a-z]{2}}}}", map[string]string{"a": "[0-9]+"}, []string{"a"}, "x{/", "}", map[string]string{"a": "[a-z]{2}"}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			p, err := Parse(tt.pattern, tt.cons)
			if err != nil {
				t.Fatal(err)
			}
			if p.String() != tt.pattern {
				t.Errorf("String() = %q", p.String())
			}
			if got := p.Names(); len(got) != len(tt.names) || len(got) > 0 && !reflect.DeepEqual(got, tt.names) {
				t.Errorf("Names() = %q, want %q", got, tt.names)
			}
			if p.HasWildcards() != (len(tt.names) > 0) {
				t.Errorf("HasWildcards() = %v", p.HasWildcards())
			}
			if p.Prefix() != tt.prefix || p.Suffix() != tt.suffix {
				t.Errorf("Prefix(), Suffix() = %q, %q; want %q, %q", p.Prefix(), p.Suffix(), tt.prefix, tt.suffix)
			}
			for name, want := range tt.constraints {
				if got := p.Constraint(name); got != want {
					t.Errorf("Constraint(%q) = %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestNamesIsACopy(t *testing.T) {
	p, err := Parse("{a}/{b}", nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Names()[0] = "z"
	if got := p.Names(); got[0] != "a" {
		t.Errorf("Names() after changing a copy = %q", got)
	}
}

func TestSubstitute(t *testing.T) {
	tests := []struct {
		pattern string
		values  map[string]string
		want    string
		missing string // name in the *MissingError; "" when no error
	}{
		{"x/{sample}.txt", map[string]string{"sample": "A"}, "x/A.txt", ""},
		{"x/{sample}.txt", map[string]string{"sample": "A", "extra": "B"}, "x/A.txt", ""},
		{"{s}/{t}/{s}", map[string]string{"s": "a", "t": "b"}, "a/b/a", ""},
		{"{s,[0-9]+}.txt", map[string]string{"s": "not checked"}, "not checked.txt", ""},
		{"{{x}}/{y}", map[string]string{"y": "1"}, "{x}/1", ""},
		{"plain.txt", nil, "plain.txt", ""},
		{"x/{sample}.txt", nil, "", "sample"},
		{"x/{a}/{b}.txt", map[string]string{"a": "1"}, "", "b"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			p, err := Parse(tt.pattern, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Substitute(tt.values)
			// AppendSubstitute appends the same text, or fails the same way.
			app, appErr := p.AppendSubstitute([]byte("pre:"), tt.values)
			if tt.missing == "" {
				if err != nil || got != tt.want {
					t.Errorf("Substitute = %q, %v; want %q", got, err, tt.want)
				}
				if appErr != nil || string(app) != "pre:"+tt.want {
					t.Errorf("AppendSubstitute = %q, %v; want %q", app, appErr, "pre:"+tt.want)
				}
				return
			}
			var me *MissingError
			if !errors.As(err, &me) || me.Name != tt.missing || me.Pattern != tt.pattern {
				t.Errorf("Substitute = %q, %v; want *MissingError for %q", got, err, tt.missing)
			}
			if !errors.As(appErr, &me) || me.Name != tt.missing || me.Pattern != tt.pattern {
				t.Errorf("AppendSubstitute = %q, %v; want *MissingError for %q", app, appErr, tt.missing)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	me := &MissingError{Pattern: "x/{sample}.txt", Name: "sample"}
	if got, want := me.Error(), `no value for wildcard {sample} in "x/{sample}.txt"`; got != want {
		t.Errorf("MissingError = %q, want %q", got, want)
	}
	_, err := Parse("a/{b", nil)
	if got, want := err.Error(), `pattern "a/{b": unclosed "{" (write "{{" for a literal brace) at offset 2`; got != want {
		t.Errorf("SyntaxError = %q, want %q", got, want)
	}
}

// TestRoundTrip checks Match(Substitute(v)) == v for unambiguous patterns.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		pattern string
		values  map[string]string
	}{
		{"counts/{sample}.txt", map[string]string{"sample": "a b/é"}},
		{"{s,[a-z]+}_{n,[0-9]+}.{ext}", map[string]string{"s": "abc", "n": "42", "ext": "tar.gz"}},
		{"{s}/{s}.bam", map[string]string{"s": "x/y"}},
		{"r[1]/{id,[0-9]{3}}(+).txt", map[string]string{"id": "007"}},
		{"{{lit}}/{v}", map[string]string{"v": "{not a wildcard}"}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			p, err := Parse(tt.pattern, nil)
			if err != nil {
				t.Fatal(err)
			}
			path, err := p.Substitute(tt.values)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := p.Match(path)
			if !ok || !reflect.DeepEqual(got, tt.values) {
				t.Errorf("Match(%q) = %v, %v; want %v", path, got, ok, tt.values)
			}
		})
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{".", "."},
		{"/", "/"},
		{"a/b", "a/b"},
		{"a/./b", "a/b"},
		{"a//b", "a/b"},
		{"a/x/../b", "a/b"},
		{"a/b/", "a/b"},
		{"./a", "a"},
		{"a/..", "."},
		{"../a", "../a"},
		{"a/../../b", "../b"},
		{"/a/../../b", "/b"},
		{"//a", "/a"},
		{"x/{a,[a-z]//[0-9]}/./y", "x/{a,[a-z]//[0-9]}/y"},
		{"x/{a,/./}/", "x/{a,/./}"},
		{"a/{id,[0-9]{3}}//c", "a/{id,[0-9]{3}}/c"},
		{"x/{a,../}/../y", "x/{a,../}/../y"},
		{"{a}/../b", "{a}/../b"},
		{"p/{a}.d/../../b", "p/{a}.d/../../b"},
		{"{{a/../b", "b"},
		{"x}}/./y", "x}}/y"},
		{"x//{a/./b", "x/{a/./b"},
	}
	for _, tt := range tests {
		if got := Clean(tt.in); got != tt.want {
			t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExpand(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		values   map[string][]string
		want     []string
	}{
		{"product, last fastest", []string{"{a}_{b}"},
			map[string][]string{"a": {"1", "2"}, "b": {"x", "y"}},
			[]string{"1_x", "1_y", "2_x", "2_y"}},
		{"order of first appearance, not of keys", []string{"{b}/{a}"},
			map[string][]string{"a": {"1", "2"}, "b": {"x", "y"}},
			[]string{"x/1", "x/2", "y/1", "y/2"}},
		{"repeated name", []string{"{a}/{a}.txt"},
			map[string][]string{"a": {"1", "2"}},
			[]string{"1/1.txt", "2/2.txt"}},
		{"unused key adds nothing", []string{"{a}"},
			map[string][]string{"a": {"1"}, "b": {"x", "y"}},
			[]string{"1"}},
		{"escaped braces", []string{"{{sample}}/{a}.txt"},
			map[string][]string{"a": {"1"}, "sample": {"s"}},
			[]string{"{sample}/1.txt"}},
		{"patterns outermost", []string{"p/{a}", "q/{a}.{b}"},
			map[string][]string{"a": {"1", "2"}, "b": {"x"}},
			[]string{"p/1", "p/2", "q/1.x", "q/2.x"}},
		{"empty list", []string{"x/{a}", "y"},
			map[string][]string{"a": {}},
			[]string{"y"}},
		{"no patterns", nil, nil, []string{}},
		{"inline constraint", []string{"{n,[0-9]+}.txt"},
			map[string][]string{"n": {"1"}},
			[]string{"1.txt"}},
		{"three names", []string{"{a}{b}{c}"},
			map[string][]string{"a": {"1", "2"}, "b": {"x"}, "c": {"p", "q"}},
			[]string{"1xp", "1xq", "2xp", "2xq"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(tt.patterns, tt.values)
			if err != nil || got == nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Expand = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestExpandErrors(t *testing.T) {
	_, err := Expand([]string{"ok/{a}", "x/{a}/{b}.txt"}, map[string][]string{"a": {"1"}})
	var me *MissingError
	if !errors.As(err, &me) || me.Name != "b" || me.Pattern != "x/{a}/{b}.txt" {
		t.Errorf("missing key: got %v, want *MissingError for b", err)
	}
	_, err = Expand([]string{"x/{a"}, map[string][]string{"a": {"1"}})
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != 2 {
		t.Errorf("bad pattern: got %v, want *SyntaxError at 2", err)
	}
}

// MatchLike binds as Match does, and hands back like itself only when
// the binding is exactly like.
func TestMatchLike(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		like          map[string]string
		same          bool // the result is like itself
	}{
		{"b/{s}.txt", "b/x.txt", map[string]string{"s": "x"}, true},
		{"b/{s}.txt", "b/x.txt", map[string]string{"s": "y"}, false},
		{"b/{s}.txt", "b/x.txt", map[string]string{"t": "x"}, false},
		{"b/{s}.txt", "b/x.txt", map[string]string{"s": "x", "t": "x"}, false},
		{"b/{s}.txt", "b/x.txt", nil, false},
		{"b/{s}/{t}.txt", "b/x/y.txt", map[string]string{"s": "x", "t": "y"}, false}, // two names: a new map
		{"b/{s,[0-9]+}.txt", "b/x.txt", map[string]string{"s": "x"}, false},          // no match
		{"b/{s}.txt", "b/../x.txt", map[string]string{"s": ".."}, false},             // escapes: no match
		{"a.txt", "a.txt", map[string]string{}, false},
	} {
		p, err := Parse(tc.pattern, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.pattern, err)
		}
		want, wantOK := p.Match(tc.path)
		got, ok := p.MatchLike(tc.path, tc.like)
		if ok != wantOK || !maps.Equal(got, want) {
			t.Errorf("%s on %s like %v: %v %v, Match gives %v %v", tc.pattern, tc.path, tc.like, got, ok, want, wantOK)
		}
		same := ok && tc.like != nil && reflect.ValueOf(got).Pointer() == reflect.ValueOf(tc.like).Pointer()
		if same != tc.same {
			t.Errorf("%s on %s like %v: returned like itself %v, want %v", tc.pattern, tc.path, tc.like, same, tc.same)
		}
	}
}
