package exec

import (
	"cmp"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/rules"
)

// Options steer Run.
type Options struct {
	// Cores is the number of job slots (-j); 0 means runtime.NumCPU. A job
	// with t threads takes min(t, Cores) slots.
	Cores int
	// CountJobs makes every job take one slot whatever its threads: with
	// a batch system (-j 200 --executor slurm) -j counts jobs submitted or
	// running, whose threads are on the cluster's nodes.
	CountJobs bool
	// Resources caps named resources (--resources mem_mb=1000): the sum of
	// rules.Job.Resources[name] over running jobs never exceeds the cap.
	// A job that asks more than a cap by itself runs with the cap (its
	// Spec.Resources say so), as a job with more threads than Cores runs
	// with Cores; rules.Env.ResourceCaps does the same for the command
	// and warns. Resources without a cap are not limited.
	Resources map[string]int64
	// KeepGoing (-k) runs every job that does not depend on a failed one;
	// without it no job starts after the first failure.
	KeepGoing bool
	// Dir is the working directory jobs run in and relative outputs are
	// resolved against.
	Dir string
	// Status hears of starts, ends and the final summary; nil is silent.
	Status Status
	// SpecFor turns a job into what the executor runs; nil means
	// NewSpec(j, Dir). Run sets Spec.Kill itself.
	SpecFor func(j *dag.Job) Spec
	Hooks   Hooks
	// LatencyWait is how long a successful job's missing outputs are
	// waited for (slow shared filesystems) before it fails.
	LatencyWait time.Duration
	// Grace is how long cancelled jobs get between SIGTERM and SIGKILL;
	// 0 means 5s.
	Grace time.Duration
	// Kill, when closed, kills running jobs at once (a second Ctrl-C),
	// cancelling the run if ctx was not cancelled yet.
	Kill <-chan struct{}
	// FIFO starts ready jobs in the order they became ready, ignoring
	// priority and PathLen, and without backfilling: the naive order,
	// a baseline for benchmarks of the critical-path order.
	FIFO bool
}

// Hooks let the metadata store follow jobs. BeforeStart and AfterFinish
// are called on the job's own goroutine (for a Pretender, on Run's), so
// they must be safe for concurrent use (and the store can then group the
// commits of jobs ending together), at most once per job: BeforeStart
// before the first attempt (an error fails the job without running it),
// AfterFinish with the final result of every job BeforeStart let
// through, after outputs were checked, touched and protected (or
// deleted, on failure), before the scheduler hears of it.
//
// Prepare and Unprepare let the store batch its start records. Prepare,
// when set, is called with a job about to start and up to PrepareAhead-1
// queued jobs likeliest to start after it, none of which it had before,
// on the first job's goroutine; none of them starts (nor gets
// BeforeStart) before it returned. It is only ahead of time: each job
// still gets BeforeStart when it starts. Unprepare is called once, when
// the run is over, with the jobs Prepare had that never started (a
// failure or an interrupt stopped the run first), on Run's goroutine.
// Neither is called for a Pretender.
type Hooks struct {
	BeforeStart func(j *dag.Job, spec Spec) error
	AfterFinish func(j *dag.Job, spec Spec, r Result)
	Prepare     func(jobs []*dag.Job)
	Unprepare   func(jobs []*dag.Job)
}

// PrepareAhead bounds the jobs of one Hooks.Prepare call: with trivial
// jobs, 32 starts share one commit of their start records, and a run that
// stops early takes back at most 31 of them.
const PrepareAhead = 32

// batch is one Prepare call, shared by the jobs it had.
type batch struct {
	jobs []*dag.Job
	done chan struct{} // closed once Prepare returned
}

// Pretender is an Executor that only pretends to run jobs: DryRun (-n)
// and Touch (--touch), as Ninja's dry-run command runner. Run drives it
// like any executor, in dependency order, with the same Hooks and
// Status, but leaves the files alone: no output is removed, checked,
// touched or protected and no temp() file deleted, for nothing ran to
// make or need them. It calls Pretend inline, on the scheduler's
// goroutine, one job at a time and without retries, in the order the
// jobs became ready rather than by priority: a pretended job takes
// microseconds, so a goroutine, a channel send and heap ordering per job
// would be most of the cost of a 100,000-job dry run. A plan made with
// dag.NewPretendPlan keeps checkpoints from resolving anything.
type Pretender interface {
	Executor
	// Pretend stands in for Run. It is handed the job as well as its
	// spec, since what it does (list the job with its reason, touch its
	// outputs past its inputs) is about the job, not about a command.
	Pretend(ctx context.Context, j *dag.Job, spec Spec) Result
}

