package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/flowmake/flowmake/wildcard"
)

var topSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "ruleorder"},
		{Name: "localrules"},
		{Name: "wildcard_constraints"},
		{Name: "include"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "config"},
		{Type: "rule", LabelNames: []string{"name"}},
		{Type: "checkpoint", LabelNames: []string{"name"}},
	},
}

// evalOrder is the order Eval evaluates a rule's per-job attributes in
// (output comes first, at load time). An attribute may refer to the
// variables of the attributes before it, so threads may depend on input and
// params on threads, as in Snakemake.
var evalOrder = []string{
	"input", "log", "benchmark", "threads", "resources", "params",
	"priority", "retries", "message", "shell", "script",
}

var ruleSchema = func() *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, n := range append([]string{"output", "wildcard_constraints"}, evalOrder...) {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: n})
	}
	return s
}()

// alwaysVars are in scope for every per-job attribute; the others of
// allVars become available in evalOrder.
var (
	alwaysVars = []string{"wildcards", "output", "config", "rule"}
	allVars    = []string{"wildcards", "input", "output", "params", "threads", "resources", "log", "benchmark", "config", "rule"}
)

// scopeOf returns the variables attribute attr may refer to.
func scopeOf(attr string) []string {
	scope := append([]string(nil), alwaysVars...)
	for _, a := range evalOrder {
		if a == attr {
			break
		}
		if contains(allVars, a) {
			scope = append(scope, a)
		}
	}
	return scope
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// loader builds a Workflow from one or more files.
type loader struct {
	wf    *Workflow
	diags hcl.Diagnostics
	// disk says whether includes are read (Load) or not (Parse).
	disk   bool
	opts   Options
	files  []*fileContent
	seen   map[string]bool // absolute paths already read
	broken bool            // a file did not parse: stop before decoding
	// configBroken says the config did not decode, so a reference to a
	// missing key may be the broken one's: no did-you-mean for it.
	configBroken bool
	// keyRefs are the config.KEY and params.KEY references reported
	// unknown; HCL's own error when it evaluates one is dropped.
	keyRefs []hcl.Range
	// checkpointCalls are literal checkpoint_output names, checked once
	// every rule is known.
	checkpointCalls []*hclsyntax.FunctionCallExpr
}

type fileContent struct {
	name    string
	content *hcl.BodyContent
}

func newLoader(disk bool, opts Options) *loader {
	return &loader{
		wf: &Workflow{
			Config:      cty.EmptyObjectVal,
			Constraints: map[string]string{},
			ByName:      map[string]*Rule{},
			sources:     map[string]*hcl.File{},
		},
		disk: disk,
		opts: opts,
		seen: map[string]bool{},
	}
}

// readFile reads and parses a Rulefile from disk, then its includes.
// from is the include element that named it (nil for the Rulefile) and
// stack the including files, for cycle detection.
func (l *loader) readFile(name string, from *hcl.Range, stack []includer) {
	abs, err := filepath.Abs(name)
	if err != nil {
		abs = filepath.Clean(name)
	}
	// Files are known by their real path: through a link to its own
	// directory (deep/deep -> .) a file would include itself 40 times,
	// each under a longer name, until the OS says ELOOP.
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	for i, s := range stack {
		if s.abs == abs {
			chain := make([]string, 0, len(stack)-i+1)
			for _, c := range stack[i:] {
				chain = append(chain, c.name)
			}
			chain = append(chain, name)
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Include cycle",
				Detail:   fmt.Sprintf("The includes form a cycle: %s. Remove one of these includes.", strings.Join(chain, " includes ")),
				Subject:  from,
			})
			return
		}
	}
	if l.seen[abs] {
		// A file included twice (not in a cycle) is read once, so its
		// rules are not duplicates of themselves.
		return
	}
	l.seen[abs] = true
	src, err := readLimited(name)
	if errors.Is(err, errTooLarge) {
		l.wf.Files = append(l.wf.Files, name)
		l.diags = append(l.diags, sizeDiag(name, MaxRulefileSize+1))
		l.broken = true
		return
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		d := &hcl.Diagnostic{Severity: hcl.DiagError, Subject: from}
		if from != nil {
			d.Summary = "Missing include"
			d.Detail = fmt.Sprintf("Cannot read the included file %s: %v. Include paths are relative to the including file's directory.", name, err)
		} else if errors.Is(err, fs.ErrNotExist) {
			d.Summary = "No Rulefile"
			d.Detail = fmt.Sprintf("There is no Rulefile at %s. flowmake reads a workflow written in HCL from a file named Rulefile (-s picks another).", name)
			if sf := snakefileBeside(name); sf != "" {
				d.Detail = fmt.Sprintf("There is no Rulefile at %s, but there is a Snakefile, %s. flowmake does not read Snakefiles: it reads the same workflow written in HCL, in a file named Rulefile. docs/migrating.md shows each Snakefile construct beside its Rulefile form.", name, sf)
			}
		} else {
			d.Summary = "Cannot read Rulefile"
			d.Detail = fmt.Sprintf("Cannot read %s: %v.", name, err)
		}
		l.diags = append(l.diags, d)
		return
	}
	l.parseFile(src, name, append(stack, includer{abs, name}))
}

