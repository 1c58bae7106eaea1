package dag

import (
	"slices"

	"github.com/flowmake/flowmake/rules"
)

// fallback is the builder's state for resolution that changes its mind:
// jobs that turned out unable to run, files nothing can make, cycle edges
// cut, and files with tied candidates. All of it only grows, so each
// (file, candidate) pair is tried once.
type fallback struct {
	wanted   []want          // the targets, in command-line order
	wantFile map[string]bool // target files: their rule must run even if they exist
	failedQ  []*node         // failed since the last repair
	bad      map[string]error
	// excluded lists, per consumer and file, the jobs that may not make
	// the file for that consumer because the edge closes a cycle;
	// cycleErr is that cycle, as the reason. Only the consumer on the
	// cycle is affected, as in Snakemake, where the cycle is seen on the
	// chain being resolved.
	excluded map[inEdge][]*Job
	cycleErr map[inEdge]error
	ties     []tie
	repaired bool // something failed, was cut or tied: clean up after ordering
}

// inEdge is one input file of a consumer.
type inEdge struct {
	consumer *Job
	file     string
}

// want is one requested target: a rule's job, or a file and what it
// resolved to (job nil for a source).
type want struct {
	file string
	job  *node
	err  error
}

// tie is a file whose first candidate shares its priority with others:
// an ambiguity if more than one of them can run.
type tie struct {
	file  string
	group []*node // the chosen job first, in priority order
}

// higher reports whether rule x is preferred to rule y, as Snakemake's
// Ruleorder.compare decides: by ruleorder when both are listed, else a
// rule without wildcards before one with.
func (b *builder) higher(x, y *rules.Rule) bool {
	rx, okx := b.rank[x.Name]
	ry, oky := b.rank[y.Name]
	if okx && oky {
		return rx < ry
	}
	return !b.wild[x] && b.wild[y]
}

// byPriority orders candidates (in declaration order) so that each comes
// before those it is preferred to, equal ones in declaration order.
func (b *builder) byPriority(cs []Candidate) []Candidate {
	left := slices.Clone(cs)
	out := make([]Candidate, 0, len(cs))
	for len(left) > 0 {
		pick := 0
	find:
		for i, c := range left {
			for k, d := range left {
				if k != i && b.higher(d.Rule, c.Rule) {
					continue find
				}
			}
			pick = i
			break
		}
		out = append(out, left[pick])
		left = slices.Delete(left, pick, pick+1)
	}
	return out
}

// failure is why n cannot make p for consumer, or nil.
func (b *builder) failure(p string, consumer *Job, n *node) error {
	if n.err != nil {
		return n.err
	}
	if b.isExcluded(consumer, p, n.job) {
		return b.cycleErr[inEdge{consumer, p}]
	}
	return nil
}

func (b *builder) isExcluded(consumer *Job, p string, j *Job) bool {
	if len(b.excluded) == 0 || consumer == nil {
		return false
	}
	return slices.Contains(b.excluded[inEdge{consumer, p}], j)
}

// choose picks the producer of p, which consumer needs (nil for a
// target): the first candidate in priority order that has not failed.
// Candidates that tie with it are created too, so that an ambiguity among
// candidates that can run is found. With no candidate left, an existing
// file is a source, except a file named on the command line.
func (b *builder) choose(p string, consumer *Job) (*Job, error) {
	var like map[string]string
	if consumer != nil && consumer.Spec != nil {
		like = consumer.Spec.Wildcards
	}
	b.cands = b.idx.lookup(p, b.cands[:0], like)
	if len(b.cands) == 0 {
		if b.mtime(p) != absent {
			b.sources[p] = struct{}{}
			return nil, nil
		}
		// DidYouMean is left to explain: most missing inputs only make a
		// candidate fall back, and a suggestion costs a scan.
		err := &MissingInputError{File: p, Chain: b.chainFrom(consumer)}
		b.setBad(p, err)
		return nil, err
	}
	cands := b.cands
	if len(cands) > 1 {
		cands = b.byPriority(cands)
	}
	var failed []Failure
	for i, c := range cands {
		n := b.job(c.Rule, c.Wildcards, p, consumer)
		if err := b.failure(p, consumer, n); err != nil {
			failed = append(failed, Failure{Candidate: c, Err: err})
			continue
		}
		var group []*node
		for _, d := range cands[i+1:] {
			if b.higher(c.Rule, d.Rule) {
				continue
			}
			if m := b.job(d.Rule, d.Wildcards, p, consumer); b.failure(p, consumer, m) == nil {
				group = append(group, m)
			}
		}
		if len(group) > 0 {
			b.ties = append(b.ties, tie{file: p, group: append([]*node{n}, group...)})
			b.repaired = true
		}
		if n.registered {
			// Evaluated while p was another job's (one that failed since):
			// its outputs are its own now, where no other job holds them.
			for _, o := range n.job.Spec.Outputs {
				if d := b.g.Producer[o.Path]; d == nil || b.node(d).err != nil {
					b.g.Producer[o.Path] = n.job
				}
			}
		}
		return n.job, nil
	}
	b.repaired = true
	if !b.wantFile[p] && b.mtime(p) != absent {
		b.sources[p] = struct{}{}
		return nil, nil
	}
	var err error
	if len(failed) == 1 {
		err = failed[0].Err
	} else {
		err = &UnresolvableError{File: p, Chain: b.chainFrom(consumer), Failed: failed}
	}
	if _, ok := b.excluded[inEdge{consumer, p}]; !ok {
		b.setBad(p, err) // for this consumer only otherwise
	}
	return nil, err
}

