package rules

import (
	"errors"
	"fmt"
	"math/big"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/flowmake/flowmake/wildcard"
	"github.com/flowmake/flowmake/workdir"
)

// mark is the type of the cty marks this package puts on values, so they
// cannot collide with marks of other packages.
type mark string

const (
	// markPath says a value comes from a file name (input, output, log,
	// benchmark, wildcards, glob_wildcards): the shell renderer quotes it.
	markPath mark = "flowmake:path"

	markTemp      mark = "flowmake:temp"
	markProtected mark = "flowmake:protected"
	markDirectory mark = "flowmake:directory"
	markTouch     mark = "flowmake:touch"
	markAncient   mark = "flowmake:ancient"
)

var flagMarks = []struct {
	m    mark
	f    Flags
	name string
}{
	{markTemp, Temp, "temp"},
	{markProtected, Protected, "protected"},
	{markDirectory, Directory, "directory"},
	{markTouch, Touch, "touch"},
	{markAncient, Ancient, "ancient"},
}

// flagsOf turns the flag marks among marks into Flags.
func flagsOf(marks cty.ValueMarks) Flags {
	var f Flags
	for _, fm := range flagMarks {
		if marks.Has(fm.m) {
			f |= fm.f
		}
	}
	return f
}

// String lists the flags by their function names, e.g. "temp,protected".
func (f Flags) String() string {
	var names []string
	for _, fm := range flagMarks {
		if f&fm.f != 0 {
			names = append(names, fm.name)
		}
	}
	return strings.Join(names, ",")
}

// baseFuncs are the functions every expression may call. The functions that
// depend on a job or the disk (glob_wildcards, checkpoint_output) are added
// per evaluation in a child EvalContext; their names are in funcNames so the
// load-time check accepts them.
var baseFuncs = map[string]function.Function{
	"expand": expandFunc,

	"temp":      flagFunc(markTemp),
	"protected": flagFunc(markProtected),
	"directory": flagFunc(markDirectory),
	"touch":     flagFunc(markTouch),
	"ancient":   flagFunc(markAncient),

	"basename": basenameFunc,
	"dirname":  dirnameFunc,

	"abs":             stdlib.AbsoluteFunc,
	"ceil":            stdlib.CeilFunc,
	"chomp":           stdlib.ChompFunc,
	"chunklist":       stdlib.ChunklistFunc,
	"coalesce":        stdlib.CoalesceFunc,
	"coalescelist":    stdlib.CoalesceListFunc,
	"compact":         stdlib.CompactFunc,
	"concat":          stdlib.ConcatFunc,
	"contains":        stdlib.ContainsFunc,
	"csvdecode":       stdlib.CSVDecodeFunc,
	"distinct":        stdlib.DistinctFunc,
	"element":         stdlib.ElementFunc,
	"flatten":         stdlib.FlattenFunc,
	"floor":           stdlib.FloorFunc,
	"format":          stdlib.FormatFunc,
	"formatlist":      stdlib.FormatListFunc,
	"indent":          stdlib.IndentFunc,
	"join":            stdlib.JoinFunc,
	"jsondecode":      stdlib.JSONDecodeFunc,
	"jsonencode":      stdlib.JSONEncodeFunc,
	"keys":            stdlib.KeysFunc,
	"length":          stdlib.LengthFunc,
	"log":             stdlib.LogFunc,
	"lookup":          stdlib.LookupFunc,
	"lower":           stdlib.LowerFunc,
	"max":             stdlib.MaxFunc,
	"merge":           stdlib.MergeFunc,
	"min":             stdlib.MinFunc,
	"parseint":        stdlib.ParseIntFunc,
	"pow":             stdlib.PowFunc,
	"range":           rangeFunc,
	"regex":           stdlib.RegexFunc,
	"regexall":        stdlib.RegexAllFunc,
	"regex_replace":   stdlib.RegexReplaceFunc,
	"replace":         stdlib.ReplaceFunc,
	"reverse":         stdlib.ReverseListFunc,
	"setintersection": stdlib.SetIntersectionFunc,
	"setproduct":      stdlib.SetProductFunc,
	"setsubtract":     stdlib.SetSubtractFunc,
	"setunion":        stdlib.SetUnionFunc,
	"signum":          stdlib.SignumFunc,
	"slice":           stdlib.SliceFunc,
	"sort":            stdlib.SortFunc,
	"split":           stdlib.SplitFunc,
	"strrev":          stdlib.ReverseFunc,
	"substr":          stdlib.SubstrFunc,
	"title":           stdlib.TitleFunc,
	"tobool":          stdlib.MakeToFunc(cty.Bool),
	"tolist":          stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
	"tomap":           stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
	"tonumber":        stdlib.MakeToFunc(cty.Number),
	"toset":           stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
	"tostring":        toStringFunc,
	"trim":            stdlib.TrimFunc,
	"trimprefix":      stdlib.TrimPrefixFunc,
	"trimspace":       stdlib.TrimSpaceFunc,
	"trimsuffix":      stdlib.TrimSuffixFunc,
	"upper":           stdlib.UpperFunc,
	"values":          stdlib.ValuesFunc,
	"zipmap":          stdlib.ZipmapFunc,

	"try": tryfunc.TryFunc,
	"can": tryfunc.CanFunc,
}

