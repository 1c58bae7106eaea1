package exec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/rules"
)

// graph builds dag.Graph values by hand: jobs are added in topological
// order, named after their rule, one job per rule.
type graph struct{ g dag.Graph }

func (b *graph) job(name string, deps ...*dag.Job) *dag.Job {
	j := &dag.Job{
		ID:    len(b.g.Jobs),
		Key:   name,
		Spec:  &rules.Job{Rule: &rules.Rule{Name: name}, Threads: 1},
		Deps:  deps,
		Stale: true,
	}
	for _, d := range deps {
		d.Dependents = append(d.Dependents, j)
	}
	b.g.Jobs = append(b.g.Jobs, j)
	return j
}

// plan fills PathLen the way dag does (longest path to a sink, counting
// the job) and makes a plan.
func (b *graph) plan() *dag.Plan {
	for i := len(b.g.Jobs) - 1; i >= 0; i-- {
		j := b.g.Jobs[i]
		j.PathLen = 1
		for _, d := range j.Dependents {
			j.PathLen = max(j.PathLen, d.PathLen+1)
		}
	}
	return dag.NewPlan(&b.g, nil)
}

// events records what Status hears, in order.
type events struct {
	mu  sync.Mutex
	log []string
	sum Summary
}

func (e *events) Started(j *dag.Job, _ Spec, n, total int) { e.add("start " + j.Key) }
func (e *events) Finished(j *dag.Job, _ Spec, r Result) {
	if r.OK() {
		e.add("ok " + j.Key)
	} else {
		e.add("fail " + j.Key)
	}
}
func (e *events) Done(s Summary) { e.sum = s }
func (e *events) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.log = append(e.log, s)
}
func (e *events) index(s string) int { return slices.Index(e.log, s) }

func failNames(names ...string) func(Spec, int) Result {
	return func(s Spec, _ int) Result {
		if slices.Contains(names, s.Name) {
			return Result{ExitCode: 1}
		}
		return Result{}
	}
}

func delay(d time.Duration) func(Spec) time.Duration {
	return func(Spec) time.Duration { return d }
}

func run(t *testing.T, p *dag.Plan, ex Executor, opts Options) (Summary, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Run(ctx, p, ex, opts)
	if ctx.Err() != nil {
		t.Fatalf("Run hung: %v", ctx.Err())
	}
	return s, err
}

func TestDependencyOrder(t *testing.T) {
	var b graph
	a := b.job("a")
	x := b.job("x", a)
	y := b.job("y", a)
	z := b.job("z", x, y)
	b.job("w", z, a)
	b.job("lone")
	ev := &events{}
	// Varying durations shuffle completions, so order comes from the plan.
	fake := &Fake{Delay: func(s Spec) time.Duration { return time.Duration(len(s.Name)%3) * 3 * time.Millisecond }}
	s, err := run(t, b.plan(), fake, Options{Cores: 4, Status: ev})
	if err != nil {
		t.Fatal(err)
	}
	if s.Done != 6 || s.Total != 6 || s.Failed != 0 || s.Skipped != 0 {
		t.Fatalf("summary %+v", s)
	}
	for _, j := range b.g.Jobs {
		start := ev.index("start " + j.Key)
		if start < 0 {
			t.Fatalf("%s never started: %v", j.Key, ev.log)
		}
		for _, d := range j.Deps {
			if done := ev.index("ok " + d.Key); done < 0 || done > start {
				t.Errorf("%s started before its dependency %s finished: %v", j.Key, d.Key, ev.log)
			}
		}
	}
}

func TestCoresLimit(t *testing.T) {
	for _, cores := range []int{1, 3, 8} {
		t.Run(fmt.Sprint(cores), func(t *testing.T) {
			var b graph
			for i := range 24 {
				b.job(fmt.Sprint("j", i))
			}
			fake := &Fake{Delay: delay(5 * time.Millisecond)}
			if _, err := run(t, b.plan(), fake, Options{Cores: cores}); err != nil {
				t.Fatal(err)
			}
			if got := fake.MaxRunning(); got != cores {
				t.Errorf("max concurrent jobs = %d, want exactly -j %d", got, cores)
			}
		})
	}
}