func (b *builder) setBad(p string, err error) {
	if b.bad == nil {
		b.bad = map[string]error{}
	}
	b.bad[p] = err
}

// fail records that n cannot run; repair takes it out of the graph.
func (b *builder) fail(n *node, err error) {
	if n.err == nil {
		n.err = err
		b.failedQ = append(b.failedQ, n)
		b.repaired = true
	}
}

// unlink takes a dropped job's outputs out of Producer and appends its
// deps, once each (seen), to deps for the caller to revisit.
func (b *builder) unlink(n *node, deps []*Job, seen map[*Job]bool) []*Job {
	j := n.job
	if n.registered {
		for _, o := range j.Spec.Outputs {
			if b.g.Producer[o.Path] == j {
				delete(b.g.Producer, o.Path)
			}
		}
	}
	for _, d := range j.Deps {
		if !seen[d] {
			seen[d] = true
			deps = append(deps, d)
		}
	}
	return deps
}

// repair takes the jobs failed since the last call out of the graph and
// resolves again the inputs their consumers took from them, which picks
// each file's next candidate (or makes it a source, or fails the
// consumer in turn: the next call's work). The new jobs are left for
// resolve.
func (b *builder) repair() {
	batch := b.failedQ
	b.failedQ = nil
	var consumers, deps []*Job
	seen := map[*Job]bool{}
	for _, n := range batch {
		j := n.job
		deps = b.unlink(n, deps, seen)
		j.Deps = nil
		for _, c := range j.Dependents {
			if !seen[c] {
				seen[c] = true
				consumers = append(consumers, c)
			}
		}
		j.Dependents = nil
	}
	for _, d := range deps {
		d.Dependents = slices.DeleteFunc(d.Dependents, func(x *Job) bool { return b.node(x).err != nil })
	}
	for _, c := range consumers {
		b.relink(c)
	}
}

// relink resolves c's inputs again and makes its Deps those producers,
// keeping the order of inputs; jobs it no longer needs lose it as a
// dependent. It fails c when an input cannot be resolved now.
func (b *builder) relink(c *Job) {
	cn := b.node(c)
	if cn == nil || cn.err != nil || cn.state != expanded {
		return // gone, failed, or not expanded yet: expand resolves it afresh
	}
	old := map[*Job]bool{}
	for _, d := range c.Deps {
		old[d] = true
		b.node(d).markBy = nil
	}
	c.Deps = c.Deps[:0:0]
	add := func(d *Job) {
		n := b.node(d)
		if n.markBy == c {
			return
		}
		n.markBy = c
		c.Deps = append(c.Deps, d)
		if old[d] {
			delete(old, d)
		} else {
			d.Dependents = append(d.Dependents, c)
		}
	}
	var err error
	for i := range c.Spec.Inputs {
		var d *Job
		if d, err = b.producerOf(c.Spec.Inputs[i].Path, c); err != nil {
			break
		}
		if d != nil {
			add(d)
		}
	}
	if err == nil {
		for _, ref := range c.Spec.Checkpoints {
			var d *Job
			if d, err = b.checkpointJob(ref, c); err != nil {
				break
			}
			add(d)
		}
	}
	for d := range old {
		d.Dependents = slices.DeleteFunc(d.Dependents, func(x *Job) bool { return x == c })
	}
	if err != nil {
		// c leaves the graph; repair unlinks what it had.
		b.fail(cn, err)
	}
}

// cutCycle handles the edge from the job on top of the stack to d, which
// is on the stack too. Walking back from that closing edge, the first
// edge whose files all exist is cut: its consumer reads them as sources
// (Snakemake breaks a cycle at the nearest existing file the same way).
// When no file on the cycle exists, the closing edge's files may not be
// made by d for that consumer: their next candidates are tried, and
// failing those, the consumer fails with the cycle as the reason.
func (b *builder) cutCycle(d *node) {
	i := len(b.stack) - 1
	for i >= 0 && b.stack[i].n != d {
		i--
	}
	cyc := b.stack[i:]
	err := b.cycleError(cyc)
	from, to := cyc[len(cyc)-1].n.job, d.job // the closing edge first
	for k := len(cyc) - 1; k >= 0; k-- {
		f, t := cyc[k].n.job, d.job
		if k+1 < len(cyc) {
			t = cyc[k+1].n.job
		}
		if b.edgeFilesExist(f, t) {
			from, to = f, t
			break
		}
	}
	files := b.edgeFiles(from, to)
	if len(files) == 0 {
		// Only a checkpoint_output call links them: no file to fall back.
		b.fail(b.node(from), err)
		return
	}
	if b.excluded == nil {
		b.excluded, b.cycleErr = map[inEdge][]*Job{}, map[inEdge]error{}
	}
	for _, p := range files {
		e := inEdge{from, p}
		b.excluded[e] = append(b.excluded[e], to)
		if _, ok := b.cycleErr[e]; !ok {
			b.cycleErr[e] = err
		}
	}
	b.repaired = true
	b.relink(from)
}

