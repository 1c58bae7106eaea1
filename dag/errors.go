package dag

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"

	"github.com/flowmake/flowmake/rules"
	"github.com/flowmake/flowmake/wildcard"
)

// Link is one step of the chain of jobs that needed something: Job needed
// it, and Job itself was needed for File (one of its outputs), or was
// requested by name when File is "".
type Link struct {
	Job  *Job
	File string
}

// String renders a link as "results/A.bam (rule align, sample=A)", or
// rules.JobName's Ruled form, "rule all", for a job requested by rule name.
func (l Link) String() string {
	if l.Job == nil && l.File != "" {
		return l.File // a placeholder for links left out
	}
	name, wc := "?", map[string]string(nil)
	if l.Job != nil && l.Job.Spec != nil && l.Job.Spec.Rule != nil {
		name, wc = l.Job.Spec.Rule.Name, l.Job.Spec.Wildcards
	}
	if l.File == "" {
		return rules.JobName(name, wc, rules.Ruled)
	}
	if len(wc) > 0 {
		return l.File + " (rule " + name + ", " + rules.WildcardList(wc) + ")"
	}
	return l.File + " (rule " + name + ")"
}

// ChainString joins links the way graph errors show them, needing job
// first: "results/C.bam (rule align, sample=C) <- rule all". A long chain
// is shortened (see shortChain), so a message stays a line or two however
// deep the graph.
func ChainString(chain []Link) string {
	chain = shortChain(chain)
	parts := make([]string, len(chain))
	for i, l := range chain {
		parts[i] = l.String()
	}
	return strings.Join(parts, " <- ")
}

func neededBy(chain []Link) string {
	if len(chain) == 0 {
		return ""
	}
	return ", needed by " + ChainString(chain)
}

// MissingInputError: an input that no rule makes and that does not exist.
type MissingInputError struct {
	File       string
	Chain      []Link // the job that needs File first, the target last
	DidYouMean string // an existing or producible file with a close name, or ""
}

func (e *MissingInputError) Error() string {
	s := "no rule makes " + e.File + neededBy(e.Chain)
	if e.DidYouMean != "" {
		s += "; did you mean " + e.DidYouMean + "?"
	}
	return s
}

// NoTargetError: a requested target that nothing can make.
type NoTargetError struct {
	Target string
	// Wildcards is set when Target names a rule whose outputs have
	// wildcards, so there is no single job to run.
	Wildcards  []string
	DidYouMean string // a rule or file with a close name, or ""
}

func (e *NoTargetError) Error() string {
	if len(e.Wildcards) > 0 {
		return fmt.Sprintf("rule %s has wildcards {%s}; name a file it makes instead",
			e.Target, strings.Join(e.Wildcards, "}, {"))
	}
	s := "no rule makes target " + e.Target + " and it does not exist"
	if e.DidYouMean != "" {
		s += "; did you mean " + e.DidYouMean + "?"
	}
	return s
}

// EscapeError: a requested target that a rule's output matches only by
// binding a wildcard to a value that leaves the working directory (a ".."
// element or a leading "/"), which wildcard.Pattern.Match refuses.
type EscapeError struct {
	Target string
	Rule   string
	Err    *wildcard.EscapeError
}

func (e *EscapeError) Error() string {
	return fmt.Sprintf("target %s: a wildcard value may not leave the working directory ({%s}=%q in output %q of rule %s)",
		e.Target, e.Err.Name, e.Err.Value, e.Err.Pattern, e.Rule)
}

func (e *EscapeError) Unwrap() error { return e.Err }

// Candidate is one rule that could make a file, with the binding its
// output pattern gave.
type Candidate struct {
	Rule      *rules.Rule
	Wildcards map[string]string
	pos       int // declaration position of Rule
}

func (c Candidate) String() string {
	return rules.JobName(c.Rule.Name, c.Wildcards, rules.Ruled) + " at " + Where(c.Rule.DeclRange)
}