// funcNames is every callable name, for the load-time check of function
// calls and its suggestions.
var funcNames = func() []string {
	names := []string{"glob_wildcards", "checkpoint_output"}
	for n := range baseFuncs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}()

func isFuncName(name string) bool {
	i := sort.SearchStrings(funcNames, name)
	return i < len(funcNames) && funcNames[i] == name
}

// flagFunc returns temp(), protected() and friends: the argument, marked.
// cty carries marks through later function calls, so expand(temp("{x}"), ..)
// marks every element.
func flagFunc(m mark) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{
			Name:        "path",
			Type:        cty.DynamicPseudoType,
			AllowMarked: true,
		}},
		Type: func(args []cty.Value) (cty.Type, error) {
			ty := args[0].Type()
			if ty == cty.DynamicPseudoType || ty == cty.String || ty.IsListType() || ty.IsTupleType() || ty.IsSetType() {
				return ty, nil
			}
			return cty.NilType, function.NewArgErrorf(0, "a path or a list of paths is required")
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return args[0].Mark(m), nil
		},
	})
}

var basenameFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "path", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(path.Base(args[0].AsString())), nil
	},
})

var dirnameFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "path", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(path.Dir(args[0].AsString())), nil
	},
})

// expandFunc is Snakemake's expand: every pattern filled with the product of
// the values. A scalar value counts as a one-element list.
var expandFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "pattern", Type: cty.DynamicPseudoType},
		{Name: "values", Type: cty.DynamicPseudoType},
	},
	Type: function.StaticReturnType(cty.List(cty.String)),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		// A value that waits for a checkpoint makes the whole list wait.
		if !args[0].IsWhollyKnown() || !args[1].IsWhollyKnown() {
			return cty.UnknownVal(cty.List(cty.String)), nil
		}
		var patterns []string
		if err := collectStrings(args[0], &patterns); err != nil {
			return cty.NilVal, function.NewArgErrorf(0, "a pattern or a list of patterns is required: %s", err)
		}
		values := map[string][]string{}
		v := args[1]
		if v.IsNull() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
			return cty.NilVal, function.NewArgErrorf(1, "an object of lists is required, e.g. { sample = [\"a\", \"b\"] }")
		}
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			var vals []string
			if err := collectStrings(ev, &vals); err != nil {
				return cty.NilVal, function.NewArgErrorf(1, "values of %s: %s", k.AsString(), err)
			}
			values[k.AsString()] = vals
		}
		if n := expandSize(patterns, values); n > maxExpand {
			return cty.NilVal, function.NewArgErrorf(1, "expand would make %d paths, more than the limit of %d", n, maxExpand)
		}
		out, err := wildcard.Expand(patterns, values)
		if err != nil {
			var me *wildcard.MissingError
			if errors.As(err, &me) {
				return cty.NilVal, function.NewArgErrorf(1, "pattern %q uses {%s}, but no values are given for %s", me.Pattern, me.Name, me.Name)
			}
			return cty.NilVal, function.NewArgError(0, err)
		}
		return stringList(out, false), nil
	},
})

// maxExpand bounds expand's result, so a slip such as a product over two
// long lists fails instead of exhausting memory.
const maxExpand = 1 << 20

