package rules

import (
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
