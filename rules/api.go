package rules

import (
	"fmt"
	"io"
	"regexp"

	"github.com/hashicorp/hcl/v2"
)

// Options are the command line's say over loading.
type Options struct {
	// ConfigOverrides are --config key=value pairs; values are parsed as
	// HCL/JSON literals (3, "x", [1,2], {a=1}) and fall back to a plain
	// string. A dotted key (a.b=1) sets a nested value.
	ConfigOverrides []string
	// ConfigFiles are --configfile paths (JSON or YAML), deep-merged over the
	// Rulefile's config block in order, before ConfigOverrides.
	ConfigFiles []string
	// Dir is the directory glob_wildcards resolves against while loading
	// (in config and output); "" means the process's working directory.
	// Per-job evaluation uses Env.Dir instead.
	Dir string
}

// Load reads the Rulefile at path and its includes, applies opts and
// validates every rule. Include paths are relative to the including file's
// directory; a file included twice is read once. Rules are ordered by file
// (the Rulefile, then its includes depth-first) and then by declaration.
//
// Load always returns a non-nil Workflow: on errors it is incomplete and
// good only for Sources, so the diagnostics can be rendered with their
// source snippets (see WriteDiagnostics).
func Load(path string, opts Options) (*Workflow, hcl.Diagnostics) {
	l := newLoader(true, opts)
	l.readFile(path, nil, nil)
	l.build()
	l.sortDiags()
	return l.wf, l.diags
}

// Parse is the pure entry point: one file's source, no options, nothing
// read from disk except by glob_wildcards (relative to the working
// directory). An include attribute is ignored with a warning diagnostic
// ("Include not available in Parse"). Like Load, it always returns a
// non-nil Workflow.
func Parse(src []byte, filename string) (*Workflow, hcl.Diagnostics) {
	l := newLoader(false, Options{})
	l.parseFile(src, filename, nil)
	l.build()
	l.sortDiags()
	return l.wf, l.diags
}

// Sources returns the parsed files by file name, as the diagnostic writer
// needs them for source snippets. It is safe on a Workflow returned with
// errors, and on nil.
func (w *Workflow) Sources() map[string]*hcl.File {
	if w == nil {
		return nil
	}
	return w.sources
}

// WriteDiagnostics renders diags without colour, wrapped at width columns
// (80 when width <= 0), with source snippets from w's files. It serves the
// diagnostics of Load, Parse and Eval alike; w may be nil.
func (w *Workflow) WriteDiagnostics(out io.Writer, diags hcl.Diagnostics, width int) error {
	return WriteDiagnostics(out, diags, w.Sources(), width)
}

// WriteDiagnostics renders diags without colour, wrapped at width columns
// (80 when width <= 0), with source snippets from files (nil: no snippets).
// Each diagnostic with a source range starts with "FILE:LINE:COL: ", the
// form editors and terminals turn into links.
func WriteDiagnostics(out io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File, width int) error {
	if width <= 0 {
		width = 80
	}
	w := hcl.NewDiagnosticTextWriter(out, files, uint(width), false)
	// A line of 200,000 characters quoted in a snippet helps no one.
	plain := hcl.NewDiagnosticTextWriter(out, nil, uint(width), false)
	for _, d := range diags {
		dw := w
		if d.Subject != nil {
			if f := files[d.Subject.Filename]; f != nil && d.Subject.Start.Byte <= len(f.Bytes) && !shortLine(f.Bytes, d.Subject.Start.Byte) {
				dw = plain
			}
		}
		if d.Subject != nil {
			s := d.Subject.Start
			if _, err := fmt.Fprintf(out, "%s:%d:%d: ", d.Subject.Filename, s.Line, s.Column); err != nil {
				return err
			}
		}
		if err := dw.WriteDiagnostic(oneFormat(d)); err != nil {
			return err
		}
	}
	return nil
}

// hclRange is hcl.Range's String form, FILE:LINE,COL-COL or
// FILE:LINE,COL-LINE,COL, which HCL's own details (and an earlier
// definition's range) use.
var hclRange = regexp.MustCompile(`([^\s:(]+):(\d+),(\d+)-\d+(,\d+)?`)

// oneFormat returns d with the ranges in its detail written FILE:LINE:COL,
// the form every diagnostic starts with, so a message has one location
// format.
func oneFormat(d *hcl.Diagnostic) *hcl.Diagnostic {
	if !hclRange.MatchString(d.Detail) {
		return d
	}
	c := *d
	c.Detail = hclRange.ReplaceAllString(d.Detail, "$1:$2:$3")
	return &c
}

// Workflow returns the workflow the rule belongs to, e.g. to render Eval's
// diagnostics with w.WriteDiagnostics.
func (r *Rule) Workflow() *Workflow { return r.wf }

// Wildcards returns the names of the rule's wildcards (those of its
// outputs), in order of first appearance.
func (r *Rule) Wildcards() []string { return append([]string(nil), r.names...) }

// AttrRange returns the range of the named attribute's expression (e.g.
// "input", "shell"), for diagnostics that concern it; ok is false when the
// rule does not set it.
func (r *Rule) AttrRange(name string) (rng hcl.Range, ok bool) {
	attr := r.attrs[name]
	if attr == nil {
		return hcl.Range{}, false
	}
	return attr.Expr.Range(), true
}
