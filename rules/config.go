package rules

import (
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	"gopkg.in/yaml.v3"
)

// applyOptions merges --configfile files, then --config overrides, over the
// config block.
func (l *loader) applyOptions() {
	cfg := l.wf.Config
	for _, name := range l.opts.ConfigFiles {
		v, err := readConfigFile(name)
		if err != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid config file",
				Detail:   fmt.Sprintf("Cannot use --configfile %s: %v.", name, err),
			})
			continue
		}
		cfg = deepMerge(cfg, v)
	}
	for _, kv := range l.opts.ConfigOverrides {
		keys, val, err := SplitOverride(kv)
		if err != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid --config override",
				Detail:   err.Error() + ".",
			})
			continue
		}
		cfg = setPath(cfg, keys, ParseConfigValue(val))
	}
	l.wf.Config = cfg
}

// SplitOverride splits a --config KEY=VALUE into the key's dotted parts
// and the value's text. The CLI calls it too, so that a malformed one is
// a usage error before anything is read.
func SplitOverride(kv string) (keys []string, val string, err error) {
	key, val, ok := strings.Cut(kv, "=")
	key = strings.TrimSpace(key)
	if ok && key != "" {
		keys = strings.Split(key, ".")
	}
	if !ok || contains(keys, "") || len(keys) == 0 {
		return nil, "", fmt.Errorf("--config %q: write KEY=VALUE, e.g. samples=[a,b], n=7 or db.host=localhost", kv)
	}
	return keys, val, nil
}

// ParseConfigValue reads a --config value the way Snakemake 7 does: it
// tries, in order, a Python int (7, -3, 1_000), a Python float (1.5, 1e3,
// inf), True or False, then YAML with every scalar kept as a string
// (PyYAML's BaseLoader, here gopkg.in/yaml.v3 nodes), and else takes the
// text itself. So samples=[c,d] is a list of strings, n=7 a number,
// name=x and date=2024-01-01 strings; true, yes and null are strings too,
// as in Snakemake (HCL converts "true" where a bool is wanted). An empty
// value is null. NaN is kept as the text "nan": cty numbers cannot hold it.
func ParseConfigValue(s string) cty.Value {
	if s == "" {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	if v, ok := pyInt(s); ok {
		return v
	}
	if v, ok := pyFloat(s); ok {
		return v
	}
	switch s {
	case "True":
		return cty.True
	case "False":
		return cty.False
	}
	if v, ok := yamlStrings(s); ok {
		return v
	}
	return cty.StringVal(s)
}

// pyWhitespace is what Python's int() and float() strip around a number.
const pyWhitespace = " \t\n\r\v\f"

var (
	// Python's int literal in base 10: digits, single underscores between
	// them, leading zeros allowed.
	pyIntRe = regexp.MustCompile(`^[+-]?[0-9](_?[0-9])*$`)
	// Python's float literal, decimal only (float() rejects hex).
	pyDigits  = `[0-9](_?[0-9])*`
	pyFloatRe = regexp.MustCompile(`^[+-]?((` + pyDigits + `)(\.(` + pyDigits + `)?)?|\.(` + pyDigits + `))([eE][+-]?` + pyDigits + `)?$`)
	pyInfRe   = regexp.MustCompile(`(?i)^[+-]?(inf|infinity)$`)
)

// pyInt is Python's int(s), as a number of any size.
func pyInt(s string) (cty.Value, bool) {
	s = strings.Trim(s, pyWhitespace)
	if !pyIntRe.MatchString(s) {
		return cty.NilVal, false
	}
	n, ok := new(big.Int).SetString(strings.ReplaceAll(s, "_", ""), 10)
	if !ok {
		return cty.NilVal, false
	}
	return cty.NumberVal(new(big.Float).SetInt(n)), true
}

// pyFloat is Python's float(s), but for NaN.
func pyFloat(s string) (cty.Value, bool) {
	s = strings.Trim(s, pyWhitespace)
	if pyInfRe.MatchString(s) {
		if s[0] == '-' {
			return cty.NegativeInfinity, true
		}
		return cty.PositiveInfinity, true
	}
	if !pyFloatRe.MatchString(s) {
		return cty.NilVal, false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return cty.NilVal, false
	}
	// Out of range, Python gives inf (1e999) or 0.0 (1e-999), as ParseFloat does.
	return cty.NumberFloatVal(f), true
}

// yamlStrings parses s as one YAML document and converts it with every
// scalar as its text, as PyYAML's BaseLoader does: mappings become
// objects, sequences tuples. ok is false when s is not YAML.
func yamlStrings(s string) (cty.Value, bool) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return cty.NilVal, false
	}
	return nodeStrings(doc.Content[0], 0)
}

