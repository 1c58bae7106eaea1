package dag

import (
	"io/fs"
	"strconv"
	"testing"
	"testing/fstest"
)

// fakeChecker stands in for the metadata store.
type fakeChecker struct {
	verdict map[string]Reason // by job name; absent: keep the timestamp verdict
	calls   []string
}

func (c *fakeChecker) Check(j *Job, byTime Reason) Reason {
	c.calls = append(c.calls, j.String()+" "+byTime.String())
	if r, ok := c.verdict[j.String()]; ok {
		return r
	}
	return byTime
}

func TestStaleness(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		files map[string]int
		opts  Options
		want  string
	}{{
		name:  "everything up to date",
		src:   chainFlow,
		files: map[string]int{"raw/A.gz": 0, "tmp/A.txt": 1, "out/A.txt": 2},
		want:  "unzip (s=A): -\nsort (s=A): -\nall: -\n",
	}, {
		name:  "missing output",
		src:   chainFlow,
		files: map[string]int{"raw/A.gz": 0, "tmp/A.txt": 1},
		want:  "unzip (s=A): -\nsort (s=A): missing output: out/A.txt\nall: upstream changed: out/A.txt\n",
	}, {
		name:  "input newer than the oldest output",
		src:   chainFlow,
		files: map[string]int{"raw/A.gz": 5, "tmp/A.txt": 1, "out/A.txt": 2},
		want:  "unzip (s=A): input newer: raw/A.gz\nsort (s=A): upstream changed: tmp/A.txt\nall: upstream changed: out/A.txt\n",
	}, {
		name:  "equal times are up to date",
		src:   chainFlow,
		files: map[string]int{"raw/A.gz": 1, "tmp/A.txt": 1, "out/A.txt": 1},
		want:  "unzip (s=A): -\nsort (s=A): -\nall: -\n",
	}, {
		name:  "temp intermediate gone, consumer up to date: not rebuilt",
		src:   chainFlow,
		files: map[string]int{"raw/A.gz": 0, "out/A.txt": 2},
		want:  "unzip (s=A): -\nsort (s=A): -\nall: -\n",
	}, {
		name:  "temp intermediate gone, its input touched: rebuilt",
		src:   chainFlow,
		files: map[string]int{"raw/A.gz": 5, "out/A.txt": 2},
		want:  "unzip (s=A): missing output: tmp/A.txt\nsort (s=A): input newer: tmp/A.txt\nall: upstream changed: out/A.txt\n",
	}, {
		name:  "requested intermediate is rebuilt",
		src:   chainFlow,
		files: map[string]int{"raw/A.gz": 0, "out/A.txt": 2},
		opts:  Options{Targets: []string{"tmp/A.txt"}},
		want:  "unzip (s=A): missing output: tmp/A.txt\n",
	}, {
		name:  "requested intermediate and its consumer",
		src:   chainFlow,
		files: map[string]int{"raw/A.gz": 0, "out/A.txt": 2},
		opts:  Options{Targets: []string{"out/A.txt", "tmp/A.txt"}},
		want:  "unzip (s=A): missing output: tmp/A.txt\nsort (s=A): upstream changed: tmp/A.txt\n",
	}, {
		name: "ancient input never makes a job stale",
		src: `
rule "all" { input = ["out/A.txt"] }
rule "sort" {
  input  = [ancient("raw/{s}.txt")]
  output = ["out/{s}.txt"]
}
`,
		files: map[string]int{"raw/A.txt": 9, "out/A.txt": 2},
		want:  "sort (s=A): -\nall: -\n",
	}, {
		name:  "forceall",
		src:   chainFlow,
		files: map[string]int{"raw/A.gz": 0, "tmp/A.txt": 1, "out/A.txt": 2},
		opts:  Options{ForceAll: true},
		want:  "unzip (s=A): forced\nsort (s=A): forced\nall: forced\n",
	}, {
		name:  "forcerun a rule: its jobs and everything downstream",
		src:   chainFlow,
		files: map[string]int{"raw/A.gz": 0, "tmp/A.txt": 1, "out/A.txt": 2},
		opts:  Options{ForceRules: []string{"sort"}},
		want:  "unzip (s=A): -\nsort (s=A): forced\nall: upstream changed: out/A.txt\n",
	}, {
		name:  "forcerun a consumer of a deleted temp file rebuilds it",
		src:   chainFlow,
		files: map[string]int{"raw/A.gz": 0, "out/A.txt": 2},
		opts:  Options{ForceRules: []string{"sort"}},
		want:  "unzip (s=A): missing output: tmp/A.txt\nsort (s=A): forced\nall: upstream changed: out/A.txt\n",
	}, {
		name:  "until holds back what is downstream",
		src:   chainFlow,
		files: map[string]int{"raw/A.gz": 0},
		opts:  Options{Until: []string{"unzip"}},
		want:  "unzip (s=A): missing output: tmp/A.txt\nsort (s=A): held (missing output: out/A.txt)\nall: held (upstream changed: out/A.txt)\n",
	}, {
		name: "a stale consumer rebuilds a shared intermediate, so its other consumer runs too",
		src: `
rule "all" { input = ["b.txt", "c.txt"] }
rule "mid" {
  input  = ["a.txt"]
  output = [temp("m.txt")]
}
rule "b" {
  input  = ["m.txt"]
  output = ["b.txt"]
}
rule "c" {
  input  = ["m.txt"]
  output = ["c.txt"]
}
`,
		files: map[string]int{"a.txt": 0, "b.txt": 2},
		want:  "mid: missing output: m.txt\nb: upstream changed: m.txt\nc: missing output: c.txt\nall: upstream changed: b.txt\n",
	}, {
		name: "rule target without outputs requests its inputs",
		src: `
rule "all" { input = ["m.txt"] }
rule "mid" {
  input  = ["a.txt"]
  output = [temp("m.txt")]
}
`,
		files: map[string]int{"a.txt": 0},
		want:  "mid: missing output: m.txt\nall: upstream changed: m.txt\n",
	}, {
		name: "directory outputs use the directory's time",
		src: `
rule "all" { input = ["split/A"] }
rule "split" {
  input  = ["raw/{s}.txt"]
  output = [directory("split/{s}")]
}
`,
		files: map[string]int{"raw/A.txt": 3, "split/A": -1},
		want:  "split (s=A): input newer: raw/A.txt\nall: upstream changed: split/A\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Stat = disk(tt.files)
			if tt.name == "directory outputs use the directory's time" {
				m := opts.Stat.(fstest.MapFS)
				m["split/A"].Mode = fs.ModeDir | 0o755
				m["split/A/part1"] = &fstest.MapFile{ModTime: t0.Add(50 * 60e9)}
			}
			g, err := Build(parse(t, tt.src), opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(g); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			checkGraph(t, g)
		})
	}
}

