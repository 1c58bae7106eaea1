package dag

import (
	"runtime"
	"slices"
)

// reresolve evaluates p again (its checkpoints may be done now), replaces
// its Deps with the producers of its new inputs and resolves any new jobs,
// which order appends to Graph.Jobs. A job that cannot run now is an
// error: the graph around it is being run.
func (b *builder) reresolve(p *Job) error {
	pn := b.node(p)
	spec, diags := p.Spec.Rule.Eval(p.Spec.Wildcards, b.env)
	if diags.HasErrors() || spec == nil {
		return &EvalError{Job: p.Key, Rule: p.Spec.Rule, Wildcards: p.Spec.Wildcards, Diags: diags, Chain: b.chainFrom(p)[1:]}
	}
	b.warn(diags)
	for _, d := range p.Deps {
		d.Dependents = slices.DeleteFunc(d.Dependents, func(x *Job) bool { return x == p })
		b.node(d).markBy = nil
	}
	p.Deps = nil
	p.Spec = spec
	for _, o := range spec.Outputs {
		if _, ok := b.g.Producer[o.Path]; !ok {
			b.g.Producer[o.Path] = p
		}
	}
	pn.state = evaluated
	if err := b.expand(pn); err != nil {
		return err
	}
	start := len(b.g.Jobs)
	for {
		if err := b.converge(); err != nil {
			return b.explain(err)
		}
		if pn.err != nil {
			return b.explain(pn.err)
		}
		pn.visit = white
		if !b.orderAll([]*Job{p}) {
			break
		}
	}
	if err := b.checkTies(); err != nil {
		return err
	}
	b.finalize(start)
	return nil
}

// checkpointDone is Resolver.CheckpointDone: checkpoint job c finished
// in this run. The jobs waiting for it are evaluated again; jobs they now need are
// appended to Graph.Jobs and decided. It returns, in an order in which
// every job comes after its deps among them: older jobs that became stale
// (an up-to-date producer of a missing file a new job needs), the new
// jobs, then the re-evaluated ones.
func (b *builder) checkpointDone(c *Job) ([]*Job, error) {
	b.done[c.Key] = true
	for _, o := range c.Spec.Outputs {
		delete(b.times, o.Path) // made just now
	}
	var pend []*Job
	for _, d := range c.Dependents {
		if d.Spec.Pending {
			pend = append(pend, d)
		}
	}
	slices.SortFunc(pend, func(x, y *Job) int { return x.ID - y.ID })
	start := len(b.g.Jobs)
	for _, p := range pend {
		if err := b.reresolve(p); err != nil {
			return nil, err
		}
	}
	added := b.g.Jobs[start:]
	b.prefetchNew(added)

	b.work = b.work[:0]
	b.recording, b.marked = true, b.marked[:0]
	defer func() { b.recording = false }()
	for _, n := range added {
		r := b.measure(n)
		if r.Kind == UpToDate {
			// An older dep that is stale has run or will run; an
			// ancient() edge never makes n stale.
			for _, d := range n.Deps {
				if d.ID < start && d.Stale && !b.fact(n).ancientOnly[d] {
					r = Reason{Kind: UpstreamChanged, Path: b.madeBy(n, d)}
					break
				}
			}
		}
		b.seed(n, r)
	}
	for _, p := range pend {
		r := b.measure(p)
		if r.Kind == UpToDate {
			r = Reason{Kind: UpstreamChanged, Path: b.madeBy(p, c)}
		}
		// p was stale (it waited); it stays stale, now for a real reason.
		p.Stale, p.Reason = true, r
		b.work = append(b.work, p)
	}
	b.propagate()
	b.firstUpstream(b.marked)

	// A set, not slices.Contains: a checkpoint may have thousands of
	// waiters, and marked holds them all.
	waited := make(map[*Job]bool, len(pend))
	for _, p := range pend {
		waited[p] = true
	}
	var older []*Job
	for _, j := range b.marked {
		if j.ID < start && !waited[j] {
			older = append(older, j)
		}
	}
	slices.SortFunc(older, func(x, y *Job) int { return x.ID - y.ID })
	older = slices.Compact(older)

	if len(b.until) > 0 {
		// Dependents first: the re-evaluated jobs, then the new ones.
		for _, p := range pend {
			b.untilOne(p)
		}
		for i := len(added) - 1; i >= 0; i-- {
			b.untilOne(added[i])
		}
		for i := len(older) - 1; i >= 0; i-- {
			b.untilOne(older[i])
		}
	}
	b.growPathLens(added)
	b.fillSources()

	changed := make([]*Job, 0, len(older)+len(added)+len(pend))
	changed = append(changed, older...)
	changed = append(changed, added...)
	changed = append(changed, pend...)
	return changed, nil
}

