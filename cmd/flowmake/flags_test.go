package main

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// The end-to-end tests of issue 7's "Staleness and flags": each behaviour
// was checked with Snakemake 7.21 on the equivalent Snakefile.

// dryRunRules returns the rule names a dry run lists, sorted.
func dryRunRules(stdout string) []string {
	var out []string
	re := regexp.MustCompile(`(?m)^(?:rule|checkpoint) (\w+):$`)
	for _, m := range re.FindAllStringSubmatch(stdout, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return out
}

// ageAll sets every file in dir (but .flowmake) to an hour ago, in the
// order given first, a second apart, so later runs see a settled tree.
func ageAll(t *testing.T, dir string, order ...string) {
	t.Helper()
	base := time.Now().Add(-time.Hour)
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() && info.Name() == ".flowmake" {
			return filepath.SkipDir
		}
		return os.Chtimes(p, base, base)
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, rel := range order {
		at := base.Add(time.Duration(i+1) * time.Second)
		if err := os.Chtimes(filepath.Join(dir, rel), at, at); err != nil {
			t.Fatal(err)
		}
	}
}

const noOutputsRulefile = `
rule "all" {
  input = ["a.txt"]
}
rule "summ" {
  input = ["a.txt"]
  shell = "echo ran >> summ.log"
}
rule "a" {
  output = ["a.txt"]
  shell  = "echo a > ${output}"
}
`

// TestNoOutputRules: a rule without outputs that has a command runs on
// every invocation, even with inputs; "all" without a command runs only
// for its inputs; a dry run lists the former and runs nothing.
func TestNoOutputRules(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": noOutputsRulefile})
	if got := ranRules(mustRun(t, dir, "-j1").stderr); strings.Join(got, " ") != "a all" {
		t.Errorf("first run ran %v", got)
	}
	if r := mustRun(t, dir, "-j1"); !strings.Contains(r.stderr, "Nothing to be done.") {
		t.Errorf("all without a command ran again:\n%s", r.stderr)
	}
	for i := 1; i <= 2; i++ {
		r := mustRun(t, dir, "-j1", "summ")
		if got := ranRules(r.stderr); strings.Join(got, " ") != "summ" {
			t.Errorf("run %d of summ ran %v", i, got)
		}
	}
	r := mustRun(t, dir, "-n", "summ")
	if got := dryRunRules(r.stdout); strings.Join(got, " ") != "summ" || !strings.Contains(r.stdout, "reason: no output files (always runs)") {
		t.Errorf("dry run lists %v:\n%s", got, r.stdout)
	}
	if got := readFile(t, filepath.Join(dir, "summ.log")); got != "ran\nran\n" {
		t.Errorf("summ.log after two runs and a dry run: %q", got)
	}
}

// TestAncientInputUpstreamRerun: a forced producer reruns, its consumer
// through ancient() does not.
func TestAncientInputUpstreamRerun(t *testing.T) {
	dir := workspace(t, map[string]string{
		"src.txt": "s\n",
		"Rulefile": `
rule "b" {
  input  = [ancient("a.txt")]
  output = ["b.txt"]
  shell  = "cat ${input} > ${output}; echo b >> ${output}"
}
rule "a" {
  input  = ["src.txt"]
  output = ["a.txt"]
  shell  = "cat ${input} > ${output}"
}
`})
	mustRun(t, dir, "-j1")
	ageAll(t, dir, "src.txt", "a.txt", "b.txt")
	b := readFile(t, filepath.Join(dir, "b.txt"))
	for _, args := range [][]string{{"-R", "a"}, {"-R", "a", "-n"}} {
		r := mustRun(t, dir, args...)
		got := ranRules(r.stderr)
		if args[len(args)-1] == "-n" {
			got = dryRunRules(r.stdout)
		}
		if strings.Join(got, " ") != "a" {
			t.Errorf("%v: ran %v, want a only\n%s%s", args, got, r.stdout, r.stderr)
		}
	}
	if got := readFile(t, filepath.Join(dir, "b.txt")); got != b {
		t.Errorf("b.txt changed: %q", got)
	}
	// Its input made newer by the forced run, b still is up to date.
	if r := mustRun(t, dir, "-j1"); !strings.Contains(r.stderr, "Nothing to be done.") {
		t.Errorf("after -R a:\n%s", r.stderr)
	}
}

// TestDirectoryOutputFinishTime: a directory() output counts from when
// its job finished; a file dropped into it later reruns nothing, while a
// newer input of its job still does.
func TestDirectoryOutputFinishTime(t *testing.T) {
	dir := workspace(t, map[string]string{
		"raw.txt": "a\nb\n",
		"Rulefile": `
rule "all" { input = ["count.txt"] }
rule "count" {
  input  = ["split"]
  output = ["count.txt"]
  shell  = "ls ${input} | wc -l > ${output}"
}
rule "split" {
  input  = ["raw.txt"]
  output = [directory("split")]
  shell  = "mkdir -p ${output} && split -l 1 ${input} ${output}/part_"
}
`})
	mustRun(t, dir, "-j1")
	// By hand, a new file: the directory's mtime is now newer than count.txt.
	writeFile(t, filepath.Join(dir, "split", "notes.txt"), "mine\n")
	setMtime(t, filepath.Join(dir, "split"), time.Minute)
	for _, args := range [][]string{{"-n"}, {"-j1"}} {
		if r := mustRun(t, dir, args...); !strings.Contains(r.stderr, "Nothing to be done.") {
			t.Errorf("%v after a file was dropped into split/:\n%s%s", args, r.stdout, r.stderr)
		}
	}
	setMtime(t, filepath.Join(dir, "raw.txt"), 2*time.Minute)
	r := mustRun(t, dir, "-n")
	if got := dryRunRules(r.stdout); strings.Join(got, " ") != "all count split" {
		t.Errorf("after touching raw.txt, dry run lists %v:\n%s", got, r.stdout)
	}
}

const flagsRulefile = `
rule "all" {
  input = ["a.txt"]
}
rule "a" {
  output = ["a.txt"]
  shell  = "echo a > ${output}"
}
rule "b" {
  input  = ["a.txt"]
  output = ["b.txt"]
  shell  = "cat ${input} > ${output}"
}
rule "report" {
  output = ["report.txt"]
  shell  = "echo r > ${output}"
}
rule "per" {
  output = ["per_{x}.txt"]
  shell  = "echo > ${output}"
}
`

// TestForcerunUntilWords: -R and --until take the words after them up to
// the next option, as Snakemake's nargs do; a rule without wildcards that
// they name is a target too; an unknown name is a usage error.
func TestForcerunUntilWords(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": flagsRulefile})
	mustRun(t, dir, "-j1") // a.txt exists; report.txt and b.txt do not
	for _, c := range []struct {
		args []string
		want string // rules the dry run lists
	}{
		{[]string{"-R", "report"}, "report"},
		{[]string{"-R", "report", "a"}, "a all report"},
		{[]string{"-R", "report", "a", "-j", "2"}, "a all report"},
		{[]string{"-R", "a,report"}, "a all report"},
		{[]string{"-R", "a", "-R", "report"}, "a all report"},
		{[]string{"--forcerun", "report", "b"}, "b report"},
		{[]string{"--forcerun=report"}, "report"},
		{[]string{"-Rreport"}, "report"},
		{[]string{"-pR", "report", "b"}, "b report"},
		{[]string{"-R"}, ""},
		{[]string{"-R", "per"}, ""}, // has wildcards: forces its jobs, adds none
		{[]string{"b.txt", "-R", "a"}, "a b"},
		{[]string{"-R", "report", "--", "b.txt"}, "b report"},
		{[]string{"--until", "report"}, "report"},
		{[]string{"--until", "b", "report"}, "b report"},
		{[]string{"-U", "b"}, "b"},
		{[]string{"-F", "--until", "a"}, "a"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			r := mustRun(t, dir, append([]string{"-n"}, c.args...)...)
			if got := strings.Join(dryRunRules(r.stdout), " "); got != c.want {
				t.Errorf("dry run lists %q, want %q\n%s%s", got, c.want, r.stdout, r.stderr)
			}
		})
	}
	// Not only a dry run: -R report makes report.txt.
	if got := ranRules(mustRun(t, dir, "-j1", "-R", "report").stderr); strings.Join(got, " ") != "report" {
		t.Errorf("-R report ran %v", got)
	}
	if !exists(filepath.Join(dir, "report.txt")) {
		t.Error("-R report did not make report.txt")
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-R", "reprt"}, "-R/--forcerun reprt: no such rule; did you mean report?"},
		{[]string{"-R", "report", "b.txt"}, "-R/--forcerun b.txt: no such rule"},
		{[]string{"--until", "Report"}, "--until Report: no such rule; did you mean report?"},
		{[]string{"--until"}, "--until needs at least one rule name"},
		{[]string{"--until", "-n"}, "--until needs at least one rule name"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			r := flowmake(t, dir, append([]string{"-n"}, c.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q", r.code, r.stderr, c.want)
			}
		})
	}
}

