package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// glob_wildcards in the config block reads the -C directory, not the
// caller's: the same workflow plans the same jobs from inside its folder
// and from outside it.
func TestDirectoryFlagLoadTimeGlob(t *testing.T) {
	outer := workspace(t, map[string]string{
		"w/data/a.txt": "a\n",
		"w/data/b.txt": "b\n",
		"w/data/c.txt": "c\n",
		"w/Rulefile": `
config {
  samples = glob_wildcards("data/{s}.txt").s
}
rule "all" { input = expand("out/{s}.txt", { s = config.samples }) }
rule "cp" {
  input  = ["data/{s}.txt"]
  output = ["out/{s}.txt"]
  shell  = "cp ${input} ${output}"
}
`,
	})
	inside := mustRun(t, filepath.Join(outer, "w"), "-n")
	viaC := mustRun(t, outer, "-C", "w", "-n")
	for _, r := range []result{inside, viaC} {
		if !strings.Contains(r.stdout+r.stderr, "4 jobs would run") {
			t.Errorf("want 4 jobs (3 copies and all):\n%s%s", r.stdout, r.stderr)
		}
	}
	mustRun(t, outer, "-C", "w", "-j2")
	if got := readFile(t, filepath.Join(outer, "w", "out", "c.txt")); got != "c\n" {
		t.Errorf("out/c.txt = %q", got)
	}
}

// dirFlowRulefile uses every feature that touches the disk: a load-time
// glob, temp(), protected(), a log, a benchmark, a Python script, a
// directory() output and a checkpoint whose outputs are globbed per job.
const dirFlowRulefile = `
config {
  samples  = glob_wildcards("data/{s}.txt").s
  greeting = "from the Rulefile"
}

rule "all" {
  input = concat(["report.txt", "big"], expand("gathered/{s}.txt", { s = config.samples }))
}

rule "upper" {
  input  = "data/{s}.txt"
  output = temp("tmp/{s}.up")
  log    = "logs/upper/{s}.log"
  shell  = "tr a-z A-Z < ${input} > ${output} && echo upper ${wildcards.s} > ${log}"
}

rule "final" {
  input     = "tmp/{s}.up"
  output    = protected("final/{s}.txt")
  benchmark = "bench/{s}.tsv"
  shell     = "cp ${input} ${output}"
}

rule "report" {
  input  = expand("final/{s}.txt", { s = config.samples })
  output = "report.txt"
  params = { greeting = config.greeting }
  script = "scripts/report.py"
}

rule "big" {
  output = directory("big")
  shell  = "mkdir -p ${output} && echo x > ${output}/x"
}

checkpoint "split" {
  input  = "data/{s}.txt"
  output = directory("chunks/{s}")
  shell  = "mkdir -p ${output} && split -l 1 ${input} ${output}/part_"
}

rule "gather" {
  input = expand("chunks/{s}/{part}", {
    s    = wildcards.s
    part = glob_wildcards("${checkpoint_output("split", wildcards)[0]}/{part}").part
  })
  output = "gathered/{s}.txt"
  shell  = "cat ${input} > ${output}"
}
`

// dirFlowFiles is the workflow of TestDirectoryFlagEveryFeature under
// prefix.
func dirFlowFiles(prefix string) map[string]string {
	files := map[string]string{
		"Rulefile":   dirFlowRulefile,
		"data/a.txt": "a\nb\n",
		"data/b.txt": "c\n",
		// Relative paths in a script are relative to the working directory.
		"scripts/report.py": `s = snakemake
with open(s.output[0], "w") as out:
    print(s.params.greeting, file=out)
    for p in s.input:
        out.write(open(p).read())
`,
	}
	out := map[string]string{}
	for k, v := range files {
		out[prefix+k] = v
	}
	return out
}