// nodeStrings converts one YAML node; depth bounds alias chains.
func nodeStrings(n *yaml.Node, depth int) (cty.Value, bool) {
	if depth > 100 {
		return cty.NilVal, false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return cty.StringVal(n.Value), true
	case yaml.AliasNode:
		return nodeStrings(n.Alias, depth+1)
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return cty.EmptyTupleVal, true
		}
		vals := make([]cty.Value, len(n.Content))
		for i, c := range n.Content {
			v, ok := nodeStrings(c, depth+1)
			if !ok {
				return cty.NilVal, false
			}
			vals[i] = v
		}
		return cty.TupleVal(vals), true
	case yaml.MappingNode:
		attrs := make(map[string]cty.Value, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return cty.NilVal, false
			}
			v, ok := nodeStrings(n.Content[i+1], depth+1)
			if !ok {
				return cty.NilVal, false
			}
			attrs[k.Value] = v
		}
		return cty.ObjectVal(attrs), true
	}
	return cty.NilVal, false
}

// readConfigFile reads a JSON (.json) or YAML (anything else) config file,
// which must hold an object.
func readConfigFile(name string) (cty.Value, error) {
	src, err := os.ReadFile(name)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return cty.NilVal, err
	}
	var v cty.Value
	if strings.EqualFold(filepath.Ext(name), ".json") {
		ty, err := ctyjson.ImpliedType(src)
		if err != nil {
			return cty.NilVal, err
		}
		if v, err = ctyjson.Unmarshal(src, ty); err != nil {
			return cty.NilVal, err
		}
	} else {
		var doc any
		if err := yaml.Unmarshal(src, &doc); err != nil {
			return cty.NilVal, err
		}
		if doc == nil {
			return cty.EmptyObjectVal, nil
		}
		if v, err = goValue(doc); err != nil {
			return cty.NilVal, err
		}
	}
	if v.IsNull() || !v.Type().IsObjectType() {
		return cty.NilVal, errors.New("the file must hold an object (key: value pairs)")
	}
	return v, nil
}

// goValue converts a decoded YAML document to cty: mappings become
// objects, sequences tuples.
func goValue(x any) (cty.Value, error) {
	switch t := x.(type) {
	case nil:
		return cty.NullVal(cty.DynamicPseudoType), nil
	case string:
		return cty.StringVal(t), nil
	case bool:
		return cty.BoolVal(t), nil
	case int:
		return cty.NumberIntVal(int64(t)), nil
	case int64:
		return cty.NumberIntVal(t), nil
	case uint64:
		return cty.NumberUIntVal(t), nil
	case float64:
		return cty.NumberFloatVal(t), nil
	case *big.Int:
		return cty.NumberVal(new(big.Float).SetInt(t)), nil
	case []any:
		if len(t) == 0 {
			return cty.EmptyTupleVal, nil
		}
		vals := make([]cty.Value, len(t))
		for i, e := range t {
			v, err := goValue(e)
			if err != nil {
				return cty.NilVal, err
			}
			vals[i] = v
		}
		return cty.TupleVal(vals), nil
	case map[string]any:
		attrs := make(map[string]cty.Value, len(t))
		for k, e := range t {
			v, err := goValue(e)
			if err != nil {
				return cty.NilVal, err
			}
			attrs[k] = v
		}
		return cty.ObjectVal(attrs), nil
	case map[any]any:
		attrs := make(map[string]cty.Value, len(t))
		for k, e := range t {
			v, err := goValue(e)
			if err != nil {
				return cty.NilVal, err
			}
			attrs[fmt.Sprint(k)] = v
		}
		return cty.ObjectVal(attrs), nil
	}
	return cty.NilVal, fmt.Errorf("unsupported value %v (%T)", x, x)
}

func isObject(v cty.Value) bool {
	return !v.IsMarked() && v.IsKnown() && !v.IsNull() && (v.Type().IsObjectType() || v.Type().IsMapType())
}

// deepMerge merges over into base: objects merge key by key, anything else
// is replaced.
func deepMerge(base, over cty.Value) cty.Value {
	if !isObject(base) || !isObject(over) {
		return over
	}
	attrs := map[string]cty.Value{}
	for k, v := range base.AsValueMap() {
		attrs[k] = v
	}
	for k, v := range over.AsValueMap() {
		if b, ok := attrs[k]; ok {
			v = deepMerge(b, v)
		}
		attrs[k] = v
	}
	return cty.ObjectVal(attrs)
}

// setPath sets the nested key path in obj to v, creating objects on the way
// and replacing values that are not objects.
func setPath(obj cty.Value, keys []string, v cty.Value) cty.Value {
	attrs := map[string]cty.Value{}
	if isObject(obj) {
		for k, x := range obj.AsValueMap() {
			attrs[k] = x
		}
	}
	if len(keys) == 1 {
		attrs[keys[0]] = v
	} else {
		child, ok := attrs[keys[0]]
		if !ok {
			child = cty.EmptyObjectVal
		}
		attrs[keys[0]] = setPath(child, keys[1:], v)
	}
	return cty.ObjectVal(attrs)
}
