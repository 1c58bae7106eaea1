package dag

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowmake/flowmake/rules"
)

// diamond: a -> b, c -> d -> all, and e -> all.
const diamond = `
rule "all" { input = ["d.txt", "e.txt"] }
rule "d" {
  input  = ["b.txt", "c.txt"]
  output = ["d.txt"]
}
rule "b" {
  input  = ["a.txt"]
  output = ["b.txt"]
}
rule "c" {
  input  = ["a.txt"]
  output = ["c.txt"]
}
rule "a" { output = ["a.txt"] }
rule "e" { output = ["e.txt"] }
`

func names(js []*Job) string {
	var s []string
	for _, j := range js {
		s = append(s, j.String())
	}
	slices.Sort(s)
	return strings.Join(s, " ")
}

func byName(t *testing.T, g *Graph, name string) *Job {
	t.Helper()
	for _, j := range g.Jobs {
		if j.String() == name {
			return j
		}
	}
	t.Fatalf("no job %s", name)
	return nil
}

func TestPlanRunsInDependencyOrder(t *testing.T) {
	g, r, err := Resolve(parse(t, diamond), Options{Stat: disk(nil)})
	if err != nil {
		t.Fatal(err)
	}
	p := NewPlan(g, r)
	if p.Total() != 6 {
		t.Errorf("Total %d", p.Total())
	}
	if got := names(p.Ready()); got != "a e" {
		t.Fatalf("first ready %q", got)
	}
	if got := names(p.Ready()); got != "" {
		t.Errorf("Ready again gives %q", got)
	}
	steps := []struct {
		done string
		want string
	}{
		{"e", ""},
		{"a", "b c"},
		{"b", ""},
		{"c", "d"},
		{"d", "all"},
		{"all", ""},
	}
	for _, s := range steps {
		if !p.More() {
			t.Fatalf("More false before %s", s.done)
		}
		ready, err := p.Done(byName(t, g, s.done), true)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(ready); got != s.want {
			t.Errorf("Done(%s) readied %q, want %q", s.done, got, s.want)
		}
	}
	if p.More() {
		t.Error("More after the last job")
	}
}

func TestPlanSkipsDownstreamOfFailure(t *testing.T) {
	g, r, err := Resolve(parse(t, diamond), Options{Stat: disk(nil)})
	if err != nil {
		t.Fatal(err)
	}
	p := NewPlan(g, r)
	p.Ready()
	p.Done(byName(t, g, "a"), true)
	if ready, _ := p.Done(byName(t, g, "b"), false); len(ready) != 0 {
		t.Errorf("failure readied %v", names(ready))
	}
	if got := names(p.Skipped()); got != "all d" {
		t.Errorf("Skipped %q", got)
	}
	if !p.More() {
		t.Fatal("c and e are still to run")
	}
	p.Done(byName(t, g, "c"), true)
	if ready, _ := p.Done(byName(t, g, "e"), true); len(ready) != 0 {
		t.Errorf("readied %v after a skip", names(ready))
	}
	if p.More() {
		t.Error("More with only skipped jobs left")
	}
}

func TestPlanLeavesUpToDateJobsOut(t *testing.T) {
	g, r, err := Resolve(parse(t, chainFlow), Options{Stat: disk(map[string]int{"raw/A.gz": 0, "tmp/A.txt": 1})})
	if err != nil {
		t.Fatal(err)
	}
	p := NewPlan(g, r)
	if p.Total() != 2 {
		t.Errorf("Total %d, want 2 (sort, all)", p.Total())
	}
	if got := names(p.Ready()); got != "sort (s=A)" {
		t.Errorf("ready %q", got)
	}
}