// Every feature behaves the same run as "flowmake -C w" from the parent
// as from inside w, and the caller's directory is left as it was: targets,
// outputs, logs, scripts, checkpoints and .flowmake/ are all in w. The
// exception, as in Snakemake, is --configfile (like -s): a relative path
// names a file from where flowmake was started.
func TestDirectoryFlagEveryFeature(t *testing.T) {
	inside := workspace(t, dirFlowFiles(""))
	outer := workspace(t, dirFlowFiles("w/"))
	w := filepath.Join(outer, "w")
	writeFile(t, filepath.Join(inside, "over.yaml"), "greeting: configured\n")
	writeFile(t, filepath.Join(outer, "over.yaml"), "greeting: configured\n")
	writeFile(t, filepath.Join(w, "over.yaml"), "greeting: the wrong file\n")
	callerBefore := callerFiles(t, outer)

	// both runs args from inside and with -C from outside, and checks
	// that the two print the same.
	both := func(args ...string) result {
		t.Helper()
		in := mustRun(t, inside, args...)
		viaC := mustRun(t, outer, append([]string{"-C", "w"}, args...)...)
		if a, b := normalizeRun(in.stdout), normalizeRun(viaC.stdout); a != b {
			t.Errorf("flowmake %s: stdout differs with -C\ninside:\n%s\nwith -C:\n%s", strings.Join(args, " "), a, b)
		}
		if a, b := normalizeRun(in.stderr), normalizeRun(viaC.stderr); a != b {
			t.Errorf("flowmake %s: stderr differs with -C\ninside:\n%s\nwith -C:\n%s", strings.Join(args, " "), a, b)
		}
		return viaC
	}
	wants := func(r result, args, want string) {
		t.Helper()
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("flowmake -C w %s: want %q in\n%s%s", args, want, r.stdout, r.stderr)
		}
	}

	wants(both("-n"), "-n", "11 jobs would run")
	wants(both("-n", "final/a.txt"), "-n final/a.txt", "2 jobs would run") // targets are relative to DIR
	wants(both("--dag"), "--dag", "digraph")

	both("-j1")
	if a, b := workflowTree(t, inside), workflowTree(t, w); a != b {
		t.Errorf("the run left different files with -C\ninside:\n%s\nwith -C:\n%s", a, b)
	}
	if got := readFile(t, filepath.Join(w, "report.txt")); got != "from the Rulefile\nA\nB\nC\n" {
		t.Errorf("report.txt (script) = %q", got)
	}
	if got := readFile(t, filepath.Join(w, "gathered", "a.txt")); got != "a\nb\n" {
		t.Errorf("gathered/a.txt (checkpoint) = %q", got)
	}
	if got := readFile(t, filepath.Join(w, "logs", "upper", "a.log")); got != "upper a\n" {
		t.Errorf("log = %q", got)
	}
	if !exists(filepath.Join(w, "bench", "a.tsv")) || !exists(filepath.Join(w, "big", "x")) {
		t.Error("benchmark or directory() output missing")
	}
	if exists(filepath.Join(w, "tmp", "a.up")) {
		t.Error("temp() output tmp/a.up is still there")
	}
	if st, err := os.Stat(filepath.Join(w, "final", "a.txt")); err != nil || st.Mode().Perm()&0o222 != 0 {
		t.Errorf("protected() output final/a.txt is writable (%v)", err)
	}

	wants(both("-j1"), "rerun", "Nothing to be done.")
	wants(both("--summary"), "--summary", "gathered/a.txt")

	// A script edited in w is read from w: the code trigger sees it.
	for _, d := range []string{inside, w} {
		writeFile(t, filepath.Join(d, "scripts", "report.py"), readFile(t, filepath.Join(d, "scripts", "report.py"))+"# edited\n")
	}
	wants(both("-n"), "-n after the edit", "reason: code changed")
	if r := both("--list-changes", "code"); r.stdout != "report.txt\n" {
		t.Errorf("--list-changes code: %q, want report.txt", r.stdout)
	}
	wants(both("--touch"), "--touch", "Touched the outputs of 1 job.")
	wants(both("-n"), "-n after --touch", "Nothing to be done.")

	// --configfile over.yaml is the caller's over.yaml, not w's.
	wants(both("-n", "--configfile", "over.yaml"), "--configfile", "reason: params changed")
	if r := both("--list-changes", "params", "--configfile", "over.yaml"); r.stdout != "report.txt\n" {
		t.Errorf("--list-changes params: %q, want report.txt", r.stdout)
	}
	wants(both("--cleanup-metadata", "report.txt"), "--cleanup-metadata", "Forgot the metadata of 1 output.")
	if r := both("--list-changes", "params", "--configfile", "over.yaml"); r.stdout != "" {
		t.Errorf("--list-changes params after --cleanup-metadata: %q, want nothing", r.stdout)
	}
	both("-q", "-R", "report", "--configfile", "over.yaml")
	if got := readFile(t, filepath.Join(w, "report.txt")); !strings.HasPrefix(got, "configured\n") {
		t.Errorf("report.txt after --configfile over.yaml = %q", got)
	}

	// -s, like --configfile, is relative to the caller.
	wants(mustRun(t, outer, "-C", "w", "-s", filepath.Join("w", "Rulefile"), "--configfile", "over.yaml", "-n"), "-s w/Rulefile", "Nothing to be done.")

	if after := callerFiles(t, outer); after != callerBefore {
		t.Errorf("flowmake -C w wrote in the caller's directory:\nbefore:\n%s\nafter:\n%s", callerBefore, after)
	}
	if exists(filepath.Join(outer, ".flowmake")) || !exists(filepath.Join(w, ".flowmake", "meta.db")) {
		t.Error(".flowmake/ must be in w, not in the caller's directory")
	}
}

var (
	rfc3339Time = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	doneIn      = regexp.MustCompile(`done in [0-9.]+[µnm]?s`)
	jobIn       = regexp.MustCompile(`(?m)^(\[\d+/\d+\] done .*) in [0-9.hms]+$`) // a finished job's wall time
)

// normalizeRun masks what differs between two runs of the same workflow:
// times and durations.
func normalizeRun(s string) string {
	s = jobIn.ReplaceAllString(s, "$1 in D")
	return doneIn.ReplaceAllString(rfc3339Time.ReplaceAllString(s, "TIME"), "done in D")
}

// workflowTree lists a workflow directory outside .flowmake/: each path
// with its permissions, and each file's content, except benchmarks
// (timings) and over.yaml.
func workflowTree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() && d.Name() == ".flowmake" {
			return filepath.SkipDir
		}
		if rel == "over.yaml" {
			return nil // the decoy TestDirectoryFlagEveryFeature puts only in w
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %s", rel, fi.Mode())
		if !d.IsDir() && !strings.HasPrefix(rel, "bench"+string(filepath.Separator)) {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " %q", data)
		}
		b.WriteByte('\n')
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// callerFiles lists the caller's directory outside the workflow w, with
// sizes and modification times, so any file written there shows.
func callerFiles(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "w" {
			return filepath.SkipDir
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %s %d %s\n", rel, fi.Mode(), fi.Size(), fi.ModTime().Format(time.RFC3339Nano))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