// edgeFiles are the inputs of from that to makes.
func (b *builder) edgeFiles(from, to *Job) []string {
	var out []string
	for _, in := range from.Spec.Inputs {
		if b.g.Producer[in.Path] == to || (b.g.Producer[in.Path] == nil && b.directoryProducer(in.Path) == to) {
			out = append(out, in.Path)
		}
	}
	return out
}

// edgeFilesExist reports whether from takes only existing files from to
// (and does not wait for it as a checkpoint).
func (b *builder) edgeFilesExist(from, to *Job) bool {
	files := b.edgeFiles(from, to)
	if len(files) == 0 {
		return false
	}
	for _, ref := range from.Spec.Checkpoints {
		if k, ok := b.checkpointKey(ref); ok && k == to.Key {
			return false
		}
	}
	for _, p := range files {
		if b.mtime(p) == absent {
			return false
		}
	}
	return true
}

// cycleError reports the cycle of the stack frames cyc, each job needing
// the next and the last the first, rotated to start at the smallest job
// name.
func (b *builder) cycleError(cyc []frame) *CycleError {
	jobs := make([]*Job, len(cyc))
	for k, f := range cyc {
		jobs[k] = f.n.job
	}
	m := 0
	for k := range jobs {
		if jobs[k].Key < jobs[m].Key {
			m = k
		}
	}
	path := append(append([]*Job(nil), jobs[m:]...), jobs[:m]...)
	path = append(path, path[0])
	return &CycleError{Path: path}
}

// checkTies reports an ambiguity for a file in the graph whose tied
// candidates can run more than one.
func (b *builder) checkTies() error {
	for _, t := range b.ties {
		if t.group[0].visit != black {
			continue
		}
		var live []Candidate
		for _, n := range t.group {
			if b.failure(t.file, nil, n) == nil {
				live = append(live, Candidate{Rule: n.job.Spec.Rule, Wildcards: n.job.Spec.Wildcards})
			}
		}
		if len(live) > 1 {
			return &AmbiguityError{File: t.file, Candidates: live, Chain: chainOf(t.group[0].parent)}
		}
	}
	b.ties = b.ties[:0]
	return nil
}

// finalize gives the jobs that ordering appended to Graph.Jobs from start
// on their IDs, their index there, and moves their nodes to match. The
// failed jobs stay known after them, so they are not tried again; other
// jobs created but not reached (they lost a tie, or only failed jobs
// needed them) are forgotten: they leave Producer and their deps'
// Dependents, so the graph holds only the jobs in Graph.Jobs.
func (b *builder) finalize(start int) {
	tail := b.nodes[start:]
	kept := make([]*node, 0, len(tail))
	for _, j := range b.g.Jobs[start:] {
		kept = append(kept, b.node(j))
	}
	var deps []*Job
	seen := map[*Job]bool{}
	for _, n := range tail {
		switch {
		case n.visit == black:
		case n.err != nil:
			kept = append(kept, n)
		default:
			deps = b.unlink(n, deps, seen)
			delete(b.jobs, n.job.Key)
		}
	}
	// IDs are still the old ones here.
	for _, d := range deps {
		if b.node(d).visit != black {
			continue // dropped too
		}
		d.Dependents = slices.DeleteFunc(d.Dependents, func(x *Job) bool { return b.node(x).visit != black })
	}
	copy(tail, kept)
	clear(tail[len(kept):])
	b.nodes = b.nodes[:start+len(kept)]
	for i := start; i < len(b.nodes); i++ {
		b.nodes[i].job.ID = i
	}
	if !b.repaired {
		return
	}
	b.repaired = false
	// Sources only dropped jobs read are no sources of the graph.
	used := map[string]struct{}{}
	for _, j := range b.g.Jobs {
		for _, in := range j.Spec.Inputs {
			if _, ok := b.sources[in.Path]; ok {
				used[in.Path] = struct{}{}
			}
		}
	}
	for _, w := range b.wanted {
		if _, ok := b.sources[w.file]; ok && w.file != "" {
			used[w.file] = struct{}{}
		}
	}
	b.sources = used
}

// explain fills in the suggestions of the missing inputs in err, which
// Build is about to return.
func (b *builder) explain(err error) error {
	switch e := err.(type) {
	case *MissingInputError:
		if e.DidYouMean == "" {
			e.DidYouMean = b.suggestFile(e.File)
		}
	case *UnresolvableError:
		for _, f := range e.Failed {
			b.explain(f.Err)
		}
	}
	return err
}