// checkpointFlow: split writes an unknown number of files into a
// directory; agg needs one proc job per file.
const checkpointFlow = `
wildcard_constraints = { s = "[A-Z]+" }
rule "all" { input = ["agg/A.txt"] }
checkpoint "split" {
  input  = ["raw/{s}.txt"]
  output = [directory("split/{s}")]
  shell  = "split ${input}"
}
rule "proc" {
  input  = ["split/{s}/{i}.txt"]
  output = ["proc/{s}/{i}.txt"]
  shell  = "cp ${input} ${output}"
}
rule "agg" {
  input = expand("proc/{s}/{i}.txt", {
    s = [wildcards.s],
    i = glob_wildcards("${checkpoint_output("split", wildcards)[0]}/{i}.txt").i,
  })
  output = ["agg/{s}.txt"]
  shell  = "cat ${input} > ${output}"
}
`

// tree writes files under dir with mtimes t0 + minutes; a name ending in
// "/" is a directory.
func tree(t *testing.T, dir string, files map[string]int) {
	t.Helper()
	for name := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		} else {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Directory times last: writing a file into a directory changes it.
	for pass := 0; pass < 2; pass++ {
		for name, min := range files {
			if strings.HasSuffix(name, "/") == (pass == 1) {
				tm := t0.Add(time.Duration(min) * time.Minute)
				if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(name)), tm, tm); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

func TestCheckpointReResolvesAfterItRan(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]int{"raw/A.txt": 0})
	g, r, err := Resolve(parse(t, checkpointFlow), Options{Stat: OSStat(dir), Env: rules.Env{Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	want := "split (s=A): missing output: split/A\nagg (s=A): waits for checkpoint split (s=A)\nall: upstream changed: agg/A.txt\n"
	if got := summary(g); got != want {
		t.Fatalf("before the checkpoint:\n%s\nwant\n%s", got, want)
	}
	checkGraph(t, g)

	p := NewPlan(g, r)
	if got := names(p.Ready()); got != "split (s=A)" {
		t.Fatalf("ready %q", got)
	}
	// The checkpoint "runs": it writes two files.
	tree(t, dir, map[string]int{"split/A/": 5, "split/A/1.txt": 5, "split/A/2.txt": 5})
	ready, err := p.Done(byName(t, g, "split (s=A)"), true)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(ready); got != "proc (i=1, s=A) proc (i=2, s=A)" {
		t.Fatalf("after the checkpoint, ready %q", got)
	}
	agg := byName(t, g, "agg (s=A)")
	if agg.Spec.Pending || len(agg.Spec.Inputs) != 2 || agg.Reason.Kind != UpstreamChanged {
		t.Errorf("agg: pending %v, inputs %v, reason %s", agg.Spec.Pending, agg.Spec.Inputs, agg.Reason)
	}
	if got := names(agg.Deps); got != "proc (i=1, s=A) proc (i=2, s=A) split (s=A)" {
		t.Errorf("agg deps %q", got)
	}
	for _, j := range ready {
		// The files proc reads are inside split's directory output, so
		// proc depends on split, which has just run.
		if j.ID < 3 || g.Jobs[j.ID] != j || !j.Stale || j.Reason != (Reason{UpstreamChanged, "split/A"}) || j.PathLen != 3 {
			t.Errorf("new job %s: ID %d, stale %v (%s), PathLen %d", j, j.ID, j.Stale, j.Reason, j.PathLen)
		}
		if g.Producer[j.Spec.Outputs[0].Path] != j {
			t.Errorf("Producer not updated for %s", j)
		}
	}
	// proc reads files inside split's directory output: split -> proc ->
	// agg -> all.
	if byName(t, g, "split (s=A)").PathLen != 4 {
		t.Errorf("split PathLen %d", byName(t, g, "split (s=A)").PathLen)
	}
	if p.Total() != 5 {
		t.Errorf("Total %d, want 5", p.Total())
	}
	if ready, _ := p.Done(ready[0], true); len(ready) != 0 {
		t.Errorf("agg ready after one of two proc jobs: %v", names(ready))
	}
	if ready, _ := p.Done(ready[1], true); names(ready) != "agg (s=A)" {
		t.Errorf("after both proc jobs, ready %q", names(ready))
	}
	if ready, _ := p.Done(agg, true); names(ready) != "all" {
		t.Errorf("after agg, ready %q", names(ready))
	}
	p.Done(byName(t, g, "all"), true)
	if p.More() {
		t.Error("More at the end")
	}
}

func TestCheckpointUpToDateFromEarlierRun(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]int{
		"raw/A.txt": 0, "split/A/": 1, "split/A/1.txt": 1, "split/A/2.txt": 1,
		"proc/A/1.txt": 2,
	})
	g, _, err := Resolve(parse(t, checkpointFlow), Options{Stat: OSStat(dir), Env: rules.Env{Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	checkGraph(t, g)
	want := `split (s=A): -
proc (i=1, s=A): -
proc (i=2, s=A): missing output: proc/A/2.txt
agg (s=A): missing output: agg/A.txt
all: upstream changed: agg/A.txt
`
	if got := summary(g); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestCheckpointFailureSkipsWaiters(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]int{"raw/A.txt": 0})
	g, r, err := Resolve(parse(t, checkpointFlow), Options{Stat: OSStat(dir), Env: rules.Env{Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	p := NewPlan(g, r)
	p.Ready()
	if ready, err := p.Done(byName(t, g, "split (s=A)"), false); err != nil || len(ready) != 0 {
		t.Errorf("ready %v, err %v", names(ready), err)
	}
	if p.More() || names(p.Skipped()) != "agg (s=A) all" {
		t.Errorf("More %v, skipped %q", p.More(), names(p.Skipped()))
	}
}

// After a checkpoint, a new job may need a deleted temp file that an older,
// up-to-date job makes: that job joins the plan, before the new job.
func TestCheckpointRevivesTempProducer(t *testing.T) {
	src := strings.Replace(checkpointFlow, `rule "all" { input = ["agg/A.txt"] }`, `
rule "all" { input = ["agg/A.txt", "other.txt"] }
rule "index" {
  output = [temp("ref.idx")]
}
rule "other" {
  input  = ["ref.idx"]
  output = ["other.txt"]
}`, 1)
	src = strings.Replace(src, `input  = ["split/{s}/{i}.txt"]`, `input  = ["split/{s}/{i}.txt", "ref.idx"]`, 1)
	dir := t.TempDir()
	tree(t, dir, map[string]int{"raw/A.txt": 0, "other.txt": 1})
	g, r, err := Resolve(parse(t, src), Options{Stat: OSStat(dir), Env: rules.Env{Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	if byName(t, g, "index").Stale || byName(t, g, "other").Stale {
		t.Fatalf("index and other should be up to date:\n%s", summary(g))
	}
	p := NewPlan(g, r)
	p.Ready()
	tree(t, dir, map[string]int{"split/A/": 5, "split/A/1.txt": 5})
	ready, err := p.Done(byName(t, g, "split (s=A)"), true)
	if err != nil {
		t.Fatal(err)
	}
	index := byName(t, g, "index")
	if got := names(ready); got != "index" || !index.Stale || index.Reason.String() != "missing output: ref.idx" {
		t.Fatalf("ready %q; index stale %v (%s)", got, index.Stale, index.Reason)
	}
	other := byName(t, g, "other")
	if !other.Stale || other.Reason.Kind != UpstreamChanged {
		t.Errorf("other: stale %v (%s)", other.Stale, other.Reason)
	}
	ready, _ = p.Done(index, true)
	if got := names(ready); got != "other proc (i=1, s=A)" {
		t.Errorf("after index, ready %q", got)
	}
	if p.Total() != 6 { // split, agg, all; then proc, index, other
		t.Errorf("Total %d", p.Total())
	}
}

// The graph holds no resolver: a plan made without the Resolver cannot
// re-resolve the waiters of a checkpoint, and says so instead of hanging.
func TestCheckpointWithoutResolver(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]int{"raw/A.txt": 0})
	g, err := Build(parse(t, checkpointFlow), Options{Stat: OSStat(dir), Env: rules.Env{Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	p := NewPlan(g, nil)
	p.Ready()
	tree(t, dir, map[string]int{"split/A/": 5, "split/A/1.txt": 5})
	_, err = p.Done(byName(t, g, "split (s=A)"), true)
	if err == nil || !strings.Contains(err.Error(), "no Resolver to resolve agg (s=A) again") {
		t.Errorf("want an error naming the waiter, got %v", err)
	}
}

// Fallback inside a checkpoint's re-resolution: the preferred rule for a
// new input cannot run, the other one is used.
func TestCheckpointReResolveFallsBack(t *testing.T) {
	src := `
ruleorder = ["fromgone", "fromraw"]
rule "all" { input = ["agg/A.txt"] }
checkpoint "split" {
  input  = ["raw/{s}.txt"]
  output = [directory("split/{s}")]
}
rule "agg" {
  input  = [for f in checkpoint_output("split", wildcards) : "norm/${f}"]
  output = ["agg/{s}.txt"]
}
rule "fromgone" {
  input  = ["gone/{p}"]
  output = ["norm/{p}"]
}
rule "fromraw" {
  input  = ["raw/A.txt"]
  output = ["norm/{p}"]
}
`
	dir := t.TempDir()
	tree(t, dir, map[string]int{"raw/A.txt": 0})
	g, r, err := Resolve(parse(t, src), Options{Stat: OSStat(dir), Env: rules.Env{Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	p := NewPlan(g, r)
	p.Ready()
	tree(t, dir, map[string]int{"split/A/": 5, "split/A/1.txt": 5})
	ready, err := p.Done(byName(t, g, "split (s=A)"), true)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(ready); got != "fromraw (p=split/A)" {
		t.Errorf("ready %q, want fromraw's job", got)
	}
	// Graph.Jobs is not topological after a checkpoint (see the package
	// doc), but nothing of the failed candidate is left in it.
	checkClosed(t, g)
	for _, j := range g.Jobs {
		if j.Spec.Rule.Name == "fromgone" {
			t.Errorf("failed candidate %s in the graph", j)
		}
	}
}

// A job added after a checkpoint takes an older job's output as ancient():
// that job re-running in this invocation does not make the new job stale.
func TestCheckpointAddedJobAncientInput(t *testing.T) {
	src := strings.Replace(checkpointFlow, `rule "all" { input = ["agg/A.txt"] }`, `
rule "all" { input = ["agg/A.txt", "ref.txt"] }
rule "ref" {
  input  = ["ref.src"]
  output = ["ref.txt"]
}
rule "note" {
  input  = [ancient("ref.txt")]
  output = ["note/{i}.txt"]
}`, 1)
	src = strings.Replace(src, `input = expand("proc/{s}/{i}.txt", {`, `input = concat([for i in glob_wildcards("${checkpoint_output("split", wildcards)[0]}/{i}.txt").i : "note/${i}.txt"], expand("proc/{s}/{i}.txt", {`, 1)
	src = strings.Replace(src, `.i,
  })`, `.i,
  }))`, 1)
	dir := t.TempDir()
	tree(t, dir, map[string]int{"raw/A.txt": 0, "ref.txt": 1, "ref.src": 3})
	g, r, err := Resolve(parse(t, src), Options{Stat: OSStat(dir), Env: rules.Env{Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	if ref := byName(t, g, "ref"); !ref.Stale {
		t.Fatalf("ref should be stale (ref.src is newer):\n%s", summary(g))
	}
	p := NewPlan(g, r)
	p.Ready()
	tree(t, dir, map[string]int{"split/A/": 5, "split/A/1.txt": 5, "note/1.txt": 6})
	if _, err := p.Done(byName(t, g, "split (s=A)"), true); err != nil {
		t.Fatal(err)
	}
	if note := byName(t, g, "note (i=1)"); note.Stale {
		t.Errorf("note is stale (%s); its only input is ancient()", note.Reason)
	}
}