// snakefileBeside returns a Snakefile where Snakemake would look for one,
// beside the missing Rulefile, or "".
func snakefileBeside(rulefile string) string {
	dir := filepath.Dir(rulefile)
	for _, c := range []string{"Snakefile", "snakefile", "workflow/Snakefile", "workflow/snakefile"} {
		p := filepath.Join(dir, filepath.FromSlash(c))
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// binaryDiag returns an error when src holds a NUL byte, which no text
// file does: -s or an include named a binary file (a BAM, a gzipped
// Rulefile). HCL would report each of its bytes, and print them.
func binaryDiag(src []byte, name string) *hcl.Diagnostic {
	at := bytes.IndexByte(src, 0)
	if at < 0 {
		return nil
	}
	return byteDiag(src, name, at, "Binary file",
		fmt.Sprintf("%s holds a NUL byte, so it is not a text file: a Rulefile is HCL text in UTF-8. Check that -s or the include names the Rulefile.", name))
}

// parseHCL parses a source that passed the gates, with the hints for
// the usual slips and only the earliest syntax error; Load and Format
// report the same diagnostics.
func parseHCL(src []byte, name string) (*hcl.File, hcl.Diagnostics) {
	file, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		diags = firstSyntaxError(syntaxHints(src, name, diags))
	}
	return file, diags
}

// firstSyntaxError keeps the first of a file's syntax errors (and the
// warnings). The parser goes on after an error and reports what follows
// from it: an unterminated string is three errors, one per line it
// swallowed. One problem is printed once; the author fixes it and runs
// again, as with Python's and Snakemake's syntax errors.
// The first is the earliest in the file: HCL's order is not always the
// text's ("${input" without "}" reports the end of the line first).
func firstSyntaxError(diags hcl.Diagnostics) hcl.Diagnostics {
	first := -1
	for i, d := range diags {
		if d.Severity == hcl.DiagError && (first < 0 || before(d, diags[first])) {
			first = i
		}
	}
	out := diags[:0:0]
	for i, d := range diags {
		if d.Severity != hcl.DiagError || i == first {
			out = append(out, d)
		}
	}
	return out
}

// before reports whether a's place in its file comes before b's; one
// without a place comes last.
func before(a, b *hcl.Diagnostic) bool {
	if a.Subject == nil || b.Subject == nil {
		return a.Subject != nil
	}
	return a.Subject.Start.Byte < b.Subject.Start.Byte
}

// includer is a file on the include stack: its absolute path, to detect
// cycles, and its name as given, for messages.
type includer struct{ abs, name string }

// parseFile parses one file's source and, when reading from disk, its
// includes.
func (l *loader) parseFile(src []byte, name string, stack []includer) {
	d := binaryDiag(src, name)
	if d == nil {
		d = encodingDiag(src, name)
	}
	if d != nil {
		l.wf.Files = append(l.wf.Files, name) // no snippet: it would print the bytes
		l.diags = append(l.diags, d)
		l.broken = true
		return
	}
	if d := checkLimits(src, name); d != nil {
		// A snippet of a line of 100,000 parentheses would help no one:
		// the source is shown only when the line is short.
		if d.Subject != nil && shortLine(src, d.Subject.Start.Byte) {
			l.wf.sources[name] = &hcl.File{Bytes: src}
		}
		l.wf.Files = append(l.wf.Files, name)
		l.diags = append(l.diags, d)
		l.broken = true
		return
	}
	file, diags := parseHCL(src, name)
	if file != nil {
		l.wf.sources[name] = file
	}
	l.wf.Files = append(l.wf.Files, name)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() || file == nil {
		l.broken = true
		return
	}
	content, diags := file.Body.Content(topSchema)
	l.diags = append(l.diags, diags...)
	l.files = append(l.files, &fileContent{name: name, content: content})

	attr := content.Attributes["include"]
	if attr == nil {
		return
	}
	if !l.disk {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Include not available in Parse",
			Detail:   "Parse reads a single source; includes are ignored. Use Load to read them.",
			Subject:  attr.Expr.Range().Ptr(),
		})
		return
	}
	for _, inc := range l.stringList(attr, nil) {
		p := inc.s
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(name), filepath.FromSlash(p))
		}
		rng := inc.rng
		l.readFile(p, &rng, stack)
	}
}

// located is a string with the range it was written at.
type located struct {
	s   string
	rng hcl.Range
}

