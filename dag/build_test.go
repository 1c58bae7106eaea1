package dag

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

const alignFlow = `
config { samples = ["A", "B"] }
rule "all" {
  input = expand("results/{s}.bam", { s = config.samples })
}
rule "align" {
  input  = ["data/{s}.fq"]
  output = ["results/{s}.bam"]
  shell  = "cp ${input} ${output}"
}
`

// chainFlow: raw -> tmp (temp) -> out, the intermediate's fate depends on
// its consumer.
const chainFlow = `
rule "all" {
  input = ["out/A.txt"]
}
rule "sort" {
  input  = ["tmp/{s}.txt"]
  output = ["out/{s}.txt"]
  shell  = "sort ${input} > ${output}"
}
rule "unzip" {
  input  = ["raw/{s}.gz"]
  output = [temp("tmp/{s}.txt")]
  shell  = "zcat ${input} > ${output}"
}
`

func TestBuildResolves(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		files map[string]int
		opts  Options
		want  string // summary(g)
	}{{
		name:  "one candidate per file",
		src:   alignFlow,
		files: map[string]int{"data/A.fq": 0, "data/B.fq": 0, "results/A.bam": 1},
		want: `align (s=A): -
align (s=B): missing output: results/B.bam
all: upstream changed: results/B.bam
`,
	}, {
		name:  "file target",
		src:   alignFlow,
		opts:  Options{Targets: []string{"./results//B.bam"}},
		files: map[string]int{"data/A.fq": 0, "data/B.fq": 0},
		want: `align (s=B): missing output: results/B.bam
`,
	}, {
		name: "ruleorder picks the earlier rule",
		src: `
ruleorder = ["fast", "slow"]
rule "all" {
  input = ["x/A.out"]
}
rule "slow" {
  input  = ["{s}.in"]
  output = ["x/{s}.out"]
}
rule "fast" {
  input  = ["{s}.in"]
  output = ["x/{s}.out"]
}
`,
		files: map[string]int{"A.in": 0},
		want: `fast (s=A): missing output: x/A.out
all: upstream changed: x/A.out
`,
	}, {
		name: "several outputs, one job; literal and wildcard patterns",
		src: `
rule "all" {
  input = ["idx/ref.fa.bwt", "idx/ref.fa.sa", "summary.txt"]
}
rule "index" {
  input  = ["{ref}.fa"]
  output = ["idx/{ref}.fa.bwt", "idx/{ref}.fa.sa"]
}
rule "summary" {
  input  = ["idx/ref.fa.sa"]
  output = ["summary.txt"]
}
`,
		files: map[string]int{"ref.fa": 0, "idx/ref.fa.bwt": 1, "idx/ref.fa.sa": 1, "summary.txt": 2},
		want: `index (ref=ref): -
summary: -
all: -
`,
	}, {
		name:  "no rule with inputs nor outputs always runs",
		src:   `rule "hello" { shell = "echo hi" }`,
		files: map[string]int{},
		want: `hello: no output files (always runs)
`,
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
			checkGraph(t, g)
		})
	}
}

