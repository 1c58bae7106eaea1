package dag

import (
	"errors"
	"fmt"
	"math"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"

	"github.com/flowmake/flowmake/rules"
	"github.com/flowmake/flowmake/wildcard"
)

// Visit states of a job in the depth-first pass that orders the graph.
const (
	white uint8 = iota // not visited
	gray               // on the stack
	black              // done, in Graph.Jobs
)

// Resolution states of a job.
const (
	fresh     uint8 = iota // created, not evaluated yet
	evaluated              // Spec is set; inputs not resolved
	expanded               // Deps are set
)

// maxDepth bounds resolution. A rule whose input matches its own output
// pattern with a longer value ("{x}" from "{x}.gz") would otherwise grow
// the graph until memory runs out; real chains are far shorter.
const maxDepth = 1 << 20

// parallelEval is the least number of jobs evaluated at once worth
// spreading over goroutines.
const parallelEval = 64

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

	fresh []*Job    // created, to be evaluated
	pipe  *evalPipe // evaluates fresh jobs while a wave is expanded
	facts *facts    // while decideAll runs: the maps' answers per input
	stack []frame
	cands []Candidate
	work  []*Job // staleness worklist

	recording bool   // collect jobs marked stale into marked
	marked    []*Job // during checkpointDone

	dirOutputs bool // some rule has a directory() output
}

