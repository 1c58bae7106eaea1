package main

import (
	"os"
	osexec "os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// completionRulefile has two rules that can be targets by name and one
// with a wildcard, which cannot.
const completionRulefile = `rule "assemble_all" {
  input = ["counts/a.txt"]
  shell = "true"
}

rule "count_sample" {
  input  = "data/{sample}.txt"
  output = "counts/{sample}.txt"
  shell  = "wc -l ${input} > ${output}"
}

rule "publish_notes" {
  shell = "true"
}
`

// completions runs "flowmake __complete ARGS..." as the shell scripts do
// and returns the candidates, without descriptions and without cobra's
// trailing ":directive" line.
func completions(t *testing.T, dir string, args ...string) (names []string, r result) {
	t.Helper()
	r = flowmake(t, dir, append([]string{"__complete"}, args...)...)
	if r.code != 0 {
		t.Fatalf("flowmake __complete %q: exit %d\n%s", args, r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], ":") {
		t.Fatalf("flowmake __complete %q: no directive line:\n%s", args, r.stdout)
	}
	for _, l := range lines[:len(lines)-1] {
		name, _, _ := strings.Cut(l, "\t")
		names = append(names, name)
	}
	sort.Strings(names)
	return names, r
}

func hasAll(list []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, l := range list {
			found = found || l == w
		}
		if !found {
			return false
		}
	}
	return true
}

func TestCompletionScripts(t *testing.T) {
	dir := t.TempDir()
	for _, shell := range []string{"bash", "zsh", "fish"} {
		r := mustRun(t, dir, "completion", shell)
		if !strings.Contains(r.stdout, "flowmake") || !strings.Contains(r.stdout, "__complete") {
			t.Errorf("flowmake completion %s: not a flowmake completion script:\n%.300s", shell, r.stdout)
		}
		if shell == "bash" {
			script := filepath.Join(dir, "flowmake.bash")
			writeFile(t, script, r.stdout)
			if out, err := osexec.Command("bash", "-n", script).CombinedOutput(); err != nil {
				t.Errorf("bash -n on the bash completion script: %v\n%s", err, out)
			}
		}
	}
	if r := flowmake(t, dir, "completion", "ksh"); r.code != 2 {
		t.Errorf("flowmake completion ksh: exit %d, want 2\n%s", r.code, r.stderr)
	}
	r := mustRun(t, dir, "--help")
	if !strings.Contains(r.stdout, "\n  completion ") {
		t.Errorf("--help does not list completion:\n%s", r.stdout)
	}
}

func TestCompletionRuleNames(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": completionRulefile})
	rulesOnly := func(names []string) bool {
		return hasAll(names, "assemble_all", "publish_notes") && !hasAll(names, "count_sample")
	}

	names, r := completions(t, dir, "")
	if !rulesOnly(names) || !hasAll(names, "fmt", "completion") {
		t.Errorf("__complete '': %q, want the wildcard-free rules and the subcommands", names)
	}
	if !strings.HasSuffix(r.stdout, ":0\n") {
		t.Errorf("__complete '': directive %q, want :0 (file names too)", r.stdout)
	}
	// After an option a word is a target: no subcommands, still rules.
	if names, _ := completions(t, dir, "-n", ""); !rulesOnly(names) || hasAll(names, "fmt") {
		t.Errorf("__complete -n '': %q", names)
	}
	for _, flag := range []string{"-R", "--forcerun", "--until"} {
		if names, _ := completions(t, dir, flag, ""); !rulesOnly(names) {
			t.Errorf("__complete %s '': %q, want the rule names", flag, names)
		}
	}
	if names, _ := completions(t, dir, "--executor", ""); strings.Join(names, " ") != "local slurm" {
		t.Errorf("__complete --executor '': %q, want local slurm", names)
	}
	if names, _ := completions(t, dir, "completion", ""); strings.Join(names, " ") != "bash fish zsh" {
		t.Errorf("__complete completion '': %q", names)
	}
	// The subcommand rule holds while completing: first, fmt is the
	// subcommand (its flags complete); later, a target.
	if names, _ := completions(t, dir, "fmt", "--ch"); strings.Join(names, " ") != "--check" {
		t.Errorf("__complete fmt --ch: %q, want --check", names)
	}
	if names, _ := completions(t, dir, "-n", "fmt", ""); !rulesOnly(names) {
		t.Errorf("__complete -n fmt '': %q, want the rule names", names)
	}

	// -C and -s on the line being completed choose the Rulefile.
	other := t.TempDir()
	if names, _ := completions(t, other, ""); hasAll(names, "assemble_all") {
		t.Errorf("__complete '' with no Rulefile: %q", names)
	}
	if names, _ := completions(t, other, "-C", dir, ""); !rulesOnly(names) {
		t.Errorf("__complete -C DIR '': %q, want DIR's rules", names)
	}
	writeFile(t, filepath.Join(other, "alt.hcl"), "rule \"from_alt\" {\n  shell = \"true\"\n}\n")
	if names, _ := completions(t, other, "-s", "alt.hcl", ""); !hasAll(names, "from_alt") {
		t.Errorf("__complete -s alt.hcl '': %q", names)
	}
}