// stringList evaluates a top-level attribute that must be a string or a list
// of strings, returning each string with its tightest range.
func (l *loader) stringList(attr *hcl.Attribute, ctx *hcl.EvalContext) []located {
	if ctx == nil {
		ctx = l.loadContext(nil)
	}
	val, diags := attr.Expr.Value(ctx)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return nil
	}
	val, _ = val.UnmarkDeep()
	bad := func() []located {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Incorrect attribute value type",
			Detail:   fmt.Sprintf("Inappropriate value for attribute %q: a list of strings is required.", attr.Name),
			Subject:  attr.Expr.Range().Ptr(),
		})
		return nil
	}
	if val.IsNull() || !val.IsWhollyKnown() {
		return bad()
	}
	if val.Type() == cty.String {
		return []located{{val.AsString(), attr.Expr.Range()}}
	}
	ty := val.Type()
	if !(ty.IsListType() || ty.IsTupleType() || ty.IsSetType()) {
		return bad()
	}
	elems, _ := hcl.ExprList(attr.Expr)
	var out []located
	i := 0
	for it := val.ElementIterator(); it.Next(); i++ {
		_, ev := it.Element()
		if ev.IsNull() || ev.Type() != cty.String {
			return bad()
		}
		rng := attr.Expr.Range()
		if len(elems) == val.LengthInt() {
			rng = elems[i].Range()
		}
		out = append(out, located{ev.AsString(), rng})
	}
	return out
}

// rootContext holds the functions shared by every evaluation; contexts
// with variables are its children.
var rootContext = &hcl.EvalContext{Functions: baseFuncs}

// loadContext is the context of load-time expressions: vars (nil: none),
// the shared functions, and glob_wildcards resolved against Options.Dir.
// There is no job, so checkpoint_output only explains itself.
func (l *loader) loadContext(vars map[string]cty.Value) *hcl.EvalContext {
	ctx := rootContext.NewChild()
	ctx.Variables = vars
	ctx.Functions = map[string]function.Function{
		"glob_wildcards":    globWildcardsFunc(l.opts.Dir),
		"checkpoint_output": loadCheckpointFunc,
	}
	return ctx
}

// build decodes everything read so far into the workflow.
func (l *loader) build() {
	if l.broken {
		return
	}
	before := len(l.diags)
	l.decodeConfig()
	if l.disk {
		l.applyOptions()
	}
	l.configBroken = l.diags[before:].HasErrors()
	l.decodeConstraints()
	var order, local []located
	for _, f := range l.files {
		if attr := f.content.Attributes["ruleorder"]; attr != nil {
			order = append(order, l.stringList(attr, l.loadContext(map[string]cty.Value{"config": l.wf.Config}))...)
		}
		if attr := f.content.Attributes["localrules"]; attr != nil {
			local = append(local, l.stringList(attr, l.loadContext(map[string]cty.Value{"config": l.wf.Config}))...)
		}
	}
	for _, f := range l.files {
		for _, b := range f.content.Blocks {
			if b.Type == "rule" || b.Type == "checkpoint" {
				l.decodeRule(b)
			}
		}
	}
	l.wf.RuleOrder = l.ruleNames(order, "ruleorder")
	for _, name := range l.ruleNames(local, "localrules") {
		if l.wf.LocalRules == nil {
			l.wf.LocalRules = map[string]bool{}
		}
		l.wf.LocalRules[name] = true
	}
	for _, fc := range l.checkpointCalls {
		l.checkCheckpointCall(fc)
	}
	l.dropEvalDuplicates()
}

// ruleNames returns the names of list (from the top-level attribute
// attr) that are rules, and reports each one that is not, with the
// closest rule name.
func (l *loader) ruleNames(list []located, attr string) []string {
	var names, out []string
	for _, o := range list {
		if l.wf.ByName[o.s] != nil {
			out = append(out, o.s)
			continue
		}
		if names == nil {
			for _, r := range l.wf.Rules {
				names = append(names, r.Name)
			}
		}
		rng := o.rng
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unknown rule in " + attr,
			Detail:   fmt.Sprintf("There is no rule named %q.%s", o.s, didYouMean(o.s, names)),
			Subject:  &rng,
		})
	}
	return out
}

// sortDiags orders diagnostics as they appear in the files (those without
// a range first), so every problem is reported in reading order whatever
// order maps were walked in.
func (l *loader) sortDiags() {
	fileIndex := map[string]int{}
	for i, f := range l.wf.Files {
		if _, ok := fileIndex[f]; !ok {
			fileIndex[f] = i
		}
	}
	key := func(d *hcl.Diagnostic) (int, int) {
		if d.Subject == nil {
			return -1, 0
		}
		fi, ok := fileIndex[d.Subject.Filename]
		if !ok {
			fi = len(l.wf.Files)
		}
		return fi, d.Subject.Start.Byte
	}
	sort.SliceStable(l.diags, func(i, j int) bool {
		fi, bi := key(l.diags[i])
		fj, bj := key(l.diags[j])
		if fi != fj {
			return fi < fj
		}
		return bi < bj
	})
}

