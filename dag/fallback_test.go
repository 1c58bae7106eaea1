package dag

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// rawFlow: data/in.txt -> mid.txt (rule a) -> out.txt (rule b). The raw
// data is often deleted once the intermediates are built.
const rawFlow = `
rule "all" { input = ["out.txt"] }
rule "b" {
  input  = ["mid.txt"]
  output = ["out.txt"]
}
rule "a" {
  input  = ["data/in.txt"]
  output = ["mid.txt"]
}
`

// twoRules: x/{s}.out from {s}.in (slow) or from {s}.other (fast).
const twoRules = `
%s
rule "all" { input = ["x/A.out"] }
rule "slow" {
  input  = ["{s}.in"]
  output = ["x/{s}.out"]
}
rule "fast" {
  input  = ["{s}.other"]
  output = ["x/{s}.out"]
}
`

// cycleFlow: x.txt from y.txt and y.txt from x.txt.
const cycleFlow = `
rule "all" { input = ["x.txt"] }
rule "a" {
  input  = ["y.txt"]
  output = ["x.txt"]
}
rule "b" {
  input  = ["x.txt"]
  output = ["y.txt"]
}
`

// recFlow: a rule that needs its own output pattern with a longer value.
const recFlow = `
rule "all" { input = ["a/x.txt"] }
rule "rec" {
  input  = ["{base}/sub/x.txt"]
  output = ["{base}/x.txt"]
}
`