func TestCompletionBrokenRulefile(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": "rule \"half\" {\n  shell = \n"})
	// With no Rulefile only the subcommands complete; so with a broken one.
	subcommands, _ := completions(t, t.TempDir(), "")
	names, r := completions(t, dir, "")
	if strings.Join(names, " ") != strings.Join(subcommands, " ") || hasAll(names, "half") {
		t.Errorf("broken Rulefile completes %q, want only the subcommands %q", names, subcommands)
	}
	// cobra's "Completion ended" line is all (the scripts drop stderr).
	stderr := strings.TrimSpace(r.stderr)
	if !strings.HasPrefix(stderr, "Completion ended with directive") || strings.Contains(stderr, "\n") {
		t.Errorf("broken Rulefile: error text printed\nstderr:\n%s", r.stderr)
	}
	if names, r := completions(t, dir, "-R", ""); len(names) != 0 || strings.Contains(r.stderr, "Rulefile") {
		t.Errorf("broken Rulefile: -R completes %q\n%s", names, r.stderr)
	}
}

// TestCompletionBashTmux types "flowmake <TAB><TAB>" into a real bash,
// with the completion script sourced, and reads the screen.
func TestCompletionBashTmux(t *testing.T) {
	if _, err := osexec.LookPath("tmux"); err != nil && os.Getenv("CI") == "" {
		t.Skip("tmux is not installed") // tmuxSession fails instead when CI is set
	}
	// cobra's bash script needs the bash-completion package, as
	// docs/cli.md says.
	const bashCompletion = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(bashCompletion); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("bash-completion is not installed (scripts/setup.sh installs it); CI is set, so this fails")
		}
		t.Skip("bash-completion is not installed")
	}
	dir := workspace(t, map[string]string{"Rulefile": completionRulefile})
	script := filepath.Join(t.TempDir(), "flowmake.bash")
	writeFile(t, script, mustRun(t, dir, "completion", "bash").stdout)
	run := tmuxSession(t, dir, 200, 50, bashInPane(dir)...) // progress_test.go
	run("send-keys", "source "+bashCompletion+"; source "+script, "Enter")
	run("send-keys", "flowmake ", "Tab", "Tab")
	var pane string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		pane = run("capture-pane", "-p")
		if strings.Contains(pane, "assemble_all") && strings.Contains(pane, "publish_notes") {
			break
		}
	}
	if !strings.Contains(pane, "assemble_all") || !strings.Contains(pane, "publish_notes") {
		t.Fatalf("flowmake <TAB><TAB> does not show the rule names:\n%s", pane)
	}
	if strings.Contains(pane, "count_sample") {
		t.Errorf("flowmake <TAB><TAB> shows the wildcard rule:\n%s", pane)
	}
	if !strings.Contains(pane, "Rulefile") {
		t.Errorf("flowmake <TAB><TAB> does not complete file names too:\n%s", pane)
	}
}
