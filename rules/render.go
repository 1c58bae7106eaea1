package rules

import (
	"errors"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// render renders shell or message for the job. HCL's own template
// evaluation would refuse lists and could not tell file names from the
// author's text, so the template's parts are walked here: literal text is
// copied, each interpolation is rendered by renderValue, and with quote set
// values carrying the path mark are shell-quoted. ctx nil means the job's
// context, made only when some part needs evaluating: bare ${input},
// ${output}, ${log} and ${wildcards.NAME} are written from the job itself.
func (e *evaluator) render(expr hcl.Expression, ctx *hcl.EvalContext, quote bool) (string, bool) {
	// Rendered into a reused buffer, then copied once: the string, kept
	// with the job, is no bigger than it needs to be.
	bp := renderBufs.Get().(*[]byte)
	b, ok := e.renderInto((*bp)[:0], expr, ctx, quote)
	out := string(b)
	if cap(b) <= 64<<10 {
		*bp = b
		renderBufs.Put(bp)
	}
	return out, ok
}

var renderBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// renderInto appends the rendering of expr to b.
func (e *evaluator) renderInto(b []byte, expr hcl.Expression, ctx *hcl.EvalContext, quote bool) ([]byte, bool) {
	switch x := expr.(type) {
	case *hclsyntax.TemplateExpr:
		for _, part := range x.Parts {
			if lit, ok := part.(*hclsyntax.LiteralValueExpr); ok && lit.Val.Type() == cty.String && !lit.Val.IsNull() {
				b = append(b, lit.Val.AsString()...)
				continue
			}
			var ok bool
			if b, ok = e.renderInto(b, part, ctx, quote); !ok {
				return b, false
			}
		}
		return b, true
	case *hclsyntax.TemplateWrapExpr:
		return e.renderInto(b, x.Wrapped, ctx, quote)
	case *hclsyntax.ConditionalExpr:
		// %{ if } directives and ?: both render the chosen branch, so each
		// branch keeps its own quoting.
		cond, diags := x.Condition.Value(e.at(ctx))
		e.add(diags...)
		if diags.HasErrors() {
			return b, false
		}
		cond, _ = cond.Unmark()
		cb, err := convert.Convert(cond, cty.Bool)
		if err != nil || cb.IsNull() || !cb.IsKnown() {
			e.errorf(x.Condition.Range(), "Incorrect condition type", "The condition must be true or false.")
			return b, false
		}
		if cb.True() {
			return e.renderInto(b, x.TrueResult, ctx, quote)
		}
		return e.renderInto(b, x.FalseResult, ctx, quote)
	case *hclsyntax.TemplateJoinExpr:
		if f, ok := x.Tuple.(*hclsyntax.ForExpr); ok && f.CondExpr == nil {
			return e.renderFor(b, f, ctx, quote)
		}
	case *hclsyntax.ScopeTraversalExpr:
		// A bare ${input}, ${output} or ${log} renders every path in
		// declaration order, even when named (an object would sort).
		root := x.Traversal.RootName()
		if len(x.Traversal) == 1 {
			if ps := e.set(root); ps != nil && !shadowed(ctx, e.ctx, root) {
				for i, p := range ps.paths {
					if i > 0 {
						b = append(b, ' ')
					}
					b = appendMaybeQuoted(b, p.Path, quote)
				}
				return b, true
			}
		}
		// ${input[N]} is the Nth path in declaration order, named or not,
		// as in Snakemake, where named inputs are also positional (an
		// object value could not be indexed by number).
		if len(x.Traversal) == 2 && !shadowed(ctx, e.ctx, root) {
			if ix, ok := x.Traversal[1].(hcl.TraverseIndex); ok && ix.Key.Type() == cty.Number && ix.Key.IsKnown() && !ix.Key.IsNull() {
				if ps := e.set(root); ps != nil {
					bf := ix.Key.AsBigFloat()
					i, acc := bf.Int64()
					if !bf.IsInt() || acc != 0 || i < 0 || i >= int64(len(ps.paths)) {
						e.errorf(x.SrcRange, "Invalid index", "%s has %d %s; %s is not one of them.", root, len(ps.paths), pluralPaths(len(ps.paths)), bf.Text('g', -1))
						return b, false
					}
					return appendMaybeQuoted(b, ps.paths[i].Path, quote), true
				}
			}
		}
		// ${wildcards.NAME} is the value, path-marked and normalised as
		// the wildcards variable holds it, without building that variable.
		if len(x.Traversal) == 2 && root == "wildcards" && !shadowed(ctx, e.ctx, root) {
			if a, ok := x.Traversal[1].(hcl.TraverseAttr); ok {
				if v, ok := e.wc[a.Name]; ok {
					return appendMaybeQuoted(b, cty.NormalizeString(v), quote), true
				}
			}
		}
	}
	v, diags := expr.Value(e.at(ctx))
	e.add(diags...)
	if diags.HasErrors() {
		return b, false
	}
	s, err := renderValue(v, quote, false, false)
	if err != nil {
		e.errorf(expr.Range(), "Invalid template interpolation value", "Cannot insert this value: %v.", err)
		return b, false
	}
	return append(b, s...), true
}

// appendMaybeQuoted appends s, shell-quoted when quote is set.
func appendMaybeQuoted(b []byte, s string, quote bool) []byte {
	if !quote || bareWord(s) {
		return append(b, s...)
	}
	return append(b, ShellQuote(s)...)
}

// shadowed reports whether a %{ for } variable between ctx and its
// ancestor top hides name. A nil ctx is the job's own: nothing hides.
func shadowed(ctx, top *hcl.EvalContext, name string) bool {
	for c := ctx; c != nil && c != top; c = c.Parent() {
		if _, ok := c.Variables[name]; ok {
			return true
		}
	}
	return false
}

// renderFor renders a %{ for } directive, binding the loop variables in a
// child context.
func (e *evaluator) renderFor(b []byte, f *hclsyntax.ForExpr, ctx *hcl.EvalContext, quote bool) ([]byte, bool) {
	ctx = e.at(ctx)
	coll, diags := f.CollExpr.Value(ctx)
	e.add(diags...)
	if diags.HasErrors() {
		return b, false
	}
	coll, marks := coll.Unmark()
	if coll.IsNull() || !coll.IsKnown() || !coll.CanIterateElements() {
		e.errorf(f.CollExpr.Range(), "Iteration over non-iterable value", "A %%{ for } directive needs a list, set, map or object.")
		return b, false
	}
	for it := coll.ElementIterator(); it.Next(); {
		k, v := it.Element()
		child := ctx.NewChild()
		child.Variables = map[string]cty.Value{f.ValVar: v.WithMarks(marks)}
		if f.KeyVar != "" {
			child.Variables[f.KeyVar] = k.WithMarks(marks)
		}
		var ok bool
		if b, ok = e.renderInto(b, f.ValExpr, child, quote); !ok {
			return b, false
		}
	}
	return b, true
}

// renderValue renders one interpolated value: elements of collections
// joined by spaces, numbers and bools as HCL writes them. With quote set,
// strings from file names (path mark here or on an enclosing collection)
// are shell-quoted, and so is every string element of a collection
// (inElem): a list the author wrote, params = { flags = ["-v", "two
// words"] }, is its elements as separate words, while a string the author
// wrote is inserted as written, so "-a -b" splits.
func renderValue(v cty.Value, quote, fromPath, inElem bool) (string, error) {
	v, marks := v.Unmark()
	fromPath = fromPath || marks.Has(markPath)
	if !v.IsKnown() {
		return "", errors.New("the value is not known yet")
	}
	if v.IsNull() {
		return "", errors.New("the value is null")
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		if fromPath || inElem {
			return maybeQuote(v.AsString(), quote), nil
		}
		return v.AsString(), nil
	case ty == cty.Number:
		return v.AsBigFloat().Text('f', -1), nil
	case ty == cty.Bool:
		if v.True() {
			return "true", nil
		}
		return "false", nil
	case v.CanIterateElements():
		var parts []string
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			s, err := renderValue(ev, quote, fromPath, true)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " "), nil
	}
	return "", errors.New("a value of type " + ty.FriendlyName() + " cannot be inserted")
}

func maybeQuote(s string, quote bool) string {
	if quote {
		return ShellQuote(s)
	}
	return s
}

// ShellQuote returns s as one bash word: unchanged when it holds only
// characters that are never special (as Python's shlex.quote), else in
// single quotes, with each single quote inside written as
//
//	'\''
func ShellQuote(s string) string {
	if bareWord(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// bareWord reports whether s is not empty and holds only the characters
// of [A-Za-z0-9_@%+=:,./-], which a shell never treats specially. (A
// loop, not a regexp: it runs for every path of every job's command.)
func bareWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !bareByte[s[i]] {
			return false
		}
	}
	return true
}

var bareByte = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c], t[c+'a'-'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "_@%+=:,./-" {
		t[c] = true
	}
	return t
}()

func pluralPaths(n int) string {
	if n == 1 {
		return "path"
	}
	return "paths"
}
