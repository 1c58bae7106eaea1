package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// The garbage collector's pace, when the user set no GOGC.
//
// Loading and resolving a workflow builds a large heap that stays alive
// (the job table), so Go's default pace (GOGC=100) collects again and
// again while nearly nothing is garbage: 15–25% of a 100k-job dry run.
// flowmake gives the collector more room while the live heap is small,
// and the default room once it is large, where the extra memory would
// count. Once jobs run, the run can last hours while little is
// allocated, so a pace for a fixed headroom holds the peak down
// (gcRunHeadroom).
//
// The pace is re-chosen after every collection, from a finalizer that
// re-arms itself (the runtime offers no GC hook).
const (
	gcPercentSmall = 400 // live heap under gcSmallHeap
	gcPercentMid   = 200 // under gcMidHeap
	gcSmallHeap    = 128 << 20
	gcMidHeap      = 512 << 20
)

// gcRunning is set once jobs run; the tuner then stops.
var gcRunning atomic.Bool

// tuneGC starts the pace above unless GOGC is set.
func tuneGC() {
	if os.Getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(gcPercentSmall)
	armGCTuner(gcPercentSmall)
}

// gcSentinel is the object whose finalizer runs after each collection.
type gcSentinel struct{ percent int }

func armGCTuner(percent int) {
	s := &gcSentinel{percent: percent}
	runtime.SetFinalizer(s, retuneGC)
}

func retuneGC(s *gcSentinel) {
	if gcRunning.Load() {
		return
	}
	percent := gcPercentFor(liveHeap())
	if percent != s.percent {
		debug.SetGCPercent(percent)
	}
	armGCTuner(percent)
}

// gcPercentFor is the pace for a live heap of the given size.
func gcPercentFor(live uint64) int {
	switch {
	case live < gcSmallHeap:
		return gcPercentSmall
	case live < gcMidHeap:
		return gcPercentMid
	}
	return 100
}

// gcRunHeadroom is about how much garbage the run may pile up between
// collections. What a run allocates is small and short-lived (each job's
// pipes, buffers and records) beside the job table, so with the default
// pace (twice the live heap) a 100,000-job fan's run peaked at 374 MB,
// mostly garbage waiting. A fixed headroom keeps the peak near the
// table's size; a collection costs in proportion to the live heap, and
// they come once per headroom of garbage, so the pace costs the same
// share of CPU at any size: a few percent on trivial jobs, nothing beside
// real ones (about 2% more CPU on a 100,000-job fan of trivial jobs, at
// 10%). A small table keeps the default pace.
const gcRunHeadroom = 12 << 20

// gcPercentRun is the pace once jobs run, for a live heap of the given
// size: the headroom as a share of it, from 10% to the default 100%.
func gcPercentRun(live uint64) int {
	if live == 0 {
		return 100
	}
	return int(min(max(100*gcRunHeadroom/live, 10), 100))
}

// gcJobsRun sets the pace for the rest of the run, unless the user chose
// one.
func gcJobsRun() {
	if os.Getenv("GOGC") != "" || gcRunning.Swap(true) {
		return
	}
	debug.SetGCPercent(gcPercentRun(liveHeap()))
}

// liveHeap is the live heap as the last collection found it.
func liveHeap() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() == metrics.KindUint64 {
		return sample[0].Value.Uint64()
	}
	return 0
}