func TestFallbackResolves(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		files map[string]int
		opts  Options
		want  string   // summary(g)
		srcs  []string // Graph.Sources, when set
	}{{
		name:  "preferred candidate's input missing: the next one is used",
		src:   fmt.Sprintf(twoRules, `ruleorder = ["fast", "slow"]`),
		files: map[string]int{"A.in": 0},
		want:  "slow (s=A): missing output: x/A.out\nall: upstream changed: x/A.out\n",
		srcs:  []string{"A.in"},
	}, {
		name:  "ruleorder still decides when both can run",
		src:   fmt.Sprintf(twoRules, `ruleorder = ["fast", "slow"]`),
		files: map[string]int{"A.in": 0, "A.other": 0},
		want:  "fast (s=A): missing output: x/A.out\nall: upstream changed: x/A.out\n",
	}, {
		name:  "equal candidates, one cannot run: no ambiguity",
		src:   fmt.Sprintf(twoRules, ""),
		files: map[string]int{"A.other": 0},
		want:  "fast (s=A): missing output: x/A.out\nall: upstream changed: x/A.out\n",
	}, {
		name:  "raw data deleted after the intermediates were built: nothing to do",
		src:   rawFlow,
		files: map[string]int{"mid.txt": 1, "out.txt": 2},
		want:  "b: -\nall: -\n",
		srcs:  []string{"mid.txt"},
	}, {
		name:  "raw data deleted, an intermediate is older than it was: only b runs",
		src:   rawFlow,
		files: map[string]int{"mid.txt": 3, "out.txt": 2},
		want:  "b: input newer: mid.txt\nall: upstream changed: out.txt\n",
	}, {
		name:  "-F with the raw data gone: a is not forced, its output is a source",
		src:   rawFlow,
		files: map[string]int{"mid.txt": 1, "out.txt": 2},
		opts:  Options{ForceAll: true},
		want:  "b: forced\nall: forced\n",
		srcs:  []string{"mid.txt"},
	}, {
		name:  "-F with the raw data present forces the whole chain",
		src:   rawFlow,
		files: map[string]int{"data/in.txt": 0, "mid.txt": 1, "out.txt": 2},
		opts:  Options{ForceAll: true},
		want:  "a: forced\nb: forced\nall: forced\n",
	}, {
		name: "a rule without wildcards comes before a wildcard rule",
		src: `
rule "all" { input = ["f.out"] }
rule "any" {
  input  = ["{x}.in"]
  output = ["{x}.out"]
}
rule "lit" {
  input  = ["lit.in"]
  output = ["f.out"]
}
`,
		files: map[string]int{"f.in": 0, "lit.in": 0},
		want:  "lit: missing output: f.out\nall: upstream changed: f.out\n",
	}, {
		name: "the rule without wildcards cannot run: the wildcard rule is used",
		src: `
rule "all" { input = ["f.out"] }
rule "any" {
  input  = ["{x}.in"]
  output = ["{x}.out"]
}
rule "lit" {
  input  = ["lit.in"]
  output = ["f.out"]
}
`,
		files: map[string]int{"f.in": 0},
		want:  "any (x=f): missing output: f.out\nall: upstream changed: f.out\n",
	}, {
		name: "fallback two levels down: the failure climbs to the file with a choice",
		src: `
ruleorder = ["deep", "flat"]
rule "all" { input = ["r.txt"] }
rule "deep" {
  input  = ["m.txt"]
  output = ["r.txt"]
}
rule "mid" {
  input  = ["gone.txt"]
  output = ["m.txt"]
}
rule "flat" {
  input  = ["src.txt"]
  output = ["r.txt"]
}
`,
		files: map[string]int{"src.txt": 0},
		want:  "flat: missing output: r.txt\nall: upstream changed: r.txt\n",
		srcs:  []string{"src.txt"},
	}, {
		name:  "cycle through an existing file: it is a source, nothing to do",
		src:   cycleFlow,
		files: map[string]int{"x.txt": 1},
		// b reads x.txt as a source; y.txt stays missing, as only an
		// up-to-date job needs it.
		want: "b: -\na: -\nall: -\n",
		srcs: []string{"x.txt"},
	}, {
		name:  "cycle with both files existing: only the closing edge is cut",
		src:   cycleFlow,
		files: map[string]int{"y.txt": 1, "x.txt": 2},
		// b reads x.txt as a source and is older than it; a still needs b.
		want: "b: input newer: x.txt\na: upstream changed: y.txt\nall: upstream changed: x.txt\n",
	}, {
		name:  "cycle cut at the nearest existing file up the chain",
		src:   cycleFlow,
		files: map[string]int{"y.txt": 1},
		want:  "a: missing output: x.txt\nall: upstream changed: x.txt\n",
		srcs:  []string{"y.txt"},
	}, {
		name: "a rule that needs its own existing output",
		src: `
rule "all" { input = ["a.txt"] }
rule "loop" {
  input  = ["{x}.txt"]
  output = ["{x}.txt"]
}
`,
		files: map[string]int{"a.txt": 1},
		want:  "loop (x=a): -\nall: -\n",
	}, {
		name:  "periodic recursion with an existing file below the cut",
		src:   recFlow,
		files: map[string]int{"a/sub/sub/x.txt": 1},
		want:  "rec (base=a/sub): missing output: a/sub/x.txt\nrec (base=a): missing output: a/x.txt\nall: upstream changed: a/x.txt\n",
		srcs:  []string{"a/sub/sub/x.txt"},
	}, {
		name: "periodic recursion cut, another rule makes the file",
		src: recFlow + `
ruleorder = ["rec", "plain"]
rule "plain" {
  input  = ["seed.txt"]
  output = ["{base}/x.txt"]
}
`,
		files: map[string]int{"seed.txt": 0},
		// rec is preferred at every level, down to where it is cut;
		// plain makes the file there.
		want: recChain(),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Stat = disk(tt.files)
			g, err := Build(parse(t, tt.src), opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(g); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if tt.srcs != nil && strings.Join(g.Sources, " ") != strings.Join(tt.srcs, " ") {
				t.Errorf("sources %q, want %q", g.Sources, tt.srcs)
			}
			checkGraph(t, g)
			checkClosed(t, g)
		})
	}
}

// recChain is the summary of rec over plain: rec for 20 levels, plain at
// the 20th repeat of /sub, where rec is cut.
func recChain() string {
	var b strings.Builder
	for i := 20; i >= 0; i-- {
		base := "a" + strings.Repeat("/sub", i)
		rule := "rec"
		if i == 20 {
			rule = "plain"
		}
		fmt.Fprintf(&b, "%s (base=%s): missing output: %s/x.txt\n", rule, base, base)
	}
	return b.String() + "all: upstream changed: a/x.txt\n"
}

