package dag

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// facts hold, while decideAll runs, what the builder's maps say about
// every input of every job: its producer (Graph.Producer) and its mtime
// (the stat cache), looked up once and in parallel, where measure,
// needInputs, madeBy and firstUpstream would each look them up again one
// at a time. Neither map changes meanwhile, except that mtime caches
// files the cache did not hold, and those are marked unknown here. So
// the answers are the maps' own.
type facts struct {
	jobs  []*Job  // Graph.Jobs when made: job j is jobs[j.ID]
	off   []int32 // by job ID: index of the job's first input below; len(jobs)+1
	prod  []*Job
	time  []int64
	known []bool // time holds the cached mtime
}

// factsMin is the least number of jobs worth gathering facts for (a
// variable for tests).
var factsMin = 1024

// gatherFacts fills b.facts for jobs (Graph.Jobs, IDs as indexes).
func (b *builder) gatherFacts(jobs []*Job) {
	b.facts = nil
	if len(jobs) < factsMin || len(jobs) >= 1<<31-1 {
		return
	}
	f := &facts{jobs: jobs, off: make([]int32, len(jobs)+1)}
	n := 0
	for i, j := range jobs {
		if j.ID != i || n+len(j.Spec.Inputs) >= 1<<31-1 {
			return
		}
		f.off[i] = int32(n)
		n += len(j.Spec.Inputs)
	}
	f.off[len(jobs)] = int32(n)
	f.prod = make([]*Job, n)
	f.time = make([]int64, n)
	f.known = make([]bool, n)
	// Only reads of the maps, which nothing writes meanwhile.
	fill := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			k := int(f.off[i])
			for _, in := range jobs[i].Spec.Inputs {
				f.prod[k] = b.g.Producer[in.Path]
				f.time[k], f.known[k] = b.times[in.Path]
				k++
			}
		}
	}
	inParallel(len(jobs), 512, fill)
	b.facts = f
}

// at is the index of input i of j in f, or -1 when f does not cover j.
func (f *facts) at(j *Job, i int) int {
	if f == nil || j.ID < 0 || j.ID >= len(f.jobs) || f.jobs[j.ID] != j {
		return -1
	}
	return int(f.off[j.ID]) + i
}

// inputProducer is Graph.Producer[j.Spec.Inputs[i].Path].
func (b *builder) inputProducer(j *Job, i int) *Job {
	if k := b.facts.at(j, i); k >= 0 {
		return b.facts.prod[k]
	}
	return b.g.Producer[j.Spec.Inputs[i].Path]
}

// inputTime is mtime(j.Spec.Inputs[i].Path).
func (b *builder) inputTime(j *Job, i int) int64 {
	if k := b.facts.at(j, i); k >= 0 && b.facts.known[k] {
		return b.facts.time[k]
	}
	return b.mtime(j.Spec.Inputs[i].Path)
}

// inParallel calls fill over [0, n) in chunks of the given size, spread
// over GOMAXPROCS goroutines, and returns when all are done. fill must be
// safe to call concurrently on disjoint ranges.
func inParallel(n, chunk int, fill func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 {
		fill(0, n)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return
				}
				fill(lo, min(lo+chunk, n))
			}
		})
	}
	wg.Wait()
}