func TestThreadsTakeSlots(t *testing.T) {
	tests := []struct {
		name    string
		cores   int
		threads []int
		want    int // most jobs at once; 0: at least 2, threads within cores
	}{
		{"more threads than cores run alone", 4, []int{8, 8, 8}, 1},
		{"two-thread jobs pair up", 4, []int{2, 2, 2, 2, 2}, 2},
		{"three-thread jobs do not share four cores", 4, []int{3, 3, 3}, 1},
		{"small jobs fill around a big one", 4, []int{3, 1, 1, 1}, 0}, // 2 or 3, by timing
		{"single threads", 4, []int{1, 1, 1, 1, 1, 1}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b graph
			for i, th := range tt.threads {
				b.job(fmt.Sprint("j", i)).Spec.Threads = th
			}
			fake := &Fake{Delay: delay(10 * time.Millisecond)}
			if _, err := run(t, b.plan(), fake, Options{Cores: tt.cores}); err != nil {
				t.Fatal(err)
			}
			if got := fake.MaxRunning(); tt.want > 0 && got != tt.want || got < 2 && tt.want == 0 {
				t.Errorf("max concurrent jobs = %d, want %d", got, tt.want)
			}
			if got := fake.MaxThreads(); got > tt.cores && tt.want != 1 {
				t.Errorf("%d threads ran at once on %d cores", got, tt.cores)
			}
			if got := len(fake.Calls()); got != len(tt.threads) {
				t.Errorf("%d calls, want %d", got, len(tt.threads))
			}
		})
	}
}

