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
// allocated, so the default pace comes back and holds the peak down.
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
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	live := uint64(0)
	if sample[0].Value.Kind() == metrics.KindUint64 {
		live = sample[0].Value.Uint64()
	}
	percent := gcPercentFor(live)
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

// gcJobsRun returns the collector to the default pace for the rest of
// the run, unless the user chose one.
func gcJobsRun() {
	if os.Getenv("GOGC") != "" || gcRunning.Swap(true) {
		return
	}
	debug.SetGCPercent(100)
}
