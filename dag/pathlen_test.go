package dag

import (
	"testing"
	"testing/fstest"
	"time"

	"github.com/flowmake/flowmake/rules"
)

// TestWeighPaths: a path is the sum of its jobs' rule means; a rule the
// history does not know weighs the mean of the known rules; without
// means PathLen counts jobs again.
func TestWeighPaths(t *testing.T) {
	g, err := Build(parse(t, `
rule "all" { input = ["b.txt", "c.txt"] }
rule "a" {
  output = ["a.txt"]
  shell  = "x"
}
rule "b" {
  input  = ["a.txt"]
  output = ["b.txt"]
  shell  = "x"
}
rule "c" {
  output = ["c.txt"]
  shell  = "x"
}
`), Options{Stat: disk(nil)})
	if err != nil {
		t.Fatal(err)
	}
	lens := func() map[string]int {
		m := map[string]int{}
		for _, j := range g.Jobs {
			m[j.String()] = j.PathLen
		}
		return m
	}
	if got := lens(); got["a"] != 3 || got["b"] != 2 || got["c"] != 2 || got["all"] != 1 {
		t.Fatalf("Build's PathLens %v, want job counts", got)
	}
	// all and c are unknown: each weighs (2 s + 4 s) / 2.
	g.WeighPaths(map[string]time.Duration{"a": 2 * time.Second, "b": 4 * time.Second, "gone": 0})
	// "gone" counts 1 ns in the mean: (2 s + 4 s + 1 ns) / 3.
	u := int((6*time.Second + 1) / 3)
	want := map[string]int{"all": u, "c": 2 * u, "b": u + int(4*time.Second), "a": u + int(6*time.Second)}
	if got := lens(); len(got) != len(want) || got["all"] != want["all"] || got["c"] != want["c"] || got["b"] != want["b"] || got["a"] != want["a"] {
		t.Errorf("weighted PathLens %v, want %v", got, want)
	}
	g.WeighPaths(nil)
	if got := lens(); got["a"] != 3 || got["c"] != 2 {
		t.Errorf("unweighted again: %v", got)
	}
}

// TestWeighPathsAfterCheckpoint: the jobs a checkpoint adds, and the
// jobs upstream of them, get weighted paths too.
func TestWeighPathsAfterCheckpoint(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]int{"raw/A.txt": 0})
	g, r, err := Resolve(parse(t, checkpointFlow), Options{Stat: OSStat(dir), Env: rules.Env{Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	s := time.Second
	g.WeighPaths(map[string]time.Duration{"all": s, "split": 100 * s, "proc": 10 * s, "agg": 2 * s})
	split := byName(t, g, "split (s=A)")
	// Before: split -> agg -> all (agg waits, proc is unknown yet).
	if split.PathLen != int(103*s) {
		t.Fatalf("split PathLen %v before the checkpoint", time.Duration(split.PathLen))
	}
	p := NewPlan(g, r)
	p.Ready()
	tree(t, dir, map[string]int{"split/A/": 5, "split/A/1.txt": 5, "split/A/2.txt": 5})
	ready, err := p.Done(split, true)
	if err != nil || len(ready) != 2 {
		t.Fatalf("after the checkpoint: ready %v, %v", names(ready), err)
	}
	for _, j := range ready {
		if j.PathLen != int(13*s) {
			t.Errorf("new %s PathLen %v, want 13s", j, time.Duration(j.PathLen))
		}
	}
	if split.PathLen != int(113*s) {
		t.Errorf("split PathLen %v after the checkpoint, want 1m53s", time.Duration(split.PathLen))
	}
}

func TestAddPathSaturates(t *testing.T) {
	if got := addPath(1<<62, 1<<62); got <= 1<<62 {
		t.Errorf("addPath overflowed to %d", got)
	}
	if got := addPath(2, 3); got != 5 {
		t.Errorf("addPath(2, 3) = %d", got)
	}
}

// BenchmarkWeighPaths100k: weighing the 100k-job pipeline, one pass.
func BenchmarkWeighPaths100k(b *testing.B) {
	g, err := Build(parse(b, benchFlow(benchSamples)), Options{Stat: fstest.MapFS{}})
	if err != nil {
		b.Fatal(err)
	}
	// Known rules and one (the aggregate) without a mean.
	means := map[string]time.Duration{"a": time.Second, "b": 2 * time.Second, "c": 3 * time.Second}
	b.ReportAllocs()
	for b.Loop() {
		g.WeighPaths(means)
	}
	if j := g.Jobs[0]; j.PathLen < int(6*time.Second) {
		b.Fatalf("%s PathLen %v", j, time.Duration(j.PathLen))
	}
}
