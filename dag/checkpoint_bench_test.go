package dag

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/flowmake/flowmake/rules"
)

// checkpointScale is bench/gen's checkpoint shape: split writes items/,
// one item job per file, all globs over checkpoint_output.
const checkpointScale = `
rule "all" {
  input  = expand("done/{i}.txt", { i = glob_wildcards("${checkpoint_output("split", wildcards)[0]}/{i}.txt").i })
  output = "all.txt"
  shell  = "echo done > ${output}"
}
checkpoint "split" {
  output = directory("items")
  shell  = "touch items/..."
}
rule "item" {
  input  = "items/{i}.txt"
  output = "done/{i}.txt"
  shell  = "echo ${wildcards.i} > ${output}"
}
`

// itemsDir writes n empty files dir/items/{0..n-1}.txt, as split would.
func itemsDir(b *testing.B, dir string, n int) {
	b.Helper()
	items := filepath.Join(dir, "items")
	if err := os.MkdirAll(items, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if err := os.WriteFile(filepath.Join(items, fmt.Sprintf("%d.txt", i)), nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// benchCheckpointDone times Plan.Done on the checkpoint job with its
// directory of n files on the real disk: the re-resolution a run waits
// for between the checkpoint's end and the first item's start. The
// resolution before the checkpoint ran is not timed. cpu-ms/op is the
// process's CPU time (all threads, GC included) in Done: on a loaded
// machine the wall time mostly measures the neighbours.
func benchCheckpointDone(b *testing.B, n int) {
	dir := b.TempDir()
	itemsDir(b, dir, n)
	wf := parse(b, checkpointScale)
	opts := Options{Stat: OSStat(dir), Env: rules.Env{Dir: dir}}
	items, away := filepath.Join(dir, "items"), filepath.Join(dir, "items.away")
	var cpu int64
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		// Before the checkpoint runs its directory is not there.
		if err := os.Rename(items, away); err != nil {
			b.Fatal(err)
		}
		g, r, err := Resolve(wf, opts)
		if err != nil {
			b.Fatal(err)
		}
		p := NewPlan(g, r)
		ready := p.Ready()
		if len(ready) != 1 || ready[0].Spec.Rule.Name != "split" {
			b.Fatalf("ready %v", ready)
		}
		if err := os.Rename(away, items); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c0 := cpuNow()
		ready, err = p.Done(ready[0], true)
		cpu += cpuNow() - c0
		if err != nil {
			b.Fatal(err)
		}
		if len(ready) != n || p.Total() != n+2 {
			b.Fatalf("%d ready, %d in the plan", len(ready), p.Total())
		}
	}
	b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
}

// cpuNow is the process's user and system time so far, in nanoseconds.
func cpuNow() int64 {
	var r unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &r); err != nil {
		return 0
	}
	return r.Utime.Nano() + r.Stime.Nano()
}

func BenchmarkCheckpointDone1k(b *testing.B)   { benchCheckpointDone(b, 1000) }
func BenchmarkCheckpointDone10k(b *testing.B)  { benchCheckpointDone(b, 10000) }
func BenchmarkCheckpointDone100k(b *testing.B) { benchCheckpointDone(b, 100000) }

// BenchmarkCheckpointUpToDate10k: the checkpoint and every item are up
// to date from an earlier run, so Build itself re-resolves all (the
// checkpoint rounds) and nothing is stale: the no-op's resolution.
func BenchmarkCheckpointUpToDate10k(b *testing.B) {
	const n = 10000
	dir := b.TempDir()
	itemsDir(b, dir, n)
	if err := os.MkdirAll(filepath.Join(dir, "done"), 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, "done", fmt.Sprintf("%d.txt", i)), nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "all.txt"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	wf := parse(b, checkpointScale)
	opts := Options{Stat: OSStat(dir), Env: rules.Env{Dir: dir}}
	b.ReportAllocs()
	for b.Loop() {
		g, err := Build(wf, opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(g.Jobs) != n+2 {
			b.Fatalf("%d jobs", len(g.Jobs))
		}
		for _, j := range g.Jobs {
			if j.Stale {
				b.Fatalf("%s stale: %s", j, j.Reason)
			}
		}
	}
}
