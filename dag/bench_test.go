package dag

import (
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
	"time"
	"unsafe"

	"github.com/flowmake/flowmake/rules"
)

// benchFlow chains three rules over n samples: 3n jobs and "all".
func benchFlow(n int) string {
	var samples strings.Builder
	for i := range n {
		fmt.Fprintf(&samples, "%q, ", fmt.Sprintf("s%d", i))
	}
	return fmt.Sprintf(`
config { samples = [%s] }
rule "all" {
  input = expand("c/{s}.txt", { s = config.samples })
}
rule "a" {
  output = ["a/{s}.txt"]
  shell  = "echo ${wildcards.s} > ${output}"
}
rule "b" {
  input  = ["a/{s}.txt"]
  output = ["b/{s}.txt"]
  shell  = "cp ${input} ${output}"
}
rule "c" {
  input  = ["b/{s}.txt"]
  output = ["c/{s}.txt"]
  shell  = "cp ${input} ${output}"
}
`, samples.String())
}

const benchSamples = 33334 // 100,002 jobs and all

// BenchmarkBuild100k: nothing exists, every job runs.
func BenchmarkBuild100k(b *testing.B) {
	wf := parse(b, benchFlow(benchSamples))
	fsys := fstest.MapFS{}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		g, err := Build(wf, Options{Stat: fsys})
		if err != nil {
			b.Fatal(err)
		}
		if len(g.Jobs) != 3*benchSamples+1 || !g.Jobs[len(g.Jobs)-1].Stale {
			b.Fatalf("%d jobs", len(g.Jobs))
		}
	}
	reportHeap(b)
}

// BenchmarkBuild100kUpToDate: every output exists and is newer than its
// inputs; nothing runs.
func BenchmarkBuild100kUpToDate(b *testing.B) {
	wf := parse(b, benchFlow(benchSamples))
	fsys := fstest.MapFS{}
	for i := 0; i < benchSamples; i++ {
		for k, dir := range []string{"a", "b", "c"} {
			fsys[fmt.Sprintf("%s/s%d.txt", dir, i)] = &fstest.MapFile{ModTime: t0.Add(time.Duration(1+k) * time.Minute)}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		g, err := Build(wf, Options{Stat: fsys})
		if err != nil {
			b.Fatal(err)
		}
		for _, j := range g.Jobs {
			if j.Stale {
				b.Fatalf("%s stale: %s", j, j.Reason)
			}
		}
	}
	reportHeap(b)
}

// reportHeap adds the live heap after a Build (graph retained) as a metric.
func reportHeap(b *testing.B) {
	b.StopTimer()
	wf := parse(b, benchFlow(benchSamples))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	g, _ := Build(wf, Options{Stat: fstest.MapFS{}})
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(g)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "live-MB")
}

// BenchmarkIndexLookup: finding the producer of a file among 500 rules
// with distinct prefixes, plus 10 catch-all patterns, costs a few map
// lookups and regexp matches, not 510 matches.
func BenchmarkIndexLookup(b *testing.B) {
	var src strings.Builder
	src.WriteString("rule \"all\" { input = [] }\n")
	for i := range 500 {
		fmt.Fprintf(&src, "rule \"r%d\" { output = [\"d%d/{s}.txt\"] }\n", i, i)
	}
	for i := range 10 {
		fmt.Fprintf(&src, "rule \"x%d\" { output = [\"{s}.x%d\"] }\n", i, i)
	}
	wf := parse(b, src.String())
	var x index
	x.build(wf)
	var out []Candidate
	b.ReportAllocs()
	for b.Loop() {
		out = x.lookup("d250/sample.txt", out[:0], nil)
		if len(out) != 1 {
			b.Fatal(out)
		}
	}
}