func TestResourcesNeverExceeded(t *testing.T) {
	var b graph
	mems := []int64{60, 40, 30, 100, 10, 10, 50, 70, 20, 90, 10, 10, 10, 10}
	for i, m := range mems {
		j := b.job(fmt.Sprint("j", i))
		j.Spec.Resources = map[string]int64{"mem_mb": m, "uncapped": 1000}
	}
	fake := &Fake{Delay: delay(5 * time.Millisecond)}
	s, err := run(t, b.plan(), fake, Options{Cores: 8, Resources: map[string]int64{"mem_mb": 100}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Done != len(mems) {
		t.Fatalf("done %d of %d", s.Done, len(mems))
	}
	if got := fake.MaxResource("mem_mb"); got > 100 {
		t.Errorf("mem_mb in use reached %d, cap 100", got)
	}
	if fake.MaxRunning() < 2 {
		t.Errorf("jobs never shared the cap (max %d at once)", fake.MaxRunning())
	}
}

func TestBigJobIsNotStarved(t *testing.T) {
	// The best job needs the whole cap; small ones keep it busy. The big
	// one must still run, because backfilling is bounded.
	var b graph
	big := b.job("big")
	big.Spec.Priority = 1
	big.Spec.Resources = map[string]int64{"gpu": 4}
	for i := range 3000 {
		b.job(fmt.Sprint("s", i)).Spec.Resources = map[string]int64{"gpu": 1}
	}
	// One small job holds a GPU first so the big one cannot start at once.
	first := b.job("first")
	first.Spec.Priority = 2
	first.Spec.Resources = map[string]int64{"gpu": 1}
	ev := &events{}
	if _, err := run(t, b.plan(), &Fake{}, Options{Cores: 4, Resources: map[string]int64{"gpu": 4}, Status: ev}); err != nil {
		t.Fatal(err)
	}
	i := ev.index("start big")
	if i < 0 {
		t.Fatal("big job never ran")
	}
	ahead := 0
	for _, e := range ev.log[:i] {
		if strings.HasPrefix(e, "start s") {
			ahead++
		}
	}
	if limit := bypassPerCore*4 + 4; ahead > limit {
		t.Errorf("%d small jobs went ahead of the big one, want at most %d", ahead, limit)
	}
	if ahead == 0 {
		t.Error("no backfilling: small jobs never used the free GPUs")
	}
}

func TestOrderWithOneCore(t *testing.T) {
	var b graph
	lone := b.job("lone") // path 1
	c1 := b.job("c1")
	c2 := b.job("c2", c1)
	b.job("c3", c2) // c1 has the longest path: 3
	urgent := b.job("urgent")
	urgent.Spec.Priority = 10
	tie := b.job("tie") // path 1, higher ID than lone
	_, _ = lone, tie
	fake := &Fake{}
	if _, err := run(t, b.plan(), fake, Options{Cores: 1}); err != nil {
		t.Fatal(err)
	}
	// c3 and lone tie on priority and path length: the lower ID wins.
	want := []string{"urgent", "c1", "c2", "lone", "c3", "tie"}
	if got := fake.Names(); !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestFailureStopsNewStarts(t *testing.T) {
	var b graph
	bad := b.job("bad")
	bad.Spec.Priority = 1 // runs first with -j1
	b.job("after", bad)
	b.job("other1")
	b.job("other2")
	fake := &Fake{Result: failNames("bad")}
	ev := &events{}
	s, err := run(t, b.plan(), fake, Options{Cores: 1, Status: ev})
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("err = %v, want ErrFailed", err)
	}
	if got := fake.Names(); !slices.Equal(got, []string{"bad"}) {
		t.Errorf("ran %v after the failure", got)
	}
	if s.Done != 0 || s.Failed != 1 || s.Skipped != 3 || s.Total != 4 {
		t.Errorf("summary %+v", s)
	}
	if len(s.Failures) != 1 || s.Failures[0].Job != bad || s.Failures[0].Result.ExitCode != 1 || s.Failures[0].Spec.Name != "bad" {
		t.Errorf("failures %+v", s.Failures)
	}
	if ev.sum.Failed != 1 {
		t.Errorf("status got summary %+v", ev.sum)
	}
}

func TestFailureWaitsForRunningJobs(t *testing.T) {
	var b graph
	b.job("bad")
	slow := b.job("slow")
	b.job("next", slow)
	fake := &Fake{
		Result: failNames("bad"),
		Delay: func(s Spec) time.Duration {
			if s.Name == "slow" {
				return 50 * time.Millisecond
			}
			return 0
		},
	}
	s, err := run(t, b.plan(), fake, Options{Cores: 2})
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("err = %v", err)
	}
	// slow was running at the failure: it finishes and counts; next does not start.
	if s.Done != 1 || s.Failed != 1 || s.Skipped != 1 {
		t.Errorf("summary %+v, calls %v", s, fake.Names())
	}
}

func TestKeepGoing(t *testing.T) {
	var b graph
	bad := b.job("bad")
	bad.Spec.Priority = 1
	mid := b.job("mid", bad)
	b.job("end", mid)
	ok1 := b.job("ok1")
	b.job("ok2", ok1)
	b.job("join", ok1, bad) // depends on the failure too: skipped
	fake := &Fake{Result: failNames("bad")}
	s, err := run(t, b.plan(), fake, Options{Cores: 1, KeepGoing: true})
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("err = %v", err)
	}
	got := fake.Names()
	slices.Sort(got)
	if want := []string{"bad", "ok1", "ok2"}; !slices.Equal(got, want) {
		t.Errorf("ran %v, want %v", got, want)
	}
	if s.Done != 2 || s.Failed != 1 || s.Skipped != 3 {
		t.Errorf("summary %+v", s)
	}
}

func TestRetries(t *testing.T) {
	var b graph
	flaky := b.job("flaky")
	flaky.Spec.Retries = 2
	doomed := b.job("doomed")
	doomed.Spec.Retries = 1
	fake := &Fake{Result: func(s Spec, call int) Result {
		if s.Name == "doomed" || (s.Name == "flaky" && call <= 2) {
			return Result{ExitCode: 2}
		}
		return Result{}
	}}
	s, err := run(t, b.plan(), fake, Options{Cores: 2, KeepGoing: true})
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("err = %v", err)
	}
	count := map[string]int{}
	for _, n := range fake.Names() {
		count[n]++
	}
	if count["flaky"] != 3 || count["doomed"] != 2 {
		t.Errorf("calls %v, want flaky 3 (2 retries), doomed 2 (1 retry)", count)
	}
	if s.Done != 1 || s.Failed != 1 || s.Failures[0].Job != doomed || s.Failures[0].Result.Attempts != 2 {
		t.Errorf("summary %+v", s)
	}
}

