package main

import (
	"strings"
	"testing"
)

const lintClean = `config {
  salt = 2
}

rule "all" {
  input = ["soup.txt"]
}

rule "soup" {
  output = "soup.txt"
  log    = "logs/soup.log"
  params = { salt = config.salt }
  shell  = "echo ${params.salt} > ${output} 2> ${log}"
}
`

const lintWarned = `config {
  salt  = 2
  spare = 1
}

rule "all" {
  input = ["soup.txt"]
}

rule "soup" {
  output = "soup.txt"
  shell  = "echo ${config.salt} > ${output}"
}
`

func TestLintCleanExitsZero(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": lintClean})
	r := mustRun(t, dir, "lint")
	if r.stdout != "" || r.stderr != "" {
		t.Errorf("lint on a clean Rulefile printed:\n%s%s", r.stdout, r.stderr)
	}
	// -C and -s find the same workflow from elsewhere.
	parent := workspace(t, map[string]string{"wf/Rulefile": lintClean, "alt.rf": lintWarned})
	mustRun(t, parent, "lint", "-C", "wf")
	if r := flowmake(t, parent, "lint", "-s", "alt.rf"); r.code != 1 || !strings.Contains(r.stderr, "alt.rf:3:3: Warning: Config key never used") {
		t.Errorf("lint -s alt.rf: exit %d\n%s", r.code, r.stderr)
	}
}

func TestLintWarnings(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": lintWarned})
	r := flowmake(t, dir, "lint")
	if r.code != 1 {
		t.Fatalf("lint with warnings: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"Rulefile:3:3: Warning: Config key never used",
		"Rulefile:10:1: Warning: Rule without a log",
		"Rulefile:12:20: Warning: Config read in shell",
		"Move it to params",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("lint output lacks %q:\n%s", want, r.stderr)
		}
	}
	if n := strings.Count(r.stderr, "Warning:"); n != 3 {
		t.Errorf("%d warnings, want 3:\n%s", n, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("lint wrote to stdout: %q", r.stdout)
	}
}

func TestLintLoadError(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": "rule \"all\" {\n  inptu = [\"x\"]\n}\n"})
	r := flowmake(t, dir, "lint")
	if r.code != 1 || !strings.Contains(r.stderr, "Rulefile:2:3: Error:") {
		t.Errorf("lint on a broken Rulefile: exit %d\n%s", r.code, r.stderr)
	}
	// A rule named lint stays a target after an option.
	dir = workspace(t, map[string]string{"Rulefile": "rule \"lint\" {\n  output = \"lint.txt\"\n  shell = \"touch ${output}\"\n}\n"})
	mustRun(t, dir, "-n", "lint")
	mustRun(t, dir, "--", "lint")
	if !exists(dir + "/lint.txt") {
		t.Error("flowmake -- lint did not build the rule lint")
	}
}
