package dag

import (
	"math"
	"path"
	"slices"
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
//     what the file was made from. A directory() output's time is when its
//     job last finished, as the Checker recorded it (FinishTimes), not the
//     directory's mtime, which a file dropped into it changes. A job is
//     definitely stale when it waits for a checkpoint, is forced, has no
//     outputs and either no inputs or a command (Snakemake runs such jobs
//     every time; an "all" without a command runs only for its inputs), or
//     its outputs all exist and an input is newer (Checker refining that).
//  2. seed: definite jobs, and targets with a missing output, are stale.
//  3. propagate with a worklist: a stale job makes its dependents stale
//     (UpstreamChanged), except a dependent that takes all the job's files
//     it uses as existing ancient() inputs, and a stale job — or a
//     requested job without outputs, like "all", whose inputs are what
//     was requested — makes the producers of its missing inputs stale
//     (MissingOutput). A missing intermediate that only up-to-date jobs
//     consume thus stays missing.
//
// What the passes know of each job between them (jobFacts) is the
// builder's, kept by Job.ID, so the Job stays plain data.

// FinishTimes is what a Checker may also offer: when the job that made an
// output last finished, as the metadata store recorded it. Build asks it
// for the directory() outputs that exist and judges them by that time. A
// Checker without it, or an output without a record, leaves the
// directory's own mtime.
type FinishTimes interface {
	FinishTime(output string) (time.Time, bool)
}

// jobFacts are what staleness knows of one job between its passes.
type jobFacts struct {
	job     *Job   // the job the slot is for: IDs change when the graph is renumbered
	missing string // first missing output; "" when all exist
	effOut  int64  // newest input time: the time a missing output stands for
	inUntil bool   // --until: may run
	// ancientOnly holds the deps whose files the job takes only as
	// existing ancient() inputs: their running does not make it stale.
	// nil for a job without ancient inputs, the usual case.
	ancientOnly map[*Job]bool
}

// staleState is the builder's staleness memory, by Job.ID.
type staleState struct {
	jf []jobFacts

	// What the command line asked for (see requestedMissing), made on
	// first use.
	asked      bool
	askedFiles map[string]bool // cleaned file targets
	askedRules map[string]bool // rule-name targets (the first rule by default)
}

// fact is j's slot. The fast path is an index and a compare; newFact makes
// the slot of a job the passes have not seen.
func (b *builder) fact(j *Job) *jobFacts {
	if id := j.ID; id >= 0 && id < len(b.jf) && b.jf[id].job == j {
		return &b.jf[id]
	}
	return b.newFact(j)
}

// newFact makes j's slot: the first time, or for a job appended after a
// checkpoint (the slice grows), or after the graph was renumbered (every
// slot moves to its job's new ID first). Callers do not keep the pointer
// across another fact call, which may move the slots.
func (b *builder) newFact(j *Job) *jobFacts {
	inGraph := func(j *Job) bool { return j.ID >= 0 && j.ID < len(b.g.Jobs) && b.g.Jobs[j.ID] == j }
	if !inGraph(j) {
		return &jobFacts{job: j} // not in the graph: nothing to remember
	}
	if j.ID < len(b.jf) && b.jf[j.ID].job != nil {
		old := b.jf
		b.jf = make([]jobFacts, len(b.g.Jobs))
		for _, f := range old {
			if f.job != nil && inGraph(f.job) {
				b.jf[f.job.ID] = f
			}
		}
	} else if len(b.jf) < len(b.g.Jobs) {
		b.jf = append(b.jf, make([]jobFacts, len(b.g.Jobs)-len(b.jf))...)
	}
	f := &b.jf[j.ID]
	if f.job != j {
		*f = jobFacts{job: j}
	}
	return f
}

// missingOutput is j's first missing output as last measured.
func (b *builder) missingOutput(j *Job) string { return b.fact(j).missing }

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
	if o, ok := st.(osStat); ok {
		if t, ok := o.mtime(p); ok {
			return t
		}
	}
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
			return b.fact(d).effOut
		}
	}
	return t
}

// measure fills j's facts and returns its definite reason (zero when only
// missing outputs or upstream jobs could make it stale). Deps must be
// measured first.
func (b *builder) measure(j *Job) Reason {
	spec := j.Spec
	missing := ""
	oldest := int64(math.MaxInt64)
	for i := range spec.Outputs {
		p := spec.Outputs[i].Path
		t := b.mtime(p)
		if t == absent {
			if missing == "" {
				missing = p
			}
			continue
		}
		oldest = min(oldest, t)
	}
	newest, newestPath := int64(absent), ""
	ancient := false
	for i := range spec.Inputs {
		in := &spec.Inputs[i]
		if in.Flags&rules.Ancient != 0 {
			ancient = true
			continue
		}
		if t := b.effTime(j, i); t > newest {
			newest, newestPath = t, in.Path
		}
	}
	var only map[*Job]bool
	if ancient {
		only = b.ancientOnly(j)
	}
	f := b.fact(j)
	f.missing, f.effOut, f.ancientOnly = missing, newest, only

	switch {
	case spec.Pending:
		return Reason{Kind: PendingCheckpoint, Path: b.pendingOn(j)}
	case b.opts.ForceAll || b.force[spec.Rule.Name]:
		return Reason{Kind: Forced}
	case len(spec.Outputs) == 0:
		// As in Snakemake: a command with no output to judge it by runs
		// every time; an input-only rule without one ("all") only
		// gathers its inputs.
		if len(spec.Inputs) == 0 || spec.Shell != "" || spec.Script != "" {
			return Reason{Kind: NoOutputs}
		}
		return Reason{}
	case oldest == math.MaxInt64:
		return Reason{} // every output missing: a matter for seed and needInputs
	}
	// Some outputs may be missing (one deleted by hand): as in Snakemake,
	// the ones that exist are still compared with the inputs.
	var byTime Reason
	if newest > oldest {
		byTime = Reason{Kind: InputNewer, Path: newestPath}
	}
	if b.opts.Checker != nil {
		return b.opts.Checker.Check(j, byTime)
	}
	return byTime
}