// decodeConfig evaluates the config block: arbitrary attributes, functions
// allowed, no variables.
func (l *loader) decodeConfig() {
	var first *hcl.Block
	for _, f := range l.files {
		for _, b := range f.content.Blocks {
			if b.Type != "config" {
				continue
			}
			if first != nil {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate config block",
					Detail:   fmt.Sprintf("A config block was already defined at %s. A workflow has one config block; merge the two.", first.DefRange),
					Subject:  b.DefRange.Ptr(),
				})
				continue
			}
			first = b
		}
	}
	if first == nil {
		return
	}
	attrs, diags := first.Body.JustAttributes()
	l.diags = append(l.diags, diags...)
	ctx := l.loadContext(nil)
	vals := map[string]cty.Value{}
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		attr := attrs[name]
		for _, tr := range attr.Expr.Variables() {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Variables not allowed",
				Detail:   fmt.Sprintf("The config block is evaluated before anything else, so it cannot refer to %s. Write the value itself.", tr.RootName()),
				Subject:  tr.SourceRange().Ptr(),
			})
		}
		if len(attr.Expr.Variables()) > 0 {
			continue
		}
		v, diags := attr.Expr.Value(ctx)
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			continue
		}
		v, _ = v.UnmarkDeep()
		vals[name] = v
	}
	l.wf.Config = cty.ObjectVal(vals)
}

// decodeConstraints merges the global wildcard_constraints of every file.
func (l *loader) decodeConstraints() {
	for _, f := range l.files {
		attr := f.content.Attributes["wildcard_constraints"]
		if attr == nil {
			continue
		}
		cs := l.constraints(attr, cty.NullVal(cty.String))
		for _, name := range slices.Sorted(maps.Keys(cs)) {
			c := cs[name]
			if prev, ok := l.wf.Constraints[name]; ok && prev != c {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Conflicting wildcard constraint",
					Detail:   fmt.Sprintf("The constraint for %s was already set to %q by another file.", name, prev),
					Subject:  attr.Expr.Range().Ptr(),
				})
				continue
			}
			l.wf.Constraints[name] = c
		}
	}
}

// constraints evaluates a wildcard_constraints attribute: an object of
// regex strings, each checked. rule is the rule's name (null at the top).
func (l *loader) constraints(attr *hcl.Attribute, rule cty.Value) map[string]string {
	vars := map[string]cty.Value{"config": l.wf.Config}
	if !rule.IsNull() {
		vars["rule"] = rule
	}
	ctx := l.loadContext(vars)
	v, diags := attr.Expr.Value(ctx)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return nil
	}
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsWhollyKnown() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Incorrect attribute value type",
			Detail:   `Inappropriate value for attribute "wildcard_constraints": an object of regular expressions is required, e.g. { sample = "[a-z]+" }.`,
			Subject:  attr.Expr.Range().Ptr(),
		})
		return nil
	}
	out := map[string]string{}
	for it := v.ElementIterator(); it.Next(); {
		k, ev := it.Element()
		name := k.AsString()
		rng := itemRange(attr.Expr, name)
		if ev.IsNull() || ev.Type() != cty.String {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Incorrect attribute value type",
				Detail:   fmt.Sprintf("The constraint for wildcard %s must be a string holding a regular expression.", name),
				Subject:  &rng,
			})
			continue
		}
		re := ev.AsString()
		if _, err := regexp.Compile(re); err != nil || re == "" {
			msg := "it is empty"
			if err != nil {
				msg = err.Error()
			}
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid wildcard constraint",
				Detail:   fmt.Sprintf("The constraint for wildcard %s is not a valid regular expression (RE2 syntax): %s.", name, msg),
				Subject:  &rng,
			})
			continue
		}
		out[name] = re
	}
	return out
}

// itemRange is the range of the value of key in an object constructor, or
// the whole expression's range.
func itemRange(expr hcl.Expression, key string) hcl.Range {
	if _, ok := expr.(*hclsyntax.ObjectConsExpr); ok {
		pairs, _ := hcl.ExprMap(expr)
		for _, p := range pairs {
			if k, d := p.Key.Value(nil); !d.HasErrors() && k.Type() == cty.String && k.IsKnown() && k.AsString() == key {
				return p.Value.Range()
			}
		}
	}
	return expr.Range()
}

// keyOrder returns the keys of an object constructor in declaration order
// (cty objects forget it), or nil for other expressions.
func keyOrder(expr hcl.Expression) []string {
	if _, ok := expr.(*hclsyntax.ObjectConsExpr); !ok {
		return nil
	}
	pairs, _ := hcl.ExprMap(expr)
	var keys []string
	for _, p := range pairs {
		if k, d := p.Key.Value(nil); !d.HasErrors() && k.IsKnown() && !k.IsNull() && k.Type() == cty.String {
			keys = append(keys, k.AsString())
		}
	}
	return keys
}