// TestJobBiggerThanCapRunsCapped: a job asking more than a cap runs with
// the cap, as a job asking more threads than -j runs with -j, instead of
// failing; it takes the whole cap while it runs, and its Spec says so.
func TestJobBiggerThanCapRunsCapped(t *testing.T) {
	for _, c := range []struct {
		ask, limit, want int64
	}{
		{5000, 1000, 1000},
		{1000, 1000, 1000},
		{10, 1000, 10},
	} {
		t.Run(fmt.Sprint(c.ask, "/", c.limit), func(t *testing.T) {
			var b graph
			huge := b.job("huge")
			huge.Spec.Resources = map[string]int64{"mem_mb": c.ask, "other": 7}
			b.job("needs_huge", huge)
			b.job("fine").Spec.Resources = map[string]int64{"mem_mb": 10}
			fake := &Fake{Delay: delay(2 * time.Millisecond)}
			s, err := run(t, b.plan(), fake, Options{Cores: 2, Resources: map[string]int64{"mem_mb": c.limit}})
			if err != nil || s.Done != 3 || s.Failed != 0 {
				t.Fatalf("err %v, summary %+v", err, s)
			}
			for _, call := range fake.Calls() {
				if call.Name != "huge" {
					continue
				}
				if got := call.Resources["mem_mb"]; got != c.want || call.Resources["other"] != 7 {
					t.Errorf("huge ran with %v, want mem_mb=%d", call.Resources, c.want)
				}
			}
			if got := fake.MaxResource("mem_mb"); got > c.limit {
				t.Errorf("mem_mb in use reached %d, cap %d", got, c.limit)
			}
			if huge.Spec.Resources["mem_mb"] != c.ask {
				t.Errorf("the job's own resources were changed: %v", huge.Spec.Resources)
			}
		})
	}
}

func TestHooks(t *testing.T) {
	var b graph
	b.job("a")
	refused := b.job("refused")
	b.job("after", refused)
	var before, after []string
	hooks := Hooks{
		BeforeStart: func(j *dag.Job, _ Spec) error {
			before = append(before, j.Key)
			if j.Key == "refused" {
				return errors.New("store is read-only")
			}
			return nil
		},
		AfterFinish: func(j *dag.Job, _ Spec, r Result) {
			after = append(after, fmt.Sprint(j.Key, " ", r.OK()))
		},
	}
	fake := &Fake{}
	s, err := run(t, b.plan(), fake, Options{Cores: 1, KeepGoing: true, Hooks: hooks})
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("err = %v", err)
	}
	if slices.Contains(fake.Names(), "refused") {
		t.Error("a job refused by BeforeStart ran")
	}
	if !slices.Equal(before, []string{"refused", "a"}) || !slices.Equal(after, []string{"a true"}) {
		t.Errorf("before %v, after %v", before, after)
	}
	if s.Failed != 1 || s.Skipped != 1 || !strings.Contains(s.Failures[0].Result.Err.Error(), "read-only") {
		t.Errorf("summary %+v", s)
	}
}

