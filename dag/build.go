package dag

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"path"
	"runtime"
	"slices"
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

// parallelEval is the least number of jobs evaluated at once worth
// spreading over goroutines.
const parallelEval = 64

// absent is the mtime of a file that does not exist.
const absent = math.MinInt64

// node is the builder's state for one job; the Job itself stays plain
// data. The builder finds a job's node by its ID: while a job is not in
// Graph.Jobs its ID is provisional, an index into builder.nodes past the
// graph's jobs, and finalize gives it the final one. The evaluation pipe writes only state (and the Job's Spec) of a
// fresh node; everything else belongs to the builder's goroutine.
//
// The small fields come last, packed: with them between the pointers the
// node took 96 bytes, and builder.job's allocation of Job, node and spec
// together a 512-byte size class instead of 480 (a million jobs: 32 MB).
type node struct {
	job    *Job
	markBy *Job   // the last job that listed this one as a dep: dedups Deps
	via    string // the file this job was first needed for; "" for a rule target
	parent *node  // the job that first needed this one; nil for a target
	// root is the target at the end of the parent chain (n itself for a
	// target), nearRoot the job just below it: what chainOf shows of a
	// deep chain's end.
	root, nearRoot *node
	// err is why the job cannot run (an input nothing can make, a cycle,
	// the recursion cut); set once, never cleared. A failed job is not
	// in the graph, and the files it was chosen for fall back.
	err   error
	depth int32 // jobs between this one and a target, through parent
	state uint8 // fresh, evaluated, expanded
	visit uint8 // white, gray, black: ordering
	// registered: evaluated, and its outputs offered to Producer. Unlike
	// state, only the builder's goroutine touches it.
	registered bool
}

// builder resolves a graph and, after Build returns, stays behind as the
// Resolver that re-resolves jobs waiting for checkpoints.
type builder struct {
	wf   *rules.Workflow
	opts Options
	g    *Graph
	env  rules.Env
	idx  index
	// reserved is the size jobs was last made for (reserve).
	reserved int

	jobs    map[string]*node    // by Key: each job is evaluated once
	nodes   []*node             // by Job.ID: Graph.Jobs', then failed jobs and new ones
	times   map[string]int64    // stat cache: path -> mtime (UnixNano) or absent
	sources map[string]struct{} // existing inputs no rule makes (or whose rules cannot run)
	rank    map[string]int      // ruleorder position
	wild    map[*rules.Rule]bool
	force   map[string]bool // -R rules
	until   map[string]bool // --until rules
	done    map[string]bool // checkpoint jobs (by Key) that are done

	fresh []*node   // created, to be evaluated
	pipe  *evalPipe // evaluates fresh jobs while a wave is expanded
	facts *facts    // while decideAll runs: the maps' answers per input
	stack []frame
	cands []Candidate
	work  []*Job // staleness worklist

	fallback   // the repair state: failed jobs, unresolvable files, ties
	staleState // what staleness knows of each job (stale.go)

	recording bool   // collect jobs marked stale into marked
	marked    []*Job // during checkpointDone

	dirOutputs bool // some rule has a directory() output
}

type frame struct {
	n    *node
	next int // index into job.Deps of the next dep to visit
}

// Build resolves opts.Targets against the workflow, demand-driven, and
// decides which jobs are stale. Errors are *MissingInputError,
// *NoTargetError, *AmbiguityError, *CycleError, *RecursionError,
// *UnresolvableError or *EvalError (use errors.As), or a plain error for
// bad options.
func Build(wf *rules.Workflow, opts Options) (*Graph, error) {
	g, _, err := Resolve(wf, opts)
	return g, err
}

// noRules is the error for a workflow without rules: it names the file
// and the targets nothing can make.
func noRules(wf *rules.Workflow, targets []string) error {
	file := "the Rulefile"
	if len(wf.Files) > 0 {
		file = wf.Files[0]
	}
	if len(targets) == 0 {
		return fmt.Errorf("%s has no rules; add a rule block", file)
	}
	return fmt.Errorf("no rule makes %s: %s has no rules; add a rule whose output matches it", strings.Join(targets, ", "), file)
}

