package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestGCPercentFor(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, gcPercentSmall},
		{gcSmallHeap - 1, gcPercentSmall},
		{gcSmallHeap, gcPercentMid},
		{gcMidHeap - 1, gcPercentMid},
		{gcMidHeap, 100},
		{8 << 30, 100},
	} {
		if got := gcPercentFor(c.live); got != c.want {
			t.Errorf("gcPercentFor(%d) = %d, want %d", c.live, got, c.want)
		}
	}
}

// Once jobs run, the pace allows gcRunHeadroom of garbage, within 10% and
// 100% of the live heap.
func TestGCPercentRun(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 100},
		{gcRunHeadroom / 2, 100},
		{gcRunHeadroom, 100},
		{4 * gcRunHeadroom, 25},
		{5 * gcRunHeadroom, 20},
		{100 * gcRunHeadroom, 10},
	} {
		if got := gcPercentRun(c.live); got != c.want {
			t.Errorf("gcPercentRun(%d MB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
}

// The tuner sets the pace, keeps it through collections, and hands the
// default back once jobs run (for a small heap); a GOGC of the user's
// is left alone.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer gcRunning.Store(false)

	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50)
	tuneGC()
	gcJobsRun()
	if got := debug.SetGCPercent(50); got != 50 {
		t.Fatalf("with GOGC=50 set the pace became %d", got)
	}

	t.Setenv("GOGC", "")
	gcRunning.Store(false)
	tuneGC()
	for range 3 {
		runtime.GC()
	}
	if got := debug.SetGCPercent(gcPercentSmall); got != gcPercentSmall {
		t.Fatalf("after tuneGC and collections of a small heap the pace is %d, want %d", got, gcPercentSmall)
	}
	gcJobsRun()
	runtime.GC()
	if got := debug.SetGCPercent(100); got != 100 { // a test's heap is small
		t.Fatalf("after gcJobsRun the pace is %d, want 100", got)
	}
}