// Failure is one failed job.
type Failure struct {
	Job    *dag.Job
	Result Result
	Spec   Spec
}

// Summary is what a run did.
type Summary struct {
	Total    int // jobs the plan held, checkpoint additions included
	Done     int // finished successfully
	Failed   int // failed, len(Failures)
	Skipped  int // never started: a dependency failed, or the run stopped first
	Failures []Failure
	// Interrupted is set when ctx was cancelled (or Kill closed); Stopped
	// are the jobs that were running then and did not finish: their
	// outputs were deleted.
	Interrupted bool
	Stopped     []*dag.Job
	Elapsed     time.Duration
}

// ErrFailed is returned (wrapped) by Run when some job failed.
var ErrFailed = errors.New("some jobs failed")

// DefaultGrace is the time cancelled jobs get before SIGKILL.
const DefaultGrace = 5 * time.Second

// When the best ready job does not fit the free slots or resources,
// smaller jobs may start ahead of it (backfilling), so capacity does not
// idle. At most backfillScan queued jobs are looked at, in priority
// order, which keeps dispatch O(log n) per job; and after
// bypassPerCore*Cores jobs went ahead of the same blocked job nothing else
// starts until it fits, so a big job is delayed but never starved.
const (
	backfillScan  = 64
	bypassPerCore = 4
)

// Run executes the plan with ex: one goroutine (the caller's) runs Ninja's
// loop, starting the best ready jobs while slots and resources allow and
// otherwise waiting for one result, which it reports to the plan. It
// returns when nothing more can run. The error is ctx.Err() (or
// context.Canceled after Kill) when interrupted, an error wrapping
// ErrFailed when jobs failed, or the plan's error when resolving after a
// checkpoint failed.
func Run(ctx context.Context, plan *dag.Plan, ex Executor, opts Options) (Summary, error) {
	s := newScheduler(ctx, plan, ex, opts)
	defer s.killNow() // ends the grace timer's goroutine
	defer s.cancel()
	return s.run()
}

type scheduler struct {
	ctx      context.Context // the caller's
	jobCtx   context.Context // cancelled on ctx or Kill
	cancel   context.CancelFunc
	kill     chan struct{} // closed when running jobs must die now
	killOnce sync.Once
	plan     *dag.Plan
	ex       Executor
	pretend  Pretender // ex, when it only pretends: called inline
	opts     Options

	queue     jobHeap
	fifo      []*dag.Job // a Pretender's ready jobs, instead of queue
	results   chan finished
	running   int
	slots     int // in use
	used      map[string]int64
	blocked   *dag.Job // the best queued job, when it did not fit
	bypassed  int      // jobs started ahead of blocked
	maxBypass int

	started  int
	stopping bool // no new starts: a failure without KeepGoing, an error, or cancel
	err      error
	sum      Summary
	temps    map[*dag.Job]*tempState // producers with temp outputs being consumed
	prepared map[*dag.Job]*batch     // given to Hooks.Prepare, not started yet
}

type finished struct {
	job  *dag.Job
	spec Spec
	res  Result
}

