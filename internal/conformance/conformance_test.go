package conformance

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseDryRun(t *testing.T) {
	snake := `Building DAG of jobs...
Job stats:
job      count
-----  -------
all          1

[Tue Dec  1 10:09:35 2026]
rule count:
    input: data/b.txt
    output: counts/b.txt
    jobid: 2
    reason: Missing output files: counts/b.txt
    wildcards: unit=1, sample=b
    resources: tmpdir=/tmp

[Tue Dec  1 10:09:35 2026]
checkpoint split:
    wildcards: suffix=
    resources: tmpdir=/tmp

[Tue Dec  1 10:09:35 2026]
localrule all:
    input: counts/a.txt, counts/b.txt
    jobid: 0
`
	want := []string{"all", "count sample=b unit=1", "split suffix="}
	if got := ParseSnakemakeDryRun(snake); !reflect.DeepEqual(got, want) {
		t.Errorf("snakemake: got %q, want %q", got, want)
	}
	flow := `rule count:
    input: data/b.txt
    wildcards: sample=b, unit=1
    reason: missing output: counts/b.txt

checkpoint split:
    wildcards: suffix=""
    reason: missing output

rule all:
    input: counts/a.txt, counts/b.txt
    reason: upstream changed: counts/a.txt

rule odd:
    wildcards: s="a, b=c"
`
	want = []string{"all", "count sample=b unit=1", "odd s=a, b=c", "split suffix="}
	if got := ParseFlowmakeDryRun(flow); !reflect.DeepEqual(got, want) {
		t.Errorf("flowmake: got %q, want %q", got, want)
	}
	if got := ParseFlowmakeDryRun("Nothing to be done.\n"); len(got) != 0 {
		t.Errorf("nothing to do: got %q", got)
	}
}

func TestArgs(t *testing.T) {
	for _, tc := range []struct {
		tool Tool
		step []string
		want []string
	}{
		{Snakemake("snakemake"), []string{"-n"}, []string{"-c1", "-n"}},
		{Flowmake("flowmake"), []string{"-n"}, []string{"-j1", "-n"}},
		{Flowmake("flowmake"), []string{"-j2", "x"}, []string{"-j2", "x"}},
		{Snakemake("snakemake"), []string{"--cores", "2"}, []string{"--cores", "2"}},
		{Snakemake("snakemake"), []string{"--config", "n=1"}, []string{"-c1", "--config", "n=1"}},
	} {
		if got := tc.tool.Args(tc.step); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %q: got %q, want %q", tc.tool.Name, tc.step, got, tc.want)
		}
	}
}

