package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The jobs of rules in localrules run on the submitting machine, the rest
// in SLURM: each job writes whether it saw a SLURM job id.
const localRulesRulefile = `
localrules = ["all", "plot"]

rule "all" {
  input = ["plot.txt"]
  shell = "echo job=$${SLURM_JOB_ID:-none} > all.txt"
}

rule "plot" {
  input  = "calc.txt"
  output = "plot.txt"
  shell  = "echo job=$${SLURM_JOB_ID:-none} > ${output}"
}

rule "calc" {
  output = "calc.txt"
  shell  = "echo job=$${SLURM_JOB_ID:-none} > ${output}"
}
`

func TestLocalRulesRunLocallyWithSlurm(t *testing.T) {
	needSlurm(t)
	dir := workspace(t, map[string]string{"Rulefile": localRulesRulefile})
	env, log := slurmShims(t)
	r := runWithEnv(t, dir, env, "--executor", "slurm", "-j", "4")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for out, local := range map[string]bool{"all.txt": true, "plot.txt": true, "calc.txt": false} {
		got := strings.TrimSpace(readFile(t, filepath.Join(dir, out)))
		if local && got != "job=none" {
			t.Errorf("%s: %q, want a local job (no SLURM_JOB_ID)", out, got)
		}
		if !local && (got == "job=none" || !strings.HasPrefix(got, "job=")) {
			t.Errorf("%s: %q, want a SLURM job id", out, got)
		}
	}
	if n := countCalls(t, log, "sbatch"); n != 1 {
		t.Errorf("%d sbatch calls, want 1 (calc only)", n)
	}
	// The SLURM executor writes a batch script per job it submits; the
	// local rules have none.
	for _, name := range []string{"calc.sh", "plot.sh", "all.sh"} {
		_, err := os.Stat(filepath.Join(dir, ".flowmake/slurm", name))
		if want := name == "calc.sh"; (err == nil) != want {
			t.Errorf(".flowmake/slurm/%s exists: %v, want %v", name, err == nil, want)
		}
	}
}

// Without a batch executor localrules changes nothing.
func TestLocalRulesLocalExecutor(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": localRulesRulefile})
	r := flowmake(t, dir, "-j", "2")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, out := range []string{"all.txt", "plot.txt", "calc.txt"} {
		if got := strings.TrimSpace(readFile(t, filepath.Join(dir, out))); got != "job=none" {
			t.Errorf("%s: %q", out, got)
		}
	}
}

func TestLocalRulesUnknownRule(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": `localrules = ["all", "plott"]
rule "all" { input = "plot.txt" }
rule "plot" {
  output = "plot.txt"
  shell  = "touch ${output}"
}
`})
	r := flowmake(t, dir, "-n")
	// A Rulefile error, like any other: exit 1 (2 is for the command line).
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"Rulefile:1:22", "Unknown rule in localrules", `"plott"`, `"plot"`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}