func newScheduler(ctx context.Context, plan *dag.Plan, ex Executor, opts Options) *scheduler {
	if opts.Cores <= 0 {
		opts.Cores = runtime.NumCPU()
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.SpecFor == nil {
		dir := opts.Dir
		opts.SpecFor = func(j *dag.Job) Spec { return NewSpec(j, dir) }
	}
	if opts.Status == nil {
		opts.Status = nopStatus{}
	}
	jobCtx, cancel := context.WithCancel(ctx)
	pretend, _ := ex.(Pretender)
	return &scheduler{
		ctx:       ctx,
		jobCtx:    jobCtx,
		cancel:    cancel,
		kill:      make(chan struct{}),
		plan:      plan,
		ex:        ex,
		pretend:   pretend,
		opts:      opts,
		results:   make(chan finished, opts.Cores),
		used:      map[string]int64{},
		maxBypass: bypassPerCore * opts.Cores,
		temps:     map[*dag.Job]*tempState{},
		prepared:  map[*dag.Job]*batch{},
	}
}

func (s *scheduler) run() (Summary, error) {
	begin := time.Now()
	cancelled, kill := s.jobCtx.Done(), s.opts.Kill
	s.admit(s.plan.Ready())
	for {
		if !s.stopping {
			s.dispatch()
		}
		if s.running == 0 {
			if !s.stopping && s.plan.More() && s.queue.Len()+len(s.fifo) == 0 {
				// The plan holds jobs none of which can ever become ready.
				s.err = fmt.Errorf("internal error: %d jobs left but none ready", s.plan.Total()-s.sum.Done-s.sum.Failed)
			}
			break
		}
		select {
		case f := <-s.results:
			s.reap(f)
		case <-cancelled:
			cancelled = nil // closed channels stay ready: listen once
			s.interrupt()
		case <-kill:
			kill = nil
			s.interrupt()
			s.killNow()
		}
	}
	// An interrupt that came while the last jobs ended still counts,
	// unless nothing was left to do.
	if s.jobCtx.Err() != nil && !s.sum.Interrupted && s.plan.More() {
		s.interrupt()
	}
	s.unprepare()
	s.sum.Total = s.plan.Total()
	s.sum.Failed = len(s.sum.Failures)
	s.sum.Skipped = s.sum.Total - s.sum.Done - s.sum.Failed - len(s.sum.Stopped)
	s.sum.Elapsed = time.Since(begin)
	s.opts.Status.Done(s.sum)
	switch {
	case s.sum.Interrupted:
		if err := s.ctx.Err(); err != nil {
			return s.sum, err
		}
		return s.sum, context.Canceled
	case s.err != nil:
		return s.sum, s.err
	case s.sum.Failed > 0:
		return s.sum, fmt.Errorf("%d of %d steps failed: %w", s.sum.Failed, s.sum.Total, ErrFailed)
	}
	return s.sum, nil
}

// interrupt stops new starts and starts the grace period after which
// running jobs are killed. It runs once.
func (s *scheduler) interrupt() {
	if s.sum.Interrupted {
		return
	}
	s.sum.Interrupted = true
	s.stopping = true
	s.cancel()
	grace, kill, killed := s.opts.Grace, s.opts.Kill, s.kill
	go func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
		case <-kill:
		case <-killed: // killNow already closed it
			return
		}
		s.killNow()
	}()
}

// killNow closes the kill channel, once; safe from any goroutine.
func (s *scheduler) killNow() { s.killOnce.Do(func() { close(s.kill) }) }

// admit queues newly ready jobs.
func (s *scheduler) admit(jobs []*dag.Job) {
	if s.pretend != nil || s.opts.FIFO {
		s.fifo = append(s.fifo, jobs...)
		return
	}
	for _, j := range jobs {
		heap.Push(&s.queue, j)
	}
}

// need is how much of a capped resource j takes: what it asks, at most
// the cap, so that no job waits forever for more than there is.
func (s *scheduler) need(j *dag.Job, name string, limit int64) int64 {
	if j.Spec == nil {
		return 0
	}
	return min(j.Spec.Resources[name], limit)
}

// capResources clamps spec's resources to the caps, copying the map
// (it is the job's own) only when something is over.
func (s *scheduler) capResources(spec *Spec) {
	var capped map[string]int64
	for name, limit := range s.opts.Resources {
		if n, ok := spec.Resources[name]; ok && n > limit {
			if capped == nil {
				capped = maps.Clone(spec.Resources)
			}
			capped[name] = limit
		}
	}
	if capped != nil {
		spec.Resources = capped
	}
}

func (s *scheduler) slotsFor(j *dag.Job) int {
	if s.opts.CountJobs {
		return 1
	}
	t := 1
	if j.Spec != nil && j.Spec.Threads > 1 {
		t = j.Spec.Threads
	}
	return min(t, s.opts.Cores)
}

