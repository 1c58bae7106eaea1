package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/flowmake/flowmake/wildcard"
)

// Lint returns warnings (hcl.DiagWarning) about a loaded workflow that
// are not errors but often mistakes; docs/cli.md lists them. dir is the
// workflow's working directory, where the shell check looks for files
// ("" for the process's). wf must have loaded without errors.
//
// Every check is conservative: it reads what is written in the Rulefile
// (string literals, compiled output patterns, variable references) and
// stays silent on what only a job's evaluation would tell.
func Lint(wf *Workflow, dir string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	warn := func(rng hcl.Range, summary, detail string) {
		r := rng
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: detail, Subject: &r})
	}
	for _, r := range wf.Rules {
		lintAbsolute(r, warn)
		lintNoLog(r, warn)
		lintShellConfig(r, warn)
	}
	lintUnconsumed(wf, warn)
	lintSlashWildcards(wf, warn)
	lintUndeclared(wf, dir, warn)
	lintUnusedConfig(wf, warn)
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		if a.Filename != b.Filename {
			return fileOrder(wf, a.Filename) < fileOrder(wf, b.Filename)
		}
		return a.Start.Byte < b.Start.Byte
	})
	return diags
}

type warnFunc func(rng hcl.Range, summary, detail string)

func fileOrder(wf *Workflow, name string) int {
	for i, f := range wf.Files {
		if f == name {
			return i
		}
	}
	return len(wf.Files)
}

// literals returns the string literals written in a path attribute
// (input or log) that are whole strings, or expand patterns with {{name}}
// turned into {name}; glob_wildcards' and checkpoint_output's arguments
// are skipped.
func literals(r *Rule, name string) []located {
	attr := r.attrs[name]
	if attr == nil {
		return nil
	}
	node, ok := attr.Expr.(hclsyntax.Node)
	if !ok {
		return nil
	}
	var out []located
	w := &literalWalker{visit: func(lit *hclsyntax.LiteralValueExpr, whole, inExpand bool) {
		s := lit.Val.AsString()
		switch {
		case inExpand:
			s = strings.NewReplacer("{{", "{", "}}", "}").Replace(s)
		case !whole:
			return
		}
		out = append(out, located{s, lit.SrcRange})
	}}
	hclsyntax.Walk(node, w)
	return out
}

// lintAbsolute warns of absolute paths in output, input and log: the
// workflow then works only where that path exists.
func lintAbsolute(r *Rule, warn warnFunc) {
	const detail = "Rule %s names the absolute path %q in its %s: the workflow then runs only on machines that have it. Write a path relative to the working directory, or take the directory from config."
	for i, p := range r.Outputs {
		if strings.HasPrefix(p.Path, "/") {
			warn(r.outRanges[i], "Absolute path", fmt.Sprintf(detail, r.Name, p.Path, "output"))
		}
	}
	for _, attr := range []string{"input", "log"} {
		for _, l := range literals(r, attr) {
			if strings.HasPrefix(l.s, "/") {
				warn(l.rng, "Absolute path", fmt.Sprintf(detail, r.Name, l.s, attr))
			}
		}
	}
}

// lintNoLog warns of a rule that runs a command and keeps no log.
func lintNoLog(r *Rule, warn warnFunc) {
	if (!r.HasShell && !r.HasScript) || r.attrs["log"] != nil {
		return
	}
	warn(r.DeclRange, "Rule without a log", fmt.Sprintf(`Rule %s runs a command but has no log, so its messages are lost once the run scrolls by. Add e.g. log = "logs/%s.log" and send the command's stderr there (2> ${log}).`, r.Name, r.Name))
}

// lintShellConfig warns of config read inside shell: the code trigger
// compares the shell as written, and only params are hashed, so a new
// config value would not rerun the job.
func lintShellConfig(r *Rule, warn warnFunc) {
	attr := r.attrs["shell"]
	if attr == nil {
		return
	}
	for _, tr := range attr.Expr.Variables() {
		if tr.RootName() != "config" {
			continue
		}
		key := "x"
		if k := configKey(tr); k != "" {
			key = k
		}
		warn(tr.SourceRange(), "Config read in shell", fmt.Sprintf("The shell of rule %s reads config directly. Only params are hashed, so when this value changes the job does not run again. Move it to params: params = { %s = config.%s } and write ${params.%s}.", r.Name, key, key, key))
	}
}