func TestChecker(t *testing.T) {
	files := map[string]int{"raw/A.gz": 5, "tmp/A.txt": 1, "out/A.txt": 2}
	tests := []struct {
		name    string
		files   map[string]int
		verdict map[string]Reason
		want    string
		calls   int
	}{{
		name:    "content unchanged turns input newer into up to date",
		files:   files,
		verdict: map[string]Reason{"unzip (s=A)": {}},
		want:    "unzip (s=A): -\nsort (s=A): -\nall: -\n",
		calls:   2,
	}, {
		name:    "code changed makes an up-to-date job stale",
		files:   map[string]int{"raw/A.gz": 0, "tmp/A.txt": 1, "out/A.txt": 2},
		verdict: map[string]Reason{"sort (s=A)": {Kind: CodeChanged}},
		want:    "unzip (s=A): -\nsort (s=A): code changed\nall: upstream changed: out/A.txt\n",
		calls:   2,
	}, {
		name:    "not asked about jobs with missing outputs",
		files:   map[string]int{"raw/A.gz": 0, "tmp/A.txt": 1},
		verdict: map[string]Reason{"sort (s=A)": {}},
		want:    "unzip (s=A): -\nsort (s=A): missing output: out/A.txt\nall: upstream changed: out/A.txt\n",
		calls:   1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &fakeChecker{verdict: tt.verdict}
			g, err := Build(parse(t, chainFlow), Options{Stat: disk(tt.files), Checker: c})
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(g); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if len(c.calls) != tt.calls {
				t.Errorf("Checker called for %q, want %d calls", c.calls, tt.calls)
			}
		})
	}
}

func TestPathLenAndOrder(t *testing.T) {
	// a -> b -> d, a -> c -> d, d -> all, plus e -> all.
	src := `
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
	g, err := Build(parse(t, src), Options{Stat: disk(nil)})
	if err != nil {
		t.Fatal(err)
	}
	checkGraph(t, g)
	want := map[string]int{"all": 1, "d": 2, "e": 2, "b": 3, "c": 3, "a": 4}
	order := ""
	for _, j := range g.Jobs {
		order += j.String() + " "
		if j.PathLen != want[j.String()] {
			t.Errorf("%s: PathLen %d, want %d", j, j.PathLen, want[j.String()])
		}
	}
	if order != "a b c d e all " {
		t.Errorf("order %q", order)
	}
	if len(g.Targets) != 1 || g.Targets[0].String() != "all" || !g.Targets[0].Target {
		t.Errorf("targets %v", g.Targets)
	}
}

func TestSources(t *testing.T) {
	g, err := Build(parse(t, alignFlow), Options{Stat: disk(map[string]int{"data/B.fq": 0, "data/A.fq": 0})})
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Sources; len(got) != 2 || got[0] != "data/A.fq" || got[1] != "data/B.fq" {
		t.Errorf("Sources %v", got)
	}
}

// A chain of 10,000 jobs: resolution must not recurse per job.
func TestLongChain(t *testing.T) {
	n := 10000
	if raceEnabled {
		n = 2000
	}
	src := `
rule "all" { input = ["s/` + strconv.Itoa(n) + `.txt"] }
rule "step" {
  input  = wildcards.n == "0" ? ["seed.txt"] : ["s/${wildcards.n - 1}.txt"]
  output = ["s/{n}.txt"]
}
`
	g, err := Build(parse(t, src), Options{Stat: disk(map[string]int{"seed.txt": 0})})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Jobs) != n+2 {
		t.Fatalf("%d jobs", len(g.Jobs))
	}
	if g.Jobs[0].PathLen != n+2 || g.Jobs[0].String() != "step (n=0)" {
		t.Errorf("first job %s PathLen %d", g.Jobs[0], g.Jobs[0].PathLen)
	}
	checkGraph(t, g)
}
