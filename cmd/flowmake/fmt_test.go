package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const messyRulefile = `include = ["rules/qc.hcl"]

rule "all" {
input=["b.txt"]
      shell="true"
}
`

const messyInclude = `rule   "qc"{
  output =["b.txt"]
    shell = "touch ${output}"
}
`

func TestFmtCheckThenRewrite(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": messyRulefile, "rules/qc.hcl": messyInclude})
	rulefile, include := filepath.Join(dir, "Rulefile"), filepath.Join(dir, "rules", "qc.hcl")
	if err := os.Chmod(rulefile, 0o600); err != nil {
		t.Fatal(err)
	}

	r := flowmake(t, dir, "fmt", "--check")
	if r.code != 1 {
		t.Fatalf("fmt --check on messy files: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r.stdout != "Rulefile\nrules/qc.hcl\n" {
		t.Errorf("fmt --check listed %q, want the Rulefile and its include", r.stdout)
	}
	if readFile(t, rulefile) != messyRulefile || readFile(t, include) != messyInclude {
		t.Fatal("fmt --check wrote a file")
	}

	r = mustRun(t, dir, "fmt")
	if r.stdout != "Rulefile\nrules/qc.hcl\n" {
		t.Errorf("fmt listed %q as rewritten", r.stdout)
	}
	wantRulefile := "include = [\"rules/qc.hcl\"]\n\nrule \"all\" {\n  input = [\"b.txt\"]\n  shell = \"true\"\n}\n"
	if got := readFile(t, rulefile); got != wantRulefile {
		t.Errorf("Rulefile after fmt:\n%s\nwant:\n%s", got, wantRulefile)
	}
	wantInclude := "rule \"qc\" {\n  output = [\"b.txt\"]\n  shell  = \"touch ${output}\"\n}\n"
	if got := readFile(t, include); got != wantInclude {
		t.Errorf("include after fmt:\n%s\nwant:\n%s", got, wantInclude)
	}
	if st, err := os.Stat(rulefile); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("fmt changed the Rulefile's mode: %v %v", st.Mode(), err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*fmt-*"))
	if len(left) > 0 {
		t.Errorf("fmt left temporary files: %v", left)
	}

	r = mustRun(t, dir, "fmt", "--check")
	if r.stdout != "" {
		t.Errorf("fmt --check after fmt listed %q", r.stdout)
	}
	// The formatted workflow is the same workflow.
	mustRun(t, dir, "-n")
}

func TestFmtDirectoryAndFiles(t *testing.T) {
	dir := workspace(t, map[string]string{"wf/Rulefile": messyInclude, "other.hcl": messyInclude, "alt.rf": messyInclude})
	r := flowmake(t, dir, "fmt", "--check", "-C", "wf")
	if r.code != 1 || r.stdout != filepath.Join("wf", "Rulefile")+"\n" {
		t.Errorf("fmt --check -C wf: exit %d, listed %q", r.code, r.stdout)
	}
	r = flowmake(t, dir, "fmt", "--check", "-s", "alt.rf")
	if r.code != 1 || r.stdout != "alt.rf\n" {
		t.Errorf("fmt --check -s alt.rf: exit %d, listed %q", r.code, r.stdout)
	}
	mustRun(t, dir, "fmt", "other.hcl")
	if readFile(t, filepath.Join(dir, "other.hcl")) == messyInclude {
		t.Error("fmt other.hcl did not rewrite it")
	}
	if readFile(t, filepath.Join(dir, "wf", "Rulefile")) != messyInclude {
		t.Error("fmt FILE rewrote the Rulefile too")
	}
}

func TestFmtBrokenFileUntouched(t *testing.T) {
	broken := "rule \"a\" {\n  output = [\"a\"\n  shell=\"x\"\n}\n"
	dir := workspace(t, map[string]string{"Rulefile": broken, "good.hcl": messyInclude})
	for _, args := range [][]string{{"fmt"}, {"fmt", "--check"}} {
		r := flowmake(t, dir, args...)
		if r.code != 1 {
			t.Errorf("flowmake %v on a broken Rulefile: exit %d, want 1", args, r.code)
		}
		if !strings.Contains(r.stderr, "Rulefile:3:3: Error: Missing item separator") || strings.Contains(r.stderr, "goroutine") {
			t.Errorf("flowmake %v: want the diagnostic at Rulefile:3, got:\n%s", args, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("flowmake %v listed %q", args, r.stdout)
		}
		if readFile(t, filepath.Join(dir, "Rulefile")) != broken {
			t.Fatalf("flowmake %v rewrote a file with a syntax error", args)
		}
	}
	// The good file is formatted; the broken one is not; the exit says so.
	r := flowmake(t, dir, "fmt", "Rulefile", "good.hcl")
	if r.code != 1 || r.stdout != "good.hcl\n" {
		t.Errorf("fmt Rulefile good.hcl: exit %d, listed %q", r.code, r.stdout)
	}
	if readFile(t, filepath.Join(dir, "good.hcl")) == messyInclude || readFile(t, filepath.Join(dir, "Rulefile")) != broken {
		t.Error("fmt of a good and a broken file: want the good one rewritten, the broken one kept")
	}
}

func TestFmtNoRulefile(t *testing.T) {
	r := flowmake(t, t.TempDir(), "fmt")
	if r.code != 1 || !strings.Contains(r.stderr, "No Rulefile") {
		t.Errorf("fmt without a Rulefile: exit %d\n%s", r.code, r.stderr)
	}
}

// TestSubcommandOnlyFirst checks the rule of docs/cli.md: a subcommand is
// the first argument only; after an option, after "--" or as ./NAME the
// word is a target.
func TestSubcommandOnlyFirst(t *testing.T) {
	rulefile := "rule \"fmt\" {\n  output = [\"f.txt\"]\n  shell = \"touch f.txt\"\n}\n\n" +
		"rule \"report\" {\n  output = [\"r.txt\"]\n  shell = \"touch r.txt\"\n}\n\n" +
		"rule \"file\" {\n  output = [\"lint\"]\n  shell = \"touch lint\"\n}\n"
	dir := workspace(t, map[string]string{"Rulefile": rulefile})
	plans := func(out, rule string) bool { return strings.Contains(out, "rule "+rule+":") }

	for _, args := range [][]string{{"-n", "--", "fmt"}, {"-n", "fmt"}, {"--dry-run", "report", "fmt"}} {
		r := mustRun(t, dir, args...)
		if !plans(r.stdout, "fmt") {
			t.Errorf("flowmake %v does not plan rule fmt:\n%s", args, r.stdout)
		}
	}
	r := mustRun(t, dir, "-n", "--", "report")
	if !plans(r.stdout, "report") || plans(r.stdout, "fmt") {
		t.Errorf("flowmake -n -- report planned:\n%s", r.stdout)
	}
	r = mustRun(t, dir, "-n", "./lint")
	if !plans(r.stdout, "file") {
		t.Errorf("flowmake -n ./lint does not plan the rule making file lint:\n%s", r.stdout)
	}
	r = mustRun(t, dir, "-n", "-R", "fmt", "--", "fmt")
	if !plans(r.stdout, "fmt") {
		t.Errorf("flowmake -n -R fmt -- fmt:\n%s", r.stdout)
	}
	mustRun(t, dir, "--", "fmt")
	if !exists(filepath.Join(dir, "f.txt")) {
		t.Error("flowmake -- fmt did not run rule fmt")
	}
	// None of these formatted: the Rulefile is not in canonical form.
	if readFile(t, filepath.Join(dir, "Rulefile")) != rulefile {
		t.Fatal("a target named fmt formatted the Rulefile")
	}

	// First, fmt is the subcommand: it formats and builds nothing.
	r = mustRun(t, dir, "fmt")
	if r.stdout != "Rulefile\n" || exists(filepath.Join(dir, "r.txt")) {
		t.Errorf("flowmake fmt: listed %q", r.stdout)
	}
	if readFile(t, filepath.Join(dir, "Rulefile")) == rulefile {
		t.Error("flowmake fmt did not format the Rulefile")
	}

	r = mustRun(t, dir, "--help")
	if !strings.Contains(r.stdout, "Available Commands:") || !strings.Contains(r.stdout, "\n  fmt ") {
		t.Errorf("--help does not list fmt:\n%s", r.stdout)
	}
	// A subcommand takes its own flags, not the root's.
	if r := flowmake(t, dir, "fmt", "-n"); r.code != 2 {
		t.Errorf("flowmake fmt -n: exit %d, want 2 (usage)\n%s", r.code, r.stderr)
	}
}
