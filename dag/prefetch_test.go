package dag

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// serialStat hides OSStat's type, so Build stats one file at a time.
type serialStat struct{ disk Stat }

func (s serialStat) Stat(name string) (fs.FileInfo, error) { return s.disk.Stat(name) }

// TestPrefetchSameAsSerial: on the real disk, outputs are statted in
// parallel up front, skipping the files of missing directories; the graph
// must be the one statting each file in turn gives.
func TestPrefetchSameAsSerial(t *testing.T) {
	n := prefetchMin // 3n+1 jobs, 3n outputs in a/, b/ and c/
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T, dir string)
	}{
		{"nothing made", func(t *testing.T, dir string) {}},
		{"some made, some missing", func(t *testing.T, dir string) {
			for i := 0; i < n; i++ {
				for k, sub := range []string{"a", "b", "c"} {
					if (i+k)%4 != 0 {
						writeAged(t, filepath.Join(dir, sub, fmt.Sprintf("s%d.txt", i)), (i*7+k*3)%5)
					}
				}
			}
		}},
		{"a directory missing, another a file", func(t *testing.T, dir string) {
			for i := 0; i < n; i += 3 {
				writeAged(t, filepath.Join(dir, "a", fmt.Sprintf("s%d.txt", i)), i%3)
			}
			writeAged(t, filepath.Join(dir, "b"), 0) // c/ does not exist
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			wf := parse(t, benchFlow(n))
			par, err := Build(wf, Options{Stat: OSStat(dir)})
			if err != nil {
				t.Fatal(err)
			}
			ser, err := Build(wf, Options{Stat: serialStat{OSStat(dir)}})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := summary(par), summary(ser); got != want {
				t.Errorf("parallel stat gives another graph:\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// writeAged makes an empty file modified min minutes after t0.
func writeAged(t *testing.T, p string, min int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	mt := t0.Add(time.Duration(min) * time.Minute)
	if err := os.Chtimes(p, mt, mt); err != nil {
		t.Fatal(err)
	}
}

// TestFactsSameAsMaps: decideAll's inputs facts, gathered in parallel,
// give the graph the maps give looked up one at a time.
func TestFactsSameAsMaps(t *testing.T) {
	const mixed = `
rule "all" { input = ["z/1.txt", "z/2.txt", "c.txt"] }
rule "z" {
  input  = [ancient("old/{n}.txt"), "c.txt", "b/{n}.txt", "a.txt"]
  output = ["z/{n}.txt"]
}
rule "b" {
  input  = ["a.txt", "c.txt"]
  output = ["b/{n}.txt", "b/{n}.log"]
}
rule "a" { output = ["a.txt"] }
rule "c" {
  input  = ["a.txt"]
  output = ["c.txt"]
}
`
	bench := map[string]int{}
	for i := 0; i < 60; i++ {
		for k, sub := range []string{"a", "b", "c"} {
			if (i+k)%4 != 0 {
				bench[fmt.Sprintf("%s/s%d.txt", sub, i)] = (i*7 + k*3) % 5
			}
		}
	}
	cases := []struct {
		name  string
		src   string
		files map[string]int
		opts  Options
	}{
		{"bench mixed", benchFlow(60), bench, Options{}},
		{"bench forced", benchFlow(60), bench, Options{ForceRules: []string{"b"}}},
		{"bench until", benchFlow(60), bench, Options{Until: []string{"b"}}},
		{"mixed, new source", mixed, map[string]int{"a.txt": 3, "c.txt": 1, "b/1.txt": 2, "b/1.log": 2, "z/1.txt": 2, "old/1.txt": 9, "old/2.txt": 0}, Options{}},
		{"mixed, all there", mixed, map[string]int{"a.txt": 0, "c.txt": 1, "b/1.txt": 2, "b/1.log": 2, "b/2.txt": 2, "b/2.log": 2, "z/1.txt": 3, "z/2.txt": 3, "old/1.txt": 9, "old/2.txt": 0}, Options{}},
		{"chain", chainFlow, map[string]int{"raw/A.gz": 5, "tmp/A.txt": 1}, Options{}},
		{"align", alignFlow, map[string]int{"data/B.fq": 0, "data/A.fq": 0}, Options{}},
		{"diamond", diamond, nil, Options{}},
	}
	defer func(m int) { factsMin = m }(factsMin)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wf := parse(t, c.src)
			build := func(min int) string {
				factsMin = min
				opts := c.opts
				opts.Stat = disk(c.files)
				g, err := Build(wf, opts)
				if err != nil {
					t.Fatal(err)
				}
				return summary(g)
			}
			if got, want := build(1), build(1<<30); got != want {
				t.Errorf("with facts:\n%s\nwant\n%s", got, want)
			}
		})
	}
}