type frame struct {
	job  *Job
	next int // index into job.Deps of the next dep to visit
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
	for _, r := range wf.Rules {
		for _, o := range r.Outputs {
			b.dirOutputs = b.dirOutputs || o.Flags&rules.Directory != 0
		}
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
	var missing *NoTargetError
	for _, t := range targets {
		err := b.target(t)
		if e, ok := err.(*NoTargetError); ok && e.Wildcards == nil {
			// Reported after resolving the other targets, whose files
			// make better suggestions.
			if missing == nil {
				missing = e
			}
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	err = b.resolve(b.g.Targets)
	if missing != nil {
		names := []string{b.suggestFile(path.Clean(missing.Target))}
		for _, r := range wf.Rules {
			names = append(names, r.Name)
		}
		missing.DidYouMean = closest(path.Clean(missing.Target), names)
		return nil, missing
	}
	if err != nil {
		return nil, err
	}
	for _, t := range b.g.Targets {
		if err := b.order(t); err != nil {
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
		b.addTarget(b.job(r, map[string]string{}, "", nil))
		return nil
	}
	f := path.Clean(t)
	j, err := b.producerOf(f, nil)
	if err == errNoProducer {
		if b.mtime(f) != absent {
			// An existing file nothing makes: nothing to do for it.
			b.sources[f] = struct{}{}
			return nil
		}
		return &NoTargetError{Target: t}
	}
	if err != nil {
		return err
	}
	b.addTarget(j)
	return nil
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

// resolve evaluates and expands roots and everything upstream of them,
// breadth first: each wave's new jobs are evaluated together, in parallel
// when there are many, since evaluation is most of the cost. The waves
// are processed in a fixed order, so the graph and the first error are
// deterministic.
func (b *builder) resolve(roots []*Job) error {
	if err := b.evalFresh(); err != nil {
		return err
	}
	defer b.stopPipe() // on an error in expand
	wave := roots
	for depth := 0; len(wave) > 0; depth++ {
		if depth > maxDepth {
			j := wave[0]
			return fmt.Errorf("dependency chain deeper than %d jobs at %s%s; does a rule's input match its own output pattern?",
				maxDepth, j, neededBy(b.chainFrom(j.parent)))
		}
		b.startPipe(wave)
		for _, j := range wave {
			if j.state == evaluated {
				if err := b.expand(j); err != nil {
					return err
				}
			}
		}
		wave = append(wave[:0:0], b.fresh...)
		if err := b.evalFresh(); err != nil {
			return err
		}
	}
	return nil
}

// order appends root and the jobs upstream of it that are not in
// Graph.Jobs yet, depth first in post-order (a topological order), with an
// explicit stack so chains of any length are fine, and finds cycles.
func (b *builder) order(root *Job) error {
	if root.visit == black {
		return nil
	}
	b.stack = append(b.stack[:0], frame{job: root})
	root.visit = gray
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
			d.visit = gray
			b.stack = append(b.stack, frame{job: d})
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

// evalFresh evaluates the jobs created since the last call (those the
// pipe has not), then records their outputs in Producer in creation order.
func (b *builder) evalFresh() error {
	piped, pipedDiags := b.stopPipe()
	jobs := b.fresh
	b.fresh = b.fresh[:0]
	if len(jobs) == 0 {
		return nil
	}
	diags := make([]hcl.Diagnostics, len(jobs))
	if len(pipedDiags) > 0 {
		for i, j := range jobs[:piped] {
			diags[i] = pipedDiags[j]
		}
	}
	eval := func(i int) {
		diags[i] = b.evalOne(jobs[i])
	}
	if n := runtime.GOMAXPROCS(0); n > 1 && len(jobs)-piped >= parallelEval {
		var wg sync.WaitGroup
		next := atomic.Int64{}
		next.Store(int64(piped))
		for range n {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= len(jobs) {
						return
					}
					eval(i)
				}
			})
		}
		wg.Wait()
	} else {
		for i := piped; i < len(jobs); i++ {
			eval(i)
		}
	}
	for i, j := range jobs {
		if j.state != evaluated {
			return &EvalError{Job: j.Key, Rule: j.Spec.Rule, Wildcards: j.Spec.Wildcards,
				Diags: diags[i], Chain: b.chainFrom(j)[1:]}
		}
		b.warn(diags[i])
		for _, o := range j.Spec.Outputs {
			if _, ok := b.g.Producer[o.Path]; !ok {
				b.g.Producer[o.Path] = j
			}
		}
	}
	return nil
}

// expand finds the producers of j's inputs and the checkpoint jobs its
// inputs called checkpoint_output on, and links them as j's Deps. New
// jobs are only created here; evalFresh evaluates them.
func (b *builder) expand(j *Job) error {
	spec := j.Spec
	j.state = expanded
	if n := len(spec.Inputs) + len(spec.Checkpoints); n > 0 && j.Deps == nil {
		j.Deps = make([]*Job, 0, min(n, 16))
	}
	for i := range spec.Inputs {
		p := spec.Inputs[i].Path
		d, err := b.producerOf(p, j)
		if err == errNoProducer {
			return &MissingInputError{File: p, Chain: b.chainFrom(j), DidYouMean: b.suggestFile(p)}
		}
		if err != nil {
			return err
		}
		if d != nil {
			link(j, d)
		}
	}
	for _, ref := range spec.Checkpoints {
		d, err := b.checkpointJob(ref, j)
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

// producerOf returns the job that makes file p, which consumer needs (nil
// for a target): nil for an existing source file, or errNoProducer.
func (b *builder) producerOf(p string, consumer *Job) (*Job, error) {
	if j := b.g.Producer[p]; j != nil {
		return j, nil
	}
	if _, ok := b.sources[p]; ok {
		return nil, nil
	}
	if d := b.directoryProducer(p); d != nil {
		return d, nil
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
			return nil, &AmbiguityError{File: p, Candidates: append([]Candidate(nil), b.cands...), Chain: b.chainFrom(consumer)}
		}
	}
	return b.job(c.Rule, c.Wildcards, p, consumer), nil
}

// directoryProducer returns the job whose directory() output holds p, if
// that job is in the graph: a file inside a directory output is made by
// the directory's job (a checkpoint's chunks, say), not by a rule whose
// pattern happens to match the longer path too ("chunks/{sample}" matches
// chunks/a/part_aa with sample=a/part_aa).
func (b *builder) directoryProducer(p string) *Job {
	if !b.dirOutputs {
		return nil
	}
	for dir := path.Dir(p); dir != "." && dir != "/"; dir = path.Dir(dir) {
		j := b.g.Producer[dir]
		if j == nil {
			continue
		}
		for _, o := range j.Spec.Outputs {
			if o.Path == dir && o.Flags&rules.Directory != 0 {
				return j
			}
		}
	}
	return nil
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

// job returns the job of rule r for binding wc, creating it (to be
// evaluated by evalFresh) the first time. via is the file it is needed
// for and parent the job that needs it, kept for error chains.
func (b *builder) job(r *rules.Rule, wc map[string]string, via string, parent *Job) *Job {
	key := jobKey(r.Name, wc)
	if j := b.jobs[key]; j != nil {
		return j
	}
	j := &Job{ID: -1, Key: key, Spec: &rules.Job{Rule: r, Wildcards: wc}, via: via, parent: parent}
	b.jobs[key] = j
	b.addFresh(j)
	return j
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

// checkpointJob resolves the checkpoint job a checkpoint_output call in
// consumer named.
func (b *builder) checkpointJob(ref rules.CheckpointRef, consumer *Job) (*Job, error) {
	r := b.wf.ByName[ref.Rule]
	if r == nil {
		return nil, fmt.Errorf("checkpoint_output(%q): no such checkpoint%s", ref.Rule, neededBy(b.chainFrom(consumer)))
	}
	wc, ok := refWildcards(r, ref)
	if !ok {
		return nil, fmt.Errorf("checkpoint_output(%q): wildcards {%s} needed, got %s%s",
			ref.Rule, strings.Join(patternNames(r), "}, {"), WildcardList(ref.Wildcards), neededBy(b.chainFrom(consumer)))
	}
	via := ""
	if len(r.Patterns) > 0 {
		via, _ = r.Patterns[0].Substitute(wc)
	}
	return b.job(r, wc, via, consumer), nil
}

// chainFrom is the chain of jobs that needed j, j first: each job's
// parent is the job that first needed it, up to a target.
func (b *builder) chainFrom(j *Job) []Link {
	var out []Link
	for n := 0; j != nil && n <= len(b.jobs); n++ {
		out = append(out, Link{Job: j, File: j.via})
		j = j.parent
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