// expandSize is the number of paths expand would make (the product of the
// lengths of the lists each pattern uses), saturating above maxExpand.
func expandSize(patterns []string, values map[string][]string) int {
	total := 0
	for _, pat := range patterns {
		p, err := wildcard.Parse(pat, nil)
		if err != nil {
			continue // Expand reports it
		}
		n := 1
		for _, name := range p.Names() {
			n *= len(values[name])
			if n > maxExpand {
				return maxExpand + 1
			}
		}
		if total += n; total > maxExpand {
			return maxExpand + 1
		}
	}
	return total
}

// collectStrings flattens a string, number, bool or (nested) collection of
// them into out.
func collectStrings(v cty.Value, out *[]string) error {
	if v.IsNull() {
		return errors.New("null value")
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		*out = append(*out, v.AsString())
	case ty == cty.Number && v.IsKnown():
		// Whole numbers (range's) the quick way: cty's conversion formats
		// through big.Float, which made `expand(p, {i = range(100000)})`
		// take half a second. Other numbers convert as before.
		if i, acc := v.AsBigFloat().Int64(); acc == big.Exact {
			*out = append(*out, strconv.FormatInt(i, 10))
			return nil
		}
		s, err := convert.Convert(v, cty.String)
		if err != nil {
			return err
		}
		*out = append(*out, s.AsString())
	case ty == cty.Bool:
		s, err := convert.Convert(v, cty.String)
		if err != nil {
			return err
		}
		*out = append(*out, s.AsString())
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			if err := collectStrings(ev, out); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("got %s", ty.FriendlyName())
	}
	return nil
}

// stringList builds a list of strings, each marked as a path when asked.
func stringList(ss []string, pathMark bool) cty.Value {
	if len(ss) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	vals := make([]cty.Value, len(ss))
	for i, s := range ss {
		vals[i] = cty.StringVal(s)
		if pathMark {
			vals[i] = vals[i].Mark(markPath)
		}
	}
	return cty.ListVal(vals)
}

// globWildcardsFunc resolves patterns against the working directory dir
// ("" is the process's), as workdir.Dir does every job path. Its values
// are file names, so they carry the path mark.
func globWildcardsFunc(dir string) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "pattern", Type: cty.String}},
		Type: func(args []cty.Value) (cty.Type, error) {
			if !args[0].IsKnown() {
				return cty.DynamicPseudoType, nil
			}
			p, err := wildcard.Parse(args[0].AsString(), nil)
			if err != nil {
				return cty.NilType, function.NewArgError(0, err)
			}
			attrs := map[string]cty.Type{}
			for _, n := range p.Names() {
				attrs[n] = cty.List(cty.String)
			}
			return cty.Object(attrs), nil
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			pattern := args[0].AsString()
			root := workdir.Dir(dir).OS()
			rel := wildcard.Clean(pattern)
			if strings.HasPrefix(rel, "/") {
				// Absolute patterns are allowed; fs.FS paths never start with "/".
				root, rel = "/", strings.TrimLeft(rel, "/")
			}
			rel = strings.TrimPrefix(rel, "./")
			// fs.FS paths have no "..": a pattern that starts above the
			// working directory (the author's "../data/{s}.fq") is globbed
			// from that directory.
			for strings.HasPrefix(rel, "../") {
				root, rel = filepath.Join(root, ".."), rel[len("../"):]
			}
			p, err := wildcard.Parse(rel, nil)
			if err != nil {
				return cty.NilVal, function.NewArgError(0, err)
			}
			found, err := wildcard.GlobWildcards(os.DirFS(root), rel)
			if err != nil {
				return cty.NilVal, function.NewArgError(0, err)
			}
			attrs := map[string]cty.Value{}
			for _, n := range p.Names() {
				attrs[n] = stringList(found[n], true)
			}
			return cty.ObjectVal(attrs), nil
		},
	})
}

// loadCheckpointFunc stands in for checkpoint_output where no job exists
// (config, output, wildcard_constraints).
var loadCheckpointFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "name", Type: cty.String},
		{Name: "wildcards", Type: cty.DynamicPseudoType},
	},
	Type: function.StaticReturnType(cty.List(cty.String)),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.NilVal, errors.New("checkpoint_output works only in per-job attributes such as input")
	},
})