// configKey is the top-level key a config traversal reads, or "" when it
// reads config whole or by a computed key.
func configKey(tr hcl.Traversal) string {
	if len(tr) < 2 {
		return ""
	}
	switch s := tr[1].(type) {
	case hcl.TraverseAttr:
		return s.Name
	case hcl.TraverseIndex:
		if s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull() {
			return s.Key.AsString()
		}
	}
	return ""
}

// consumes reports whether the input text s (a path, or a pattern with
// wildcards of its own) names a file that p makes.
func consumes(p *wildcard.Pattern, s string) bool {
	if p.String() == s {
		return true
	}
	if _, ok := p.Match(s); ok {
		return true
	}
	in, err := wildcard.Parse(s, nil)
	if err != nil || !in.HasWildcards() {
		return false
	}
	for _, v := range []string{"x", "1"} {
		vals := map[string]string{}
		for _, n := range in.Names() {
			vals[n] = v
		}
		if path, err := in.Substitute(vals); err == nil {
			if _, ok := p.Match(path); ok {
				return true
			}
		}
	}
	return false
}

// lintUnconsumed warns of a rule, other than the first (the default
// target), none of whose outputs any rule's input names: a rule's other
// outputs are made with the one consumed, so each is not reported alone. Inputs are their load-time
// value when constant, else their string literals; a workflow with an
// input neither gives (a function of the job) is not checked, nor are
// checkpoints, whose outputs are read through checkpoint_output.
func lintUnconsumed(wf *Workflow, warn warnFunc) {
	if len(wf.Rules) < 2 {
		return
	}
	var inputs []string
	for _, r := range wf.Rules {
		if r.attrs["input"] == nil {
			continue
		}
		lits := literals(r, "input")
		if r.preIn != nil {
			for _, p := range r.preIn.paths {
				inputs = append(inputs, p.Path)
			}
		} else if len(lits) == 0 {
			return
		}
		for _, l := range lits {
			inputs = append(inputs, wildcard.Clean(l.s))
		}
	}
	for _, r := range wf.Rules[1:] {
		if r.Checkpoint || len(r.Patterns) == 0 {
			continue
		}
		used := false
		for _, p := range r.Patterns {
			for _, s := range inputs {
				if consumes(p, s) {
					used = true
				}
			}
		}
		if !used {
			warn(r.outRanges[0], "Output not consumed", fmt.Sprintf("No rule's input names %q or any other output of rule %s, and only the first rule is a default target: the rule runs only when a file of it is asked for on the command line. Add it to the first rule's input, or remove the rule.", r.Patterns[0].String(), r.Name))
		}
	}
}

// lintSlashWildcards warns of a wildcard with the default constraint
// (".+", which spans "/") when the output it is in also matches another
// rule's output with a "/" in that wildcard's value: "results/{sample}.txt"
// claims "results/plots/x.txt" with sample = "plots/x". The other output
// is tried with each of its wildcards set to "x".
func lintSlashWildcards(wf *Workflow, warn warnFunc) {
	for _, r := range wf.Rules {
		for i, p := range r.Patterns {
			reported := map[string]bool{}
			for _, o := range wf.Rules {
				if o == r {
					continue
				}
				for _, q := range o.Patterns {
					vals := map[string]string{}
					for _, n := range q.Names() {
						vals[n] = "x"
					}
					path, err := q.Substitute(vals)
					if err != nil {
						continue
					}
					got, ok := p.Match(path)
					if !ok {
						continue
					}
					for _, n := range p.Names() {
						if reported[n] || p.Constraint(n) != ".+" || !strings.Contains(got[n], "/") {
							continue
						}
						reported[n] = true
						warn(r.outRanges[i], "Wildcard spans /", fmt.Sprintf("Wildcard {%s} of rule %s's output %q has the default constraint .+, which spans \"/\": the output also matches %q, an output of rule %s, with %s = %q. Constrain it: {%s,[^/]+} (or in wildcard_constraints).", n, r.Name, p.String(), q.String(), o.Name, n, got[n], n))
					}
				}
			}
		}
	}
}

// shellWord splits the literal text of a shell template into words.
var shellWord = regexp.MustCompile(`[^\s<>|;&()'"` + "`" + `=]+`)

// fileLike is a relative path with a directory or a file extension.
var fileLike = regexp.MustCompile(`^[A-Za-z0-9_.][A-Za-z0-9_.+/-]*(/[A-Za-z0-9_.+-]+|\.[A-Za-z][A-Za-z0-9]{0,5})$`)