// TestTouchMissingOutputs: --touch touches the outputs that exist, warns
// for each missing one and exits 0; the next run makes the missing ones.
func TestTouchMissingOutputs(t *testing.T) {
	dir := workspace(t, map[string]string{
		"src.txt": "s\n",
		"a.txt":   "old a\n",
		"Rulefile": `
rule "all" { input = ["a.txt", "a2.txt", "b.txt"] }
rule "a" {
  input  = ["src.txt"]
  output = ["a.txt", "a2.txt"]
  shell  = "echo a > ${output[0]}; echo a2 > ${output[1]}"
}
rule "b" {
  input  = ["src.txt"]
  output = ["b.txt"]
  shell  = "echo b > ${output}"
}
`})
	ageAll(t, dir, "a.txt", "src.txt") // a.txt is older than its input
	r := flowmake(t, dir, "--touch")
	if r.code != 0 {
		t.Fatalf("--touch: exit %d\n%s", r.code, r.stderr)
	}
	if got := ranRules(r.stderr); len(got) != 0 {
		t.Errorf("--touch ran %v", got)
	}
	for _, missing := range []string{"a2.txt", "b.txt"} {
		if !strings.Contains(r.stderr, "warning: --touch: "+missing+" ") {
			t.Errorf("no warning for %s:\n%s", missing, r.stderr)
		}
		if exists(filepath.Join(dir, missing)) {
			t.Errorf("--touch created %s", missing)
		}
	}
	if strings.Contains(r.stderr, "warning: --touch: a.txt") {
		t.Errorf("warning for an existing output:\n%s", r.stderr)
	}
	src, _ := os.Stat(filepath.Join(dir, "src.txt"))
	a, _ := os.Stat(filepath.Join(dir, "a.txt"))
	if !a.ModTime().After(src.ModTime()) || readFile(t, filepath.Join(dir, "a.txt")) != "old a\n" {
		t.Errorf("a.txt not touched (%v, input %v) or rewritten", a.ModTime(), src.ModTime())
	}
	r = mustRun(t, dir, "-j1")
	if got := ranRules(r.stderr); strings.Join(got, " ") != "a all b" {
		t.Errorf("the run after --touch ran %v, want a (for a2.txt), b and all", got)
	}
	if !exists(filepath.Join(dir, "a2.txt")) || !exists(filepath.Join(dir, "b.txt")) {
		t.Error("the missing outputs were not made")
	}
}

