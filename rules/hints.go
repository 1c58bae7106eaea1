package rules

import (
	"bytes"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// This file turns the errors of common slips into hints: HCL's own message
// for "input = in.txt" is "There is no variable named in", true but no
// help to someone who forgot the quotes.

// stringAttrs are the rule attributes whose values are strings (or lists
// and objects of strings), named in hints; shell and message are commands
// or text, the others paths.
var stringAttrs = map[string]string{
	"input": "path", "output": "path", "log": "path", "benchmark": "path", "script": "path",
	"shell": "shell", "message": "message",
}

// unquotedHint describes an unquoted value as the fix: write text quoted.
func unquotedHint(attr, text string, rng hcl.Range) *hcl.Diagnostic {
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Subject: &rng}
	quoted := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(text) + `"`
	switch stringAttrs[attr] {
	case "shell":
		d.Summary = "Unquoted shell command"
		d.Detail = fmt.Sprintf("A shell command is a string: write %s = %s, or a heredoc (<<-EOT, the command, then EOT) for a longer one.", attr, quoted)
	case "message":
		d.Summary = "Unquoted message"
		d.Detail = fmt.Sprintf("A message is a string: write %s = %s.", attr, quoted)
	default:
		d.Summary = "Unquoted path"
		d.Detail = fmt.Sprintf("Paths are strings: write %s.", quoted)
	}
	return d
}

// unquotedValues reports the elements of a string attribute that are bare
// words naming unknown variables (in.txt, data/a.txt, wc -l) as unquoted
// values, and returns their ranges, so that the caller does not also
// report their variables as unknown.
func (l *loader) unquotedValues(attr *hcl.Attribute, scope []string) []hcl.Range {
	if _, ok := stringAttrs[attr.Name]; !ok {
		return nil
	}
	f := l.wf.sources[attr.Expr.Range().Filename]
	if f == nil {
		return nil
	}
	var elems []hclsyntax.Expression
	switch e := attr.Expr.(type) {
	case *hclsyntax.TupleConsExpr:
		elems = e.Exprs
	case *hclsyntax.ObjectConsExpr:
		for _, it := range e.Items {
			elems = append(elems, it.ValueExpr)
		}
	case hclsyntax.Expression:
		elems = []hclsyntax.Expression{e}
	}
	var out []hcl.Range
	for _, e := range elems {
		if !bareWords(e) {
			continue
		}
		unknown := false
		for _, tr := range e.Variables() {
			// A known variable out of scope (params.extra in input) is
			// more likely meant than a path: its own error says more.
			unknown = unknown || !contains(scope, tr.RootName()) && !contains(allVars, tr.RootName())
		}
		if !unknown {
			continue
		}
		rng := e.Range()
		l.diags = append(l.diags, unquotedHint(attr.Name, string(rng.SliceBytes(f.Bytes)), rng))
		out = append(out, rng)
	}
	return out
}

// bareWords reports whether expr is made only of names, numbers and
// operators, as unquoted text parses: in.txt, data/a.txt, wc -l.
func bareWords(expr hclsyntax.Expression) bool {
	switch e := expr.(type) {
	case *hclsyntax.ScopeTraversalExpr:
		return true
	case *hclsyntax.RelativeTraversalExpr:
		return bareWords(e.Source)
	case *hclsyntax.BinaryOpExpr:
		return bareWords(e.LHS) && bareWords(e.RHS)
	case *hclsyntax.UnaryOpExpr:
		return bareWords(e.Val)
	case *hclsyntax.LiteralValueExpr:
		return e.Val.Type() == cty.Number
	}
	return false
}