// Prepare gets the next jobs ahead of their starts, in batches of at most
// PrepareAhead; every job is prepared before its BeforeStart; and the
// prepared jobs that never started, and only they, go to Unprepare.
func TestPrepareAhead(t *testing.T) {
	var b graph
	bad := b.job("bad")
	bad.Spec.Priority = 1 // first, with one core
	for i := range 2*PrepareAhead + 5 {
		b.job(fmt.Sprint("j", i))
	}
	var (
		mu                 sync.Mutex
		prepared, unprep   []string
		batches            []int
		notPreparedOnStart []string
	)
	isPrepared := map[string]bool{}
	hooks := Hooks{
		Prepare: func(jobs []*dag.Job) {
			mu.Lock()
			defer mu.Unlock()
			batches = append(batches, len(jobs))
			for _, j := range jobs {
				if isPrepared[j.Key] {
					t.Errorf("%s prepared twice", j.Key)
				}
				isPrepared[j.Key] = true
				prepared = append(prepared, j.Key)
			}
		},
		Unprepare: func(jobs []*dag.Job) {
			for _, j := range jobs {
				unprep = append(unprep, j.Key)
			}
		},
		BeforeStart: func(j *dag.Job, _ Spec) error {
			mu.Lock()
			defer mu.Unlock()
			if !isPrepared[j.Key] {
				notPreparedOnStart = append(notPreparedOnStart, j.Key)
			}
			return nil
		},
	}
	// All but bad succeed: with -k every job starts and nothing is left.
	fake := &Fake{Result: failNames("bad")}
	if _, err := run(t, b.plan(), fake, Options{Cores: 2, KeepGoing: true, Hooks: hooks}); !errors.Is(err, ErrFailed) {
		t.Fatalf("err = %v", err)
	}
	if len(notPreparedOnStart) > 0 || len(unprep) > 0 || len(prepared) != len(b.g.Jobs) {
		t.Errorf("-k: started unprepared %v, unprepared %v, %d of %d prepared", notPreparedOnStart, unprep, len(prepared), len(b.g.Jobs))
	}
	for _, n := range batches {
		if n > PrepareAhead {
			t.Errorf("a batch of %d", n)
		}
	}
	if len(batches) >= len(b.g.Jobs)/2 {
		t.Errorf("%d batches for %d jobs: not batched", len(batches), len(b.g.Jobs))
	}

	// Without -k the failure stops the run: what was prepared and did not
	// start is given back.
	prepared, unprep, batches, isPrepared = nil, nil, nil, map[string]bool{}
	fake = &Fake{Result: failNames("bad")}
	if _, err := run(t, b.plan(), fake, Options{Cores: 1, Hooks: hooks}); !errors.Is(err, ErrFailed) {
		t.Fatalf("err = %v", err)
	}
	ran := fake.Names()
	if len(unprep) == 0 {
		t.Fatal("nothing given back after the failure stopped the run")
	}
	for _, k := range unprep {
		if slices.Contains(ran, k) || !isPrepared[k] {
			t.Errorf("%s given back: ran %v, prepared %v", k, slices.Contains(ran, k), isPrepared[k])
		}
	}
	if len(unprep)+len(ran) != len(prepared) {
		t.Errorf("%d given back + %d ran != %d prepared", len(unprep), len(ran), len(prepared))
	}
}

// A panic while a job is handled fails that job, with a bug-report
// line, and the run goes on; it never reaches the user as a goroutine dump.
func TestPanicInJobFailsTheJob(t *testing.T) {
	var b graph
	b.job("a")
	b.job("boom")
	hooks := Hooks{BeforeStart: func(j *dag.Job, _ Spec) error {
		if j.Key == "boom" {
			panic("broken hook")
		}
		return nil
	}}
	fake := &Fake{}
	s, err := run(t, b.plan(), fake, Options{Cores: 1, KeepGoing: true, Hooks: hooks})
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("err = %v", err)
	}
	if s.Failed != 1 || s.Failures[0].Job.Key != "boom" {
		t.Fatalf("summary %+v", s)
	}
	msg := s.Failures[0].Result.Err.Error()
	for _, w := range []string{"internal error: broken hook", "bug in flowmake", rules.BugReports} {
		if !strings.Contains(msg, w) {
			t.Errorf("failure %q lacks %q", msg, w)
		}
	}
	if !slices.Contains(fake.Names(), "a") {
		t.Error("the other job did not run")
	}
}