// decodeRule decodes and validates one rule or checkpoint block.
func (l *loader) decodeRule(b *hcl.Block) {
	r := &Rule{
		Name:       b.Labels[0],
		Checkpoint: b.Type == "checkpoint",
		DeclRange:  b.DefRange,
		wf:         l.wf,
		nameVal:    cty.StringVal(b.Labels[0]),
	}
	add := true
	if !hclsyntax.ValidIdentifier(r.Name) {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid rule name",
			Detail:   fmt.Sprintf("%q is not a valid name: a rule name starts with a letter or underscore and holds only letters, digits, underscores and dashes.", r.Name),
			Subject:  b.LabelRanges[0].Ptr(),
		})
		add = false
	}
	if prev := l.wf.ByName[r.Name]; prev != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate rule",
			Detail:   fmt.Sprintf("A %s named %q was already defined at %s. Rule names must be unique; rename one of them.", kind(prev), r.Name, prev.DeclRange),
			Subject:  b.LabelRanges[0].Ptr(),
		})
		add = false
	}
	content, diags := b.Body.Content(ruleSchema)
	l.diags = append(l.diags, diags...)
	r.attrs = content.Attributes
	for _, a := range r.attrs {
		a.Expr = quickFor(a.Expr) // fastfor.go
	}
	for _, name := range evalOrder {
		if a := r.attrs[name]; a != nil {
			r.steps = append(r.steps, a)
		}
	}
	r.HasShell = r.attrs["shell"] != nil
	r.HasScript = r.attrs["script"] != nil
	if attr := r.attrs["shell"]; attr != nil {
		rng := attr.Expr.Range()
		if f := l.wf.sources[rng.Filename]; f != nil {
			r.ShellSource = string(rng.SliceBytes(f.Bytes))
		}
	}
	if r.HasShell && r.HasScript {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Conflicting shell and script",
			Detail:   fmt.Sprintf("Rule %s sets both shell (at %s) and script; a rule runs one command. Remove one of them.", r.Name, r.attrs["shell"].NameRange),
			Subject:  r.attrs["script"].NameRange.Ptr(),
		})
	}

	r.Constraints = map[string]string{}
	for k, v := range l.wf.Constraints {
		r.Constraints[k] = v
	}
	if attr := r.attrs["wildcard_constraints"]; attr != nil {
		l.checkExpr(r, attr, []string{"config", "rule"})
		for k, v := range l.constraints(attr, cty.StringVal(r.Name)) {
			r.Constraints[k] = v
		}
	}
	l.decodeOutputs(r)
	for _, name := range evalOrder {
		if attr := r.attrs[name]; attr != nil {
			l.checkExpr(r, attr, scopeOf(name))
			if callsJobFunc(attr.Expr) {
				r.jobFuncs = true
			}
		}
	}
	for _, name := range []string{"input", "log", "benchmark"} {
		if attr := r.attrs[name]; attr != nil {
			l.checkStaticWildcards(r, attr)
		}
	}
	for _, name := range []string{"shell", "message"} {
		if attr := r.attrs[name]; attr != nil {
			l.checkSnakemakeBraces(attr)
		}
	}
	l.checkConstants(r)
	if add {
		l.wf.Rules = append(l.wf.Rules, r)
		l.wf.ByName[r.Name] = r
	}
}

func kind(r *Rule) string {
	if r.Checkpoint {
		return "checkpoint"
	}
	return "rule"
}