// lintUndeclared warns of a word in a shell's literal text that looks like
// a relative file name and is an output of another rule, or a file in dir,
// while the rule declares it as none of its inputs, outputs or logs: the
// job reads or writes a file the graph does not know of.
func lintUndeclared(wf *Workflow, dir string, warn warnFunc) {
	for _, r := range wf.Rules {
		attr := r.attrs["shell"]
		if attr == nil {
			continue
		}
		t, ok := attr.Expr.(*hclsyntax.TemplateExpr)
		if !ok {
			continue
		}
		src := wf.sources[attr.Expr.Range().Filename]
		var own []string
		for _, p := range r.Outputs {
			own = append(own, p.Path)
		}
		if r.preIn != nil {
			for _, p := range r.preIn.paths {
				own = append(own, p.Path)
			}
		}
		if r.preLog != nil {
			for _, p := range r.preLog.paths {
				own = append(own, p.Path)
			}
		}
		for _, a := range []string{"input", "log"} {
			for _, l := range literals(r, a) {
				own = append(own, wildcard.Clean(l.s))
			}
		}
		for _, part := range t.Parts {
			lit, ok := part.(*hclsyntax.LiteralValueExpr)
			if !ok || lit.Val.Type() != cty.String {
				continue
			}
			for _, word := range shellWord.FindAllString(lit.Val.AsString(), -1) {
				if !fileLike.MatchString(word) || strings.Contains(word, "..") {
					continue
				}
				clean := filepath.ToSlash(filepath.Clean(word))
				if declared(own, clean) {
					continue
				}
				maker := ""
				for _, o := range wf.Rules {
					for _, q := range o.Patterns {
						if _, ok := q.Match(clean); ok && o != r {
							maker = o.Name
						}
					}
				}
				if maker == "" {
					st, err := os.Stat(filepath.Join(dir, clean))
					if err != nil || !st.Mode().IsRegular() {
						continue
					}
				}
				why := "it is a file in the working directory"
				if maker != "" {
					why = "rule " + maker + " makes it"
				}
				warn(wordRange(lit.SrcRange, src, word), "File not declared", fmt.Sprintf("The shell of rule %s names %s, which is not among its input, output or log, but %s: the job uses a file the graph does not know of, so it may run before the file is made, or not rerun when it changes. Declare it in input (or output) and write ${input...} in the shell.", r.Name, word, why))
			}
		}
	}
}

// declared reports whether path is one of own, as a path or a pattern.
func declared(own []string, path string) bool {
	for _, s := range own {
		if s == path {
			return true
		}
		if p, err := wildcard.Parse(s, nil); err == nil && p.HasWildcards() {
			if _, ok := p.Match(path); ok {
				return true
			}
		}
	}
	return false
}

// wordRange narrows rng, a literal's range, to the first place word is
// written in it, so the warning points at the word's line.
func wordRange(rng hcl.Range, f *hcl.File, word string) hcl.Range {
	if f == nil {
		return rng
	}
	return narrowRange(f.Bytes, rng, word)
}

// lintUnusedConfig warns of top-level keys of the config block that no
// expression of any file refers to. A reference to config whole (or by
// a computed key) counts as using every key, and so does any rule with a
// script, which sees the whole config.
func lintUnusedConfig(wf *Workflow, warn warnFunc) {
	used := map[string]bool{}
	all := false
	var block *hclsyntax.Block
	for _, r := range wf.Rules {
		if r.HasScript {
			return
		}
	}
	for _, name := range wf.Files {
		f := wf.sources[name]
		if f == nil {
			continue
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, b := range body.Blocks {
			if b.Type == "config" && block == nil {
				block = b
			}
		}
		hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
			e, ok := n.(*hclsyntax.ScopeTraversalExpr)
			if !ok || e.Traversal.RootName() != "config" {
				return nil
			}
			if k := configKey(e.Traversal); k != "" {
				used[k] = true
			} else {
				all = true
			}
			return nil
		})
	}
	if block == nil || all {
		return
	}
	attrs := make([]*hclsyntax.Attribute, 0, len(block.Body.Attributes))
	for _, a := range block.Body.Attributes {
		attrs = append(attrs, a)
	}
	sort.Slice(attrs, func(i, j int) bool { return attrs[i].SrcRange.Start.Byte < attrs[j].SrcRange.Start.Byte })
	for _, a := range attrs {
		if !used[a.Name] {
			warn(a.NameRange, "Config key never used", fmt.Sprintf("No expression refers to config.%s. Remove it, or use it (a --configfile or --config value for it would change nothing).", a.Name))
		}
	}
}
