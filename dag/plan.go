package dag

import "fmt"

// Plan hands out the stale jobs of a graph in dependency order, the way
// Ninja's Plan does: Ready gives the jobs that can start now, Done reports
// one finished job and returns the jobs it unblocked, More says whether any
// job may still run. Plan is not safe for concurrent use; the scheduler
// owns it from one goroutine.
type Plan struct {
	g       *Graph
	r       *Resolver  // nil: no checkpoint is resolved again
	state   []jobState // by Job.ID
	waiting []int      // by Job.ID: stale deps not yet done
	ready   []*Job
	left    int // stale jobs not yet done, failed or skipped
	total   int
	pretend bool // NewPretendPlan: checkpoints resolve nothing
}

type jobState uint8

const (
	notInPlan jobState = iota // up to date
	waitingDeps
	readyToRun
	finished
	failed
	skipped // a dependency failed
)

// Resolver re-resolves, once a checkpoint job has run, the jobs that wait
// for it; Resolve returns it with the graph it built, and the plan is
// handed it to call from Done. It is the state resolution keeps, not part
// of the graph.
type Resolver struct {
	b *builder
}

// CheckpointDone records that checkpoint job j finished in this run. The
// jobs waiting for it are evaluated again; jobs they now need are
// appended to the graph's Jobs (with IDs) and decided. It returns the
// jobs added or changed, each after its deps among them.
func (r *Resolver) CheckpointDone(j *Job) ([]*Job, error) {
	return r.b.checkpointDone(j)
}

// NewPlan makes a plan of every stale job in g. r is the Resolver from
// the Resolve that built g; with nil, a checkpoint job that finishes
// resolves nothing, and Done reports an error if jobs wait for it.
func NewPlan(g *Graph, r *Resolver) *Plan {
	p := &Plan{g: g, r: r}
	p.grow()
	for _, j := range g.Jobs {
		if j.Stale {
			p.admit(j)
		}
	}
	return p
}

// NewPretendPlan makes a plan of every stale job in g for a run that only
// pretends (a dry run, --touch): a checkpoint that "finishes" made no
// files to resolve its waiters from, so nothing is resolved again and the
// jobs that wait for it are handed out as they are, as the dry run has
// always listed them.
func NewPretendPlan(g *Graph) *Plan {
	p := NewPlan(g, nil)
	p.pretend = true
	return p
}

// grow sizes the per-job slices after the graph gained jobs.
func (p *Plan) grow() {
	for len(p.state) < len(p.g.Jobs) {
		p.state = append(p.state, notInPlan)
		p.waiting = append(p.waiting, 0)
	}
}

// admit puts a stale job into the plan, ready or waiting. A job already
// waiting has its count of unfinished deps taken again (a checkpoint
// changed its deps); a job past waiting is left alone.
func (p *Plan) admit(j *Job) {
	switch p.state[j.ID] {
	case notInPlan:
		p.left++
		p.total++
	case waitingDeps:
	default:
		return
	}
	n := 0
	for _, d := range j.Deps {
		if s := p.state[d.ID]; s == waitingDeps || s == readyToRun {
			n++
		}
	}
	p.waiting[j.ID] = n
	if n == 0 {
		p.state[j.ID] = readyToRun
		p.ready = append(p.ready, j)
	} else {
		p.state[j.ID] = waitingDeps
	}
}

// Ready returns the jobs that became ready since the last call of Ready or
// Done: at first, every stale job without stale dependencies.
func (p *Plan) Ready() []*Job {
	r := p.ready
	p.ready = nil
	return r
}

// Done records that j finished, successfully or not, and returns the jobs
// that are ready now because of it. A failed job's dependents, direct and
// indirect, leave the plan; Skipped counts them. When a checkpoint job
// succeeds, the jobs waiting on it are resolved again, which may add jobs
// to the graph; an error from that resolution is returned.
func (p *Plan) Done(j *Job, ok bool) ([]*Job, error) {
	p.left--
	if !ok {
		p.state[j.ID] = failed
		p.skipDependents(j)
		return p.Ready(), nil
	}
	p.state[j.ID] = finished
	var recounted map[*Job]bool
	if j.Spec != nil && j.Spec.Rule != nil && j.Spec.Rule.Checkpoint {
		var err error
		if recounted, err = p.checkpointDone(j); err != nil {
			return p.Ready(), err
		}
	}
	for _, d := range j.Dependents {
		// admit counted j (finished) out of the jobs it re-admitted already.
		if p.state[d.ID] != waitingDeps || recounted[d] {
			continue
		}
		p.waiting[d.ID]--
		if p.waiting[d.ID] == 0 {
			p.state[d.ID] = readyToRun
			p.ready = append(p.ready, d)
		}
	}
	return p.Ready(), nil
}

// checkpointDone has the Resolver resolve again the jobs that waited for
// checkpoint j, and admits the jobs added or changed. It returns the jobs
// whose count of unfinished deps it took anew.
func (p *Plan) checkpointDone(j *Job) (map[*Job]bool, error) {
	if p.pretend {
		return nil, nil
	}
	if p.r == nil {
		for _, d := range j.Dependents {
			if d.Spec.Pending {
				return nil, fmt.Errorf("checkpoint %s finished, but the plan has no Resolver to resolve %s again", j, d)
			}
		}
		return nil, nil
	}
	changed, err := p.r.CheckpointDone(j)
	if err != nil {
		return nil, err
	}
	p.grow()
	recounted := make(map[*Job]bool, len(changed))
	for _, c := range changed {
		if c.Stale {
			p.admit(c)
			recounted[c] = true
		}
	}
	// A job that joined the plan may have waiting dependents that did not
	// count it.
	for _, c := range changed {
		for _, d := range c.Dependents {
			if c.Stale && !recounted[d] && p.state[d.ID] == waitingDeps {
				p.admit(d)
				recounted[d] = true
			}
		}
	}
	return recounted, nil
}

func (p *Plan) skipDependents(j *Job) {
	stack := append([]*Job(nil), j.Dependents...)
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if s := p.state[d.ID]; s != waitingDeps && s != readyToRun {
			continue
		}
		p.state[d.ID] = skipped
		p.left--
		stack = append(stack, d.Dependents...)
	}
}

// More reports whether some job in the plan has not finished, failed or
// been skipped.
func (p *Plan) More() bool { return p.left > 0 }

// Total is the number of jobs the plan has held, including jobs added
// after checkpoints.
func (p *Plan) Total() int { return p.total }

// Skipped returns the jobs that left the plan because a dependency failed.
func (p *Plan) Skipped() []*Job {
	var out []*Job
	for _, j := range p.g.Jobs {
		if p.state[j.ID] == skipped {
			out = append(out, j)
		}
	}
	return out
}
