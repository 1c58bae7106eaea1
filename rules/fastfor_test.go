package rules

import (
	"reflect"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// quickFor's numberStrings gives exactly what HCL's for expression gives,
// and only takes over the form [for v in COLL : tostring(v)].
func TestQuickFor(t *testing.T) {
	for _, tc := range []struct {
		src   string
		quick bool // whether quickFor replaces the for expression
	}{
		{`[for i in range(5) : tostring(i)]`, true},
		{`[for i in range(3, -3, -2) : tostring(i)]`, true},
		{`[for i in range(0) : tostring(i)]`, true},
		{`[for i in [1.5, 2] : tostring(i)]`, true},      // falls back: not whole
		{`[for i in ["a", "b"] : tostring(i)]`, true},    // falls back: strings
		{`[for i in [1, 2e20] : tostring(i)]`, true},     // falls back: too large to be sure
		{`[for i in [true, false] : tostring(i)]`, true}, // falls back: bools
		{`[for i in range(3) : tostring(i) if i > 0]`, false},
		{`[for k, i in range(3) : tostring(i)]`, false},
		{`[for i in range(3) : tostring(k)]`, false},
		{`{for i in range(3) : tostring(i) => i}`, false},
		{`[for i in range(3) : format("%d", i)]`, false},
		{`upper(join(",", [for i in range(3) : tostring(i)]))`, true},
		{`{ i = ([for i in range(3) : tostring(i)]) }`, true},
		{`[[for i in range(3) : tostring(i)]]`, true},
	} {
		plain, diags := hclsyntax.ParseExpression([]byte(tc.src), "x", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", tc.src, diags)
		}
		want, wantDiags := plain.Value(rootContext)

		fast, _ := hclsyntax.ParseExpression([]byte(tc.src), "x", hcl.InitialPos)
		fast = quickFor(fast).(hclsyntax.Expression)
		replaced := false
		hclsyntax.VisitAll(fast.(hclsyntax.Node), func(n hclsyntax.Node) hcl.Diagnostics {
			if _, ok := n.(numberStrings); ok {
				replaced = true
			}
			return nil
		})
		if replaced != tc.quick {
			t.Errorf("%s: replaced %v, want %v", tc.src, replaced, tc.quick)
		}
		got, gotDiags := fast.Value(rootContext)
		if !got.RawEquals(want) || len(gotDiags) != len(wantDiags) {
			t.Errorf("%s = %#v (%v), HCL makes %#v (%v)", tc.src, got, gotDiags, want, wantDiags)
		}
	}
}

// quickExpand gives exactly the paths HCL and expand give, and takes over
// where it should: expand over range, tostring of range, or plain lists.
func TestQuickExpand(t *testing.T) {
	for _, tc := range []struct {
		input string
		quick bool
	}{
		{`expand("out/{i}.txt", { i = [for i in range(5) : tostring(i)] })`, true},
		{`expand("out/{i}.txt", { i = range(5) })`, true},
		{`expand(["a/{i}_{s}.txt", "b/{s}"], { i = range(3, -3, -2), s = ["x", "y"] })`, true},
		{`expand("out/{i}.txt", { i = [for i in range(-4, 7, 3) : tostring(i)] })`, true},
		{`expand("out/{i}.txt", { i = range(0) })`, true},
		{`expand("out/{i}.txt", { "i" = range(2) })`, true},
		{`expand("out/{i}.txt", { i = range(config.n) })`, true},
		{`expand("out/{i}.txt", { i = [for i in range(config.n) : tostring(i)] })`, true},
		{`expand("out/{i}.txt", { i = [for i in [1.5, 2] : tostring(i)] })`, true}, // HCL's for, then plain strings
		{`expand("out/{i}.txt", { i = true })`, true},
		{`expand("out/{i}.txt", { i = [[1, 2], "a"] })`, true},
		{`expand("out/{i}.txt", { i = config.names })`, true},
		{`expand("out/{i}.txt", { i = range(0, 1, 0.5) })`, true},                          // not whole: through cty, then plain
		{`expand("out/{i}.txt", { i = range(4503599627370496, 4503599627370499) })`, true}, // too large for rangeText: through cty
		{`expand("out/{i}.txt", { i = range("3") })`, true},                                // a string, converted by cty
		{`expand("out/{i}.txt", { i = range(1e300) })`, true},                              // through cty, as range computes it
		{`expand("out/{i}.txt", { i = range(3, 0, 1) })`, false},                           // range refuses
		{`expand("out/{i}.txt", { j = range(3) })`, false},                                 // expand refuses
		{`expand("{i}{j}", { i = range(2000), j = range(2000) })`, false},                  // beyond maxExpand
		{`expand("out/{i}.txt", { i = ["é"] })`, false},                                    // not ASCII
		{`expand("out/{i}.txt", { i = temp(["a"]) })`, false},                              // marked
		{`expand(temp("out/{i}.txt"), { i = ["a"] })`, false},                              // marked
		{`expand("out/{i}.txt", { i = null })`, false},
		{`expand("out/{i}.txt", config)`, false}, // not an object constructor
		{`["out/a.txt"]`, false},
	} {
		src := "config {\n  n = 4\n  names = [\"x\", \"y\"]\n}\nrule \"all\" {\n  input = " + tc.input + "\n}\n"
		wf, diags := Parse([]byte(src), "Rulefile")
		if wf == nil || wf.ByName["all"] == nil {
			t.Fatalf("%s: %v", tc.input, diags)
		}
		r := wf.ByName["all"]
		attr := r.attrs["input"]
		var e evaluator
		e.init(r, &Job{Rule: r, Wildcards: map[string]string{}}, Env{})
		got, quick := e.quickExpand(attr.Expr)
		if quick != tc.quick {
			t.Errorf("%s: quick %v, want %v", tc.input, quick, tc.quick)
		}
		if !quick {
			continue
		}
		v, vdiags := attr.Expr.Value(e.context())
		if len(vdiags) > 0 {
			t.Errorf("%s: quick, but HCL says %v", tc.input, vdiags)
			continue
		}
		want, err := pathsOf(v, attr.Expr)
		if err != nil {
			t.Errorf("%s: quick, but pathsOf says %v", tc.input, err)
			continue
		}
		if !reflect.DeepEqual(got, *want) {
			t.Errorf("%s:\nquick %+v\nHCL   %+v", tc.input, got, *want)
		}
	}
}

// rangeText makes what range and tostring make, and declines what it
// cannot be sure of.
func TestRangeText(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want []string // nil: declines
	}{
		{`range(3)`, []string{"0", "1", "2"}},
		{`[for i in range(3, -3, -2) : tostring(i)]`, []string{"3", "1", "-1"}},
		{`range(2, 2)`, []string{}},
		{`range(0, 1, 0.5)`, nil},
		{`range(0.5, 3)`, nil},
		{`range(4503599627370496, 4503599627370499)`, nil},
		{`range("3")`, nil},
		{`range(3, 0, 1)`, nil},
		{`range(1, 2, 3, 4)`, nil},
		{`[for i in range(3) : tostring(i)]`, []string{"0", "1", "2"}},
		{`[1, 2]`, nil},
		{`concat(range(2))`, nil},
	} {
		expr, diags := hclsyntax.ParseExpression([]byte(tc.src), "x", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", tc.src, diags)
		}
		got, ok := rangeText(rootContext, quickFor(expr))
		if ok != (tc.want != nil) || (ok && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("%s = %q, %v; want %q", tc.src, got, ok, tc.want)
		}
	}
}