func (s *scheduler) fits(j *dag.Job) bool {
	if s.slots+s.slotsFor(j) > s.opts.Cores {
		return false
	}
	if j.Spec == nil {
		return true
	}
	for name, limit := range s.opts.Resources {
		if s.used[name]+s.need(j, name, limit) > limit {
			return false
		}
	}
	return true
}

// dispatch starts queued jobs while they fit. The best job starts when it
// fits; otherwise up to backfillScan others are tried in priority order
// (a best-first walk of the heap), until maxBypass jobs went ahead of the
// best one: then running jobs drain until it fits.
func (s *scheduler) dispatch() {
	if s.pretend != nil {
		s.dispatchPretend()
		return
	}
	if s.opts.FIFO {
		s.dispatchFIFO()
		return
	}
	for s.queue.Len() > 0 && s.slots < s.opts.Cores && !s.stopping && s.jobCtx.Err() == nil {
		best := s.queue[0]
		if s.fits(best) {
			s.start(heap.Pop(&s.queue).(*dag.Job))
			continue
		}
		if best != s.blocked {
			s.blocked, s.bypassed = best, 0
		}
		if s.bypassed >= s.maxBypass {
			return
		}
		i := s.queue.firstFitting(backfillScan, s.fits)
		if i < 0 {
			return
		}
		s.bypassed++
		s.start(heap.Remove(&s.queue, i).(*dag.Job))
	}
}

// dispatchPretend starts a Pretender's ready jobs, each ending inline, in
// the order they became ready: with nothing really running, the order
// among ready jobs decides nothing, and a FIFO costs O(1) a job where the
// heap's comparisons would be most of a 100,000-job dry run.
func (s *scheduler) dispatchPretend() {
	for len(s.fifo) > 0 && !s.stopping && s.jobCtx.Err() == nil {
		j := s.fifo[0]
		s.fifo[0] = nil
		s.fifo = s.fifo[1:]
		s.start(j)
	}
}

// dispatchFIFO starts the oldest ready jobs while they fit (Options.FIFO).
func (s *scheduler) dispatchFIFO() {
	for len(s.fifo) > 0 && s.slots < s.opts.Cores && !s.stopping && s.jobCtx.Err() == nil && s.fits(s.fifo[0]) {
		j := s.fifo[0]
		s.fifo[0] = nil
		s.fifo = s.fifo[1:]
		s.start(j)
	}
}

func (s *scheduler) start(j *dag.Job) {
	spec := s.opts.SpecFor(j)
	spec.Kill = s.kill
	s.capResources(&spec)
	s.running++
	n := s.slotsFor(j)
	s.slots += n
	for name, limit := range s.opts.Resources {
		s.used[name] += s.need(j, name, limit)
	}
	s.started++
	s.opts.Status.Started(j, spec, s.started, s.plan.Total())
	if s.pretend != nil {
		s.reap(s.pretendJob(j, spec))
		return
	}
	go s.runJob(j, spec, s.prepare(j))
}

// prepare returns j's batch for Hooks.Prepare, making one of j and the
// queued jobs likeliest to start next when j has none; nil without the
// hook.
func (s *scheduler) prepare(j *dag.Job) *batch {
	if s.opts.Hooks.Prepare == nil {
		return nil
	}
	if b := s.prepared[j]; b != nil {
		delete(s.prepared, j)
		return b
	}
	b := &batch{jobs: []*dag.Job{j}, done: make(chan struct{})}
	add := func(q *dag.Job) bool {
		if s.prepared[q] == nil {
			b.jobs = append(b.jobs, q)
			s.prepared[q] = b
		}
		return len(b.jobs) < PrepareAhead
	}
	if s.opts.FIFO {
		for _, q := range s.fifo {
			if !add(q) {
				break
			}
		}
	} else {
		s.queue.walk(2*PrepareAhead, add)
	}
	return b
}

