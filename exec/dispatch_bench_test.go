package exec

import (
	"context"
	"io"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/flowmake/flowmake/dag"
)

// nopExecutor finishes every job at once, so a benchmark measures the
// scheduler alone.
type nopExecutor struct{}

func (nopExecutor) Run(context.Context, Spec) Result { return Result{} }

// BenchmarkDispatch10k runs a fan of 10,000 jobs and an aggregate at -j2
// through Run with an executor that does nothing: the per-job cost of
// the queue, the goroutine per job, the plan's bookkeeping and Status.
func BenchmarkDispatch10k(b *testing.B) {
	b.Run("plain", func(b *testing.B) { benchDispatch(b, Hooks{}) })
	// With the metadata hooks' shape: Prepare batches, BeforeStart per job.
	b.Run("prepare", func(b *testing.B) {
		var batches atomic.Int64
		benchDispatch(b, Hooks{
			Prepare:     func([]*dag.Job) { batches.Add(1) },
			BeforeStart: func(*dag.Job, Spec) error { return nil },
		})
		b.ReportMetric(float64(batches.Load())/float64(b.N), "prepares/op")
	})
}

func benchDispatch(b *testing.B, hooks Hooks) {
	const n = 10000
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		var g graph
		deps := make([]*dag.Job, 0, n)
		for i := range n {
			deps = append(deps, g.job("item"+strconv.Itoa(i)))
		}
		g.job("all", deps...)
		plan := g.plan()
		b.StartTimer()
		sum, err := Run(context.Background(), plan, nopExecutor{}, Options{Cores: 2, Hooks: hooks})
		if err != nil || sum.Done != n+1 {
			b.Fatalf("done %d of %d: %v", sum.Done, n+1, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(n+1), "ns/job")
}

// BenchmarkLocalTrivialJob is one trivial job through Local, as a full
// run of bench/gen's fan starts it: bash, a redirection, a capture and
// per-job output writers; what flowmake adds to bash's own cost.
func BenchmarkLocalTrivialJob(b *testing.B) {
	dir := b.TempDir()
	out := func(Spec) (io.Writer, io.Writer, func()) { return io.Discard, io.Discard, func() {} }
	l := Local{Output: out}
	i := 0
	for b.Loop() {
		o := "out/" + strconv.Itoa(i) + ".txt"
		spec := Spec{Command: "echo x > " + o, Dir: dir, Outputs: []string{o}, Capture: ".flowmake/log/item/i=" + strconv.Itoa(i) + ".log"}
		if r := l.Run(context.Background(), spec); !r.OK() {
			b.Fatalf("%+v", r)
		}
		i++
	}
}