// Resolve is Build that also returns the Resolver to hand to NewPlan: it
// re-resolves the jobs that wait for a checkpoint once the checkpoint has
// run.
func Resolve(wf *rules.Workflow, opts Options) (*Graph, *Resolver, error) {
	if len(wf.Rules) == 0 {
		return nil, nil, noRules(wf, opts.Targets)
	}
	if opts.Stat == nil {
		opts.Stat = OSStat("")
	}
	b := &builder{
		wf:      wf,
		opts:    opts,
		g:       &Graph{Producer: map[string]*Job{}},
		jobs:    map[string]*node{},
		times:   map[string]int64{},
		sources: map[string]struct{}{},
		rank:    map[string]int{},
		wild:    map[*rules.Rule]bool{},
		done:    map[string]bool{},
	}
	for _, r := range wf.Rules {
		for _, o := range r.Outputs {
			b.dirOutputs = b.dirOutputs || o.Flags&rules.Directory != 0
		}
		b.wild[r] = len(patternNames(r)) > 0
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
		return nil, nil, err
	}
	if b.until, err = ruleSet(wf, opts.Until, "--until"); err != nil {
		return nil, nil, err
	}
	b.idx.build(wf)

	targets := opts.Targets
	if len(targets) == 0 {
		targets = []string{wf.Rules[0].Name}
	}
	if err := b.resolveTargets(targets); err != nil {
		return nil, nil, err
	}

	b.decideAll()
	if err := b.checkpointRounds(); err != nil {
		return nil, nil, err
	}
	b.applyUntil(b.g.Jobs)
	computePathLens(b.g.Jobs, nil)
	b.fillSources()
	return b.g, &Resolver{b: b}, nil
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

// resolveTargets resolves the requested targets and everything upstream
// of them, falls back where a candidate cannot run, and orders the graph.
func (b *builder) resolveTargets(targets []string) error {
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
			return err
		}
	}
	for {
		err := b.converge()
		if missing != nil {
			names := []string{b.suggestFile(path.Clean(missing.Target))}
			for _, r := range b.wf.Rules {
				names = append(names, r.Name)
			}
			missing.DidYouMean = Closest(path.Clean(missing.Target), names)
			return missing
		}
		if err != nil {
			return b.explain(err)
		}
		if !b.orderAll(b.g.Targets) {
			break
		}
	}
	if err := b.checkTies(); err != nil {
		return err
	}
	b.finalize(0)
	return nil
}

// target records one requested target: a rule name, else a file path.
func (b *builder) target(t string) error {
	if r := b.wf.ByName[t]; r != nil {
		if names := patternNames(r); len(names) > 0 {
			return &NoTargetError{Target: t, Wildcards: names}
		}
		n := b.job(r, map[string]string{}, "", nil)
		b.wanted = append(b.wanted, want{job: n})
		return nil
	}
	f := path.Clean(t)
	if b.wantFile == nil {
		b.wantFile = map[string]bool{}
	}
	b.wantFile[f] = true
	j, err := b.producerOf(f, nil)
	if err != nil {
		var mi *MissingInputError
		if errors.As(err, &mi) && mi.File == f {
			if e := escapeOf(b.wf, t, f); e != nil {
				return e
			}
			return &NoTargetError{Target: t}
		}
		return err
	}
	b.wanted = append(b.wanted, want{file: f, job: b.nodeOf(j)})
	return nil
}

// escapeOf explains a target that no rule makes when the reason is that
// a rule's output would bind a wildcard to a value leaving the working
// directory. It runs only on that error path, so it may scan every rule.
func escapeOf(wf *rules.Workflow, target, f string) *EscapeError {
	for _, r := range wf.Rules {
		for _, p := range r.Patterns {
			if e := p.Escape(f); e != nil {
				return &EscapeError{Target: target, Rule: r.Name, Err: e}
			}
		}
	}
	return nil
}