var (
	snakemakeRuleRe = regexp.MustCompile(`(?m)^(rule|checkpoint)[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*:`)
	// Top-level Snakefile lines that come before the rules.
	snakemakeDirectiveRe = regexp.MustCompile(`^[ \t]*((configfile|include|workdir|localrules|ruleorder|wildcard_constraints|envvars|container|containerized|conda|singularity|pepfile|pepschema|report|onstart|onsuccess|onerror)[ \t]*:|(import|from)[ \t]+[A-Za-z_])`)
	stringAttrLine       = regexp.MustCompile(`^\s*([a-z]+)\s*=\s*(.*?)\s*$`)
	keywordArgRe         = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=([^=].*|)$`)
)

// syntaxHints replaces HCL's syntax errors for common slips in one file
// with one hint each: a pasted Snakefile, an unquoted value that does not
// even parse (shell = wc -l ${input}), Snakemake's keyword arguments.
func syntaxHints(src []byte, name string, diags hcl.Diagnostics) hcl.Diagnostics {
	// A Snakemake rule header where HCL found an error (not one inside a
	// heredoc, say).
	errLines := map[int]bool{}
	for _, d := range diags {
		if d.Subject != nil && d.Subject.Filename == name {
			errLines[d.Subject.Start.Line] = true
		}
	}
	var m []int
	line, prev := 1, 0
	for _, c := range snakemakeRuleRe.FindAllSubmatchIndex(src, -1) {
		line += bytes.Count(src[prev:c[0]], []byte("\n"))
		prev = c[0]
		if errLines[line] {
			m = c
			break
		}
	}
	if m == nil && len(diags) > 0 && diags[0].Subject != nil && diags[0].Subject.Filename == name {
		// A Snakefile often starts with configfile: or import, where HCL
		// stops understanding it before it reaches the first rule.
		if first := diags[0].Subject.Start.Byte; first <= len(src) && snakemakeDirectiveRe.Match(src[bytes.LastIndexByte(src[:first], '\n')+1:]) {
			m = snakemakeRuleRe.FindSubmatchIndex(src)
		}
	}
	if m != nil {
		rule := string(src[m[4]:m[5]])
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Snakemake syntax",
			Detail: fmt.Sprintf("This looks like Snakemake syntax (a Snakefile). flowmake reads the same workflow written in HCL: %s %q { input = \"...\" }, with quoted values and = instead of a colon. docs/migrating.md shows each Snakefile construct beside its Rulefile form.",
				string(src[m[2]:m[3]]), rule),
			Subject: &hcl.Range{Filename: name, Start: posAt(src, m[0]), End: posAt(src, m[1])},
		}}
	}
	var out hcl.Diagnostics
	hinted := map[int]bool{} // lines already explained
	for i, d := range diags {
		if i == maxSyntaxErrors {
			break
		}
		if d.Severity != hcl.DiagError || d.Subject == nil || d.Subject.Filename != name || d.Subject.Start.Byte > len(src) {
			out = append(out, d)
			continue
		}
		line := d.Subject.Start.Line
		if hinted[line] {
			continue
		}
		if h := lineHint(src, d); h != nil {
			hinted[line] = true
			out = append(out, h)
			continue
		}
		out = append(out, d)
	}
	return out
}

// maxSyntaxErrors is how many of a file's syntax errors get a hint; the
// rest are dropped. A binary file or a pasted script makes one error per
// character, and hinting each reads its line again: on one long line that
// took minutes. The loader reports only the first error anyway.
const maxSyntaxErrors = 20

// lineHint returns a hint for the syntax error d, or nil.
func lineHint(src []byte, d *hcl.Diagnostic) *hcl.Diagnostic {
	off := d.Subject.Start.Byte
	bol := bytes.LastIndexByte(src[:off], '\n') + 1
	eol := bytes.IndexByte(src[off:], '\n')
	if eol < 0 {
		eol = len(src)
	} else {
		eol += off
	}
	text := string(src[bol:eol])
	line := d.Subject.Start.Line
	if d.Summary == "Missing argument separator" && off < len(src) && src[off] == '=' {
		if h := keywordHint(src, bol, line, off, d.Subject.Filename); h != nil {
			return h
		}
	}
	m := stringAttrLine.FindStringSubmatchIndex(text)
	if m == nil {
		return nil
	}
	attr, value := text[m[2]:m[3]], stripComment(text[m[4]:m[5]])
	// A value that starts as an expression (a string, a list, a call,
	// config.x) is one with an error in it, not unquoted text.
	if _, ok := stringAttrs[attr]; !ok || value == "" || strings.ContainsAny(value[:1], `"<[{(`) || exprStart.MatchString(value) {
		return nil
	}
	rng := hcl.Range{Filename: d.Subject.Filename, Start: posOnLine(src, bol, line, bol+m[4]), End: posOnLine(src, bol, line, bol+m[4]+len(value))}
	return unquotedHint(attr, value, rng)
}