// TestResourcesCapJob: a job asking more than --resources allows runs
// with the cap, which its command sees, after one warning per rule.
func TestResourcesCapJob(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": `
rule "all" { input = expand("m/{s}.txt", { s = ["x", "y", "z"] }) }
rule "m" {
  output    = ["m/{s}.txt"]
  resources = { mem_mb = 1000 }
  shell     = "echo ${resources.mem_mb} > ${output}"
}
`})
	r := mustRun(t, dir, "-j2", "--resources", "mem_mb=100")
	for _, s := range []string{"x", "y", "z"} {
		if got := readFile(t, filepath.Join(dir, "m", s+".txt")); got != "100\n" {
			t.Errorf("m/%s.txt = %q, want the capped 100", s, got)
		}
	}
	if n := strings.Count(r.stderr, "Warning: Resource capped"); n != 1 || !strings.Contains(r.stderr, "Rulefile:5:") {
		t.Errorf("%d warnings, want 1 at Rulefile:5:\n%s", n, r.stderr)
	}
	// Under the cap, no warning and the asked value.
	writeFile(t, filepath.Join(dir, "Rulefile"), strings.Replace(readFile(t, filepath.Join(dir, "Rulefile")), "1000", "50", 1))
	r = mustRun(t, dir, "-j2", "-F", "--resources", "mem_mb=100")
	if strings.Contains(r.stderr, "Resource capped") || readFile(t, filepath.Join(dir, "m", "x.txt")) != "50\n" {
		t.Errorf("under the cap:\n%s", r.stderr)
	}
}

// TestEmptyWildcardValue: a constraint that allows "" allows an empty
// value; the default constraint does not.
func TestEmptyWildcardValue(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": `
rule "a" {
  output = ["out{suffix,.*}.txt"]
  shell  = "echo [${wildcards.suffix}] > ${output}"
}
rule "b" {
  output = ["b{x}.txt"]
  shell  = "echo [${wildcards.x}] > ${output}"
}
`})
	mustRun(t, dir, "-j1", "out.txt", "outX.txt")
	if got := readFile(t, filepath.Join(dir, "out.txt")); got != "[]\n" {
		t.Errorf("out.txt = %q", got)
	}
	if got := readFile(t, filepath.Join(dir, "outX.txt")); got != "[X]\n" {
		t.Errorf("outX.txt = %q", got)
	}
	if r := flowmake(t, dir, "-j1", "b.txt"); r.code != 1 || !strings.Contains(r.stderr, "b.txt") || exists(filepath.Join(dir, "b.txt")) {
		t.Errorf("b.txt under the default constraint: exit %d\n%s", r.code, r.stderr)
	}
}

// TestConfigValuesAsYAML: --config values are read as Snakemake reads
// them: a YAML list, a number, a string; one --config takes several.
func TestConfigValuesAsYAML(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": `
config {
  samples = ["a"]
  n       = 1
  name    = "default"
}
rule "all" { input = expand("out/{s}.txt", { s = config.samples }) }
rule "make" {
  output = ["out/{s}.txt"]
  shell  = "echo ${config.n + 1} ${config.name} ${length(config.samples)} > ${output}"
}
`})
	mustRun(t, dir, "-j1", "--config", "samples=[c,d]", "n=7", "--config", "name=x")
	for _, s := range []string{"c", "d"} {
		if got := readFile(t, filepath.Join(dir, "out", s+".txt")); got != "8 x 2\n" {
			t.Errorf("out/%s.txt = %q, want \"8 x 2\"", s, got)
		}
	}
	if exists(filepath.Join(dir, "out", "a.txt")) {
		t.Error("the config block's sample was made")
	}
}

// TestSpreadRuleLists: how the words after -R and --until are rewritten
// for cobra, before any Rulefile is read.
func TestSpreadRuleLists(t *testing.T) {
	for _, c := range []struct {
		in, want string // space-separated args
		err      string
	}{
		{in: "-R a b c", want: "--forcerun=a --forcerun=b --forcerun=c"},
		{in: "-R a b -j 2 t", want: "--forcerun=a --forcerun=b -j 2 t"},
		{in: "t -R a", want: "t --forcerun=a"},
		{in: "--forcerun a,b c", want: "--forcerun=a,b --forcerun=c"},
		{in: "--forcerun=a b", want: "--forcerun=a b"},
		{in: "-Ra b", want: "-Ra b"},
		{in: "-nR a b", want: "-n --forcerun=a --forcerun=b"},
		{in: "-nFR a", want: "-nF --forcerun=a"},
		{in: "-jR a", want: "-jR a"}, // -j takes R as its value: cobra's error
		{in: "-R", want: ""},
		{in: "-R -n", want: "-n"},
		{in: "-R a -- b -R c", want: "--forcerun=a -- b -R c"},
		{in: "--until a b", want: "--until=a --until=b"},
		{in: "-U a", want: "--until=a"},
		{in: "-R a - b", want: "--forcerun=a --forcerun=- --forcerun=b"},
		{in: "--config x=1 y=[a,b] -n t", want: "--config=x=1 --config=y=[a,b] -n t"},
		{in: "--config=x=1 t", want: "--config=x=1 t"},
		{in: "--config -n", want: "-n"},
		{in: "--until", err: "--until needs at least one rule name"},
		{in: "--until -p", err: "--until needs at least one rule name"},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := spreadRuleLists(strings.Fields(c.in), newRootCmd(&options{}))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || strings.Join(got, " ") != c.want {
				t.Errorf("got %q, %v; want %q", strings.Join(got, " "), err, c.want)
			}
		})
	}
}