// BenchmarkEvalOnly100k evaluates the 100k jobs' rules again, no graph:
// Build's cost minus this is the graph's own cost.
func BenchmarkEvalOnly100k(b *testing.B) {
	wf := parse(b, benchFlow(benchSamples))
	g, err := Build(wf, Options{Stat: fstest.MapFS{}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, j := range g.Jobs {
			j.Spec.Rule.Eval(j.Spec.Wildcards, rules.Env{})
		}
	}
}

// BenchmarkBuild100kFallback: rule a needs raw data that is gone for
// every sample, and a's outputs exist: all 33,334 a jobs fail and their
// outputs become sources. The repair pass keeps this linear, within a
// small factor of BenchmarkBuild100kUpToDate.
func BenchmarkBuild100kFallback(b *testing.B) {
	src := strings.Replace(benchFlow(benchSamples), `output = ["a/{s}.txt"]`,
		`input  = ["raw/{s}.txt"]
  output = ["a/{s}.txt"]`, 1)
	wf := parse(b, src)
	fsys := fstest.MapFS{}
	for i := 0; i < benchSamples; i++ {
		for k, dir := range []string{"a", "b", "c"} {
			fsys[fmt.Sprintf("%s/s%d.txt", dir, i)] = &fstest.MapFile{ModTime: t0.Add(time.Duration(1+k) * time.Minute)}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		g, err := Build(wf, Options{Stat: fileStat(fsys)})
		if err != nil {
			b.Fatal(err)
		}
		if len(g.Jobs) != 2*benchSamples+1 || len(g.Sources) != benchSamples {
			b.Fatalf("%d jobs, %d sources", len(g.Jobs), len(g.Sources))
		}
	}
}

// fileStat stats the files of a MapFS by lookup: MapFS.Stat scans the
// whole map for a name it lacks (it might be a directory), which would
// make every missing input cost as much as the tree.
type fileStat fstest.MapFS

func (m fileStat) Stat(name string) (fs.FileInfo, error) {
	if _, ok := m[name]; !ok {
		return nil, fs.ErrNotExist
	}
	return fstest.MapFS(m).Stat(name)
}

// benchGenFan is bench/gen's fan Rulefile: n jobs of item and the
// aggregate all, whose input is expand over range.
func benchGenFan(n int) string {
	return fmt.Sprintf(`
rule "all" {
  input  = expand("out/{i}.txt", { i = [for i in range(%d) : tostring(i)] })
  output = "all.txt"
  shell  = "echo %d > ${output}"
}

rule "item" {
  output = "out/{i}.txt"
  shell  = "echo ${wildcards.i} > ${output}"
}
`, n, n)
}

// BenchmarkDryRunFan100k is what a dry run of bench/gen's 100k fan does
// before printing: load the Rulefile and resolve it against a directory
// where nothing is built yet, statting through OSStat.
func BenchmarkDryRunFan100k(b *testing.B) {
	src := []byte(benchGenFan(100000))
	dir := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		wf, diags := rules.Parse(src, "Rulefile")
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		g, _, err := Resolve(wf, Options{Stat: OSStat(dir)})
		if err != nil {
			b.Fatal(err)
		}
		if len(g.Jobs) != 100001 || !g.Jobs[len(g.Jobs)-1].Stale {
			b.Fatalf("%d jobs", len(g.Jobs))
		}
	}
}

// TestJobAllocSize keeps builder.job's allocation within the 480-byte
// size class: a field added to Job, node or rules.Job that pushes it into
// the next class (512) costs 32 bytes a job, 32 MB at a million jobs.
// Reorder or shrink fields, or raise the bound knowingly.
func TestJobAllocSize(t *testing.T) {
	if size := unsafe.Sizeof(jobAlloc{}); unsafe.Sizeof(uintptr(0)) == 8 && size > 480 {
		t.Errorf("jobAlloc is %d bytes (Job %d, node %d, rules.Job %d), more than 480",
			size, unsafe.Sizeof(Job{}), unsafe.Sizeof(node{}), unsafe.Sizeof(rules.Job{}))
	}
}
