package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The rule shows, in a dry run with the shell, the config value and the
// threads it got (clamped to -j), so a profile's -j, --config and -p show.
const profileRulefile = `
config { name = "rulefile" }
rule "all" {
  threads = 8
  shell   = "echo ${config.name} ${threads}"
}
`

const profileYAML = `# as a Snakemake profile would say it
jobs: 3
printshellcmds: true
config: [name=profile]
`

func profileWorkspace(t *testing.T, yaml string) string {
	t.Helper()
	return workspace(t, map[string]string{"Rulefile": profileRulefile, "prof/config.yaml": yaml})
}

// withEnv is the test's environment with extra KEY=VALUE settings, and
// without any FLOWMAKE_PROFILE of the developer's.
func withEnv(kv ...string) []string {
	env := slices.DeleteFunc(os.Environ(), func(s string) bool { return strings.HasPrefix(s, profileEnv+"=") })
	return append(append(env, "GORACE=atexit_sleep_ms=0"), kv...)
}

func wantDryRun(t *testing.T, r result, name string, threads string) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"threads: " + threads, "echo " + name + " " + threads} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("dry run lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestProfileSetsFlags(t *testing.T) {
	dir := profileWorkspace(t, profileYAML)
	wantDryRun(t, runWithEnv(t, dir, withEnv(), "-n", "--profile", "prof"), "profile", "3")
	// Without the profile: -j is the CPUs (threads 8 or fewer), no shell.
	if r := runWithEnv(t, dir, withEnv(), "-n", "-j", "5"); strings.Contains(r.stdout, "echo") {
		t.Errorf("shell printed without -p:\n%s", r.stdout)
	}
}

func TestProfileCommandLineWins(t *testing.T) {
	dir := profileWorkspace(t, profileYAML)
	r := runWithEnv(t, dir, withEnv(), "-n", "--profile", "prof", "-j", "2", "--config", "name=cli")
	wantDryRun(t, r, "cli", "2")
}

func TestProfileFromEnvironment(t *testing.T) {
	dir := profileWorkspace(t, profileYAML)
	wantDryRun(t, runWithEnv(t, dir, withEnv(profileEnv+"=prof"), "-n"), "profile", "3")
	// --profile wins over the variable, even when the variable's is broken.
	writeFile(t, filepath.Join(dir, "other/config.yaml"), "jobs: 4\nprintshellcmds: true\n")
	r := runWithEnv(t, dir, withEnv(profileEnv+"=missing"), "-n", "--profile", "other")
	wantDryRun(t, r, "rulefile", "4")
}

// A bare name is looked up under $XDG_CONFIG_HOME/flowmake, as Snakemake
// looks under ~/.config/snakemake.
func TestProfileByName(t *testing.T) {
	dir := profileWorkspace(t, "jobs: 1\n")
	home := t.TempDir()
	writeFile(t, filepath.Join(home, "flowmake/cluster/config.yaml"), profileYAML)
	r := runWithEnv(t, dir, withEnv("XDG_CONFIG_HOME="+home), "-n", "--profile", "cluster")
	wantDryRun(t, r, "profile", "3")
	// A directory of that name where flowmake runs comes first.
	writeFile(t, filepath.Join(dir, "cluster/config.yaml"), "jobs: 2\nprintshellcmds: true\n")
	r = runWithEnv(t, dir, withEnv("XDG_CONFIG_HOME="+home), "-n", "--profile", "cluster")
	wantDryRun(t, r, "rulefile", "2")
}

// Every flag type, read from a profile, reaches the options; lists fill
// flags that take several values.
func TestProfileValueTypes(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "config.yaml")
	writeFile(t, file, `executor: slurm
cores: 40
latency-wait: 60
keep-going: true
default-resources: [mem_mb=1000, runtime=10]
forcerun: a,b
resources: mem_mb=8000
`)
	o := &options{stdout: io.Discard, stderr: io.Discard}
	cmd := newRootCmd(o)
	if err := cmd.ParseFlags([]string{"--profile", dir, "--latency-wait", "3"}); err != nil {
		t.Fatal(err)
	}
	if err := applyProfile(cmd, o); err != nil {
		t.Fatal(err)
	}
	if o.executor != "slurm" || o.cores != 40 || o.latencyWait != 3 || !o.keepGoing {
		t.Errorf("executor %q cores %d latency-wait %v keep-going %v", o.executor, o.cores, o.latencyWait, o.keepGoing)
	}
	if !slices.Equal(o.defaultResourceArgs, []string{"mem_mb=1000", "runtime=10"}) {
		t.Errorf("default-resources %q", o.defaultResourceArgs)
	}
	if !slices.Equal(o.forceRules, []string{"a", "b"}) || !slices.Equal(o.resources, []string{"mem_mb=8000"}) {
		t.Errorf("forcerun %q resources %q", o.forceRules, o.resources)
	}
}

func TestProfileErrors(t *testing.T) {
	for _, c := range []struct {
		name, yaml, profile string
		want                []string
	}{
		{"missing dir", "", "nowhere/prof", []string{"profile nowhere/prof: no such directory"}},
		{"missing name", "", "nosuch", []string{`profile "nosuch" not found`, "flowmake/nosuch"}},
		{"no config.yaml", "", "empty", []string{"profile empty has no config.yaml"}},
		{"unknown key", "jobs: 2\njob: 3\n", "prof", []string{"prof/config.yaml:2:", `unknown key "job"`, `did you mean "jobs"?`}},
		{"wrong type", "latency-wait: soon\n", "prof", []string{"prof/config.yaml:1:", "latency-wait: want a number", `"soon"`}},
		{"list for a bool", "keep-going: [yes]\n", "prof", []string{"prof/config.yaml:1:", "keep-going: want true or false"}},
		{"map for a list", "default-resources: {mem_mb: 1}\n", "prof", []string{"prof/config.yaml:1:", "want a string or a list of strings"}},
		{"no value", "executor:\n", "prof", []string{"prof/config.yaml:1:", "executor: no value given"}},
		{"twice", "jobs: 2\ncores: 3\n", "prof", []string{"prof/config.yaml:2:", "set twice (first on line 1)"}},
		{"not a mapping", "- jobs\n", "prof", []string{"prof/config.yaml:1:", "flag: value pairs"}},
		{"bad yaml", "jobs: [2\n", "prof", []string{"prof/config.yaml"}},
		{"profile in profile", "profile: other\n", "prof", []string{"prof/config.yaml:1:", `"profile" cannot be set in a profile`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{"Rulefile": profileRulefile, "empty/.keep": ""}
			if c.profile == "prof" {
				files["prof/config.yaml"] = c.yaml
			}
			dir := workspace(t, files)
			r := runWithEnv(t, dir, withEnv("XDG_CONFIG_HOME="+t.TempDir()), "-n", "--profile", c.profile)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2 (usage)\n%s", r.code, r.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
}
