package dag

import (
	"math"
	"time"

	"github.com/flowmake/flowmake/rules"
)

// Staleness, in three steps over jobs in topological order, linear in
// jobs and edges:
//
//  1. measure: per job, outputs' existence and oldest mtime, and inputs'
//     effective times. A missing file's effective time is the newest
//     effective time of its producer's inputs: what it would be if it were
//     made now. So a consumer of a deleted temp() file is compared against
//     what the file was made from. A job is definitely stale when it waits
//     for a checkpoint, is forced, has neither inputs nor outputs, or its
//     outputs all exist and an input is newer (Checker refining that).
//  2. seed: definite jobs, and targets with a missing output, are stale.
//  3. propagate with a worklist: a stale job makes its dependents stale
//     (UpstreamChanged), and a stale job — or a requested job without
//     outputs, like "all", whose inputs are what was requested — makes the
//     producers of its missing inputs stale (MissingOutput). A missing
//     intermediate that only up-to-date jobs consume thus stays missing.

// mtime stats p once.
func (b *builder) mtime(p string) int64 {
	if t, ok := b.times[p]; ok {
		return t
	}
	t := statTime(b.opts.Stat, p)
	b.times[p] = t
	return t
}

// statTime is p's mtime (UnixNano), or absent.
func statTime(st Stat, p string) int64 {
	if fi, err := st.Stat(p); err == nil {
		return unixNano(fi.ModTime())
	}
	return absent
}

var minTime = time.Unix(0, math.MinInt64+1)

// unixNano maps times outside int64 nanoseconds (a zero ModTime, as
// fstest.MapFS gives synthesized directories) to "very old but present".
func unixNano(t time.Time) int64 {
	if t.Before(minTime) {
		return math.MinInt64 + 1
	}
	return t.UnixNano()
}

// effTime is the mtime of input i of j, or for a missing produced file
// its effective time.
func (b *builder) effTime(j *Job, i int) int64 {
	t := b.inputTime(j, i)
	if t == absent {
		if d := b.inputProducer(j, i); d != nil {
			return d.effOut
		}
	}
	return t
}

// measure fills j's output facts and returns its definite reason (zero when
// only missing outputs or upstream jobs could make it stale). Deps must be
// measured first.
func (b *builder) measure(j *Job) Reason {
	spec := j.Spec
	j.missing = ""
	oldest := int64(math.MaxInt64)
	for i := range spec.Outputs {
		p := spec.Outputs[i].Path
		t := b.mtime(p)
		if t == absent {
			if j.missing == "" {
				j.missing = p
			}
			continue
		}
		oldest = min(oldest, t)
	}
	j.oldest = oldest
	newest, newestPath := int64(absent), ""
	for i := range spec.Inputs {
		in := &spec.Inputs[i]
		if in.Flags&rules.Ancient != 0 {
			continue
		}
		if t := b.effTime(j, i); t > newest {
			newest, newestPath = t, in.Path
		}
	}
	j.effOut = newest

	switch {
	case spec.Pending:
		return Reason{Kind: PendingCheckpoint, Path: b.pendingOn(j)}
	case b.opts.ForceAll || b.force[spec.Rule.Name]:
		return Reason{Kind: Forced}
	case len(spec.Outputs) == 0:
		if len(spec.Inputs) == 0 {
			return Reason{Kind: NoOutputs}
		}
		return Reason{}
	case j.missing != "":
		return Reason{}
	}
	var byTime Reason
	if newest > oldest {
		byTime = Reason{Kind: InputNewer, Path: newestPath}
	}
	if b.opts.Checker != nil {
		return b.opts.Checker.Check(j, byTime)
	}
	return byTime
}

// pendingOn names the first checkpoint job j waits for.
func (b *builder) pendingOn(j *Job) string {
	for _, ref := range j.Spec.Checkpoints {
		if k, ok := b.checkpointKey(ref); ok && !b.done[k] {
			return k
		}
	}
	if len(j.Spec.Checkpoints) > 0 {
		k, _ := b.checkpointKey(j.Spec.Checkpoints[0])
		return k
	}
	return ""
}

// seed applies j's definite reason r and queues j if it matters.
func (b *builder) seed(j *Job, r Reason) {
	if r.Kind == UpToDate && j.Target && j.missing != "" {
		r = Reason{Kind: MissingOutput, Path: j.missing}
	}
	if r.Kind != UpToDate {
		j.Stale, j.Reason = true, r
		b.work = append(b.work, j)
	} else if j.Target && len(j.Spec.Outputs) == 0 {
		b.work = append(b.work, j)
	}
}