// Where is a source position in the one format every message uses, the
// one diagnostics start with: FILE:LINE:COL.
func Where(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// AmbiguityError: several rules make a file and ruleorder does not decide.
type AmbiguityError struct {
	File       string
	Candidates []Candidate // in declaration order
	Chain      []Link
}

func (e *AmbiguityError) Error() string {
	parts := make([]string, len(e.Candidates))
	for i, c := range e.Candidates {
		parts[i] = c.String()
	}
	return fmt.Sprintf("%s can be made by %s; order them with ruleorder%s",
		e.File, strings.Join(parts, " and by "), neededBy(e.Chain))
}

// Diagnostics is the one diagnostic the CLI prints for the ambiguity: at
// the first candidate rule, naming every candidate and who needed the file.
func (e *AmbiguityError) Diagnostics() hcl.Diagnostics {
	parts := make([]string, len(e.Candidates))
	names := make([]string, len(e.Candidates))
	for i, c := range e.Candidates {
		parts[i] = c.String()
		names[i] = fmt.Sprintf("%q", c.Rule.Name)
	}
	r := e.Candidates[0].Rule.DeclRange
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Ambiguous rules for " + e.File,
		Detail: fmt.Sprintf("%s can be made by %s%s. Order them with ruleorder = [%s]; the earlier wins.",
			e.File, strings.Join(parts, " and by "), neededBy(e.Chain), strings.Join(names, ", ")),
		Subject: &r,
	}}
}

// CycleError: jobs that need each other. Path starts and ends with the
// same job, each job needing the next; it starts at the job with the
// smallest name, so the message does not depend on the order of targets.
type CycleError struct {
	Path []*Job
}

func (e *CycleError) Error() string {
	parts := make([]string, len(e.Path))
	for i, j := range e.Path {
		parts[i] = j.String()
	}
	return "dependency cycle: " + strings.Join(parts, " -> ")
}

// EvalError: evaluating a rule for one job failed. Diags carry the
// expression ranges for the CLI to render.
type EvalError struct {
	Job       string // the job's name (Job.String)
	Rule      *rules.Rule
	Wildcards map[string]string
	Diags     hcl.Diagnostics
	Chain     []Link // the jobs that needed this one, nearest first
}

func (e *EvalError) Error() string {
	return "evaluate rule " + e.Job + neededBy(e.Chain) + ": " + e.Diags.Error()
}

func (e *EvalError) Unwrap() error { return e.Diags }

// suggestFile finds a file close to p in p's directory, among the files
// on disk (when Stat can list directories), the outputs of resolved jobs
// and the literal outputs of rules. Files the graph already reads as
// sources are left out: data/A.fq is another sample's input, not a typo
// for a missing data/B.fq. It runs only on the error path.
func (b *builder) suggestFile(p string) string {
	dir := path.Dir(p)
	var names []string
	if rd, ok := b.opts.Stat.(interface {
		ReadDir(string) ([]fs.DirEntry, error)
	}); ok {
		if ents, err := rd.ReadDir(dir); err == nil {
			for _, e := range ents {
				q := path.Join(dir, e.Name())
				if _, used := b.sources[q]; !used {
					names = append(names, q)
				}
			}
		}
	}
	for q := range b.g.Producer {
		if path.Dir(q) == dir {
			names = append(names, q)
		}
	}
	for q := range b.idx.exact {
		if path.Dir(q) == dir {
			names = append(names, q)
		}
	}
	return Closest(p, names)
}

