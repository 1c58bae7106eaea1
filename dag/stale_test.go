package dag

import (
	"io/fs"
	"slices"
	"strconv"
	"testing"
	"testing/fstest"
	"time"
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

// finishChecker is a Checker that also knows finish times (FinishTimes),
// in minutes after t0, as the metadata store does.
type finishChecker struct {
	fakeChecker
	at    map[string]int
	asked []string
}

func (c *finishChecker) FinishTime(output string) (time.Time, bool) {
	c.asked = append(c.asked, output)
	m, ok := c.at[output]
	return t0.Add(time.Duration(m) * time.Minute), ok
}

// TestStalenessAsSnakemake pins the staleness rules taken from Snakemake
// 7.21 (each checked there on the same workflow): jobs without outputs,
// ancient() edges, directory() outputs judged by their job's finish time.
func TestStalenessAsSnakemake(t *testing.T) {
	const noOutputs = `
rule "all" { input = ["a.txt"] }
rule "report" {
  input = ["a.txt"]
  shell = "echo ran >> log.txt"
}
rule "plot" {
  input  = ["a.txt"]
  script = "plot.py"
}
rule "hello" { shell = "echo hi" }
rule "a" {
  output = ["a.txt"]
  shell  = "echo a > a.txt"
}
`
	const ancientFlow = `
rule "b" {
  input  = [ancient("a.txt")]
  output = ["b.txt"]
}
rule "a" {
  input  = ["src.txt"]
  output = ["a.txt"]
}
`
	const twoOutputs = `
rule "align" {
  input  = ["reads.fq"]
  output = ["res.aln", "res.stats"]
}
`
	const dirFlow = `
rule "all" { input = ["count.txt"] }
rule "count" {
  input  = ["split"]
  output = ["count.txt"]
}
rule "split" {
  input  = ["raw.txt"]
  output = [directory("split")]
}
`
	tests := []struct {
		name   string
		src    string
		files  map[string]int
		dirs   []string
		finish map[string]int // FinishTimes; nil: a Checker without them
		opts   Options
		want   string
	}{{
		name:  "input-only rule without a command: not run when its inputs are up to date",
		src:   noOutputs,
		files: map[string]int{"a.txt": 1},
		want:  "a: -\nall: -\n",
	}, {
		name:  "input-only rule without a command: runs for its inputs",
		src:   noOutputs,
		files: map[string]int{},
		want:  "a: missing output: a.txt\nall: upstream changed: a.txt\n",
	}, {
		name:  "rule with inputs and a shell but no outputs: always runs",
		src:   noOutputs,
		files: map[string]int{"a.txt": 1},
		opts:  Options{Targets: []string{"report"}},
		want:  "a: -\nreport: no output files (always runs)\n",
	}, {
		name:  "rule with inputs and a script but no outputs: always runs",
		src:   noOutputs,
		files: map[string]int{"a.txt": 1},
		opts:  Options{Targets: []string{"plot"}},
		want:  "a: -\nplot: no output files (always runs)\n",
	}, {
		name: "rule with neither inputs nor outputs: always runs",
		src:  noOutputs,
		opts: Options{Targets: []string{"hello"}},
		want: "hello: no output files (always runs)\n",
	}, {
		name:  "ancient input: a forced producer does not make its consumer stale",
		src:   ancientFlow,
		files: map[string]int{"src.txt": 0, "a.txt": 1, "b.txt": 2},
		opts:  Options{ForceRules: []string{"a"}},
		want:  "a: forced\nb: -\n",
	}, {
		name:  "ancient input: a producer with a newer input does not make its consumer stale",
		src:   ancientFlow,
		files: map[string]int{"src.txt": 9, "a.txt": 1, "b.txt": 2},
		want:  "a: input newer: src.txt\nb: -\n",
	}, {
		name:  "ancient input that is missing: the forced producer's run reaches the consumer",
		src:   ancientFlow,
		files: map[string]int{"src.txt": 0, "b.txt": 2},
		opts:  Options{ForceRules: []string{"a"}},
		want:  "a: forced\nb: upstream changed: a.txt\n",
	}, {
		name:  "ancient input that is missing, nothing forced: nothing to do",
		src:   ancientFlow,
		files: map[string]int{"src.txt": 0, "b.txt": 2},
		want:  "a: -\nb: -\n",
	}, {
		name: "a producer used as ancient and plain input still counts",
		src: `
rule "b" {
  input  = [ancient("a.txt"), "a2.txt"]
  output = ["b.txt"]
}
rule "a" {
  input  = ["src.txt"]
  output = ["a.txt", "a2.txt"]
}
`,
		files: map[string]int{"src.txt": 0, "a.txt": 1, "a2.txt": 1, "b.txt": 2},
		opts:  Options{ForceRules: []string{"a"}},
		want:  "a: forced\nb: upstream changed: a2.txt\n",
	}, {
		name: "upstream changed names a plain input, not an ancient one",
		src: `
rule "b" {
  input  = [ancient("a.txt"), "c.txt"]
  output = ["b.txt"]
}
rule "a" { output = ["a.txt"] }
rule "c" { output = ["c.txt"] }
`,
		files: map[string]int{"a.txt": 1, "c.txt": 1, "b.txt": 2},
		opts:  Options{ForceRules: []string{"a", "c"}},
		want:  "a: forced\nc: forced\nb: upstream changed: c.txt\n",
	}, {
		name:  "a file target wants that file, not its job's other outputs",
		src:   twoOutputs,
		files: map[string]int{"reads.fq": 0, "res.stats": 1},
		opts:  Options{Targets: []string{"res.stats"}},
		want:  "align: -\n",
	}, {
		name: "one output deleted, the other older than the input: stale for the input",
		src: twoOutputs + `rule "use" {
  input  = ["res.stats"]
  output = ["use.txt"]
}
`,
		files: map[string]int{"reads.fq": 5, "res.stats": 1, "use.txt": 2},
		opts:  Options{Targets: []string{"use.txt"}},
		want:  "align: input newer: reads.fq\nuse: upstream changed: res.stats\n",
	}, {
		name: "one output deleted, nothing needs it: up to date",
		src: twoOutputs + `rule "use" {
  input  = ["res.stats"]
  output = ["use.txt"]
}
`,
		files: map[string]int{"reads.fq": 0, "res.stats": 1, "use.txt": 2},
		opts:  Options{Targets: []string{"use.txt"}},
		want:  "align: -\nuse: -\n",
	}, {
		name:  "a file target that is missing",
		src:   twoOutputs,
		files: map[string]int{"reads.fq": 0, "res.stats": 1},
		opts:  Options{Targets: []string{"./res.aln"}},
		want:  "align: missing output: res.aln\n",
	}, {
		name:  "a rule target wants all its outputs",
		src:   twoOutputs,
		files: map[string]int{"reads.fq": 0, "res.stats": 1},
		opts:  Options{Targets: []string{"align"}},
		want:  "align: missing output: res.aln\n",
	}, {
		name:  "the default target is a rule target",
		src:   twoOutputs,
		files: map[string]int{"reads.fq": 0, "res.stats": 1},
		want:  "align: missing output: res.aln\n",
	}, {
		name: "a consumer of the other output still needs it",
		src: twoOutputs + `rule "use" {
  input  = ["res.aln"]
  output = ["use.txt"]
}
`,
		files: map[string]int{"reads.fq": 0, "res.stats": 1},
		opts:  Options{Targets: []string{"res.stats", "use.txt"}},
		want:  "align: missing output: res.aln\nuse: missing output: use.txt\n",
	}, {
		name:   "directory: a file dropped in later does not make its consumer stale",
		src:    dirFlow,
		files:  map[string]int{"raw.txt": 0, "split": 50, "split/part1": 1, "split/extra": 50, "count.txt": 2},
		dirs:   []string{"split"},
		finish: map[string]int{"split": 1},
		want:   "split: -\ncount: -\nall: -\n",
	}, {
		name:   "directory: its job finished after the consumer ran",
		src:    dirFlow,
		files:  map[string]int{"raw.txt": 0, "split": 1, "split/part1": 1, "count.txt": 2},
		dirs:   []string{"split"},
		finish: map[string]int{"split": 3},
		want:   "split: -\ncount: input newer: split\nall: upstream changed: count.txt\n",
	}, {
		name:   "directory: an input newer than the job's finish time",
		src:    dirFlow,
		files:  map[string]int{"raw.txt": 5, "split": 9, "split/part1": 1, "count.txt": 10},
		dirs:   []string{"split"},
		finish: map[string]int{"split": 1},
		want:   "split: input newer: raw.txt\ncount: upstream changed: split\nall: upstream changed: count.txt\n",
	}, {
		name:   "directory without a record: its own mtime",
		src:    dirFlow,
		files:  map[string]int{"raw.txt": 0, "split": 50, "split/part1": 1, "count.txt": 2},
		dirs:   []string{"split"},
		finish: map[string]int{},
		want:   "split: -\ncount: input newer: split\nall: upstream changed: count.txt\n",
	}, {
		name:  "directory, a Checker without finish times: its own mtime",
		src:   dirFlow,
		files: map[string]int{"raw.txt": 0, "split": 50, "split/part1": 1, "count.txt": 2},
		dirs:  []string{"split"},
		want:  "split: -\ncount: input newer: split\nall: upstream changed: count.txt\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			m := disk(tt.files)
			for _, d := range tt.dirs {
				m[d].Mode = fs.ModeDir | 0o755
			}
			opts.Stat = m
			fc := &finishChecker{at: tt.finish}
			if tt.finish != nil {
				opts.Checker = fc
			} else {
				opts.Checker = &fakeChecker{}
			}
			g, err := Build(parse(t, tt.src), opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(g); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			for _, p := range fc.asked {
				if p != "split" {
					t.Errorf("FinishTime asked for %s, which is not a directory() output", p)
				}
			}
			checkGraph(t, g)
		})
	}
}

// TestStaleFactsFollowRenumbering: the builder's per-job facts are kept
// by Job.ID; a job that moved to another ID must find its own facts, not
// its predecessor's.
func TestStaleFactsFollowRenumbering(t *testing.T) {
	g, err := Build(parse(t, chainFlow), Options{Stat: disk(map[string]int{"raw/A.gz": 0})})
	if err != nil {
		t.Fatal(err)
	}
	b := &builder{g: g}
	for _, j := range g.Jobs {
		b.fact(j).missing = j.Key
	}
	// Reverse the IDs, as a renumbering might.
	slices.Reverse(g.Jobs)
	for i, j := range g.Jobs {
		j.ID = i
	}
	for _, j := range g.Jobs {
		if got := b.missingOutput(j); got != j.Key {
			t.Errorf("%s: facts of %q", j, got)
		}
	}
	// A job appended later gets fresh facts.
	extra := &Job{ID: len(g.Jobs), Key: "extra"}
	g.Jobs = append(g.Jobs, extra)
	if got := b.missingOutput(extra); got != "" {
		t.Errorf("new job has facts %q", got)
	}
	// A job that is not in the graph gets nothing remembered.
	stray := &Job{ID: 0, Key: "stray"}
	b.fact(stray).missing = "x"
	if b.missingOutput(stray) != "" || b.missingOutput(g.Jobs[0]) != g.Jobs[0].Key {
		t.Error("a job outside the graph took a slot")
	}
}

// TestEmptyWildcardTarget: the output index finds a pattern whose
// wildcard may be empty ("{suffix,.*}") for a path that is just its
// literal text; the default constraint still needs a character.
func TestEmptyWildcardTarget(t *testing.T) {
	wf := parse(t, `
rule "a" { output = ["out{suffix,.*}.txt"] }
rule "b" { output = ["b{x}.txt"] }
rule "c" { output = ["c/x{s,.*}"] }
`)
	for _, c := range []struct {
		target, want string
	}{
		{"out.txt", "a (suffix=\"\"): missing output: out.txt\n"},
		{"outX.txt", "a (suffix=X): missing output: outX.txt\n"},
		{"c/x", "c (s=\"\"): missing output: c/x\n"},
		{"b.txt", ""},
	} {
		g, err := Build(wf, Options{Targets: []string{c.target}, Stat: disk(nil)})
		if c.want == "" {
			if err == nil {
				t.Errorf("%s: built %s", c.target, summary(g))
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.target, err)
			continue
		}
		if got := summary(g); got != c.want {
			t.Errorf("%s: got %q, want %q", c.target, got, c.want)
		}
	}
}