// decodeOutputs evaluates output at load time and compiles its patterns.
func (l *loader) decodeOutputs(r *Rule) {
	attr := r.attrs["output"]
	if attr == nil {
		return
	}
	if len(l.unquotedValues(attr, []string{"config", "rule"})) > 0 {
		return
	}
	bad := false
	guarded := guardedRanges(attr.Expr)
	for _, tr := range attr.Expr.Variables() {
		if tr.RootName() == "config" && !inAny(tr.SourceRange(), guarded) && l.checkKeyRef(r, tr) {
			bad = true
		}
		if name := tr.RootName(); name != "config" && name != "rule" {
			detail := fmt.Sprintf("output is evaluated when the Rulefile loads, before any job exists, so it may refer only to config, not to %s.", name)
			if name == "wildcards" {
				detail += ` Write a wildcard as {name} in the pattern, e.g. "counts/{sample}.txt".`
			}
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Variable not allowed in output",
				Detail:   detail,
				Subject:  tr.SourceRange().Ptr(),
			})
			bad = true
		}
	}
	before := len(l.diags)
	l.checkFuncs(attr.Expr)
	if bad || len(l.diags) > before {
		return
	}
	ctx := l.loadContext(map[string]cty.Value{"config": l.wf.Config, "rule": cty.StringVal(r.Name)})
	v, diags := attr.Expr.Value(ctx)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return
	}
	ps, err := pathsOf(v, attr.Expr)
	if err != nil {
		l.diags = append(l.diags, typeDiag(attr, err))
		return
	}
	r.outNamed, r.outScalar, r.outOrder = ps.named, ps.scalar, ps.order
	ranges := elemRanges(attr.Expr, ps)
	union := map[string]bool{}
	var unionOrder []string
	for i, p := range ps.paths {
		p.Path = wildcard.Clean(p.Path)
		pat, err := wildcard.Parse(p.Path, r.Constraints)
		if err != nil {
			rng := ranges[i]
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid output pattern",
				Detail:   fmt.Sprintf("In rule %s: %v.", r.Name, err),
				Subject:  &rng,
			})
			continue
		}
		if p.Path == "" || p.Path == "." {
			rng := ranges[i]
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Empty output path",
				Detail:   fmt.Sprintf("Rule %s has an output that names no file.", r.Name),
				Subject:  &rng,
			})
			continue
		}
		r.Outputs = append(r.Outputs, p)
		r.Patterns = append(r.Patterns, pat)
		for _, n := range pat.Names() {
			if !union[n] {
				union[n] = true
				unionOrder = append(unionOrder, n)
			}
		}
		r.outRanges = append(r.outRanges, ranges[i])
	}
	r.names = unionOrder
	for i, pat := range r.Patterns {
		has := map[string]bool{}
		for _, n := range pat.Names() {
			has[n] = true
		}
		for _, n := range unionOrder {
			if !has[n] {
				rng := r.outRanges[i]
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Output lacks a wildcard",
					Detail:   fmt.Sprintf("Output %q of rule %s lacks wildcard {%s} that other outputs have. Every output must contain every wildcard, or a job made for this file could not know {%s}.", pat.String(), r.Name, n, n),
					Subject:  &rng,
				})
			}
		}
	}
}

// elemRanges gives each path of ps the tightest range known: the element of
// a list constructor or the value of an object constructor, else the whole
// expression.
func elemRanges(expr hcl.Expression, ps *pathSet) []hcl.Range {
	out := make([]hcl.Range, len(ps.paths))
	for i := range out {
		out[i] = expr.Range()
	}
	switch e := expr.(type) {
	case *hclsyntax.TupleConsExpr:
		if len(e.Exprs) == len(ps.paths) {
			for i, x := range e.Exprs {
				out[i] = x.Range()
			}
		}
	case *hclsyntax.ObjectConsExpr:
		counts := map[string]int{}
		for _, p := range ps.paths {
			counts[p.Name]++
		}
		for i, p := range ps.paths {
			if counts[p.Name] == 1 {
				out[i] = itemRange(expr, p.Name)
			}
		}
	}
	return out
}

func typeDiag(attr *hcl.Attribute, err error) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Incorrect attribute value type",
		Detail:   fmt.Sprintf("Inappropriate value for attribute %q: %s.", attr.Name, err),
		Subject:  attr.Expr.Range().Ptr(),
	}
}

// checkExpr reports references to variables outside scope and calls of
// unknown functions, so typos fail at load time, not when a job runs.
func (l *loader) checkExpr(r *Rule, attr *hcl.Attribute, scope []string) {
	unquoted := l.unquotedValues(attr, scope)
	guarded := guardedRanges(attr.Expr)
	for _, tr := range attr.Expr.Variables() {
		name := tr.RootName()
		rng := tr.SourceRange()
		if inAny(rng, unquoted) {
			continue
		}
		switch {
		case contains(scope, name):
			if name == "wildcards" {
				l.checkWildcardRef(r, tr)
			}
			if (name == "config" || name == "params") && !inAny(rng, guarded) {
				l.checkKeyRef(r, tr)
			}
		case contains(allVars, name):
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Variable not available here",
				Detail:   fmt.Sprintf("%s cannot refer to %s: rule attributes are evaluated in the order output, %s, and each sees only those before it.", attr.Name, name, strings.Join(evalOrder, ", ")),
				Subject:  &rng,
			})
		default:
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unknown variable",
				Detail:   fmt.Sprintf("There is no variable named %q.%s Available in %s: %s.", name, didYouMean(name, scope), attr.Name, strings.Join(scope, ", ")),
				Subject:  &rng,
			})
		}
	}
	l.checkFuncs(attr.Expr)
}

// checkWildcardRef checks that wildcards.NAME names a wildcard of the
// rule's outputs.
func (l *loader) checkWildcardRef(r *Rule, tr hcl.Traversal) {
	if len(tr) < 2 {
		return
	}
	var name string
	switch step := tr[1].(type) {
	case hcl.TraverseAttr:
		name = step.Name
	case hcl.TraverseIndex:
		if step.Key.Type() != cty.String || !step.Key.IsKnown() {
			return
		}
		name = step.Key.AsString()
	default:
		return
	}
	if contains(r.names, name) {
		return
	}
	if l.outputsBroken(r) {
		return
	}
	have := "it has no wildcards"
	if len(r.names) > 0 {
		have = "its outputs bind " + strings.Join(r.names, ", ")
	}
	rng := tr.SourceRange()
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Unknown wildcard",
		Detail:   fmt.Sprintf("Rule %s has no wildcard %q: %s.%s", r.Name, name, have, didYouMean(name, r.names)),
		Subject:  &rng,
	})
}