// unprepare gives Hooks.Unprepare the prepared jobs that never started.
func (s *scheduler) unprepare() {
	if len(s.prepared) == 0 || s.opts.Hooks.Unprepare == nil {
		return
	}
	jobs := make([]*dag.Job, 0, len(s.prepared))
	for j := range s.prepared {
		jobs = append(jobs, j)
	}
	slices.SortFunc(jobs, func(a, b *dag.Job) int { return cmp.Compare(a.ID, b.ID) })
	s.opts.Hooks.Unprepare(jobs)
}

// pretendJob is runJob for a Pretender, on the scheduler's goroutine: the
// hooks and Pretend, and nothing done to the job's files.
func (s *scheduler) pretendJob(j *dag.Job, spec Spec) (f finished) {
	f = finished{job: j, spec: spec}
	defer func() {
		if p := recover(); p != nil {
			now := time.Now()
			err := fmt.Errorf("internal error: %v; this is a bug in flowmake, please report it at %s", p, rules.BugReports)
			f.res = Result{ExitCode: -1, Err: err, Start: now, End: now}
		}
	}()
	if h := s.opts.Hooks.BeforeStart; h != nil {
		if err := h(j, spec); err != nil {
			now := time.Now()
			f.res = Result{ExitCode: -1, Err: err, Start: now, End: now}
			return f
		}
	}
	f.res = s.pretend.Pretend(s.jobCtx, j, spec)
	f.res.Attempts = 1
	if h := s.opts.Hooks.AfterFinish; h != nil {
		h(j, spec, f.res)
	}
	return f
}

// runJob runs one job with its retries and settles its outputs; it is
// the only code besides Run's loop that touches the job's files.
func (s *scheduler) runJob(j *dag.Job, spec Spec, b *batch) {
	// A panic here would end the process with a goroutine dump, past the
	// top level's recover: it fails this job instead, so the run ends
	// cleanly and says where to report it.
	defer func() {
		if p := recover(); p != nil {
			removeOutputs(j, spec.Dir)
			now := time.Now()
			err := fmt.Errorf("internal error: %v; this is a bug in flowmake, please report it at %s", p, rules.BugReports)
			s.results <- finished{job: j, spec: spec, res: Result{ExitCode: -1, Err: err, Start: now, End: now}}
		}
	}()
	if b != nil {
		if b.jobs[0] == j {
			func() {
				defer close(b.done) // even when Prepare panics
				s.opts.Hooks.Prepare(b.jobs)
			}()
		} else {
			<-b.done
		}
	}
	if h := s.opts.Hooks.BeforeStart; h != nil {
		if err := h(j, spec); err != nil {
			now := time.Now()
			s.results <- finished{job: j, spec: spec, res: Result{ExitCode: -1, Err: err, Start: now, End: now}}
			return
		}
	}
	// A job starts from nothing, as in Snakemake: what an earlier run
	// left in a directory() output, or a stale file the command would
	// only append to, must not survive into the new outputs.
	removeOutputs(j, spec.Dir)
	tries := 1
	if j.Spec != nil && j.Spec.Retries > 0 {
		tries += j.Spec.Retries
	}
	var r Result
	var first time.Time
	for a := 1; ; a++ {
		r = s.ex.Run(s.jobCtx, spec)
		if a == 1 {
			first = r.Start
		}
		if r.OK() {
			latency := s.opts.LatencyWait
			if s.jobCtx.Err() != nil {
				latency = 0 // shutting down: do not linger
			}
			if err := settleOutputs(s.jobCtx, j, spec.Dir, latency); err != nil {
				r.Err = err
			}
		}
		r.Attempts = a
		if !r.OK() {
			removeOutputs(j, spec.Dir)
		}
		if r.OK() || a >= tries || s.jobCtx.Err() != nil {
			break
		}
	}
	if !first.IsZero() {
		r.Start = first
	}
	if h := s.opts.Hooks.AfterFinish; h != nil {
		h(j, spec, r)
	}
	s.results <- finished{job: j, spec: spec, res: r}
}