// fakeCase writes a case whose "Rulefile" is a bash script, played by a
// fake tool that is bash itself, so Play's semantics are tested without
// either engine.
func fakeCase(t *testing.T, caseYAML string) *Case {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"Rulefile":  "echo job >> $JOURNAL\ncat in.txt > out.txt\nmkdir -p .flowmake && echo state > .flowmake/x\n",
		"Snakefile": "not laid out for this tool\n",
		"other.smk": "not laid out for this tool\n",
		"lib.hcl":   "laid out, but not in snapshots\n",
		"case.yaml": caseYAML,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPlay(t *testing.T) {
	c := fakeCase(t, `description: fake
files:
  in.txt: "one\n"
  big.dat: {size: 1000, age: 50}
steps:
  - run: []
  - touch: {path: in.txt, age: -100}
  - edit: [{file: Rulefile, old: "cat in.txt", new: "tr a-z A-Z < in.txt"}, {file: Snakefile, old: "x", new: "y"}]
  - run: []
  - delete: out.txt
  - write: {path: in.txt, content: "two\n"}
  - run: []
`)
	// The "cores flag" names the script, so a run step is `bash Rulefile`.
	tool := Tool{Name: "fake", Program: "bash", RuleFile: "Rulefile", foreign: ".smk", coresFlag: "Rulefile", dryRun: ParseFlowmakeDryRun}
	p, err := NewPlay(c, tool, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"Snakefile", "other.smk", "case.yaml"} {
		if _, err := os.Stat(filepath.Join(p.Work, absent)); err == nil {
			t.Errorf("%s laid out for a flowmake-like tool", absent)
		}
	}
	info, err := os.Stat(filepath.Join(p.Work, "big.dat"))
	if err != nil {
		t.Fatal(err)
	}
	if age := time.Since(info.ModTime()); age < 49*time.Second || age > 60*time.Second {
		t.Errorf("big.dat is %s old, want 50s", age)
	}
	var outcomes []*Outcome
	for i := range c.Steps {
		o, err := p.Step(context.Background(), i)
		if err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
		if o != nil {
			outcomes = append(outcomes, o)
		}
		if i == 1 { // the touch into the future
			info, _ := os.Stat(filepath.Join(p.Work, "in.txt"))
			if !info.ModTime().After(time.Now().Add(90 * time.Second)) {
				t.Errorf("touch with age -100 left in.txt at %s", info.ModTime())
			}
		}
	}
	if len(outcomes) != 3 {
		t.Fatalf("got %d run outcomes, want 3", len(outcomes))
	}
	first, last := outcomes[0].Result, outcomes[2].Result
	if first.Exit != ExitOK || !reflect.DeepEqual(first.Jobs, []string{"job"}) {
		t.Errorf("first run: %+v", first)
	}
	wantFiles := map[string]string{"in.txt": "one\n", "out.txt": "one\n", "big.dat": fileValue(FileSpec{Size: 1000}.Data("big.dat"))}
	if !reflect.DeepEqual(first.Files, wantFiles) {
		t.Errorf("first snapshot: got %q, want %q", first.Files, wantFiles)
	}
	if got := outcomes[1].Result.Files["out.txt"]; got != "ONE\n" {
		t.Errorf("after the edit out.txt is %q, want the edited command's output", got)
	}
	if got := last.Files["out.txt"]; got != "TWO\n" {
		t.Errorf("after the write out.txt is %q", got)
	}
}

func TestPlayTimeout(t *testing.T) {
	c := fakeCase(t, "description: hangs\ntimeout: 0.5\nsteps:\n  - run: []\n")
	if err := os.WriteFile(filepath.Join(c.Dir, "Rulefile"), []byte("sleep 30 & wait\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tool := Tool{Name: "fake", Program: "bash", RuleFile: "Rulefile", coresFlag: "Rulefile", dryRun: ParseFlowmakeDryRun}
	p, err := NewPlay(c, tool, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	o, err := p.Step(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !o.TimedOut || o.Result.Exit != ExitFail || time.Since(start) > 10*time.Second {
		t.Errorf("got timed out %v, exit %s after %s", o.TimedOut, o.Result.Exit, time.Since(start))
	}
}

func TestCompare(t *testing.T) {
	want := Result{Exit: ExitOK, Jobs: []string{"a", "b", "b"}, Files: map[string]string{"x": "1", "y": "2"}, ReadOnly: []string{"x"}}
	if d := Compare(want, want); len(d) != 0 {
		t.Errorf("equal results differ: %q", d)
	}
	got := Result{Exit: ExitFail, Jobs: []string{"b", "c"}, Files: map[string]string{"x": "9", "z": "3"}}
	d := strings.Join(Compare(want, got), "\n")
	for _, s := range []string{
		"exit: want ok, got fail",
		`jobs: missing ["a", "b"]; unexpected ["c"]`,
		`files: missing ["y"]; unexpected ["z"]`,
		`content of x: want "1", got "9"`,
		`read-only files: missing ["x"]`,
	} {
		if !strings.Contains(d, s) {
			t.Errorf("diff lacks %q:\n%s", s, d)
		}
	}
}

func TestOverride(t *testing.T) {
	c := fakeCase(t, `description: override
steps:
  - run: []
    flowmake_expect:
      difference: small-file-checksum
      why: docs/differences.md, 1
      jobs: [x]
      files: {gone.txt: null, new.txt: "n"}
`)
	c.Expected = &Expected{Steps: []ExpectedStep{{Step: 1, Run: nil, Result: Result{Exit: ExitOK, Jobs: []string{}, Files: map[string]string{"gone.txt": "g", "kept": "k"}}}}}
	want, ov, err := c.Want(1)
	if err != nil {
		t.Fatal(err)
	}
	if ov == nil || want.Exit != ExitOK || !reflect.DeepEqual(want.Jobs, []string{"x"}) ||
		!reflect.DeepEqual(want.Files, map[string]string{"kept": "k", "new.txt": "n"}) {
		t.Errorf("override applied wrongly: %+v", want)
	}
	if c.Expected.Steps[0].Files["gone.txt"] != "g" {
		t.Error("override changed the recorded result")
	}
	for _, bad := range []string{
		"      difference: i-prefer-it\n      why: docs/differences.md\n",
		"      difference: clean-paths\n      why: because\n",
	} {
		dir := t.TempDir()
		for _, f := range []string{"Rulefile", "Snakefile"} {
			os.WriteFile(filepath.Join(dir, f), nil, 0o644)
		}
		os.WriteFile(filepath.Join(dir, "case.yaml"), []byte("description: x\nsteps:\n  - run: []\n    flowmake_expect:\n"+bad), 0o644)
		if _, err := Load(dir); err == nil {
			t.Errorf("override accepted:\n%s", bad)
		}
	}
}

// TestRepositoryCases checks the suite itself without running anything:
// every case loads, is recorded, and its recording matches its steps (a
// case edited after recording must be recorded again).
func TestRepositoryCases(t *testing.T) {
	cases, err := LoadAll(filepath.Join("..", "..", "testdata", "conformance"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 45 {
		t.Errorf("%d cases, want at least 45", len(cases))
	}
	for _, c := range cases {
		runs := 0
		for i, s := range c.Steps {
			if !s.IsRun() {
				continue
			}
			runs++
			if _, _, err := c.Want(i + 1); err != nil {
				t.Errorf("case %s: %v", c.Name, err)
			}
		}
		if c.Expected != nil && len(c.Expected.Steps) != runs {
			t.Errorf("case %s: %d recorded steps for %d run steps; re-record", c.Name, len(c.Expected.Steps), runs)
		}
	}
}