// checkClosed checks that the graph holds nothing of the jobs resolution
// dropped: every producer and every edge is a job in Graph.Jobs.
func checkClosed(t *testing.T, g *Graph) {
	t.Helper()
	in := map[*Job]bool{}
	for _, j := range g.Jobs {
		in[j] = true
	}
	for p, j := range g.Producer {
		if !in[j] {
			t.Errorf("Producer[%s] = %s, not in the graph", p, j)
		}
	}
	for _, j := range g.Jobs {
		for _, d := range j.Dependents {
			if !in[d] {
				t.Errorf("%s has dependent %s, not in the graph", j, d)
			}
		}
	}
	for _, j := range g.Targets {
		if !in[j] {
			t.Errorf("target %s not in the graph", j)
		}
	}
}

func TestFallbackErrors(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		files map[string]int
		opts  Options
		want  []string // substrings of err.Error()
		check func(t *testing.T, err error)
	}{{
		name:  "a target named on the command line whose rule cannot run, though the file exists",
		src:   rawFlow,
		files: map[string]int{"mid.txt": 1, "out.txt": 2},
		opts:  Options{Targets: []string{"mid.txt"}},
		want:  []string{"no rule makes data/in.txt, needed by mid.txt (rule a)"},
		check: func(t *testing.T, err error) {
			var e *MissingInputError
			if !errors.As(err, &e) || e.File != "data/in.txt" {
				t.Errorf("want *MissingInputError for data/in.txt, got %#v", err)
			}
		},
	}, {
		name:  "raw data and intermediates missing: the chain names the target",
		src:   rawFlow,
		files: map[string]int{},
		want:  []string{"no rule makes data/in.txt, needed by mid.txt (rule a) <- out.txt (rule b) <- rule all"},
	}, {
		name:  "every candidate fails: each is named with its reason",
		src:   fmt.Sprintf(twoRules, `ruleorder = ["fast", "slow"]`),
		files: map[string]int{},
		want: []string{"no rule can make x/A.out, needed by rule all; each candidate fails: ",
			"rule fast (s=A) at Rulefile:8:1: no rule makes A.other, needed by x/A.out (rule fast, s=A) <- rule all",
			"; rule slow (s=A) at Rulefile:4:1: no rule makes A.in, needed by x/A.out (rule slow, s=A) <- rule all"},
		check: func(t *testing.T, err error) {
			var e *UnresolvableError
			if !errors.As(err, &e) || e.File != "x/A.out" || len(e.Failed) != 2 {
				t.Fatalf("want *UnresolvableError for x/A.out with 2 candidates, got %#v", err)
			}
			var mi *MissingInputError
			if !errors.As(err, &mi) || mi.File != "A.other" {
				t.Errorf("errors.As finds the first candidate's reason: %#v", mi)
			}
		},
	}, {
		name:  "ambiguity among candidates that can run",
		src:   fmt.Sprintf(twoRules, ""),
		files: map[string]int{"A.in": 0, "A.other": 0},
		want:  []string{"x/A.out can be made by rule slow (s=A) at Rulefile:4:1 and by rule fast (s=A) at Rulefile:8:1"},
		check: func(t *testing.T, err error) {
			var e *AmbiguityError
			if !errors.As(err, &e) || len(e.Candidates) != 2 {
				t.Errorf("want *AmbiguityError with 2 candidates, got %#v", err)
			}
		},
	}, {
		name: "two rules without wildcards for one file are ambiguous",
		src: `
rule "all" { input = ["f.out"] }
rule "a" { output = ["f.out"] }
rule "b" { output = ["f.out"] }
rule "c" { output = ["{x}.out"] }
`,
		want: []string{"f.out can be made by rule a at Rulefile:3:1 and by rule b at Rulefile:4:1"},
		check: func(t *testing.T, err error) {
			if strings.Contains(err.Error(), "rule c") {
				t.Errorf("the wildcard rule ranks lower, yet is named: %v", err)
			}
		},
	}, {
		name: "cycle without an existing file",
		src:  cycleFlow,
		want: []string{"dependency cycle: a -> b -> a"},
		check: func(t *testing.T, err error) {
			var e *CycleError
			if !errors.As(err, &e) || len(e.Path) != 3 {
				t.Errorf("want *CycleError of 3 steps, got %#v", err)
			}
		},
	}, {
		name: "periodic recursion: the error names rule, wildcard and chain",
		src:  recFlow,
		want: []string{`recursion cut at rule rec: wildcard base repeats "/sub" (periodic wildcard)`,
			"needed by a/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/x.txt (rule rec, base=a/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub) <- ",
			"(19 more) <- a/x.txt (rule rec, base=a) <- rule all"},
		check: func(t *testing.T, err error) {
			var e *RecursionError
			if !errors.As(err, &e) || e.Rule.Name != "rec" || e.Wildcard != "base" || e.Piece != "/sub" || len(e.Chain) != 4 || e.Chain[1].File != "(19 more)" {
				t.Errorf("want *RecursionError for rec, base, /sub with a chain of 22 shown as 4, got %#v", err)
			}
		},
	}, {
		name: "growth that never repeats stops at the depth limit",
		src: `
rule "all" { input = ["n/1.txt"] }
rule "up" {
  input  = ["n/${wildcards.i + 1}.txt"]
  output = ["n/{i}.txt"]
}
`,
		want: []string{"dependency chain deeper than 300 jobs at up (i=301), needed by n/301.txt (rule up, i=301) <- (299 more) <- n/1.txt (rule up, i=1) <- rule all"},
		check: func(t *testing.T, err error) {
			var e *RecursionError
			if !errors.As(err, &e) || e.Depth != 300 {
				t.Errorf("want *RecursionError at depth 300, got %#v", err)
			}
		},
	}, {
		// The name grows by the golden ratio each level (the Fibonacci
		// word: a -> ab, b -> a), which never repeats a piece four times,
		// but after a dozen levels no file system holds it.
		name: "a name that keeps growing is cut when no file system could hold it",
		src: `
rule "all" { input = ["d/ab.txt"] }
rule "dbl" {
  input  = ["d/${replace(replace(replace(wildcards.s, "a", "A"), "b", "a"), "A", "ab")}.txt"]
  output = ["d/{s}.txt"]
}
`,
		want: []string{"path too long at dbl (s=", "more than a file system holds (4096, or 255 a name)", "<- d/ab.txt (rule dbl, s=ab) <- rule all"},
		check: func(t *testing.T, err error) {
			var e *RecursionError
			if !errors.As(err, &e) || e.Rule.Name != "dbl" || len(e.Long) <= maxNameLen || len(e.Chain) != 4 || !regexp.MustCompile(`^\((\d|1[0-3]) more\)$`).MatchString(e.Chain[1].File) {
				t.Errorf("want *RecursionError for a long name within 16 levels, got %#v", err)
			}
		},
	}, {
		// Two inputs a level, each a new name: the graph doubles per level
		// without a long name or a repeated piece. The job cut ends it.
		name: "a graph that fans out without end stops at MaxJobs",
		src: `
rule "all" { input = ["t/r.txt"] }
rule "tree" {
  input  = ["t/${wildcards.n}0.txt", "t/${wildcards.n}1.txt"]
  output = ["t/{n}.txt"]
}
`,
		opts: Options{MaxJobs: 500},
		want: []string{"resolution stopped at 500 jobs", "of rule tree", "raise the limit with --max-jobs"},
		check: func(t *testing.T, err error) {
			var e *TooManyJobsError
			if !errors.As(err, &e) || e.Max != 500 || e.Rule != "tree" || e.Count < 500 {
				t.Errorf("want *TooManyJobsError for tree at 500, got %#v", err)
			}
		},
	}}
	defer func(d int) { maxDepth = d }(maxDepth)
	maxDepth = 300
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Stat = disk(tt.files)
			_, err := Build(parse(t, tt.src), opts)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n  %v\nlacks\n  %s", err, w)
				}
			}
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