var exprStart = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_-]*\s*\(|(` + strings.Join(allVars, "|") + `)\s*[.\[])`)

// posOnLine is posAt for an offset on the line that starts at bol, without
// counting the lines before it again.
func posOnLine(src []byte, bol, line, off int) hcl.Pos {
	return hcl.Pos{Line: line, Column: 1 + utf8.RuneCount(src[bol:off]), Byte: off}
}

// stripComment cuts a trailing comment off an unquoted value: HCL reads
// its "#" or "//" after a space as one, outside quotes.
func stripComment(v string) string {
	quoted := false
	for i := 0; i < len(v); i++ {
		switch {
		case v[i] == '"':
			quoted = !quoted
		case v[i] == '\\' && quoted:
			i++
		case !quoted && i > 0 && (v[i-1] == ' ' || v[i-1] == '\t') && (v[i] == '#' || strings.HasPrefix(v[i:], "//")):
			return strings.TrimRight(v[:i], " \t")
		}
	}
	return v
}

// keywordHint explains NAME=VALUE inside a function call (eq is the
// offset of the '=' HCL stumbled on, on line line, which starts at bol): HCL
// functions take no keyword arguments, and expand takes the wildcard
// values as an object.
func keywordHint(src []byte, bol, line, eq int, filename string) *hcl.Diagnostic {
	// The innermost parenthesis open before the '=' on this line.
	depth, open := 0, -1
	for i := eq - 1; i >= bol && open < 0; i-- {
		switch src[i] {
		case ')':
			depth++
		case '(':
			if depth == 0 {
				open = i
			}
			depth--
		}
	}
	if open < 0 {
		return nil
	}
	fn := open
	for fn > bol && (isIdentByte(src[fn-1]) || isDigit(src[fn-1])) {
		fn--
	}
	name := string(src[fn:open])
	if name == "" {
		return nil
	}
	args, end := splitArgs(src, open+1)
	rng := hcl.Range{Filename: filename, Start: posOnLine(src, bol, line, fn), End: posOnLine(src, bol, line, fn)}
	if end > 0 {
		rng.End = posOnLine(src, bol, line, end+1)
	}
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Keyword argument", Subject: &rng}
	if name != "expand" {
		d.Detail = fmt.Sprintf("HCL functions take no keyword arguments (NAME=VALUE). Pass the arguments of %s in order; docs/rulefile.md lists them.", name)
		return d
	}
	call := `expand(p, { sample = ... })`
	if len(args) >= 2 {
		var kv []string
		for _, a := range args[1:] {
			m := keywordArgRe.FindStringSubmatch(a)
			if m == nil {
				kv = nil
				break
			}
			kv = append(kv, m[1]+" = "+strings.TrimSpace(m[2]))
		}
		if kv != nil {
			call = fmt.Sprintf("expand(%s, { %s })", strings.TrimSpace(args[0]), strings.Join(kv, ", "))
		}
	}
	d.Detail = fmt.Sprintf("HCL functions take no keyword arguments: expand takes the wildcard values as one object. Write %s.", call)
	return d
}

// splitArgs splits the arguments of a call whose '(' is just before
// start at its top-level commas, minding brackets and quoted strings,
// within one line. It returns them and the offset of the closing ')', or
// nil and -1.
func splitArgs(src []byte, start int) ([]string, int) {
	var args []string
	depth, from := 0, start
	for i := start; i < len(src) && src[i] != '\n'; i++ {
		switch c := src[i]; c {
		case '"':
			for i++; i < len(src) && src[i] != '"' && src[i] != '\n'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			if depth == 0 {
				return append(args, string(src[from:i])), i
			}
			depth--
		case ',':
			if depth == 0 {
				args = append(args, string(src[from:i]))
				from = i + 1
			}
		}
	}
	return nil, -1
}

// checkKeyRef gives a did-you-mean for config.KEY and params.KEY, as
// there is for variables: config is known once the Rulefile and the
// command line's config are merged, and params when the rule writes it as
// an object with literal keys. It reports whether it found a problem.
func (l *loader) checkKeyRef(r *Rule, tr hcl.Traversal) bool {
	if len(tr) < 2 || l.configBroken {
		return false
	}
	var key string
	switch step := tr[1].(type) {
	case hcl.TraverseAttr:
		key = step.Name
	case hcl.TraverseIndex:
		if step.Key.Type() != cty.String || !step.Key.IsKnown() || step.Key.IsNull() {
			return false
		}
		key = step.Key.AsString()
	default:
		return false
	}
	var keys []string
	var detail string
	switch tr.RootName() {
	case "config":
		ty := l.wf.Config.Type()
		if !ty.IsObjectType() {
			return false
		}
		keys = slices.Sorted(maps.Keys(ty.AttributeTypes()))
		detail = fmt.Sprintf("The config has no key %q.%s Keys: %s. The config block, --configfile and --config set them.", key, didYouMean(key, keys), strings.Join(keys, ", "))
		if len(keys) == 0 {
			detail = fmt.Sprintf("The config has no key %q: it is empty. Set the key in the config block, with --configfile or with --config.", key)
		}
	case "params":
		if r == nil || r.attrs["params"] == nil {
			return false
		}
		obj, ok := r.attrs["params"].Expr.(*hclsyntax.ObjectConsExpr)
		if !ok {
			return false
		}
		keys = keyOrder(obj)
		if len(keys) != len(obj.Items) {
			return false // a computed key: cannot tell
		}
		detail = fmt.Sprintf("The params of rule %s have no key %q.%s Keys: %s.", r.Name, key, didYouMean(key, keys), strings.Join(keys, ", "))
	default:
		return false
	}
	if contains(keys, key) {
		return false
	}
	rng := tr.SourceRange()
	l.keyRefs = append(l.keyRefs, rng)
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Unknown " + tr.RootName() + " key",
		Detail:   detail,
		Subject:  &rng,
	})
	return true
}

// guardedRanges are the ranges of try and can calls in expr: a reference
// inside them may be missing on purpose.
func guardedRanges(expr hcl.Expression) []hcl.Range {
	var out []hcl.Range
	e, ok := expr.(hclsyntax.Expression)
	if !ok {
		return nil
	}
	hclsyntax.VisitAll(e, func(n hclsyntax.Node) hcl.Diagnostics {
		if fc, ok := n.(*hclsyntax.FunctionCallExpr); ok && (fc.Name == "try" || fc.Name == "can") {
			out = append(out, fc.Range())
		}
		return nil
	})
	return out
}

func inAny(rng hcl.Range, ranges []hcl.Range) bool {
	for _, r := range ranges {
		if rangeWithin(rng, r) {
			return true
		}
	}
	return false
}

// dropEvalDuplicates removes HCL's "Unsupported attribute" and "Invalid
// index" errors for a key reference checkKeyRef already reported (a
// constant attribute is evaluated at load time too), so each problem is
// reported once.
func (l *loader) dropEvalDuplicates() {
	if len(l.keyRefs) == 0 {
		return
	}
	out := l.diags[:0]
	for _, d := range l.diags {
		if (d.Summary == "Unsupported attribute" || d.Summary == "Invalid index") && d.Subject != nil && inAny(*d.Subject, l.keyRefs) {
			continue
		}
		out = append(out, d)
	}
	l.diags = out
}