// outputsBroken reports whether the rule's outputs failed to decode, in
// which case wildcard checks would only add noise.
func (l *loader) outputsBroken(r *Rule) bool {
	attr := r.attrs["output"]
	for _, d := range l.diags {
		if d.Severity == hcl.DiagError && d.Subject != nil && attr != nil && rangeWithin(*d.Subject, attr.Range) {
			return true
		}
	}
	return false
}

func rangeWithin(inner, outer hcl.Range) bool {
	return inner.Filename == outer.Filename && inner.Start.Byte >= outer.Start.Byte && inner.End.Byte <= outer.End.Byte
}

// checkFuncs reports calls of unknown functions and remembers literal
// checkpoint_output names for a check once all rules are known.
func (l *loader) checkFuncs(expr hcl.Expression) {
	node, ok := expr.(hclsyntax.Node)
	if !ok {
		return
	}
	hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		fc, ok := n.(*hclsyntax.FunctionCallExpr)
		if !ok {
			return nil
		}
		if !isFuncName(fc.Name) {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Call to unknown function",
				Detail:   fmt.Sprintf("There is no function named %q.%s", fc.Name, didYouMean(fc.Name, funcNames)),
				Subject:  fc.NameRange.Ptr(),
			})
		}
		if fc.Name == "checkpoint_output" {
			l.checkpointCalls = append(l.checkpointCalls, fc)
		}
		return nil
	})
}

// checkCheckpointCall checks a checkpoint_output call whose name is a
// literal.
func (l *loader) checkCheckpointCall(fc *hclsyntax.FunctionCallExpr) {
	if len(fc.Args) == 0 {
		return
	}
	name, ok := literalString(fc.Args[0])
	if !ok {
		return
	}
	r := l.wf.ByName[name]
	if r != nil && r.Checkpoint {
		return
	}
	var cps []string
	for _, x := range l.wf.Rules {
		if x.Checkpoint {
			cps = append(cps, x.Name)
		}
	}
	detail := fmt.Sprintf("There is no checkpoint named %q.%s", name, didYouMean(name, cps))
	if r != nil {
		detail = fmt.Sprintf("%s is a rule, not a checkpoint: declare it with a checkpoint block so the graph is re-evaluated after it runs.", name)
	}
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Unknown checkpoint",
		Detail:   detail,
		Subject:  fc.Args[0].Range().Ptr(),
	})
}

// literalString returns the text of a string literal without
// interpolations.
func literalString(expr hclsyntax.Expression) (string, bool) {
	t, ok := expr.(*hclsyntax.TemplateExpr)
	if !ok || !t.IsStringLiteral() {
		return "", false
	}
	v, diags := t.Value(nil)
	if diags.HasErrors() || v.Type() != cty.String {
		return "", false
	}
	return v.AsString(), true
}