// A legitimate deep chain through a computed input resolves: 200 levels,
// each step from the one before, down to an existing seed.
func TestDeepComputedChain(t *testing.T) {
	src := `
rule "all" { input = ["step200.txt"] }
rule "step" {
  input  = ["step${wildcards.n - 1}.txt"]
  output = ["step{n,[0-9]+}.txt"]
}
`
	g, err := Build(parse(t, src), Options{Stat: disk(map[string]int{"step0.txt": 0})})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Jobs) != 201 {
		t.Fatalf("%d jobs, want 201", len(g.Jobs))
	}
	for i, j := range g.Jobs[:200] {
		if want := fmt.Sprintf("step (n=%d)", i+1); j.Key != want || !j.Stale {
			t.Fatalf("job %d is %s (stale %v), want %s, stale", i, j, j.Stale, want)
		}
	}
	if strings.Join(g.Sources, " ") != "step0.txt" {
		t.Errorf("sources %q", g.Sources)
	}
	checkGraph(t, g)
}

// Many jobs fall back at once: each sample's raw data is gone, so each
// intermediate is a source; the work stays linear and the graph closed.
func TestFallbackWide(t *testing.T) {
	const n = 2000
	src := `
config { n = ` + fmt.Sprint(n) + ` }
rule "all" { input = [for i in range(config.n) : "out/${i}.txt"] }
rule "b" {
  input  = ["mid/{s}.txt"]
  output = ["out/{s}.txt"]
}
rule "a" {
  input  = ["raw/{s}.txt"]
  output = ["mid/{s}.txt"]
}
`
	files := map[string]int{}
	for i := range n {
		files[fmt.Sprintf("mid/%d.txt", i)] = 1
		files[fmt.Sprintf("out/%d.txt", i)] = 2
		if i%2 == 0 {
			files[fmt.Sprintf("raw/%d.txt", i)] = 0
		}
	}
	g, err := Build(parse(t, src), Options{Stat: disk(files)})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, j := range g.Jobs {
		counts[j.Spec.Rule.Name]++
		if j.Stale {
			t.Errorf("%s stale: %s", j, j.Reason)
		}
	}
	if counts["a"] != n/2 || counts["b"] != n || len(g.Sources) != n {
		t.Errorf("jobs %v, %d sources; want a=%d, b=%d, %d sources", counts, len(g.Sources), n/2, n, n)
	}
	checkGraph(t, g)
	checkClosed(t, g)
}

