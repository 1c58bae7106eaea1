package exec

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/rules"
)

// fileJobs is a small workflow on disk for the pretend executors:
//
//	raw.txt -> a (out a.txt, temp() mid.txt) -> b (protected() b.txt, touch() flag) -> all
//	                                          \-> c (c.txt)
//
// Every command would create a marker file. a.txt exists (old), mid.txt
// exists, b.txt and flag do not, c.txt exists; raw.txt is in the future.
func fileJobs(t *testing.T) (dir string, b *graph, jobs map[string]*dag.Job) {
	t.Helper()
	dir = t.TempDir()
	old := time.Now().Add(-time.Hour)
	for _, f := range []string{"raw.txt", "a.txt", "mid.txt", "c.txt"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(f+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(filepath.Join(dir, f), old, old); err != nil {
			t.Fatal(err)
		}
	}
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "raw.txt"), future, future); err != nil {
		t.Fatal(err)
	}
	b = &graph{}
	jobs = map[string]*dag.Job{}
	add := func(name string, in []string, out []rules.Path, deps ...*dag.Job) {
		j := b.job(name, deps...)
		for _, p := range in {
			j.Spec.Inputs = append(j.Spec.Inputs, rules.Path{Path: p})
		}
		j.Spec.Outputs = out
		j.Spec.Shell = "touch ran-" + name
		jobs[name] = j
	}
	add("a", []string{"raw.txt"}, []rules.Path{{Path: "a.txt"}, {Path: "mid.txt", Flags: rules.Temp}})
	add("b", []string{"a.txt", "mid.txt"}, []rules.Path{{Path: "b.txt", Flags: rules.Protected}, {Path: "flag", Flags: rules.Touch}}, jobs["a"])
	add("c", []string{"mid.txt"}, []rules.Path{{Path: "c.txt", Flags: rules.Protected}}, jobs["a"])
	add("all", []string{"b.txt", "c.txt"}, nil, jobs["b"], jobs["c"])
	return dir, b, jobs
}

// snapshot is every file of dir with its mode and time.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fi.Mode().String() + " " + fi.ModTime().String()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A dry run goes through the scheduler in dependency order and changes
// nothing on disk: no command runs, no output is deleted before the job
// or checked after it (b.txt is missing, yet b succeeds), no touch()
// output is made, nothing is made read-only and the temp() file, whose
// consumers all "finished", stays.
func TestDryRunThroughScheduler(t *testing.T) {
	dir, b, _ := fileJobs(t)
	before := snapshot(t, dir)
	var listed []string
	ev := &events{}
	s, err := run(t, b.plan(), DryRun{Job: func(j *dag.Job) { listed = append(listed, j.Key) }}, Options{Cores: 4, Dir: dir, Status: ev})
	if err != nil {
		t.Fatal(err)
	}
	if s.Done != 4 || s.Total != 4 || s.Failed != 0 {
		t.Errorf("summary %+v, want 4 done", s)
	}
	if len(listed) != 4 {
		t.Fatalf("listed %v, want each of the 4 jobs once", listed)
	}
	for _, j := range b.g.Jobs {
		for _, d := range j.Deps {
			if slices.Index(listed, d.Key) > slices.Index(listed, j.Key) {
				t.Errorf("%s listed before its dependency %s: %v", j.Key, d.Key, listed)
			}
		}
	}
	if ev.index("ok all") < 0 {
		t.Errorf("Status did not hear of the jobs: %v", ev.log)
	}
	if after := snapshot(t, dir); !equalMaps(before, after) {
		t.Errorf("the dry run changed the directory:\nbefore %v\nafter  %v", before, after)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A checkpoint in a pretend plan resolves nothing: the job waiting for it
// is dispatched as it is.
func TestDryRunPassesCheckpoint(t *testing.T) {
	var b graph
	cp := b.job("split")
	cp.Spec.Rule.Checkpoint = true
	agg := b.job("agg", cp)
	agg.Spec.Pending = true
	b.plan() // PathLen
	var listed []string
	s, err := run(t, dag.NewPretendPlan(&b.g), DryRun{Job: func(j *dag.Job) { listed = append(listed, j.Key) }}, Options{})
	if err != nil || s.Done != 2 || !slices.Equal(listed, []string{"split", "agg"}) {
		t.Errorf("listed %v, summary %+v, err %v; want split then agg", listed, s, err)
	}
}

// concurrency is a Pretender that records how many Pretend calls
// overlap, and on which goroutine the hooks ran relative to them.
type concurrency struct {
	now, most int
}

func (c *concurrency) Pretend(context.Context, *dag.Job, Spec) Result {
	c.now++ // unsynchronized on purpose: -race reports calls from several goroutines
	c.most = max(c.most, c.now)
	time.Sleep(time.Millisecond)
	c.now--
	return Result{}
}
func (*concurrency) Run(context.Context, Spec) Result {
	return Result{ExitCode: -1, Err: errPretendOnly}
}

// A Pretender is called inline, one job at a time, whatever -j says; its
// hooks run, and a hook's error fails the job and skips its dependents.
func TestPretenderInlineWithHooks(t *testing.T) {
	var b graph
	root := b.job("root")
	for i := 0; i < 20; i++ {
		b.job("leaf"+string(rune('a'+i)), root)
	}
	bad := b.job("bad")
	b.job("afterbad", bad)
	c := &concurrency{}
	var before, after []string
	hooks := Hooks{
		BeforeStart: func(j *dag.Job, _ Spec) error {
			before = append(before, j.Key)
			if j == bad {
				return errors.New("store refused")
			}
			return nil
		},
		AfterFinish: func(j *dag.Job, _ Spec, r Result) { after = append(after, j.Key) },
	}
	s, err := run(t, b.plan(), c, Options{Cores: 8, KeepGoing: true, Hooks: hooks})
	if !errors.Is(err, ErrFailed) || s.Failed != 1 || s.Skipped != 1 || s.Done != 21 {
		t.Errorf("summary %+v, err %v; want bad failed, afterbad skipped, 21 done", s, err)
	}
	if c.most != 1 {
		t.Errorf("%d Pretend calls overlapped, want 1 at a time", c.most)
	}
	if len(before) != 22 || len(after) != 21 || slices.Contains(after, "bad") {
		t.Errorf("BeforeStart %d, AfterFinish %d (%v); want 22 and 21 without bad", len(before), len(after), after)
	}
}

// Pretenders do not run outside the scheduler: they need the job.
func TestPretenderRunRefuses(t *testing.T) {
	for _, ex := range []Executor{DryRun{}, &Touch{}} {
		if r := ex.Run(context.Background(), Spec{Command: "true"}); r.OK() {
			t.Errorf("%T.Run succeeded without the scheduler", ex)
		}
	}
}

// The scheduler's share of a 100,000-job dry run (3 chained stages and a
// gather, as bench/dryrun100k.sh): it must stay a small part of the 1 s
// budget.
func BenchmarkDryRun100k(b *testing.B) {
	var g graph
	var last []*dag.Job
	for i := 0; i < 33333; i++ {
		x := g.job("a")
		y := g.job("b", x)
		last = append(last, g.job("c", y))
	}
	g.job("all", last...)
	g.plan()
	spec := func(*dag.Job) Spec { return Spec{} }
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		s, err := Run(context.Background(), dag.NewPretendPlan(&g.g), DryRun{Job: func(*dag.Job) { n++ }}, Options{Cores: 1, SpecFor: spec})
		if err != nil || s.Done != 100000 || n != 100000 {
			b.Fatalf("%+v %v %d", s, err, n)
		}
	}
}