// toStringStd is cty's tostring. toStringFunc is the same function with
// a shortcut for whole numbers, which [for i in range(n) : tostring(i)]
// converts once per element: cty's conversion goes through big.Float's
// shortest-decimal formatting and allocates its conversion function on
// every call. Every other value goes to toStringStd.
var toStringStd = stdlib.MakeToFunc(cty.String)

var toStringFunc = function.New(&function.Spec{
	Description: toStringStd.Description(),
	Params:      toStringStd.Params(),
	Type: func(args []cty.Value) (cty.Type, error) {
		if args[0].Type() == cty.Number {
			return cty.String, nil // a number always converts
		}
		return toStringStd.ReturnTypeForValues(args)
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if s, ok := wholeNumberText(args[0]); ok {
			return cty.StringVal(s), nil
		}
		return toStringStd.Call(args)
	},
})

// wholeNumberText is the text cty's number-to-string conversion makes
// (big.Float.Text('f', -1), the shortest decimal that reads back as the
// value) for a whole number it can be sure of: one of at most 2^53 in
// magnitude held with at least 53 bits of precision, whose neighbours are
// then at most 1 away, so the shortest decimal is all of its digits.
func wholeNumberText(v cty.Value) (string, bool) {
	if v.Type() != cty.Number || !v.IsKnown() || v.IsNull() || v.IsMarked() {
		return "", false
	}
	f := v.AsBigFloat()
	if f.Prec() < 53 || !f.IsInt() || (f.Sign() == 0 && f.Signbit()) {
		return "", false
	}
	i, acc := f.Int64()
	if acc != big.Exact || i > 1<<53 || i < -(1<<53) {
		return "", false
	}
	return strconv.FormatInt(i, 10), true
}

// maxRange bounds range(): cty's own stops at 1024 values, a Terraform
// guard far below the sample counts workflows have. A million numbers,
// as many paths as one expand makes, already cost a second and 200 MB
// in cty; ten million made a dry run take a minute and gigabytes.
const maxRange = 1 << 20

// rangeFunc is range(end), range(start, end) or range(start, end, step),
// as in cty's stdlib but with room for large workflows.
var rangeFunc = function.New(&function.Spec{
	Description: "A list of numbers from start (default 0) up to, not including, end, by step (default 1 or -1).",
	VarParam:    &function.Parameter{Name: "params", Type: cty.Number},
	Type:        function.StaticReturnType(cty.List(cty.Number)),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		nums := make([]float64, len(args))
		for i, a := range args {
			f, _ := a.AsBigFloat().Float64()
			nums[i] = f
		}
		start, step, n, err := rangeSteps(nums)
		if err != nil {
			return cty.NilVal, err
		}
		if n == 0 {
			return cty.ListValEmpty(cty.Number), nil
		}
		vals := make([]cty.Value, 0, n)
		for v, i := start, 0; i < n; v, i = v+step, i+1 {
			vals = append(vals, cty.NumberFloatVal(v))
		}
		return cty.ListVal(vals), nil
	},
})

// rangeSteps is range's arithmetic, shared with the quick expand
// (fastfor.go) so both make the same numbers: the first value, the step
// and the count, the values being start, start+step, ... summed in float64.
func rangeSteps(nums []float64) (start, step float64, n int, err error) {
	var end float64
	switch len(nums) {
	case 1:
		end = nums[0]
	case 2:
		start, end = nums[0], nums[1]
	case 3:
		start, end, step = nums[0], nums[1], nums[2]
	default:
		return 0, 0, 0, function.NewArgErrorf(0, "range takes 1 to 3 numbers: end; start, end; or start, end, step")
	}
	if step == 0 {
		step = 1
		if end < start {
			step = -1
		}
	}
	if (step > 0 && end < start) || (step < 0 && end > start) {
		return 0, 0, 0, function.NewArgErrorf(len(nums)-1, "step %g never gets from %g to %g", step, start, end)
	}
	n = int((end-start)/step + 0.999999999)
	if n < 0 {
		n = 0
	}
	if n > maxRange {
		return 0, 0, 0, fmt.Errorf("range would make %d values; at most %d", n, maxRange)
	}
	return start, step, n, nil
}