func TestPeriodicPiece(t *testing.T) {
	tests := []struct{ v, want string }{
		{"a" + strings.Repeat("/sub", 20), "/sub"},
		{"a" + strings.Repeat("/sub", 19), ""},
		{strings.Repeat("x", 20), "x"},
		{"f" + strings.Repeat(".gz", 25), ".gz"},
		{"sample_0123456789_abcdefghij", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := periodicPiece(tt.v); got != tt.want {
			t.Errorf("periodicPiece(%q) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

// A cancelled context stops resolution with its error, however much is
// left to resolve.
func TestResolveStopsOnCancel(t *testing.T) {
	src := `
rule "all" { input = expand("out/{i}.txt", { i = range(5000) }) }
rule "one" { output = ["out/{i}.txt"] }
`
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Build(parse(t, src), Options{Stat: disk(nil), Context: ctx})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, err := Build(parse(t, src), Options{Stat: disk(nil), Context: context.Background()}); err != nil {
		t.Fatalf("without cancel: %v", err)
	}
}

// Found by FuzzResolve: two rules that each make the other's input one
// level deeper ("x/" in front, where the periodic check, which looks at a
// value's end, does not see it), with fallback between them at every
// level. The path-length cut ends it, and the error stays a few lines:
// it once nested every level's failures in full, megabytes of text.
func TestRunawayFallbackEnds(t *testing.T) {
	src := `ruleorder = ["b", "a"]
rule "l" { input = ["x/A.out"] }
rule "a" {
  input  = ["{s}.in"]
  output = ["{s}.out"]
}
rule "b" {
  input  = ["{s}"]
  output = ["x/{s}"]
}
rule "c" {
  input  = ["x/{s}.out"]
  output = ["{s}.in"]
}`
	// The cut holds at any length; a shorter one keeps the test quick
	// (fallback through cycles costs depth squared).
	defer func(n int) { maxPathLen = n }(maxPathLen)
	maxPathLen = 600
	_, err := Build(parse(t, src), Options{Stat: disk(map[string]int{"A.other": 0})})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, w := range []string{"no rule can make x/A.out, needed by rule l", "dependency cycle", "candidates fail)"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q:\n%s", w, msg)
		}
	}
	if len(msg) > 4000 {
		t.Errorf("error is %d bytes; a message must stay readable:\n%.2000s", len(msg), msg)
	}
}