// Closest returns the candidate nearest to given within a typo's distance
// (the limit hclsyntax and rules use), a difference in case only first,
// ties broken by name.
func Closest(given string, candidates []string) string {
	sort.Strings(candidates)
	best, bestDist := "", 3
	for _, c := range candidates {
		if c == given {
			continue
		}
		d := levenshtein.Distance(given, c, nil)
		if strings.EqualFold(given, c) {
			d = 0
		}
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// Failure is one candidate for a file that cannot run, and why.
type Failure struct {
	Candidate Candidate
	Err       error
}

// UnresolvableError: a file that several rules could make, none of which
// can run (and the file does not exist, or is a target named on the
// command line). With one candidate the candidate's own error is
// reported instead.
type UnresolvableError struct {
	File   string
	Chain  []Link
	Failed []Failure // in the order they were tried
}

func (e *UnresolvableError) Error() string { return e.message(2) }

// message spells out the candidates' failures levels deep: below that a
// candidate that is itself unresolvable is named, not explained, so that
// fallback through a deep graph does not make a message of megabytes.
func (e *UnresolvableError) message(levels int) string {
	parts := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		why := ""
		if u, ok := f.Err.(*UnresolvableError); ok && levels <= 1 {
			why = fmt.Sprintf("no rule can make %s (%d candidates fail)", u.File, len(u.Failed))
		} else if ok {
			why = u.message(levels - 1)
		} else {
			why = f.Err.Error()
		}
		parts[i] = f.Candidate.String() + ": " + why
	}
	return fmt.Sprintf("no rule can make %s%s; each candidate fails: %s",
		e.File, neededBy(e.Chain), strings.Join(parts, "; "))
}

// Unwrap gives the candidates' errors, for errors.As.
func (e *UnresolvableError) Unwrap() []error {
	out := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		out[i] = f.Err
	}
	return out
}

// RecursionError: resolution was cut because it would not end. Either a
// wildcard value repeats a piece while its rule needs itself through the
// chain (Piece set), or the chain is deeper than Depth jobs.
type RecursionError struct {
	Rule      *rules.Rule
	Wildcards map[string]string
	Wildcard  string // the periodic wildcard
	Piece     string // the piece it repeats
	Depth     int    // the depth limit hit, when Piece and Long are ""
	Long      string // the file too long for any file system it was needed for
	Chain     []Link // the cut job first, the target last
}

func (e *RecursionError) Error() string {
	name := rules.JobName(e.Rule.Name, e.Wildcards, rules.Plain)
	if e.Long != "" {
		return fmt.Sprintf("path too long at %s: %s... is %d bytes, more than a file system holds (%d, or %d a name); does a rule's input grow its own output pattern?%s",
			name, clip(e.Long, 60), len(e.Long), maxPathLen, maxNameLen, neededBy(e.Chain))
	}
	if e.Piece == "" {
		return fmt.Sprintf("dependency chain deeper than %d jobs at %s%s; does a rule's input grow its own output pattern?",
			e.Depth, name, neededBy(e.Chain))
	}
	return fmt.Sprintf("recursion cut at rule %s: wildcard %s repeats %q (periodic wildcard), so the rule would need itself forever; constrain the wildcard in %s's output%s",
		e.Rule.Name, e.Wildcard, e.Piece, e.Rule.Name, neededBy(e.Chain))
}

// TooManyJobsError stops a graph that grows past Options.MaxJobs.
type TooManyJobsError struct {
	Max   int
	Rule  string // the rule with the most jobs: the likely runaway
	Count int    // its jobs
}

func (e *TooManyJobsError) Error() string {
	return fmt.Sprintf("resolution stopped at %d jobs, %d of them of rule %s: the graph keeps growing; check that rule's inputs, or raise the limit with --max-jobs if the workflow is really this big",
		e.Max, e.Count, e.Rule)
}

// clip shortens s to n bytes for a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// maxChainShown is the longest chain a message shows whole.
const maxChainShown = 5

// shortChain keeps a long chain readable: the first link, a placeholder
// for the middle, and the last two.
func shortChain(chain []Link) []Link {
	if len(chain) <= maxChainShown {
		return chain
	}
	out := []Link{chain[0], {File: fmt.Sprintf("(%d more)", len(chain)-3)}}
	return append(out, chain[len(chain)-2:]...)
}