// converge resolves until nothing is left to do: the waves of new jobs,
// the fallback of files whose chosen jobs failed, and the targets. Then
// Graph.Targets holds the target jobs; a target that cannot be made is
// the error.
func (b *builder) converge() error {
	for {
		if err := b.resolve(); err != nil {
			return err
		}
		if len(b.failedQ) > 0 {
			b.repair()
			continue
		}
		if !b.settleTargets() {
			break
		}
	}
	for _, t := range b.g.Targets {
		t.Target = false
	}
	b.g.Targets = b.g.Targets[:0]
	for _, w := range b.wanted {
		if w.err != nil {
			return w.err
		}
		if w.job == nil {
			continue // an existing file nothing makes: nothing to do for it
		}
		if w.job.err != nil {
			return w.job.err
		}
		if !w.job.job.Target {
			w.job.job.Target = true
			b.g.Targets = append(b.g.Targets, w.job.job)
		}
	}
	return nil
}

// settleTargets resolves the target files again, whose chosen jobs may
// have failed, and reports whether that created jobs to resolve.
func (b *builder) settleTargets() bool {
	more := false
	for i := range b.wanted {
		w := &b.wanted[i]
		if w.file == "" || w.err != nil || (w.job != nil && w.job.err == nil) {
			continue
		}
		j, err := b.producerOf(w.file, nil)
		w.job, w.err = b.nodeOf(j), err
		if w.job != nil && w.job.state != expanded {
			more = true
		}
	}
	return more || len(b.fresh) > 0
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

// resolve evaluates and expands the fresh jobs and everything upstream of
// them, breadth first: each wave's new jobs are evaluated together, in
// parallel when there are many, since evaluation is most of the cost. The
// waves are processed in a fixed order, so the graph and the first error
// are deterministic. Inputs that cannot be resolved fail their job (see
// fallback) instead of the build.
func (b *builder) resolve() error {
	wave, err := b.evalFresh()
	if err != nil {
		return err
	}
	defer b.stopPipe() // on an error in expand
	for len(wave) > 0 {
		b.reserve(wave)
		b.startPipe(wave)
		for i, n := range wave {
			if i%1024 == 1023 {
				if err := b.stopped(); err != nil {
					return err
				}
			}
			if n.state == evaluated && n.err == nil {
				if err := b.expand(n); err != nil {
					return err
				}
			}
		}
		if err := b.stopped(); err != nil {
			return err
		}
		if wave, err = b.evalFresh(); err != nil {
			return err
		}
	}
	return nil
}

// reserveMin is the least number of new jobs worth making the job maps
// anew for.
const reserveMin = 4096

// reserve makes room in the maps that get an entry per job (jobs, and the
// graph's Producer) for as many jobs as wave's inputs, when they are many
// more than the maps hold (an aggregate's expand over a million): a map
// grown entry by entry to a million keeps splitting its tables on the
// way. Copying a map about as big as the wave would cost what it saves,
// so later waves of a pipeline grow the maps as before. The pipe is not
// running, so nothing else reads them meanwhile.
func (b *builder) reserve(wave []*node) {
	n := 0
	for _, w := range wave {
		if w.state == evaluated {
			n += len(w.job.Spec.Inputs)
		}
	}
	need := len(b.jobs) + n
	if n < reserveMin || len(b.jobs) > n/4 || need <= b.reserved {
		return
	}
	b.reserved = need
	// The slices that get an entry per new job too; the pipe is not
	// running, so b.fresh may move.
	b.fresh = slices.Grow(b.fresh, n)
	b.nodes = slices.Grow(b.nodes, n)
	jobs := make(map[string]*node, need)
	maps.Copy(jobs, b.jobs)
	b.jobs = jobs
	prod := make(map[string]*Job, len(b.g.Producer)+n)
	maps.Copy(prod, b.g.Producer)
	b.g.Producer = prod
}

// cancelled reports whether the caller's context is done.
func (b *builder) cancelled() bool {
	return b.opts.Context != nil && b.opts.Context.Err() != nil
}

// stopped says why resolution must end now: the caller's context is
// done, or the graph has outgrown MaxJobs. Resolution calls it between
// pieces of work small enough that it ends within milliseconds.
func (b *builder) stopped() error {
	if ctx := b.opts.Context; ctx != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	max := b.opts.MaxJobs
	if max <= 0 {
		max = DefaultMaxJobs
	}
	if len(b.nodes) <= max {
		return nil
	}
	b.stopPipe() // it may be writing a job's Spec
	perRule := map[*rules.Rule]int{}
	e := &TooManyJobsError{Max: max}
	for _, n := range b.nodes {
		r := n.job.Spec.Rule
		perRule[r]++
		if perRule[r] > e.Count {
			e.Rule, e.Count = r.Name, perRule[r]
		}
	}
	return e
}

// evalFresh evaluates the jobs created since the last call (those the
// pipe has not), records their outputs in Producer in creation order,
// and returns them.
func (b *builder) evalFresh() ([]*node, error) {
	piped, pipedDiags := b.stopPipe()
	jobs := b.fresh
	b.fresh = nil
	if len(jobs) == 0 {
		return nil, nil
	}
	diags := make([]hcl.Diagnostics, len(jobs))
	if len(pipedDiags) > 0 {
		for i, n := range jobs[:piped] {
			diags[i] = pipedDiags[n]
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
					if i >= len(jobs) || i%256 == 0 && b.cancelled() {
						return
					}
					eval(i)
				}
			})
		}
		wg.Wait()
	} else {
		for i := piped; i < len(jobs); i++ {
			if i%256 == 0 && b.cancelled() {
				break
			}
			eval(i)
		}
	}
	if b.cancelled() {
		return nil, b.opts.Context.Err() // some jobs are not evaluated
	}
	for i, n := range jobs {
		j := n.job
		if n.state != evaluated {
			return nil, &EvalError{Job: j.Key, Rule: j.Spec.Rule, Wildcards: j.Spec.Wildcards,
				Diags: diags[i], Chain: b.chainFrom(j)[1:]}
		}
		b.warn(diags[i])
		n.registered = true
		for _, o := range j.Spec.Outputs {
			if _, ok := b.g.Producer[o.Path]; !ok {
				b.g.Producer[o.Path] = j
			}
		}
	}
	return jobs, nil
}