// reap handles one ended job on the scheduler goroutine.
func (s *scheduler) reap(f finished) {
	j, r := f.job, f.res
	s.running--
	s.slots -= s.slotsFor(j)
	for name, limit := range s.opts.Resources {
		s.used[name] -= s.need(j, name, limit)
	}
	switch {
	case r.OK():
		s.sum.Done++
		s.opts.Status.Finished(j, f.spec, r)
		s.afterDone(j, true)
	case s.jobCtx.Err() != nil:
		// Ended by the interrupt (or failed while it began): not the
		// job's fault, and its outputs are gone already.
		s.sum.Stopped = append(s.sum.Stopped, j)
		s.opts.Status.Finished(j, f.spec, r)
	default:
		s.fail(j, f.spec, r)
		s.afterDone(j, false)
	}
}

func (s *scheduler) fail(j *dag.Job, spec Spec, r Result) {
	s.sum.Failures = append(s.sum.Failures, Failure{Job: j, Result: r, Spec: spec})
	s.opts.Status.Finished(j, spec, r)
	if !s.opts.KeepGoing {
		s.stopping = true
	}
}

// afterDone tells the plan and queues what became ready.
func (s *scheduler) afterDone(j *dag.Job, ok bool) {
	more, err := s.plan.Done(j, ok)
	if err != nil && s.err == nil {
		s.err = fmt.Errorf("after %s: %w", j, err)
		s.stopping = true
	}
	if ok && s.pretend == nil {
		s.releaseTemps(j)
	}
	s.admit(more)
}

// jobHeap orders ready jobs: higher priority first, then the longer path
// to a target (critical path: dag.Job.PathLen, weighted by the rules' mean
// durations when the CLI had a run history), then the lower ID, so runs
// are repeatable.
type jobHeap []*dag.Job

func (h jobHeap) Len() int { return len(h) }
func (h jobHeap) Less(a, b int) bool {
	x, y := h[a], h[b]
	px, py := priority(x), priority(y)
	if px != py {
		return px > py
	}
	if x.PathLen != y.PathLen {
		return x.PathLen > y.PathLen
	}
	return x.ID < y.ID
}
func (h jobHeap) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *jobHeap) Push(x any)   { *h = append(*h, x.(*dag.Job)) }
func (h *jobHeap) Pop() any {
	old := *h
	j := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return j
}

func priority(j *dag.Job) int {
	if j.Spec == nil {
		return 0
	}
	return j.Spec.Priority
}

// firstFitting returns the heap index of the best job, among the first
// limit in priority order, for which ok holds; -1 if none. It walks the
// heap best-first with a small frontier heap of indices, so it looks at
// jobs in the order Pop would return them without popping anything.
func (h jobHeap) firstFitting(limit int, ok func(*dag.Job) bool) int {
	if len(h) == 0 {
		return -1
	}
	f := frontier{h: h, idx: []int{0}}
	for seen := 0; len(f.idx) > 0 && seen < limit; seen++ {
		i := heap.Pop(&f).(int)
		if ok(h[i]) {
			return i
		}
		for _, c := range []int{2*i + 1, 2*i + 2} {
			if c < len(h) {
				heap.Push(&f, c)
			}
		}
	}
	return -1
}

// walk calls fn with up to limit jobs in priority order, as Pop would
// return them, until fn returns false; like firstFitting it pops nothing.
func (h jobHeap) walk(limit int, fn func(*dag.Job) bool) {
	if len(h) == 0 {
		return
	}
	f := frontier{h: h, idx: []int{0}}
	for seen := 0; len(f.idx) > 0 && seen < limit; seen++ {
		i := heap.Pop(&f).(int)
		if !fn(h[i]) {
			return
		}
		for _, c := range []int{2*i + 1, 2*i + 2} {
			if c < len(h) {
				heap.Push(&f, c)
			}
		}
	}
}

// frontier is a heap of indices into a jobHeap, ordered like it.
type frontier struct {
	h   jobHeap
	idx []int
}

func (f *frontier) Len() int           { return len(f.idx) }
func (f *frontier) Less(a, b int) bool { return f.h.Less(f.idx[a], f.idx[b]) }
func (f *frontier) Swap(a, b int)      { f.idx[a], f.idx[b] = f.idx[b], f.idx[a] }
func (f *frontier) Push(x any)         { f.idx = append(f.idx, x.(int)) }
func (f *frontier) Pop() any {
	i := f.idx[len(f.idx)-1]
	f.idx = f.idx[:len(f.idx)-1]
	return i
}
