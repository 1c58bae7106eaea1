package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// End-to-end checks of resolution with fallback, each matched against
// Snakemake 7.21 on the equivalent Snakefile (snakemake -n / -c1).

const rawRulefile = `
rule "all" { input = ["out.txt"] }
rule "b" {
  input  = ["mid.txt"]
  output = ["out.txt"]
  shell  = "cp ${input} ${output}"
}
rule "a" {
  input  = ["data/in.txt"]
  output = ["mid.txt"]
  shell  = "cp ${input} ${output}"
}
`

// rawBuilt is rawRulefile after a run, with the raw data deleted.
func rawBuilt(t *testing.T) string {
	t.Helper()
	dir := workspace(t, map[string]string{"Rulefile": rawRulefile, "data/in.txt": "raw\n"})
	mustRun(t, dir, "-j1")
	if err := os.Remove(filepath.Join(dir, "data/in.txt")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// listedRules are the rules of the jobs a dry run lists, in order.
func listedRules(stdout string) []string {
	var out []string
	for _, l := range strings.Split(stdout, "\n") {
		if name, ok := strings.CutPrefix(l, "rule "); ok && strings.HasSuffix(name, ":") {
			out = append(out, strings.TrimSuffix(name, ":"))
		}
	}
	return out
}

func TestFallbackRawDataDeleted(t *testing.T) {
	dir := rawBuilt(t)
	r := mustRun(t, dir, "-n")
	if got := listedRules(r.stdout); len(got) != 0 {
		t.Errorf("dry run lists %v, want nothing", got)
	}
	if !strings.Contains(r.stderr, "Nothing to be done") {
		t.Errorf("stderr: %s", r.stderr)
	}
	// A newer intermediate reruns only what is downstream of it.
	setMtime(t, filepath.Join(dir, "mid.txt"), time.Hour)
	writeFile(t, filepath.Join(dir, "mid.txt"), "edited\n")
	setMtime(t, filepath.Join(dir, "mid.txt"), time.Hour)
	mustRun(t, dir, "-j1")
	if got := readFile(t, filepath.Join(dir, "out.txt")); got != "edited\n" {
		t.Errorf("out.txt = %q", got)
	}
}

func TestFallbackForceAllWithInputGone(t *testing.T) {
	dir := rawBuilt(t)
	r := mustRun(t, dir, "-n", "-F")
	if got := strings.Join(listedRules(r.stdout), " "); got != "b all" {
		t.Errorf("-F dry run lists %q, want \"b all\" (a's input is gone: its output is a source)", got)
	}
	mustRun(t, dir, "-F", "-j1")
	if got := readFile(t, filepath.Join(dir, "out.txt")); got != "raw\n" {
		t.Errorf("out.txt = %q", got)
	}
}

func TestFallbackCommandLineTargetMustRun(t *testing.T) {
	dir := rawBuilt(t)
	r := flowmake(t, dir, "-n", "mid.txt")
	if r.code != 1 || !strings.Contains(r.stderr, "no rule makes data/in.txt, needed by mid.txt (rule a)") {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 naming data/in.txt and rule a", r.code, r.stderr)
	}
}

const twoRulefile = `
%s
rule "all" { input = ["x/A.out"] }
rule "slow" {
  input  = ["{s}.in"]
  output = ["x/{s}.out"]
  shell  = "echo slow > ${output}"
}
rule "fast" {
  input  = ["{s}.other"]
  output = ["x/{s}.out"]
  shell  = "echo fast > ${output}"
}
`

func TestFallbackCandidates(t *testing.T) {
	tests := []struct {
		name      string
		ruleorder string
		files     []string
		code      int
		out       string   // x/A.out after a run, when code is 0
		stderr    []string // when code is not 0
	}{
		{name: "preferred rule's input missing: the other rule runs",
			ruleorder: `ruleorder = ["fast", "slow"]`, files: []string{"A.in"}, out: "slow\n"},
		{name: "both can run: ruleorder decides",
			ruleorder: `ruleorder = ["fast", "slow"]`, files: []string{"A.in", "A.other"}, out: "fast\n"},
		{name: "no ruleorder, only one can run: no ambiguity",
			files: []string{"A.other"}, out: "fast\n"},
		{name: "no ruleorder, both can run: ambiguous",
			files: []string{"A.in", "A.other"}, code: 1,
			stderr: []string{"Error: Ambiguous rules for x/A.out", "x/A.out can be made by rule slow (s=A)", "and by rule fast (s=A)"}},
		{name: "neither can run: each candidate and its reason",
			ruleorder: `ruleorder = ["fast", "slow"]`, code: 1,
			stderr: []string{"no rule can make x/A.out, needed by rule all; each candidate fails: ",
				"rule fast (s=A) at Rulefile:9:1: no rule makes A.other",
				"rule slow (s=A) at Rulefile:4:1: no rule makes A.in"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"Rulefile": strings.Replace(twoRulefile, "%s", tt.ruleorder, 1)}
			for _, f := range tt.files {
				files[f] = "in\n"
			}
			dir := workspace(t, files)
			r := flowmake(t, dir, "-j1")
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, tt.code, r.stderr)
			}
			if tt.code == 0 {
				if got := readFile(t, filepath.Join(dir, "x/A.out")); got != tt.out {
					t.Errorf("x/A.out = %q, want %q", got, tt.out)
				}
			}
			for _, w := range tt.stderr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
}

const cycleRulefile = `
rule "all" { input = ["x.txt"] }
rule "a" {
  input  = ["y.txt"]
  output = ["x.txt"]
  shell  = "cp ${input} ${output}"
}
rule "b" {
  input  = ["x.txt"]
  output = ["y.txt"]
  shell  = "cp ${input} ${output}"
}
`

func TestFallbackCycleThroughExistingFile(t *testing.T) {
	// x.txt exists: b reads it as a source, a is up to date, nothing runs.
	dir := workspace(t, map[string]string{"Rulefile": cycleRulefile, "x.txt": "x\n"})
	if r := mustRun(t, dir, "-n"); len(listedRules(r.stdout)) != 0 {
		t.Errorf("dry run lists %v, want nothing", listedRules(r.stdout))
	}
	// y.txt exists: the cycle is cut there and a makes x.txt from it.
	dir = workspace(t, map[string]string{"Rulefile": cycleRulefile, "y.txt": "y\n"})
	mustRun(t, dir, "-j1")
	if got := readFile(t, filepath.Join(dir, "x.txt")); got != "y\n" {
		t.Errorf("x.txt = %q", got)
	}
	// Neither exists: a cycle error.
	dir = workspace(t, map[string]string{"Rulefile": cycleRulefile})
	if r := flowmake(t, dir, "-n"); r.code != 1 || !strings.Contains(r.stderr, "dependency cycle: a -> b -> a") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

const recRulefile = `
rule "all" { input = ["a/x.txt"] }
rule "rec" {
  input  = ["{base}/sub/x.txt"]
  output = ["{base}/x.txt"]
  shell  = "(cat ${input}; echo ${wildcards.base}) > ${output}"
}
`

func TestFallbackPeriodicRecursion(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": recRulefile})
	done := make(chan result, 1)
	go func() { done <- flowmake(t, dir, "-n") }()
	var r result
	select {
	case r = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("flowmake -n on a recursive rule did not end")
	}
	for _, w := range []string{`recursion cut at rule rec: wildcard base repeats "/sub"`, "<- a/x.txt (rule rec, base=a) <- rule all"} {
		if r.code != 1 || !strings.Contains(r.stderr, w) {
			t.Errorf("exit %d, stderr lacks %q:\n%s", r.code, w, r.stderr)
		}
	}
	// With a file two levels down the recursion ends there.
	writeFile(t, filepath.Join(dir, "a/sub/sub/x.txt"), "seed\n")
	mustRun(t, dir, "-j1")
	if got := readFile(t, filepath.Join(dir, "a/x.txt")); got != "seed\na/sub\na\n" {
		t.Errorf("a/x.txt = %q", got)
	}
}

func TestDeepChain200(t *testing.T) {
	dir := workspace(t, map[string]string{
		"Rulefile": `
rule "all" { input = ["step200.txt"] }
rule "step" {
  input  = ["step${wildcards.n - 1}.txt"]
  output = ["step{n,[0-9]+}.txt"]
  shell  = "echo $(( $(cat ${input}) + 1 )) > ${output}"
}
`,
		"step0.txt": "0\n",
	})
	r := mustRun(t, dir, "-n")
	if n := len(listedRules(r.stdout)); n != 201 {
		t.Errorf("dry run lists %d jobs, want 201", n)
	}
	mustRun(t, dir, "-j2")
	if got := readFile(t, filepath.Join(dir, "step200.txt")); got != "200\n" {
		t.Errorf("step200.txt = %q", got)
	}
}