// expand finds the producers of n's inputs and the checkpoint jobs its
// inputs called checkpoint_output on, and links them as the job's Deps.
// New jobs are only created here; evalFresh evaluates them. An input that
// cannot be resolved fails the job; the error returned is for the build.
func (b *builder) expand(n *node) error {
	j := n.job
	spec := j.Spec
	n.state = expanded
	if k := len(spec.Inputs) + len(spec.Checkpoints); k > 0 && j.Deps == nil {
		// Room for all: link dedups, so there are at most k. An
		// aggregate's million would otherwise grow by copies.
		j.Deps = make([]*Job, 0, k)
	}
	for i := range spec.Inputs {
		d, err := b.producerOf(spec.Inputs[i].Path, j)
		if err != nil {
			b.fail(n, err)
			return nil
		}
		if d != nil {
			b.link(j, d)
		}
	}
	for _, ref := range spec.Checkpoints {
		d, err := b.checkpointJob(ref, j)
		if err != nil {
			return err
		}
		b.link(j, d)
	}
	return nil
}

// link records that j needs d, once.
func (b *builder) link(j, d *Job) {
	n := b.node(d)
	if n.markBy == j {
		return
	}
	n.markBy = j
	j.Deps = append(j.Deps, d)
	d.Dependents = append(d.Dependents, j)
}

// node is j's builder state.
func (b *builder) node(j *Job) *node { return b.nodes[j.ID] }

func (b *builder) nodeOf(j *Job) *node {
	if j == nil {
		return nil
	}
	return b.node(j)
}