// doubleBraced finds {{name}} in expand patterns: after expand they become
// wildcards of the rule.
var doubleBraced = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(,[^}]*)?\}\}`)

// checkStaticWildcards checks that every {name} written in the string
// literals of input, log or benchmark is a wildcard of the outputs. The
// first argument of expand() holds expand's own names (only {{name}} there
// is the rule's), and glob_wildcards' pattern binds its own.
func (l *loader) checkStaticWildcards(r *Rule, attr *hcl.Attribute) {
	node, ok := attr.Expr.(hclsyntax.Node)
	if !ok || l.outputsBroken(r) {
		return
	}
	report := func(name string, rng hcl.Range) {
		have := "it has no wildcards"
		if len(r.names) > 0 {
			have = "its outputs bind " + strings.Join(r.names, ", ")
		}
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Wildcard not in outputs",
			Detail:   fmt.Sprintf("The %s of rule %s uses wildcard {%s}, but %s. Every wildcard of input, log and benchmark must appear in the outputs, which bind its value.", attr.Name, r.Name, name, have),
			Subject:  &rng,
		})
	}
	w := &literalWalker{visit: func(lit *hclsyntax.LiteralValueExpr, whole bool, inExpand bool) {
		s := lit.Val.AsString()
		if inExpand {
			for _, m := range doubleBraced.FindAllStringSubmatch(s, -1) {
				if !contains(r.names, m[1]) {
					report(m[1], lit.SrcRange)
				}
			}
			return
		}
		pat, err := wildcard.Parse(s, nil)
		if err != nil {
			if whole {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid path pattern",
					Detail:   fmt.Sprintf("In the %s of rule %s: %v.", attr.Name, r.Name, err),
					Subject:  lit.SrcRange.Ptr(),
				})
			}
			return
		}
		for _, n := range pat.Names() {
			if !contains(r.names, n) {
				report(n, lit.SrcRange)
			}
		}
	}}
	hclsyntax.Walk(node, w)
}

// literalWalker visits the literal parts of string templates, noting
// whether they are inside expand's first argument and skipping
// glob_wildcards' and checkpoint_output's arguments.
type literalWalker struct {
	visit func(lit *hclsyntax.LiteralValueExpr, whole bool, inExpand bool)
	// stack of nodes whose children are being walked
	stack []hclsyntax.Node
}

func (w *literalWalker) Enter(n hclsyntax.Node) hcl.Diagnostics {
	w.stack = append(w.stack, n)
	t, ok := n.(*hclsyntax.TemplateExpr)
	if !ok {
		return nil
	}
	inExpand, skip := false, false
	for i := len(w.stack) - 2; i >= 0; i-- {
		fc, ok := w.stack[i].(*hclsyntax.FunctionCallExpr)
		if !ok {
			continue
		}
		switch {
		case fc.Name == "glob_wildcards" || fc.Name == "checkpoint_output" || !isFuncName(fc.Name):
			// Their own patterns, or a call already reported.
			skip = true
		case fc.Name == "expand":
			// Only the patterns (first argument) are expand's; values are
			// data.
			if len(fc.Args) > 0 && within(w.stack[i+1:], fc.Args[0]) {
				inExpand = true
			} else {
				skip = true
			}
		}
	}
	if skip {
		return nil
	}
	for _, p := range t.Parts {
		lit, ok := p.(*hclsyntax.LiteralValueExpr)
		if !ok || lit.Val.Type() != cty.String || lit.Val.IsNull() {
			continue
		}
		w.visit(lit, len(t.Parts) == 1, inExpand)
	}
	return nil
}

// within reports whether arg is among the nodes of path (the nodes below a
// function call on the way to the current node).
func within(path []hclsyntax.Node, arg hclsyntax.Expression) bool {
	for _, n := range path {
		if n == hclsyntax.Node(arg) {
			return true
		}
	}
	return false
}

func (w *literalWalker) Exit(n hclsyntax.Node) hcl.Diagnostics {
	w.stack = w.stack[:len(w.stack)-1]
	return nil
}

// checkConstants evaluates, at load time, every per-job attribute that does
// not depend on the job (only on config and rule), so wrong types are
// reported for every rule, used or not. Expressions that read the disk or
// wait for checkpoints are left to Eval.
//
// A constant input, log or benchmark that evaluates cleanly is kept
// (Rule.preIn, preLog, preBench): Eval then only substitutes each job's
// wildcards, as it would into the same value, instead of evaluating the
// expression again per job. The workflow's config does not change after
// loading, so the value is the one every job would get.
func (l *loader) checkConstants(r *Rule) {
	var e evaluator
	e.init(r, &Job{Rule: r, Wildcards: map[string]string{}}, Env{Dir: l.opts.Dir})
	e.static = true
	for _, attr := range r.steps {
		name := attr.Name
		if !constant(attr.Expr) {
			continue
		}
		before := len(e.diags)
		e.step(attr)
		if len(e.diags) > before {
			// One problem per attribute is enough at load time.
			l.diags = append(l.diags, e.diags[before:]...)
			continue
		}
		if e.pending {
			continue
		}
		switch name {
		case "input", "log":
			ps := e.set(name)
			if ps == nil {
				continue
			}
			pre := *ps
			pre.compile()
			if name == "input" {
				r.preIn = &pre
			} else {
				r.preLog = &pre
			}
		case "benchmark":
			b := e.job.Benchmark
			r.preBench = &b
		}
	}
}

// callsJobFunc reports whether expr calls glob_wildcards or
// checkpoint_output, the functions Eval makes per job.
func callsJobFunc(expr hcl.Expression) bool {
	node, ok := expr.(hclsyntax.Node)
	if !ok {
		return true
	}
	found := false
	hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		if fc, isCall := n.(*hclsyntax.FunctionCallExpr); isCall {
			if fc.Name == "glob_wildcards" || fc.Name == "checkpoint_output" {
				found = true
			}
		}
		return nil
	})
	return found
}

// constant reports whether expr depends only on config and rule and does
// not call glob_wildcards or checkpoint_output.
func constant(expr hcl.Expression) bool {
	for _, tr := range expr.Variables() {
		if n := tr.RootName(); n != "config" && n != "rule" {
			return false
		}
	}
	node, ok := expr.(hclsyntax.Node)
	if !ok {
		return false
	}
	ok = true
	hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		if fc, isCall := n.(*hclsyntax.FunctionCallExpr); isCall {
			if fc.Name == "glob_wildcards" || fc.Name == "checkpoint_output" || !isFuncName(fc.Name) {
				ok = false
			}
		}
		return nil
	})
	return ok
}
