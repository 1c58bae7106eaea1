package rules

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/flowmake/flowmake/wildcard"
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
	return isOurs(ctx, "tostring", toStringFunc)
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

// quickExpand is evaluator.paths' shortcut for an input or log written
// expand(PATTERNS, { NAME = VALUES, ... }), the way a Rulefile lists the
// aggregate's inputs. Through HCL and cty, expand over range's numbers
// makes a cty number, string and list element per value and walks the
// lists again for marks; here the values are Go strings from the start
// (range's as the numbers' text) and the paths come straight from
// wildcard.Expand. It takes over only when nothing can differ: our
// expand, range and tostring, known values without marks, ASCII text (no
// Unicode normalization to mirror) and no error. Anything else returns
// ok false, and the caller evaluates the expression as always, so
// results and diagnostics are HCL's. Evaluating twice is harmless: a rule
// whose expressions have side effects (checkpoint_output, a jobFuncs
// rule) is never taken.
func (e *evaluator) quickExpand(expr hcl.Expression) (pathSet, bool) {
	fc, ok := expr.(*hclsyntax.FunctionCallExpr)
	if !ok || fc.Name != "expand" || fc.ExpandFinal || len(fc.Args) != 2 || e.r.jobFuncs {
		return pathSet{}, false
	}
	obj, ok := fc.Args[1].(*hclsyntax.ObjectConsExpr)
	if !ok {
		return pathSet{}, false
	}
	ctx := e.context()
	if !isOurs(ctx, "expand", expandFunc) {
		return pathSet{}, false
	}
	patterns, ok := plainStrings(ctx, fc.Args[0])
	if !ok {
		return pathSet{}, false
	}
	values := make(map[string][]string, len(obj.Items))
	for _, item := range obj.Items {
		kv, diags := item.KeyExpr.Value(ctx)
		if len(diags) > 0 || !kv.IsKnown() || kv.IsNull() || kv.IsMarked() || kv.Type() != cty.String {
			return pathSet{}, false
		}
		k := kv.AsString()
		if _, dup := values[k]; dup {
			return pathSet{}, false
		}
		vals, ok := rangeText(ctx, item.ValueExpr)
		if !ok {
			if vals, ok = plainStrings(ctx, item.ValueExpr); !ok {
				return pathSet{}, false
			}
		}
		values[k] = vals
	}
	if expandSize(patterns, values) > maxExpand {
		return pathSet{}, false
	}
	out, err := wildcard.Expand(patterns, values)
	if err != nil {
		return pathSet{}, false
	}
	// As pathsOf makes it from expand's list: unnamed, no flags.
	ps := pathSet{scalar: map[string]bool{}}
	if len(out) > 0 {
		ps.paths = make([]Path, len(out))
		for i, s := range out {
			ps.paths[i] = Path{Path: s}
		}
	}
	return ps, true
}

// plainStrings evaluates expr and flattens it as expand does its
// arguments (collectStrings), ok false on any diagnostic, an unknown or
// marked part, a value expand would refuse, or non-ASCII text.
func plainStrings(ctx *hcl.EvalContext, expr hcl.Expression) ([]string, bool) {
	v, diags := expr.Value(ctx)
	if len(diags) > 0 || !v.IsWhollyKnown() || v.ContainsMarked() {
		return nil, false
	}
	var out []string
	if collectStrings(v, &out) != nil {
		return nil, false
	}
	for _, s := range out {
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf {
				return nil, false
			}
		}
	}
	return out, true
}

// rangeText is the text of the numbers of range(ARGS), written as it is
// or as [for v in range(ARGS) : tostring(v)], without making them cty
// numbers: what collectStrings or tostring (wholeNumberText) would make of
// each. ok is false for any other expression, and for numbers that are
// not whole or too large to be sure of, a negative zero, or arguments
// range would refuse.
func rangeText(ctx *hcl.EvalContext, expr hcl.Expression) ([]string, bool) {
	if ns, isFor := expr.(numberStrings); isFor {
		if !callsOurToString(ctx) {
			return nil, false
		}
		expr = ns.CollExpr
	}
	rc, ok := expr.(*hclsyntax.FunctionCallExpr)
	if !ok || rc.Name != "range" || rc.ExpandFinal || !isOurs(ctx, "range", rangeFunc) {
		return nil, false
	}
	nums := make([]float64, len(rc.Args))
	for i, a := range rc.Args {
		v, diags := a.Value(ctx)
		if len(diags) > 0 || !v.IsKnown() || v.IsNull() || v.IsMarked() || v.Type() != cty.Number {
			return nil, false
		}
		nums[i], _ = v.AsBigFloat().Float64()
	}
	start, step, n, err := rangeSteps(nums)
	if err != nil {
		return nil, false
	}
	// Whole numbers well inside float64's exact integers: every sum is
	// exact, and each value's text is its digits.
	const limit = 1 << 52
	last := start + step*float64(max(n-1, 0))
	if start != math.Trunc(start) || step != math.Trunc(step) || math.Abs(start) > limit ||
		math.Abs(last) > limit || math.Abs(step) > limit || (start == 0 && math.Signbit(start)) {
		return nil, false
	}
	out := make([]string, n)
	v := start
	for i := range out {
		out[i] = strconv.FormatInt(int64(v), 10)
		v += step
	}
	return out, true
}

// isOurs reports whether the function HCL finds for name from ctx (the
// nearest context with a function table that has it) is fn.
func isOurs(ctx *hcl.EvalContext, name string, fn function.Function) bool {
	for c := ctx; c != nil; c = c.Parent() {
		if c.Functions == nil {
			continue
		}
		if f, ok := c.Functions[name]; ok {
			return f == fn
		}
	}
	return false
}