// decideAll decides every job from scratch.
func (b *builder) decideAll() {
	b.work = b.work[:0]
	b.prefetchOutputs(b.g.Jobs)
	b.gatherFacts(b.g.Jobs)
	for _, j := range b.g.Jobs {
		j.Stale, j.Reason = false, Reason{}
		b.seed(j, b.measure(j))
	}
	b.propagate()
	b.firstUpstream(b.g.Jobs)
	b.facts = nil
}

// firstUpstream makes UpstreamChanged name the first input made by a
// stale job, so the reason does not depend on the worklist's order.
func (b *builder) firstUpstream(jobs []*Job) {
	for _, j := range jobs {
		if !j.Stale || j.Reason.Kind != UpstreamChanged {
			continue
		}
		for i := range j.Spec.Inputs {
			if d := b.inputProducer(j, i); d != nil && d.Stale {
				j.Reason.Path = j.Spec.Inputs[i].Path
				break
			}
		}
	}
}

func (b *builder) mark(j *Job, r Reason) {
	j.Stale, j.Reason = true, r
	b.work = append(b.work, j)
	if b.recording {
		b.marked = append(b.marked, j)
	}
}

// propagate runs the worklist; each job is marked stale at most once, so
// the work is linear in edges.
func (b *builder) propagate() {
	for len(b.work) > 0 {
		j := b.work[len(b.work)-1]
		b.work = b.work[:len(b.work)-1]
		if j.Stale {
			for _, d := range j.Dependents {
				if !d.Stale {
					b.mark(d, Reason{Kind: UpstreamChanged, Path: b.madeBy(d, j)})
				}
			}
		}
		b.needInputs(j)
	}
}

// needInputs makes the producers of j's missing inputs stale; j will run
// or was requested.
func (b *builder) needInputs(j *Job) {
	any := false
	for _, d := range j.Deps {
		if !d.Stale && d.missing != "" {
			any = true
			break
		}
	}
	if !any {
		return // the common case: no map lookups
	}
	for i := range j.Spec.Inputs {
		if d := b.inputProducer(j, i); d != nil && !d.Stale && b.inputTime(j, i) == absent {
			b.mark(d, Reason{Kind: MissingOutput, Path: j.Spec.Inputs[i].Path})
		}
	}
	if j.Spec.Pending {
		// The checkpoint's outputs are not inputs yet, but j needs them.
		for _, d := range j.Deps {
			if !d.Stale && d.missing != "" && d.Spec.Rule.Checkpoint {
				b.mark(d, Reason{Kind: MissingOutput, Path: d.missing})
			}
		}
	}
}

// madeBy names an input of d that j makes, for UpstreamChanged.
func (b *builder) madeBy(d, j *Job) string {
	for i := range d.Spec.Inputs {
		if b.inputProducer(d, i) == j {
			return d.Spec.Inputs[i].Path
		}
	}
	if len(j.Spec.Outputs) > 0 {
		return j.Spec.Outputs[0].Path
	}
	return j.Key
}

// applyUntil holds back (Stale=false, Reason kept) every job that is
// neither of an --until rule nor upstream of one. jobs are in topological
// order, so a reverse pass sees dependents first.
func (b *builder) applyUntil(jobs []*Job) {
	if len(b.until) == 0 {
		return
	}
	for i := len(jobs) - 1; i >= 0; i-- {
		j := jobs[i]
		j.inUntil = b.until[j.Spec.Rule.Name]
		for _, d := range j.Dependents {
			if j.inUntil {
				break
			}
			j.inUntil = d.inUntil
		}
		if !j.inUntil {
			j.Stale = false
		}
	}
}

// computePathLens fills PathLen over jobs in topological order.
func computePathLens(jobs []*Job) {
	for i := len(jobs) - 1; i >= 0; i-- {
		j := jobs[i]
		m := 0
		for _, d := range j.Dependents {
			m = max(m, d.PathLen)
		}
		j.PathLen = m + 1
	}
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
// targets, as order makes it.
func (b *builder) renumber() {
	old := b.g.Jobs
	out := make([]*Job, 0, len(old))
	for _, j := range old {
		j.visit = white
	}
	type fr struct {
		j    *Job
		next int
	}
	var st []fr
	for _, root := range append(append([]*Job(nil), b.g.Targets...), old...) {
		if root.visit != white {
			continue
		}
		root.visit = gray
		st = append(st[:0], fr{j: root})
		for len(st) > 0 {
			f := &st[len(st)-1]
			if f.next < len(f.j.Deps) {
				d := f.j.Deps[f.next]
				f.next++
				if d.visit == white {
					d.visit = gray
					st = append(st, fr{j: d})
				}
				continue
			}
			f.j.visit = black
			f.j.ID = len(out)
			out = append(out, f.j)
			st = st[:len(st)-1]
		}
	}
	b.g.Jobs = out
}