// producerOf returns the job that makes file p, which consumer needs (nil
// for a target): the job already chosen for p, or the first candidate in
// priority order that has not failed (see choose). It returns nil for a
// source file, and an error when p cannot be resolved.
func (b *builder) producerOf(p string, consumer *Job) (*Job, error) {
	if j := b.g.Producer[p]; j != nil {
		if n := b.node(j); n.err == nil && !b.isExcluded(consumer, p, j) {
			return j, nil
		}
	}
	if _, ok := b.sources[p]; ok {
		return nil, nil
	}
	if err, ok := b.bad[p]; ok {
		return nil, err
	}
	if d := b.directoryProducer(p); d != nil && !b.isExcluded(consumer, p, d) {
		return d, nil
	}
	return b.choose(p, consumer)
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
		if j == nil || b.node(j).err != nil {
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

// job returns the node of rule r for binding wc, creating it (to be
// evaluated by evalFresh) the first time. via is the file it is needed
// for and parent the job that needs it, kept for error chains. A job the
// recursion cut stops is created failed and never evaluated.
func (b *builder) job(r *rules.Rule, wc map[string]string, via string, parent *Job) *node {
	key := rules.JobName(r.Name, wc, rules.Plain)
	if n := b.jobs[key]; n != nil {
		return n
	}
	if parent != nil && len(wc) > 0 && maps.Equal(parent.Spec.Wildcards, wc) {
		// One map for a chain of jobs with the same wildcards (a sample
		// through its stages), as no one writes them: a third of the maps
		// of a 3-stage pipeline.
		wc = parent.Spec.Wildcards
	}
	// One allocation for the three: the node lives as long as the
	// builder, and evalOne fills the spec in place.
	jn := &jobAlloc{j: Job{ID: len(b.nodes), Key: key}, spec: rules.Job{Rule: r, Wildcards: wc}}
	jn.j.Spec = &jn.spec
	n := &jn.n
	n.job, n.via = &jn.j, via
	n.root = n
	if parent != nil {
		n.parent = b.node(parent)
		n.depth = n.parent.depth + 1
		n.root, n.nearRoot = n.parent.root, n.parent.nearRoot
		if n.depth == 1 {
			n.nearRoot = n
		}
	}
	b.jobs[key] = n
	b.nodes = append(b.nodes, n)
	if err := b.cut(n); err != nil {
		n.err = err
		return n
	}
	b.addFresh(n)
	return n
}

// jobAlloc is what builder.job allocates per job, in one piece.
type jobAlloc struct {
	j    Job
	n    node
	spec rules.Job
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
	return rules.JobName(r.Name, wc, rules.Plain), true
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
	n := b.job(r, wc, via, consumer)
	if n.err != nil {
		return nil, n.err
	}
	return n.job, nil
}

// chainFrom is the chain of jobs that needed j, j first: each job's
// parent is the job that first needed it, up to a target.
func (b *builder) chainFrom(j *Job) []Link {
	if j == nil {
		return nil
	}
	return chainOf(b.node(j))
}

// chainOf is n's chain as messages show it (see shortChain): all of it
// when it is short, else n, a placeholder for the middle and the two
// links at the target's end. Built from the nodes' root pointers, it
// costs the same at any depth; failures deep in a graph are many, and
// walking each one's chain made fallback quadratic.
func chainOf(n *node) []Link {
	if n.depth+1 > maxChainShown {
		return []Link{{Job: n.job, File: n.via},
			{File: fmt.Sprintf("(%d more)", n.depth+1-3)},
			{Job: n.nearRoot.job, File: n.nearRoot.via},
			{Job: n.root.job, File: n.root.via}}
	}
	var out []Link
	for ; n != nil; n = n.parent {
		out = append(out, Link{Job: n.job, File: n.via})
	}
	return out
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
// candidate per rule, in declaration order. A candidate whose wildcards
// are exactly like (the consumer's, nil for none) gets that map itself
// (Pattern.MatchLike), which job would share anyway.
func (x *index) lookup(p string, out []Candidate, like map[string]string) []Candidate {
	for _, op := range x.exact[p] {
		out = addCandidate(out, op, map[string]string{})
	}
	for _, n := range x.lens {
		if n > len(p) {
			break
		}
		for _, op := range x.byPrefix[p[:n]] {
			// Equal lengths: an empty value, which Match allows only
			// where the constraint does ("{suffix,.*}").
			if len(p) < n+len(op.suffix) || p[len(p)-len(op.suffix):] != op.suffix {
				continue
			}
			if hasRule(out, op.rule) {
				continue
			}
			if wc, ok := op.pat.MatchLike(p, like); ok {
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