// ancientOnly returns the producers of j's inputs that j takes only as
// existing ancient() inputs (Snakemake: "all files are ancient", which
// must exist), or nil.
func (b *builder) ancientOnly(j *Job) map[*Job]bool {
	var anc, plain map[*Job]bool
	for i := range j.Spec.Inputs {
		d := b.inputProducer(j, i)
		if d == nil {
			continue
		}
		if b.ancientEdge(j, i) {
			if anc == nil {
				anc = map[*Job]bool{}
			}
			anc[d] = true
		} else {
			if plain == nil {
				plain = map[*Job]bool{}
			}
			plain[d] = true
		}
	}
	for d := range plain {
		delete(anc, d)
	}
	if len(anc) == 0 {
		return nil
	}
	return anc
}

// ancientEdge reports whether input i of j is an existing ancient() file.
func (b *builder) ancientEdge(j *Job, i int) bool {
	return j.Spec.Inputs[i].Flags&rules.Ancient != 0 && b.inputTime(j, i) != absent
}

// dirTimes sets the stat cache's time of every existing directory()
// output of jobs to when its job last finished, where the Checker knows
// (FinishTimes). It runs before any pass reads the cache.
func (b *builder) dirTimes(jobs []*Job) {
	if !b.dirOutputs {
		return
	}
	ft, ok := b.opts.Checker.(FinishTimes)
	if !ok {
		return
	}
	for _, j := range jobs {
		for _, o := range j.Spec.Outputs {
			if o.Flags&rules.Directory == 0 || b.mtime(o.Path) == absent {
				continue
			}
			if at, ok := ft.FinishTime(o.Path); ok {
				b.times[o.Path] = unixNano(at)
			}
		}
	}
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
	if r.Kind == UpToDate && j.Target {
		if m := b.requestedMissing(j); m != "" {
			r = Reason{Kind: MissingOutput, Path: m}
		}
	}
	if r.Kind != UpToDate {
		j.Stale, j.Reason = true, r
		b.work = append(b.work, j)
	} else if j.Target && len(j.Spec.Outputs) == 0 {
		b.work = append(b.work, j)
	}
}

// requestedMissing is the first missing output of target job j that was
// asked for, "" when none is. As in Snakemake, a job asked for by its
// rule's name wants all its outputs, but a job asked for by a file wants
// that file: its other outputs count only when a job needs them, so
// asking for an up-to-date res/s.stats does not remake a deleted res/s.aln.
func (b *builder) requestedMissing(j *Job) string {
	m := b.missingOutput(j)
	if m == "" {
		return ""
	}
	b.readTargets()
	if b.askedRules[j.Spec.Rule.Name] {
		return m
	}
	for _, o := range j.Spec.Outputs {
		if b.askedFiles[o.Path] && b.mtime(o.Path) == absent {
			return o.Path
		}
	}
	return ""
}

// readTargets splits Options.Targets as Build reads them: a rule's name,
// else a file path.
func (b *builder) readTargets() {
	if b.asked {
		return
	}
	b.asked = true
	b.askedFiles, b.askedRules = map[string]bool{}, map[string]bool{}
	if len(b.opts.Targets) == 0 && len(b.wf.Rules) > 0 {
		b.askedRules[b.wf.Rules[0].Name] = true
	}
	for _, t := range b.opts.Targets {
		if b.wf.ByName[t] != nil {
			b.askedRules[t] = true
			continue
		}
		b.askedFiles[path.Clean(t)] = true
	}
}

// decideAll decides every job from scratch.
func (b *builder) decideAll() {
	b.work = b.work[:0]
	b.jf = slices.Grow(b.jf[:0], len(b.g.Jobs))[:len(b.g.Jobs)]
	clear(b.jf)
	b.prefetchOutputs(b.g.Jobs)
	b.dirTimes(b.g.Jobs)
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
			if d := b.inputProducer(j, i); d != nil && d.Stale && !b.ancientEdge(j, i) {
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
				if !d.Stale && !b.fact(d).ancientOnly[j] {
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
		if !d.Stale && b.missingOutput(d) != "" {
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
			if m := b.missingOutput(d); !d.Stale && m != "" && d.Spec.Rule.Checkpoint {
				b.mark(d, Reason{Kind: MissingOutput, Path: m})
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
		b.untilOne(jobs[i])
	}
}

// untilOne decides --until for one job whose dependents are decided.
func (b *builder) untilOne(j *Job) {
	in := b.until[j.Spec.Rule.Name]
	for _, d := range j.Dependents {
		if in {
			break
		}
		in = b.fact(d).inUntil
	}
	b.fact(j).inUntil = in
	if !in {
		j.Stale = false
	}
}
