package rules

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// numberStrings is a for expression of the form [for v in COLL : tostring(v)],
// the way a Rulefile turns range's numbers into wildcard values
// (expand("out/{i}.txt", { i = [for i in range(100000) : tostring(i)] })).
// HCL evaluates it element by element, a child EvalContext and a cty
// function call each, which made it most of the load time of a large
// workflow. When COLL's value is a known, unmarked list of unmarked whole
// numbers, Value builds the same tuple of strings directly; any other
// value goes to HCL's ForExpr, so results and diagnostics are HCL's.
//
// It embeds the ForExpr, so it is an hclsyntax node with the same children
// and variables; quickFor puts it in place of the ForExpr at load.
type numberStrings struct {
	*hclsyntax.ForExpr
}

func (f numberStrings) Value(ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	if v, ok := f.quick(ctx); ok {
		return v, nil
	}
	return f.ForExpr.Value(ctx)
}

// quick is Value without HCL's per-element evaluation, ok false when the
// collection is not a list of whole numbers or tostring is not ours.
func (f numberStrings) quick(ctx *hcl.EvalContext) (cty.Value, bool) {
	if !callsOurToString(ctx) {
		return cty.NilVal, false
	}
	coll, diags := f.CollExpr.Value(ctx)
	if len(diags) > 0 || !coll.IsWhollyKnown() || coll.IsNull() || coll.IsMarked() {
		return cty.NilVal, false
	}
	ty := coll.Type()
	if !(ty.IsListType() || ty.IsTupleType() || ty.IsSetType()) {
		return cty.NilVal, false
	}
	vals := make([]cty.Value, 0, coll.LengthInt())
	for it := coll.ElementIterator(); it.Next(); {
		_, v := it.Element()
		s, ok := wholeNumberText(v)
		if !ok {
			return cty.NilVal, false
		}
		vals = append(vals, cty.StringVal(s))
	}
	// As ForExpr: a tuple, with the (here empty) marks of the collection.
	return cty.TupleVal(vals).WithMarks(cty.ValueMarks{}), true
}

// callsOurToString reports whether tostring, as HCL finds it from ctx (the
// nearest context with a function table that has it), is toStringFunc.
func callsOurToString(ctx *hcl.EvalContext) bool {
	for c := ctx; c != nil; c = c.Parent() {
		if c.Functions == nil {
			continue
		}
		if fn, ok := c.Functions["tostring"]; ok {
			return fn == toStringFunc
		}
	}
	return false
}

// isNumberStrings reports whether fe has the form [for v in COLL : tostring(v)]:
// no key variable, no condition, a tuple result, and a value that is
// tostring of the loop variable itself.
func isNumberStrings(fe *hclsyntax.ForExpr) bool {
	if fe.KeyVar != "" || fe.CondExpr != nil || fe.KeyExpr != nil || fe.Group {
		return false
	}
	call, ok := fe.ValExpr.(*hclsyntax.FunctionCallExpr)
	if !ok || call.Name != "tostring" || call.ExpandFinal || len(call.Args) != 1 {
		return false
	}
	ref, ok := call.Args[0].(*hclsyntax.ScopeTraversalExpr)
	if !ok || len(ref.Traversal) != 1 {
		return false
	}
	root, ok := ref.Traversal[0].(hcl.TraverseRoot)
	return ok && root.Name == fe.ValVar
}

// quickFor puts numberStrings in place of the for expressions of that form
// in expr, through function arguments, object values, tuple elements and
// parentheses (not into templates, which render.go reads by type), and
// returns the expression to use in expr's place. Load calls it once per
// attribute, before any evaluation.
func quickFor(expr hcl.Expression) hcl.Expression {
	switch x := expr.(type) {
	case *hclsyntax.ForExpr:
		if isNumberStrings(x) {
			return numberStrings{x}
		}
	case *hclsyntax.FunctionCallExpr:
		for i, a := range x.Args {
			x.Args[i] = quickFor(a).(hclsyntax.Expression)
		}
	case *hclsyntax.ObjectConsExpr:
		for i := range x.Items {
			x.Items[i].ValueExpr = quickFor(x.Items[i].ValueExpr).(hclsyntax.Expression)
		}
	case *hclsyntax.TupleConsExpr:
		for i, e := range x.Exprs {
			x.Exprs[i] = quickFor(e).(hclsyntax.Expression)
		}
	case *hclsyntax.ParenthesesExpr:
		x.Expression = quickFor(x.Expression).(hclsyntax.Expression)
	}
	return expr
}
