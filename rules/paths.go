package rules

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/flowmake/flowmake/wildcard"
)

// pathSet is an evaluated input, output or log: its paths in declaration
// order and the shape the author gave it, so the matching variable can be
// rebuilt (a tuple for a string or list, an object for named paths).
type pathSet struct {
	paths  []Path
	named  bool
	order  []string        // names in declaration order, when named
	scalar map[string]bool // names whose value was a single string
	// unknown is set when part of the value waits for a checkpoint; paths
	// then hold only the known part.
	unknown bool
	// pats are, in a set precomputed at load time (Rule.preIn), the
	// compiled patterns of paths[i] that hold braces, nil otherwise or
	// when there are too many to keep: each job substitutes its wildcards
	// without parsing the text again.
	pats []*wildcard.Pattern
}

// maxKeptPatterns bounds the patterns a precomputed set keeps compiled;
// beyond it (say expand("x/{n}.{{s}}", ...) over thousands of n) each job
// parses its paths as an evaluated value would be.
const maxKeptPatterns = 64

// compile fills ps.pats for a set precomputed at load time, whose paths
// with braces have been checked to parse.
func (ps *pathSet) compile() {
	n := 0
	for _, p := range ps.paths {
		if strings.ContainsAny(p.Path, "{}") {
			n++
		}
	}
	if n == 0 || n > maxKeptPatterns {
		return
	}
	pats := make([]*wildcard.Pattern, len(ps.paths))
	for i, p := range ps.paths {
		if !strings.ContainsAny(p.Path, "{}") {
			continue
		}
		pat, err := wildcard.Parse(p.Path, nil)
		if err != nil {
			return
		}
		pats[i] = pat
	}
	ps.pats = pats
}

// pathsOf flattens an evaluated input/output/log value. Flags come from the
// marks of the value and of every collection around it, as cty puts a
// function's marks on its whole result.
func pathsOf(v cty.Value, expr hcl.Expression) (*pathSet, error) {
	ps := &pathSet{scalar: map[string]bool{}}
	v, marks := v.Unmark()
	flags := flagsOf(marks)
	if !v.IsKnown() {
		ps.unknown = true
		return ps, nil
	}
	if v.IsNull() {
		return ps, nil
	}
	ty := v.Type()
	if ty.IsObjectType() || ty.IsMapType() {
		ps.named = true
		vals := v.AsValueMap()
		keys := keyOrder(expr)
		seen := map[string]bool{}
		for _, k := range keys {
			seen[k] = true
		}
		for _, k := range slices.Sorted(maps.Keys(vals)) {
			if !seen[k] {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			ev, ok := vals[k]
			if !ok {
				continue
			}
			ps.order = append(ps.order, k)
			uv, _ := ev.Unmark()
			ps.scalar[k] = uv.IsKnown() && !uv.IsNull() && uv.Type() == cty.String
			if err := ps.flatten(ev, k, flags, false); err != nil {
				return nil, err
			}
		}
		return ps, nil
	}
	return ps, ps.flatten(v, "", flags, true)
}

func (ps *pathSet) flatten(v cty.Value, name string, flags Flags, top bool) error {
	v, marks := v.Unmark()
	flags |= flagsOf(marks)
	if !v.IsKnown() {
		ps.unknown = true
		return nil
	}
	if v.IsNull() {
		return nil
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		ps.paths = append(ps.paths, Path{Name: name, Path: v.AsString(), Flags: flags})
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			if err := ps.flatten(ev, name, flags, false); err != nil {
				return err
			}
		}
	default:
		if top {
			return fmt.Errorf("a path, a list of paths or an object of paths is required, not %s", ty.FriendlyName())
		}
		return fmt.Errorf("paths must be strings, not %s", ty.FriendlyName())
	}
	return nil
}

// value rebuilds the variable for expressions: a tuple of paths for a
// string or list, an object for named paths (a string per single-string
// name, else a tuple). Every path carries the path mark, so the shell
// renderer quotes it wherever it ends up.
func (ps *pathSet) value() cty.Value {
	if !ps.named {
		return pathTuple(ps.paths)
	}
	attrs := map[string]cty.Value{}
	for _, name := range ps.order {
		var sel []Path
		for _, p := range ps.paths {
			if p.Name == name {
				sel = append(sel, p)
			}
		}
		if ps.scalar[name] && len(sel) == 1 {
			attrs[name] = cty.StringVal(sel[0].Path).Mark(markPath)
		} else {
			attrs[name] = pathTuple(sel)
		}
	}
	return cty.ObjectVal(attrs)
}

func pathTuple(paths []Path) cty.Value {
	if len(paths) == 0 {
		return cty.EmptyTupleVal
	}
	vals := make([]cty.Value, len(paths))
	for i, p := range paths {
		vals[i] = cty.StringVal(p.Path).Mark(markPath)
	}
	return cty.TupleVal(vals)
}

// wildcardsValue is the wildcards variable: an object of path-marked
// strings (wildcard values come from file names).
func wildcardsValue(wc map[string]string) cty.Value {
	if len(wc) == 0 {
		return cty.EmptyObjectVal
	}
	attrs := make(map[string]cty.Value, len(wc))
	for k, v := range wc {
		attrs[k] = cty.StringVal(v).Mark(markPath)
	}
	return cty.ObjectVal(attrs)
}
