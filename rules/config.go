package rules

import (
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
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
		key, val, ok := strings.Cut(kv, "=")
		key = strings.TrimSpace(key)
		var keys []string
		if ok && key != "" {
			keys = strings.Split(key, ".")
		}
		if !ok || contains(keys, "") || len(keys) == 0 {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid --config override",
				Detail:   fmt.Sprintf("--config %q: write KEY=VALUE, e.g. samples='[\"a\",\"b\"]' or db.host=localhost.", kv),
			})
			continue
		}
		cfg = setPath(cfg, keys, ParseConfigValue(val))
	}
	l.wf.Config = cfg
}

// ParseConfigValue reads a --config value: an HCL/JSON literal (3, true,
// null, "x", [1, 2], {a = 1}) or else the text itself. Only literals count,
// so 2024-01-01 or a/b.txt stay text instead of becoming arithmetic.
func ParseConfigValue(s string) cty.Value {
	text := cty.StringVal(s)
	expr, diags := hclsyntax.ParseExpression([]byte(s), "--config", hcl.InitialPos)
	if diags.HasErrors() || !literalExpr(expr) {
		return text
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		return text
	}
	return v
}

// literalExpr reports whether expr is made of literals only.
func literalExpr(expr hclsyntax.Expression) bool {
	switch x := expr.(type) {
	case *hclsyntax.LiteralValueExpr:
		return true
	case *hclsyntax.TemplateExpr:
		for _, p := range x.Parts {
			if _, ok := p.(*hclsyntax.LiteralValueExpr); !ok {
				return false
			}
		}
		return true
	case *hclsyntax.UnaryOpExpr:
		lit, ok := x.Val.(*hclsyntax.LiteralValueExpr)
		return ok && x.Op == hclsyntax.OpNegate && lit.Val.Type() == cty.Number
	case *hclsyntax.TupleConsExpr:
		for _, e := range x.Exprs {
			if !literalExpr(e) {
				return false
			}
		}
		return true
	case *hclsyntax.ObjectConsExpr:
		for _, item := range x.Items {
			key, ok := item.KeyExpr.(*hclsyntax.ObjectConsKeyExpr)
			if !ok {
				return false
			}
			// A bare key is a name, not a reference.
			if _, bare := key.Wrapped.(*hclsyntax.ScopeTraversalExpr); !bare && !literalExpr(key.Wrapped) {
				return false
			}
			if !literalExpr(item.ValueExpr) {
				return false
			}
		}
		return true
	}
	return false
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