// files makes files (with parents) under dir.
func files(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func exists(dir, name string) bool {
	_, err := os.Lstat(filepath.Join(dir, name))
	return err == nil
}

func TestFailedJobLosesOnlyItsOutputs(t *testing.T) {
	dir := t.TempDir()
	files(t, dir, "in.txt", "keep.txt", "results/other.txt")
	var b graph
	j := b.job("bad")
	j.Spec.Inputs = []rules.Path{{Path: "in.txt"}}
	j.Spec.Outputs = []rules.Path{
		{Path: "results/out.txt"},
		{Path: "results/dir", Flags: rules.Directory},
		{Path: "in.txt"}, // an input named as output too: never deleted
	}
	fake := &Fake{
		// The job writes part of its outputs, then fails.
		OnStart: func(Spec) { files(t, dir, "results/out.txt", "results/dir/a/b.txt") },
		Result:  failNames("bad"),
	}
	if _, err := run(t, b.plan(), fake, Options{Cores: 1, Dir: dir}); !errors.Is(err, ErrFailed) {
		t.Fatalf("err = %v", err)
	}
	for _, gone := range []string{"results/out.txt", "results/dir"} {
		if exists(dir, gone) {
			t.Errorf("%s survived the failure", gone)
		}
	}
	for _, kept := range []string{"in.txt", "keep.txt", "results/other.txt", "results"} {
		if !exists(dir, kept) {
			t.Errorf("%s was deleted", kept)
		}
	}
}

func TestMissingOutput(t *testing.T) {
	dir := t.TempDir()
	var b graph
	j := b.job("half")
	j.Spec.Outputs = []rules.Path{{Path: "made.txt"}, {Path: "never.txt"}}
	fake := &Fake{OnStart: func(Spec) { files(t, dir, "made.txt") }}
	begin := time.Now()
	s, err := run(t, b.plan(), fake, Options{Cores: 1, Dir: dir, LatencyWait: 300 * time.Millisecond})
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("err = %v", err)
	}
	if waited := time.Since(begin); waited < 300*time.Millisecond {
		t.Errorf("gave up after %v, before the latency wait", waited)
	}
	if e := s.Failures[0].Result.Err; e == nil || !strings.HasPrefix(e.Error(), "missing output never.txt") {
		t.Errorf("error %v", e)
	}
	if exists(dir, "made.txt") {
		t.Error("the failed job's other output was kept")
	}
}