// prefetchNew fills the stat cache, in parallel, with the files that
// measure will stat for the jobs a checkpoint added: their outputs
// (prefetchOutputs) and their inputs, mostly the files the checkpoint has
// just written, which nothing statted yet. One at a time, those calls
// were a third of the re-resolution of a 100,000-item checkpoint. The
// cache ends up as measure would leave it.
func (b *builder) prefetchNew(jobs []*Job) {
	b.prefetchOutputs(jobs)
	st, ok := b.opts.Stat.(osStat) // the only Stat known to be safe concurrently
	if !ok || runtime.GOMAXPROCS(0) < 2 {
		return
	}
	var paths []string
	for _, j := range jobs {
		for i := range j.Spec.Inputs {
			if p := j.Spec.Inputs[i].Path; !b.cached(p) {
				paths = append(paths, p)
			}
		}
	}
	if len(paths) < prefetchMin {
		return
	}
	b.statInto(st, paths)
}

// checkpointRounds re-evaluates, at build time, the jobs that wait for a
// checkpoint that is already up to date from an earlier run, until no
// more checkpoints become done (checkpoints may nest).
func (b *builder) checkpointRounds() error {
	for {
		var newly map[*Job]bool
		for _, j := range b.g.Jobs {
			if !j.Spec.Pending {
				continue
			}
			for _, d := range j.Deps {
				if d.Spec.Rule.Checkpoint && !d.Stale && !b.done[d.Key] {
					b.done[d.Key] = true
					if newly == nil {
						newly = map[*Job]bool{}
					}
					newly[d] = true
				}
			}
		}
		if newly == nil {
			return nil
		}
		var pend []*Job
		for _, j := range b.g.Jobs {
			if !j.Spec.Pending {
				continue
			}
			for _, d := range j.Deps {
				if newly[d] {
					pend = append(pend, j)
					break
				}
			}
		}
		for _, p := range pend {
			if err := b.reresolve(p); err != nil {
				return err
			}
		}
		b.renumber()
		b.decideAll()
	}
}

// renumber puts Graph.Jobs back in topological order after re-resolution
// appended the new deps of older jobs: a depth-first post-order from the
// targets, as order makes it. The builder's nodes follow the new IDs.
func (b *builder) renumber() {
	old := b.g.Jobs
	out := make([]*Job, 0, len(old))
	for _, j := range old {
		b.node(j).visit = white
	}
	var st []frame
	for _, root := range append(append([]*Job(nil), b.g.Targets...), old...) {
		rn := b.node(root)
		if rn.visit != white {
			continue
		}
		rn.visit = gray
		st = append(st[:0], frame{n: rn})
		for len(st) > 0 {
			f := &st[len(st)-1]
			if f.next < len(f.n.job.Deps) {
				d := b.node(f.n.job.Deps[f.next])
				f.next++
				if d.visit == white {
					d.visit = gray
					st = append(st, frame{n: d})
				}
				continue
			}
			f.n.visit = black
			out = append(out, f.n.job)
			st = st[:len(st)-1]
		}
	}
	nodes := make([]*node, 0, len(b.nodes))
	for _, j := range out {
		nodes = append(nodes, b.node(j))
	}
	nodes = append(nodes, b.nodes[len(old):]...) // failed jobs
	b.nodes = nodes
	for i, n := range nodes {
		n.job.ID = i
	}
	b.g.Jobs = out
}
