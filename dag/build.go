package dag

import (
	"errors"
	"fmt"
	"math"
	"path"
	"sort"

	"github.com/hashicorp/hcl/v2"

	"github.com/flowmake/flowmake/rules"
	"github.com/flowmake/flowmake/wildcard"
)

// Visit states of a job during resolution (depth-first, explicit stack).
const (
	white uint8 = iota // not expanded yet
	gray               // on the stack: its inputs are being resolved
	black              // done, in Graph.Jobs
)

// maxDepth bounds the resolution stack. A rule whose input matches its own
// output pattern with a longer value ("{x}" from "{x}.gz") would otherwise
// grow the chain until memory runs out; real chains are far shorter.
const maxDepth = 1 << 20

// absent is the mtime of a file that does not exist.
const absent = math.MinInt64

// builder resolves a graph and, after Build returns, stays behind as its
// resolver for checkpoints.
type builder struct {
	wf   *rules.Workflow
	opts Options
	g    *Graph
	env  rules.Env
	idx  index

	jobs    map[string]*Job     // by Key: each job is evaluated once
	times   map[string]int64    // stat cache: path -> mtime (UnixNano) or absent
	sources map[string]struct{} // existing inputs no rule makes
	rank    map[string]int      // ruleorder position
	force   map[string]bool     // -R rules
	until   map[string]bool     // --until rules
	done    map[string]bool     // checkpoint jobs (by Key) that are done

	stack []frame
	cands []Candidate
	work  []*Job // staleness worklist

	recording bool   // collect jobs marked stale into marked
	marked    []*Job // during checkpointDone
}

type frame struct {
	job  *Job
	next int // index into job.Deps of the next dep to walk
}

// Build resolves opts.Targets against the workflow, demand-driven, and
// decides which jobs are stale. Errors are *MissingInputError,
// *NoTargetError, *AmbiguityError, *CycleError or *EvalError (use
// errors.As), or a plain error for bad options.
func Build(wf *rules.Workflow, opts Options) (*Graph, error) {
	if len(wf.Rules) == 0 {
		return nil, errors.New("the Rulefile has no rules")
	}
	if opts.Stat == nil {
		opts.Stat = OSStat("")
	}
	b := &builder{
		wf:      wf,
		opts:    opts,
		g:       &Graph{Producer: map[string]*Job{}},
		jobs:    map[string]*Job{},
		times:   map[string]int64{},
		sources: map[string]struct{}{},
		rank:    map[string]int{},
		done:    map[string]bool{},
	}
	b.env = opts.Env
	outer := opts.Env.CheckpointDone
	b.env.CheckpointDone = func(ref rules.CheckpointRef) bool {
		if k, ok := b.checkpointKey(ref); ok && b.done[k] {
			return true
		}
		return outer != nil && outer(ref)
	}
	for i, name := range wf.RuleOrder {
		if _, ok := b.rank[name]; !ok {
			b.rank[name] = i
		}
	}
	var err error
	if b.force, err = ruleSet(wf, opts.ForceRules, "--forcerun"); err != nil {
		return nil, err
	}
	if b.until, err = ruleSet(wf, opts.Until, "--until"); err != nil {
		return nil, err
	}
	b.idx.build(wf)

	targets := opts.Targets
	if len(targets) == 0 {
		targets = []string{wf.Rules[0].Name}
	}
	for _, t := range targets {
		if err := b.target(t); err != nil {
			return nil, err
		}
	}

	b.decideAll()
	if err := b.checkpointRounds(); err != nil {
		return nil, err
	}
	b.applyUntil(b.g.Jobs)
	computePathLens(b.g.Jobs)
	b.fillSources()
	b.g.resolver = b
	return b.g, nil
}

func ruleSet(wf *rules.Workflow, names []string, flag string) (map[string]bool, error) {
	if len(names) == 0 {
		return nil, nil
	}
	m := make(map[string]bool, len(names))
	for _, n := range names {
		if wf.ByName[n] == nil {
			return nil, fmt.Errorf("%s %s: no such rule", flag, n)
		}
		m[n] = true
	}
	return m, nil
}