func TestLateOutputWithinLatencyWait(t *testing.T) {
	dir := t.TempDir()
	var b graph
	b.job("slowfs").Spec.Outputs = []rules.Path{{Path: "late.txt"}}
	fake := &Fake{OnStart: func(Spec) {
		time.AfterFunc(150*time.Millisecond, func() { files(t, dir, "late.txt") })
	}}
	if _, err := run(t, b.plan(), fake, Options{Cores: 1, Dir: dir, LatencyWait: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
}

func TestTouchAndProtect(t *testing.T) {
	dir := t.TempDir()
	files(t, dir, "old.flag")
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(dir, "old.flag"), old, old)
	var b graph
	j := b.job("mark")
	j.Spec.Outputs = []rules.Path{
		{Path: "flags/new.flag", Flags: rules.Touch},
		{Path: "old.flag", Flags: rules.Touch},
		{Path: "precious.txt", Flags: rules.Protected},
	}
	fake := &Fake{OnStart: func(Spec) { files(t, dir, "flags/x", "precious.txt") }}
	if _, err := run(t, b.plan(), fake, Options{Cores: 1, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	if !exists(dir, "flags/new.flag") {
		t.Error("touch() output not created")
	}
	if fi, err := os.Stat(filepath.Join(dir, "old.flag")); err != nil || !fi.ModTime().After(old.Add(time.Minute)) {
		t.Errorf("touch() output not touched: %v %v", fi.ModTime(), err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "precious.txt")); err != nil || fi.Mode().Perm()&0o222 != 0 {
		t.Errorf("protected() output writable: %v %v", fi.Mode(), err)
	}
}

func TestTempOutputs(t *testing.T) {
	dir := t.TempDir()
	var b graph
	// prod makes tmp.txt (temp) and keep.txt; two consumers read tmp.txt.
	prod := b.job("prod")
	prod.Spec.Outputs = []rules.Path{{Path: "tmp.txt", Flags: rules.Temp}, {Path: "keep.txt"}}
	c1 := b.job("c1", prod)
	c1.Spec.Inputs = []rules.Path{{Path: "tmp.txt"}, {Path: "keep.txt"}}
	c2 := b.job("c2", prod)
	c2.Spec.Inputs = []rules.Path{{Path: "tmp.txt"}}
	// A temp output of a target stays.
	tgt := b.job("tgt")
	tgt.Target = true
	tgt.Spec.Outputs = []rules.Path{{Path: "target.txt", Flags: rules.Temp}}
	b.job("usetgt", tgt).Spec.Inputs = []rules.Path{{Path: "target.txt"}}

	var tmpSeenByC2 bool
	fake := &Fake{
		Outputs: true,
		OnStart: func(s Spec) {
			if s.Name == "c2" {
				tmpSeenByC2 = exists(dir, "tmp.txt")
			}
		},
	}
	// -j1 and c1 before c2 (lower ID): tmp.txt must outlive c1.
	if _, err := run(t, b.plan(), fake, Options{Cores: 1, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	if !tmpSeenByC2 {
		t.Error("temp file deleted before its last consumer ran")
	}
	if exists(dir, "tmp.txt") {
		t.Error("temp file kept after all consumers finished")
	}
	if !exists(dir, "keep.txt") || !exists(dir, "target.txt") {
		t.Error("a non-temp output or a target's temp output was deleted")
	}
}

func TestTempKeptWhenConsumerFails(t *testing.T) {
	dir := t.TempDir()
	var b graph
	prod := b.job("prod")
	prod.Spec.Outputs = []rules.Path{{Path: "tmp.txt", Flags: rules.Temp}}
	b.job("c1", prod).Spec.Inputs = []rules.Path{{Path: "tmp.txt"}}
	b.job("c2", prod).Spec.Inputs = []rules.Path{{Path: "tmp.txt"}}
	fake := &Fake{Outputs: true, Result: failNames("c2")}
	if _, err := run(t, b.plan(), fake, Options{Cores: 1, Dir: dir, KeepGoing: true}); !errors.Is(err, ErrFailed) {
		t.Fatalf("err = %v", err)
	}
	if !exists(dir, "tmp.txt") {
		t.Error("temp file deleted though a consumer failed and will need it again")
	}
}

func TestCancelStopsRun(t *testing.T) {
	dir := t.TempDir()
	var b graph
	for i := range 6 {
		b.job(fmt.Sprint("j", i)).Spec.Outputs = []rules.Path{{Path: fmt.Sprint("out", i)}}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{}, 6)
	fake := &Fake{
		Delay: delay(time.Minute),
		OnStart: func(s Spec) {
			files(t, dir, s.Outputs...) // partial outputs
			started <- struct{}{}
		},
	}
	go func() {
		<-started
		<-started
		cancel()
	}()
	begin := time.Now()
	s, err := Run(ctx, b.plan(), fake, Options{Cores: 2, Dir: dir, Grace: 50 * time.Millisecond})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if time.Since(begin) > 5*time.Second {
		t.Error("cancellation took too long")
	}
	if !s.Interrupted || len(s.Stopped) != 2 || s.Done != 0 || s.Failed != 0 || s.Skipped != 4 {
		t.Errorf("summary %+v", s)
	}
	if n := len(fake.Calls()); n != 2 {
		t.Errorf("%d jobs started, want 2", n)
	}
	for _, j := range s.Stopped {
		if exists(dir, j.Spec.Outputs[0].Path) {
			t.Errorf("partial output %s of an interrupted job kept", j.Spec.Outputs[0].Path)
		}
	}
}

func TestCancelledBeforeStart(t *testing.T) {
	var b graph
	b.job("a")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fake := &Fake{}
	s, err := Run(ctx, b.plan(), fake, Options{})
	if !errors.Is(err, context.Canceled) || !s.Interrupted || s.Skipped != 1 || len(fake.Calls()) != 0 {
		t.Errorf("err %v, summary %+v, calls %v", err, s, fake.Names())
	}
}

func TestEmptyPlan(t *testing.T) {
	var b graph
	b.job("uptodate").Stale = false
	s, err := run(t, b.plan(), &Fake{}, Options{})
	if err != nil || s.Total != 0 || s.Done != 0 {
		t.Errorf("summary %+v, err %v", s, err)
	}
}

// BenchmarkSchedule100k schedules 100,000 jobs through the Fake: a chain
// of fans (a root, 100k leaves, a sink), so both the heap and the plan
// see wide and long shapes. It must scale linearly (times log n).
func BenchmarkSchedule100k(b *testing.B) {
	for _, shape := range []string{"fan", "chain"} {
		b.Run(shape, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				var g graph
				const n = 100_000
				root := g.job("root")
				var leaves []*dag.Job
				prev := root
				for i := range n {
					dep := root
					if shape == "chain" {
						dep = prev
					}
					prev = g.job(fmt.Sprint("j", i), dep)
					leaves = append(leaves, prev)
				}
				if shape == "fan" {
					g.job("sink", leaves...)
				}
				p := g.plan()
				b.StartTimer()
				s, err := Run(context.Background(), p, &Fake{}, Options{Cores: 8})
				if err != nil || s.Done != s.Total {
					b.Fatalf("%+v %v", s, err)
				}
			}
		})
	}
}

// TestWeightedCriticalPath: with the history's durations the longest
// remaining work goes first, where counting jobs and FIFO order differ.
// At one core each start order is exact.
func TestWeightedCriticalPath(t *testing.T) {
	build := func() *graph {
		var b graph
		b.job("lone")     // 1 s
		a1 := b.job("a1") // a1 -> a2 -> a3, 1 s each: 3 jobs, 3 s
		a2 := b.job("a2", a1)
		b.job("a3", a2)
		b.job("big") // one job, 5 s
		return &b
	}
	means := map[string]time.Duration{"lone": time.Second, "a1": time.Second, "a2": time.Second, "a3": time.Second, "big": 5 * time.Second}
	for _, c := range []struct {
		name  string
		means map[string]time.Duration
		fifo  bool
		want  []string
	}{
		{"weighted", means, false, []string{"big", "a1", "a2", "lone", "a3"}},
		{"unweighted", nil, false, []string{"a1", "a2", "lone", "a3", "big"}},
		{"fifo", means, true, []string{"lone", "a1", "big", "a2", "a3"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := build()
			b.g.WeighPaths(c.means)
			if c.means != nil && b.g.Jobs[1].PathLen != int(3*time.Second) {
				t.Fatalf("a1 PathLen %d, want 3 s", b.g.Jobs[1].PathLen)
			}
			fake := &Fake{}
			if _, err := run(t, dag.NewPlan(&b.g, nil), fake, Options{Cores: 1, FIFO: c.fifo}); err != nil {
				t.Fatal(err)
			}
			if got := fake.Names(); !slices.Equal(got, c.want) {
				t.Errorf("order %v, want %v", got, c.want)
			}
		})
	}
}

// TestFIFOKeepsLimits: the FIFO baseline still respects cores and
// dependencies.
func TestFIFOKeepsLimits(t *testing.T) {
	var b graph
	var prev *dag.Job
	for i := range 6 {
		j := b.job(fmt.Sprint("j", i))
		j.Spec.Threads = 2
		if i == 5 {
			b.job("after", prev, j)
		}
		prev = j
	}
	fake := &Fake{Delay: delay(2 * time.Millisecond)}
	s, err := run(t, b.plan(), fake, Options{Cores: 3, FIFO: true})
	if err != nil || s.Done != 7 {
		t.Fatalf("%+v %v", s, err)
	}
	if fake.MaxThreads() > 3 {
		t.Errorf("%d threads at once on 3 cores", fake.MaxThreads())
	}
	if got := fake.Names(); got[len(got)-1] != "after" {
		t.Errorf("order %v: after ran before its deps", got)
	}
}
