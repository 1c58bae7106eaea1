package dag

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flowmake/flowmake/rules"
)

// plainStat hides osStat from prefetchNew, which then leaves every stat
// to measure, one at a time.
type plainStat struct{ st Stat }

func (p plainStat) Stat(name string) (fs.FileInfo, error) { return p.st.Stat(name) }

// A checkpoint that writes more files than prefetchMin: the stats that
// prefetchNew makes in parallel leave the same stat cache and the same
// graph as measure's own, one at a time.
func TestCheckpointPrefetchMatchesMeasure(t *testing.T) {
	const n = prefetchMin + 100
	run := func(stat func(dir string) Stat) (string, map[string]int64) {
		dir := t.TempDir()
		// Items done in an earlier run, some of them: their outputs exist.
		if err := os.MkdirAll(filepath.Join(dir, "done"), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i += 3 {
			if err := os.WriteFile(filepath.Join(dir, "done", fmt.Sprintf("%d.txt", i)), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		g, r, err := Resolve(parse(t, checkpointScale), Options{Stat: stat(dir), Env: rules.Env{Dir: dir}})
		if err != nil {
			t.Fatal(err)
		}
		p := NewPlan(g, r)
		ready := p.Ready()
		if len(ready) != 1 {
			t.Fatalf("ready %v", names(ready))
		}
		// The checkpoint "runs".
		items := filepath.Join(dir, "items")
		if err := os.MkdirAll(items, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			f := filepath.Join(items, fmt.Sprintf("%d.txt", i))
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			tm := t0.Add(time.Duration(i) * time.Second) // distinct, so a mixed-up cache shows
			if err := os.Chtimes(f, tm, tm); err != nil {
				t.Fatal(err)
			}
		}
		ready, err = p.Done(ready[0], true)
		if err != nil {
			t.Fatal(err)
		}
		if len(ready) != n {
			t.Fatalf("%d ready after the checkpoint, want %d", len(ready), n)
		}
		// Times relative to t0: the two runs' done/ files differ in mtime.
		times := map[string]int64{}
		for p, tm := range r.b.times {
			if tm != absent && filepath.Dir(p) == "items" {
				tm -= t0.UnixNano()
			} else if tm != absent {
				tm = 1 // exists
			}
			times[p] = tm
		}
		return summary(g), times
	}
	wantSum, wantTimes := run(func(dir string) Stat { return plainStat{OSStat(dir)} })
	gotSum, gotTimes := run(OSStat)
	if gotSum != wantSum {
		t.Errorf("graph with prefetching:\n%.500s\nwithout:\n%.500s", gotSum, wantSum)
	}
	if len(gotTimes) != len(wantTimes) {
		t.Errorf("stat cache holds %d paths with prefetching, %d without", len(gotTimes), len(wantTimes))
	}
	for p, w := range wantTimes {
		if g, ok := gotTimes[p]; !ok || g != w {
			t.Errorf("stat cache %s: %d (cached %v) with prefetching, %d without", p, g, ok, w)
		}
	}
	if got, want := wantTimes["items/7.txt"], int64(7*time.Second); got != want {
		t.Errorf("items/7.txt cached as %d, want %d", got, want)
	}
}