// checkGraph checks the invariants every graph keeps: IDs are indexes,
// Jobs is topological, edges are mirrored without repeats, Producer points
// at the job that lists the output.
func checkGraph(t *testing.T, g *Graph) {
	t.Helper()
	for i, j := range g.Jobs {
		if j.ID != i {
			t.Errorf("%s: ID %d at index %d", j, j.ID, i)
		}
		seen := map[*Job]bool{}
		for _, d := range j.Deps {
			if d.ID >= i {
				t.Errorf("%s (ID %d) before its dep %s (ID %d)", j, i, d, d.ID)
			}
			if seen[d] {
				t.Errorf("%s lists dep %s twice", j, d)
			}
			seen[d] = true
			n := 0
			for _, x := range d.Dependents {
				if x == j {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s appears %d times in Dependents of %s", j, n, d)
			}
		}
		for _, o := range j.Spec.Outputs {
			if g.Producer[o.Path] != j {
				t.Errorf("Producer[%s] = %v, want %s", o.Path, g.Producer[o.Path], j)
			}
		}
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		files map[string]int
		opts  Options
		check func(t *testing.T, err error)
		want  []string // substrings of err.Error()
	}{{
		name:  "missing input names the chain and a close file",
		src:   alignFlow,
		files: map[string]int{"data/A.fq": 0, "data/b.fq": 0},
		want:  []string{"no rule makes data/B.fq, needed by results/B.bam (rule align, s=B) <- rule all; did you mean data/b.fq?"},
		check: func(t *testing.T, err error) {
			var e *MissingInputError
			if !errors.As(err, &e) || e.File != "data/B.fq" || len(e.Chain) != 2 {
				t.Errorf("want *MissingInputError for data/B.fq with a chain of 2, got %#v", err)
			}
		},
	}, {
		name:  "missing input without anything close",
		src:   alignFlow,
		files: map[string]int{"data/A.fq": 0},
		want:  []string{"no rule makes data/B.fq, needed by results/B.bam (rule align, s=B) <- rule all"},
		check: func(t *testing.T, err error) {
			if strings.Contains(err.Error(), "did you mean") {
				t.Errorf("unexpected suggestion: %v", err)
			}
		},
	}, {
		name: "ambiguity names both rules, bindings and ranges",
		src: `
rule "all" {
  input = ["x/A.out"]
}
rule "slow" {
  input  = ["{s}.in"]
  output = ["x/{s}.out"]
}
rule "fast" {
  input  = ["{name}.in"]
  output = ["x/{name}.out"]
}
`,
		files: map[string]int{"A.in": 0},
		want: []string{"x/A.out can be made by rule slow (s=A) at Rulefile:5:1", "and by rule fast (name=A) at Rulefile:9:1",
			"order them with ruleorder, needed by rule all"},
		check: func(t *testing.T, err error) {
			var e *AmbiguityError
			if !errors.As(err, &e) || len(e.Candidates) != 2 || len(e.Diagnostics()) != 1 {
				t.Errorf("want *AmbiguityError with 2 candidates and one diagnostic, got %#v", err)
			}
		},
	}, {
		name: "partial ruleorder is still ambiguous",
		src: `
ruleorder = ["a", "b"]
rule "all" { input = ["f.out"] }
rule "a" { output = ["{x}.out"] }
rule "b" { output = ["{y}.out"] }
rule "c" { output = ["{z}.out"] }
`,
		// b ranks below a; a and c tie (c is not in ruleorder).
		want: []string{"f.out can be made by rule a (x=f)", "and by rule c (z=f)"},
		check: func(t *testing.T, err error) {
			if strings.Contains(err.Error(), "rule b") {
				t.Errorf("rule b ranks below rule a, yet is named: %v", err)
			}
		},
	}, {
		name: "cycle shows its path from the smallest job",
		src: `
rule "all" { input = ["z/1.txt"] }
rule "zed" {
  input  = ["y/{n}.txt"]
  output = ["z/{n}.txt"]
}
rule "why" {
  input  = ["x/{n}.txt"]
  output = ["y/{n}.txt"]
}
rule "ex" {
  input  = ["z/{n}.txt"]
  output = ["x/{n}.txt"]
}
`,
		want: []string{"dependency cycle: ex (n=1) -> zed (n=1) -> why (n=1) -> ex (n=1)"},
		check: func(t *testing.T, err error) {
			var e *CycleError
			if !errors.As(err, &e) || len(e.Path) != 4 {
				t.Errorf("want *CycleError of 4 steps, got %#v", err)
			}
		},
	}, {
		name: "a rule that needs itself",
		src: `
rule "all" { input = ["a.txt"] }
rule "loop" {
  input  = ["{x}.txt"]
  output = ["{x}.txt"]
}
`,
		want: []string{"dependency cycle: loop (x=a) -> loop (x=a)"},
	}, {
		name: "rule target with wildcards",
		src:  alignFlow,
		opts: Options{Targets: []string{"align"}},
		want: []string{"rule align has wildcards {s}; name a file it makes instead"},
		check: func(t *testing.T, err error) {
			var e *NoTargetError
			if !errors.As(err, &e) {
				t.Errorf("want *NoTargetError, got %#v", err)
			}
		},
	}, {
		name: "unknown target suggests a rule",
		src:  alignFlow,
		opts: Options{Targets: []string{"al"}},
		want: []string{"no rule makes target al and it does not exist; did you mean all?"},
	}, {
		name:  "unknown file target suggests a producible file",
		src:   alignFlow,
		files: map[string]int{"data/A.fq": 0, "data/B.fq": 0},
		opts:  Options{Targets: []string{"all", "results/A.bma"}},
		want:  []string{"no rule makes target results/A.bma and it does not exist; did you mean results/A.bam?"},
	}, {
		name: "evaluation error carries diagnostics and chain",
		src: `
config { m = { B = "b.txt" } }
rule "all" { input = ["out/A.txt"] }
rule "count" {
  input  = [config.m[wildcards.s]]
  output = ["out/{s}.txt"]
}
`,
		want: []string{"evaluate rule count (s=A), needed by rule all: "},
		check: func(t *testing.T, err error) {
			var e *EvalError
			if !errors.As(err, &e) || !e.Diags.HasErrors() || e.Job != "count (s=A)" {
				t.Errorf("want *EvalError for count (s=A) with diagnostics, got %#v", err)
			}
		},
	}, {
		name: "unknown rule in --forcerun",
		src:  alignFlow,
		opts: Options{ForceRules: []string{"algn"}},
		want: []string{"--forcerun algn: no such rule"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Stat = disk(tt.files)
			wf, diags := parseLax(tt.src)
			if diags != nil {
				t.Fatal(diags)
			}
			_, err := Build(wf, opts)
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

func TestReasonString(t *testing.T) {
	for k := UpToDate; k <= NoOutputs; k++ {
		s := Reason{Kind: k, Path: "p"}.String()
		if strings.HasPrefix(s, "reason ") {
			t.Errorf("kind %d has no text", k)
		}
	}
	if got := (Reason{Kind: PendingCheckpoint, Path: "split (s=A)"}).String(); got != "waits for checkpoint split (s=A)" {
		t.Error(got)
	}
	if got := fmt.Sprint(Reason{Kind: InputListChanged}); got != "input list changed" {
		t.Error(got)
	}
}

// Evaluation runs in parallel for wide waves; the error reported must not
// depend on which goroutine failed first.
func TestParallelEvalErrorIsDeterministic(t *testing.T) {
	var samples, units []string
	for i := range 300 {
		samples = append(samples, fmt.Sprintf("%q", fmt.Sprintf("s%03d", i)))
		if i != 17 && i != 250 {
			units = append(units, fmt.Sprintf("s%03d = \"u%d\"", i, i))
		}
	}
	src := fmt.Sprintf(`
config {
  samples = [%s]
  units   = { %s }
}
rule "all" {
  input = expand("out/{s}.txt", { s = config.samples })
}
rule "count" {
  input  = [config.units[wildcards.s]]
  output = ["out/{s}.txt"]
}
`, strings.Join(samples, ", "), strings.Join(units, ", "))
	wf := parse(t, src)
	for range 5 {
		_, err := Build(wf, Options{Stat: disk(nil)})
		var e *EvalError
		if !errors.As(err, &e) || e.Job != "count (s=s017)" {
			t.Fatalf("want the error of count (s=s017), got %v", err)
		}
	}
}