// target resolves one requested target: a rule name, else a file path.
func (b *builder) target(t string) error {
	if r := b.wf.ByName[t]; r != nil {
		if names := patternNames(r); len(names) > 0 {
			return &NoTargetError{Target: t, Wildcards: names}
		}
		j, err := b.job(r, map[string]string{}, "")
		if err != nil {
			return err
		}
		b.addTarget(j)
		return b.walk(j)
	}
	f := path.Clean(t)
	j, err := b.producerOf(f)
	if err == errNoProducer {
		if b.mtime(f) != absent {
			// An existing file nothing makes: nothing to do for it.
			b.sources[f] = struct{}{}
			return nil
		}
		names := append([]string(nil), b.suggestFile(f))
		for _, r := range b.wf.Rules {
			names = append(names, r.Name)
		}
		return &NoTargetError{Target: t, DidYouMean: closest(f, names)}
	}
	if err != nil {
		return err
	}
	b.addTarget(j)
	return b.walk(j)
}

func (b *builder) addTarget(j *Job) {
	if !j.Target {
		j.Target = true
		b.g.Targets = append(b.g.Targets, j)
	}
}

func patternNames(r *rules.Rule) []string {
	seen := map[string]bool{}
	var names []string
	for _, p := range r.Patterns {
		for _, n := range p.Names() {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	return names
}

// walk resolves root and everything upstream of it depth-first with an
// explicit stack (chains of any length, no recursion), appending finished
// jobs to Graph.Jobs in post-order, which is a topological order.
func (b *builder) walk(root *Job) error {
	if root.visit == black {
		return nil
	}
	b.stack = append(b.stack[:0], frame{job: root})
	root.visit = gray
	if err := b.expand(root); err != nil {
		return err
	}
	for len(b.stack) > 0 {
		f := &b.stack[len(b.stack)-1]
		j := f.job
		if f.next < len(j.Deps) {
			d := j.Deps[f.next]
			f.next++
			switch d.visit {
			case black:
				continue
			case gray:
				return b.cycleError(d)
			}
			if len(b.stack) >= maxDepth {
				return fmt.Errorf("dependency chain deeper than %d jobs at %s%s; does a rule's input match its own output pattern?",
					maxDepth, d, neededBy(b.chain()))
			}
			d.visit = gray
			b.stack = append(b.stack, frame{job: d})
			if err := b.expand(d); err != nil {
				return err
			}
			continue
		}
		b.stack = b.stack[:len(b.stack)-1]
		j.visit = black
		if j.ID < 0 {
			j.ID = len(b.g.Jobs)
			b.g.Jobs = append(b.g.Jobs, j)
		}
	}
	return nil
}

// expand resolves the producers of j's inputs (evaluating new jobs, not
// walking them) and links them as j's Deps, then the checkpoint jobs its
// inputs called checkpoint_output on.
func (b *builder) expand(j *Job) error {
	spec := j.Spec
	if n := len(spec.Inputs) + len(spec.Checkpoints); n > 0 && j.Deps == nil {
		j.Deps = make([]*Job, 0, min(n, 16))
	}
	for i := range spec.Inputs {
		p := spec.Inputs[i].Path
		d, err := b.producerOf(p)
		if err == errNoProducer {
			return &MissingInputError{File: p, Chain: b.chain(), DidYouMean: b.suggestFile(p)}
		}
		if err != nil {
			return err
		}
		if d != nil {
			link(j, d)
		}
	}
	for _, ref := range spec.Checkpoints {
		d, err := b.checkpointJob(ref)
		if err != nil {
			return err
		}
		link(j, d)
	}
	return nil
}

// link records that j needs d, once.
func link(j, d *Job) {
	if d.markBy == j {
		return
	}
	d.markBy = j
	j.Deps = append(j.Deps, d)
	d.Dependents = append(d.Dependents, j)
}

var errNoProducer = errors.New("no producer")

// producerOf returns the job that makes file p, nil for an existing source
// file, or errNoProducer.
func (b *builder) producerOf(p string) (*Job, error) {
	if j := b.g.Producer[p]; j != nil {
		return j, nil
	}
	if _, ok := b.sources[p]; ok {
		return nil, nil
	}
	b.cands = b.idx.lookup(p, b.cands[:0])
	var c Candidate
	switch len(b.cands) {
	case 0:
		if b.mtime(p) == absent {
			return nil, errNoProducer
		}
		b.sources[p] = struct{}{}
		return nil, nil
	case 1:
		c = b.cands[0]
	default:
		var ok bool
		if c, ok = b.byRuleOrder(); !ok {
			return nil, &AmbiguityError{File: p, Candidates: append([]Candidate(nil), b.cands...), Chain: b.chain()}
		}
	}
	return b.job(c.Rule, c.Wildcards, p)
}

// byRuleOrder picks the earliest candidate in ruleorder when every
// candidate is listed there.
func (b *builder) byRuleOrder() (Candidate, bool) {
	best, bestRank := -1, 0
	for i, c := range b.cands {
		r, ok := b.rank[c.Rule.Name]
		if !ok {
			return Candidate{}, false
		}
		if best < 0 || r < bestRank {
			best, bestRank = i, r
		}
	}
	return b.cands[best], true
}

// job returns the job of rule r for binding wc, evaluating it the first
// time. via is the file it is needed for, kept for error chains.
func (b *builder) job(r *rules.Rule, wc map[string]string, via string) (*Job, error) {
	key := jobKey(r.Name, wc)
	if j := b.jobs[key]; j != nil {
		return j, nil
	}
	spec, diags := r.Eval(wc, b.env)
	if diags.HasErrors() || spec == nil {
		self := &Job{Key: key, Spec: &rules.Job{Rule: r, Wildcards: wc}}
		chain := append([]Link{{Job: self, File: via}}, b.chain()...)
		return nil, &EvalError{Job: key, Rule: r, Wildcards: wc, Diags: diags, Chain: chain[1:]}
	}
	b.warn(diags)
	j := &Job{ID: -1, Key: key, Spec: spec, via: via}
	b.jobs[key] = j
	for _, o := range spec.Outputs {
		if _, ok := b.g.Producer[o.Path]; !ok {
			b.g.Producer[o.Path] = j
		}
	}
	return j, nil
}

func (b *builder) warn(diags hcl.Diagnostics) {
	if len(diags) > 0 {
		b.g.Warnings = append(b.g.Warnings, diags...)
	}
}

// checkpointKey is the Key of the checkpoint job ref names, its wildcards
// cut down to the checkpoint rule's own (a consumer may pass all of its
// wildcards, as in Snakemake's checkpoints.x.get(**wildcards)).
func (b *builder) checkpointKey(ref rules.CheckpointRef) (string, bool) {
	r := b.wf.ByName[ref.Rule]
	if r == nil {
		return "", false
	}
	wc, ok := refWildcards(r, ref)
	if !ok {
		return "", false
	}
	return jobKey(r.Name, wc), true
}

func refWildcards(r *rules.Rule, ref rules.CheckpointRef) (map[string]string, bool) {
	wc := map[string]string{}
	for _, p := range r.Patterns {
		for _, n := range p.Names() {
			v, ok := ref.Wildcards[n]
			if !ok {
				return nil, false
			}
			wc[n] = v
		}
	}
	return wc, true
}

// checkpointJob resolves the checkpoint job a checkpoint_output call named.
func (b *builder) checkpointJob(ref rules.CheckpointRef) (*Job, error) {
	r := b.wf.ByName[ref.Rule]
	if r == nil {
		return nil, fmt.Errorf("checkpoint_output(%q): no such checkpoint%s", ref.Rule, neededBy(b.chain()))
	}
	wc, ok := refWildcards(r, ref)
	if !ok {
		return nil, fmt.Errorf("checkpoint_output(%q): wildcards {%s} needed, got %s%s",
			ref.Rule, joinNames(patternNames(r)), wildcardList(ref.Wildcards), neededBy(b.chain()))
	}
	via := ""
	if len(r.Patterns) > 0 {
		via, _ = r.Patterns[0].Substitute(wc)
	}
	return b.job(r, wc, via)
}

func joinNames(ns []string) string {
	s := ""
	for i, n := range ns {
		if i > 0 {
			s += "}, {"
		}
		s += n
	}
	return s
}

// chain is the resolution stack as error links, needing job first, then
// on through first dependents to a target (the stack does not reach the
// target when a checkpoint re-resolution started it).
func (b *builder) chain() []Link {
	var out []Link
	for i := len(b.stack) - 1; i >= 0; i-- {
		j := b.stack[i].job
		out = append(out, Link{Job: j, File: j.via})
	}
	if len(b.stack) > 0 {
		j := b.stack[0].job
		for n := 0; len(j.Dependents) > 0 && n <= len(b.g.Jobs); n++ {
			j = j.Dependents[0]
			out = append(out, Link{Job: j, File: j.via})
		}
	}
	return out
}

// cycleError reports the cycle from d (on the stack) to the top of the
// stack, rotated to start at the smallest job name.
func (b *builder) cycleError(d *Job) error {
	i := len(b.stack) - 1
	for i >= 0 && b.stack[i].job != d {
		i--
	}
	var cyc []*Job
	for _, f := range b.stack[i:] {
		cyc = append(cyc, f.job)
	}
	m := 0
	for k := range cyc {
		if cyc[k].Key < cyc[m].Key {
			m = k
		}
	}
	path := append(append([]*Job(nil), cyc[m:]...), cyc[:m]...)
	path = append(path, path[0])
	return &CycleError{Path: path}
}

// fillSources lists the source files, sorted.
func (b *builder) fillSources() {
	b.g.Sources = b.g.Sources[:0]
	for p := range b.sources {
		b.g.Sources = append(b.g.Sources, p)
	}
	sort.Strings(b.g.Sources)
}

// index finds the output patterns that may match a path without scanning
// every rule: literal outputs by exact path, the others by their literal
// prefix, looked up once per distinct prefix length, and filtered by
// suffix before the regexp runs.
type index struct {
	exact    map[string][]outPattern
	byPrefix map[string][]outPattern
	lens     []int // distinct prefix lengths, ascending
}

type outPattern struct {
	rule   *rules.Rule
	pos    int // rule's declaration position: candidates keep that order
	pat    *wildcard.Pattern
	suffix string
}

func (x *index) build(wf *rules.Workflow) {
	x.exact = map[string][]outPattern{}
	x.byPrefix = map[string][]outPattern{}
	seen := map[int]bool{}
	for pos, r := range wf.Rules {
		for _, p := range r.Patterns {
			op := outPattern{rule: r, pos: pos, pat: p, suffix: p.Suffix()}
			if !p.HasWildcards() {
				k := p.Prefix() // the whole decoded text
				x.exact[k] = append(x.exact[k], op)
				continue
			}
			pre := p.Prefix()
			x.byPrefix[pre] = append(x.byPrefix[pre], op)
			if !seen[len(pre)] {
				seen[len(pre)] = true
				x.lens = append(x.lens, len(pre))
			}
		}
	}
	sort.Ints(x.lens)
}

// lookup appends to out the rules whose output patterns match p, one
// candidate per rule, in declaration order.
func (x *index) lookup(p string, out []Candidate) []Candidate {
	for _, op := range x.exact[p] {
		out = addCandidate(out, op, map[string]string{})
	}
	for _, n := range x.lens {
		if n >= len(p) {
			break
		}
		for _, op := range x.byPrefix[p[:n]] {
			if len(p) <= n+len(op.suffix) || p[len(p)-len(op.suffix):] != op.suffix {
				continue
			}
			if hasRule(out, op.rule) {
				continue
			}
			if wc, ok := op.pat.Match(p); ok {
				out = addCandidate(out, op, wc)
			}
		}
	}
	return out
}

func hasRule(cs []Candidate, r *rules.Rule) bool {
	for _, c := range cs {
		if c.Rule == r {
			return true
		}
	}
	return false
}

// addCandidate inserts in declaration order (candidates are few).
func addCandidate(cs []Candidate, op outPattern, wc map[string]string) []Candidate {
	if hasRule(cs, op.rule) {
		return cs
	}
	cs = append(cs, Candidate{Rule: op.rule, Wildcards: wc, pos: op.pos})
	for i := len(cs) - 1; i > 0 && cs[i-1].pos > cs[i].pos; i-- {
		cs[i-1], cs[i] = cs[i], cs[i-1]
	}
	return cs
}
