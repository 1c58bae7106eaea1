package exec

import (
	"context"
	"strconv"
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
		sum, err := Run(context.Background(), plan, nopExecutor{}, Options{Cores: 2})
		if err != nil || sum.Done != n+1 {
			b.Fatalf("done %d of %d: %v", sum.Done, n+1, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(n+1), "ns/job")
}
