package exec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	osexec "os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/flowmake/flowmake/rules"
)

// A command keeps bash's options, its exit status and its signals, also
// when it is too long for one exec argument and runs from a file.
func TestLocalExit(t *testing.T) {
	tests := []struct {
		name    string
		command string
		exit    int
		signal  int
	}{
		{"success", "true", 0, 0},
		{"exit code", "exit 3", 3, 0},
		{"errexit", "false; echo not reached", 1, 0},
		{"pipefail", "false | true", 1, 0},
		{"nounset", "echo $FLOWMAKE_SURELY_UNSET", 1, 0},
		{"killed by a signal", "kill -KILL $$", -1, 9},
		{"terminated", "kill -TERM $$", -1, 15},
	}
	for _, tt := range tests {
		for _, size := range []string{"short", "long"} {
			t.Run(tt.name+" "+size, func(t *testing.T) {
				command := tt.command
				if size == "long" {
					command = long(command)
				}
				var out bytes.Buffer
				r := Local{Stdout: &out, Stderr: &out}.Run(context.Background(), Spec{Command: command, Dir: t.TempDir()})
				if r.ExitCode != tt.exit || r.Signal != tt.signal || r.Err != nil {
					t.Errorf("got exit %d signal %d err %v, want exit %d signal %d\n%s", r.ExitCode, r.Signal, r.Err, tt.exit, tt.signal, out.String())
				}
				if r.OK() != (tt.exit == 0 && tt.signal == 0) {
					t.Errorf("OK() = %v", r.OK())
				}
				if r.Start.IsZero() || r.End.Before(r.Start) {
					t.Errorf("times %v %v", r.Start, r.End)
				}
			})
		}
	}
}

func TestLocalNothingToRun(t *testing.T) {
	// A rule like "all" has neither shell nor script.
	if r := (Local{}).Run(context.Background(), Spec{Dir: t.TempDir()}); !r.OK() {
		t.Errorf("got %+v, want success", r)
	}
}

func TestLocalStartError(t *testing.T) {
	dir := t.TempDir()
	r := Local{}.Run(context.Background(), Spec{Script: "missing-program", Dir: dir})
	if r.OK() || r.Err == nil || r.ExitCode != -1 {
		t.Errorf("got %+v, want a start error", r)
	}
}

func TestLocalOutputToWriters(t *testing.T) {
	var out, errOut bytes.Buffer
	r := Local{Stdout: &out, Stderr: &errOut}.Run(context.Background(),
		Spec{Command: "echo to-out; echo to-err >&2", Dir: t.TempDir()})
	if !r.OK() {
		t.Fatalf("%+v", r)
	}
	if out.String() != "to-out\n" || errOut.String() != "to-err\n" {
		t.Errorf("stdout %q stderr %q", out.String(), errOut.String())
	}
}

// The log is the command's to write, as in Snakemake: flowmake neither
// redirects into it nor truncates what the command wrote, but removes a
// log of an earlier run first. The job's output reaches the terminal and
// flowmake's capture, in full.
func TestLocalLogIsTheCommands(t *testing.T) {
	dir := t.TempDir()
	files(t, dir, "logs/deep/x.log")
	os.WriteFile(filepath.Join(dir, "logs/deep/x.log"), []byte("old old old old\n"), 0o644)
	var terminal bytes.Buffer
	spec := Spec{
		Command: "test ! -e logs/deep/x.log; echo out; echo err >&2; (echo to-log; echo err-log >&2) >> logs/deep/x.log 2>&1; echo data > results/a/b/c.txt",
		Dir:     dir,
		Logs:    []string{"logs/deep/x.log", "logs/unwritten.log"},
		Capture: ".flowmake/log/r/x.log",
		Outputs: []string{"results/a/b/c.txt"},
	}
	r := Local{Stdout: &terminal, Stderr: &terminal}.Run(context.Background(), spec)
	if !r.OK() {
		t.Fatalf("%+v (an old log left in place?)", r)
	}
	log, err := os.ReadFile(filepath.Join(dir, "logs/deep/x.log"))
	if err != nil || string(log) != "to-log\nerr-log\n" {
		t.Errorf("log %q, %v", log, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "logs/unwritten.log")); err != nil || len(b) != 0 {
		t.Errorf("a log the command did not write: %q, %v; want it empty", b, err)
	}
	if terminal.String() != "out\nerr\n" {
		t.Errorf("terminal %q", terminal.String())
	}
	if b, err := os.ReadFile(filepath.Join(dir, ".flowmake/log/r/x.log")); err != nil || string(b) != "out\nerr\n" {
		t.Errorf("capture %q, %v", b, err)
	}
	if !exists(dir, "results/a/b/c.txt") {
		t.Error("output not written: its directory was not made")
	}
}

// 2> ${log} loses nothing, even with a lot written to both streams.
func TestLocalRedirectIntoLogLosesNothing(t *testing.T) {
	dir := t.TempDir()
	spec := Spec{
		Command: "for i in $(seq 1 5000); do echo \"line $i\"; echo \"err $i\" >&2; done 2> log/x.log > out.txt",
		Dir:     dir,
		Logs:    []string{"log/x.log"},
		Capture: ".flowmake/log/x.log",
	}
	var terminal bytes.Buffer
	if r := (Local{Stdout: &terminal, Stderr: &terminal}).Run(context.Background(), spec); !r.OK() {
		t.Fatalf("%+v", r)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "log/x.log"))
	if n := strings.Count(string(log), "\n"); n != 5000 || !strings.HasSuffix(string(log), "err 5000\n") {
		t.Errorf("log has %d lines, ends %q", n, log[max(0, len(log)-20):])
	}
	if terminal.Len() != 0 {
		t.Errorf("terminal got %q", terminal.String())
	}
}

// With file writers (the real terminal) and a capture, the output goes to
// both.
func TestLocalCaptureBesideFiles(t *testing.T) {
	dir := t.TempDir()
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	spec := Spec{Command: "echo o; echo e >&2", Dir: dir, Capture: "cap/job.log"}
	if r := (Local{Stdout: stdout, Stderr: stderr}).Run(context.Background(), spec); !r.OK() {
		t.Fatalf("%+v", r)
	}
	for name, want := range map[string]string{"stdout": "o\n", "stderr": "e\n"} {
		if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != want {
			t.Errorf("%s %q, want %q", name, b, want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "cap/job.log")); string(b) != "o\ne\n" && string(b) != "e\no\n" {
		t.Errorf("capture %q", b)
	}
}

// A capture is made when the job prints: a silent job leaves none, and
// an earlier run's capture never passes for this run's.
func TestLocalCaptureOnlyOfOutput(t *testing.T) {
	dir := t.TempDir()
	run := func(command string) {
		t.Helper()
		spec := Spec{Command: command, Dir: dir, Capture: ".flowmake/log/r/x.log"}
		if r := (Local{Stdout: io.Discard, Stderr: io.Discard}).Run(context.Background(), spec); !r.OK() {
			t.Fatalf("%s: %+v", command, r)
		}
	}
	capture := filepath.Join(dir, ".flowmake/log/r/x.log")
	run("echo earlier")
	if b, _ := os.ReadFile(capture); string(b) != "earlier\n" {
		t.Fatalf("capture %q", b)
	}
	for _, command := range []string{"true", "true > /dev/null"} { // direct exec, and bash
		run("echo earlier")
		run(command)
		if _, err := os.Lstat(capture); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("after %q, which printed nothing: capture %v, want none", command, err)
		}
	}
	run("echo later >&2")
	if b, _ := os.ReadFile(capture); string(b) != "later\n" {
		t.Errorf("capture %q, want only this run's output", b)
	}
}

func TestLocalScriptGetsJob(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\necho \"$FLOWMAKE_JOB\" > jobpath\ncat \"$FLOWMAKE_JOB\"\n"
	if err := os.WriteFile(filepath.Join(dir, "show.sh"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	doc, err := JobJSON(&rules.Job{
		Rule:      &rules.Rule{Name: "show"},
		Wildcards: map[string]string{"sample": "a"},
		Inputs:    []rules.Path{{Path: "in/a.txt"}},
		Outputs:   []rules.Path{{Path: "out/a.txt"}},
		Threads:   2,
	}, cty.NilVal)
	if err != nil {
		t.Fatal(err)
	}
	r := Local{Stdout: io.Discard, Stderr: io.Discard}.Run(context.Background(), Spec{Script: "show.sh", Dir: dir, JobJSON: doc, Capture: "show.log"})
	if !r.OK() {
		t.Fatalf("%+v", r)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "show.log"))
	if !bytes.Equal(got, doc) {
		t.Errorf("script read %s, want %s", got, doc)
	}
	path, _ := os.ReadFile(filepath.Join(dir, "jobpath"))
	if p := strings.TrimSpace(string(path)); p == "" {
		t.Error("FLOWMAKE_JOB unset")
	} else if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("job file %s left behind (%v)", p, err)
	}
}

func TestLocalPythonScript(t *testing.T) {
	if _, err := osexec.LookPath("python3"); err != nil {
		t.Skip("no python3")
	}
	dir := t.TempDir()
	script := "import json, os\njob = json.load(open(os.environ['FLOWMAKE_JOB']))\nopen(job['output'][0], 'w').write(job['wildcards']['sample'])\n"
	os.WriteFile(filepath.Join(dir, "w.py"), []byte(script), 0o644)
	doc := []byte(`{"output":["o/x.txt"],"wildcards":{"sample":"A"}}`)
	r := Local{}.Run(context.Background(), Spec{Script: "w.py", Dir: dir, JobJSON: doc, Outputs: []string{"o/x.txt"}})
	if !r.OK() {
		t.Fatalf("%+v", r)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "o/x.txt")); string(b) != "A" {
		t.Errorf("script wrote %q", b)
	}
}

// readPID waits for the job to write its shell's pid (its group id).
func readPID(t *testing.T, path string) int {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile(path)
		if err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
	}
	t.Fatal("the job never wrote its pid")
	return 0
}

// groupGone waits until no process is left in the group. An orphan may
// linger as a zombie until init reaps it, which still counts as a member.
func groupGone(t *testing.T, pgid int) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err = syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
	}
	t.Errorf("process group %d still alive (kill 0: %v)", pgid, err)
	syscall.Kill(-pgid, syscall.SIGKILL)
}

func TestLocalCancelKillsGroup(t *testing.T) {
	dir := t.TempDir()
	var b graph
	j := b.job("hang")
	j.Spec.Shell = "echo partial > out.txt; echo $$ > pid; sleep 60 & sleep 60; wait"
	j.Spec.Outputs = []rules.Path{{Path: "out.txt"}}
	files(t, dir, "unrelated.txt")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	leader := make(chan error, 1)
	go func() {
		pid := readPID(t, filepath.Join(dir, "pid"))
		// The group must be the job's own, or killing it proves nothing.
		if pgid, err := syscall.Getpgid(pid); err != nil || pgid != pid || pgid == syscall.Getpgrp() {
			leader <- fmt.Errorf("job %d is not its own group leader (pgid %d, %v)", pid, pgid, err)
			syscall.Kill(pid, syscall.SIGKILL) // so that Run returns
		}
		close(leader)
		cancel()
	}()
	begin := time.Now()
	s, err := Run(ctx, b.plan(), Local{}, Options{Cores: 1, Dir: dir, Grace: 2 * time.Second})
	if err := <-leader; err != nil {
		t.Error(err)
	}
	if !errors.Is(err, context.Canceled) || !s.Interrupted || len(s.Stopped) != 1 {
		t.Fatalf("err %v, summary %+v", err, s)
	}
	if d := time.Since(begin); d > 4*time.Second {
		t.Errorf("took %v to stop", d)
	}
	groupGone(t, readPID(t, filepath.Join(dir, "pid")))
	if exists(dir, "out.txt") {
		t.Error("partial output of the interrupted job kept")
	}
	if !exists(dir, "unrelated.txt") {
		t.Error("an unrelated file was deleted")
	}
}

func TestLocalGraceThenKill(t *testing.T) {
	// The job ignores SIGTERM (and so do its children): only SIGKILL ends it.
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		readPID(t, filepath.Join(dir, "pid"))
		cancel()
	}()
	begin := time.Now()
	r := Local{Grace: 300 * time.Millisecond}.Run(ctx, Spec{
		Command: `trap "" TERM; sleep 60 & echo $$ > pid; sleep 60`,
		Dir:     dir,
	})
	elapsed := time.Since(begin)
	if r.Signal != int(syscall.SIGKILL) || !errors.Is(r.Err, context.Canceled) {
		t.Errorf("got %+v, want killed by SIGKILL and interrupted", r)
	}
	if elapsed < 300*time.Millisecond || elapsed > 3*time.Second {
		t.Errorf("stopped after %v, want the 300ms grace period", elapsed)
	}
	groupGone(t, readPID(t, filepath.Join(dir, "pid")))
}

func TestLocalSecondInterruptKillsAtOnce(t *testing.T) {
	dir := t.TempDir()
	var b graph
	b.job("stubborn").Spec.Shell = `trap "" TERM; echo $$ > pid; sleep 60`
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kill := make(chan struct{})
	go func() {
		readPID(t, filepath.Join(dir, "pid"))
		cancel()
		time.Sleep(100 * time.Millisecond)
		close(kill)
	}()
	begin := time.Now()
	s, err := Run(ctx, b.plan(), Local{}, Options{Cores: 1, Dir: dir, Grace: time.Minute, Kill: kill})
	if !errors.Is(err, context.Canceled) || !s.Interrupted {
		t.Fatalf("err %v, summary %+v", err, s)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("took %v: Kill did not cut the grace period", d)
	}
	groupGone(t, readPID(t, filepath.Join(dir, "pid")))
}

func TestLocalLeftoversKilled(t *testing.T) {
	// A job that leaves a background process behind: it must not outlive the job.
	dir := t.TempDir()
	r := Local{}.Run(context.Background(), Spec{Command: "echo $$ > pid; sleep 60 &", Dir: dir, Capture: "log"})
	if !r.OK() {
		t.Fatalf("%+v", r)
	}
	groupGone(t, readPID(t, filepath.Join(dir, "pid")))
}

func TestLocalFailedJobOutputsDeleted(t *testing.T) {
	dir := t.TempDir()
	files(t, dir, "in.txt", "keep.txt")
	var b graph
	j := b.job("bad")
	j.Spec.Shell = "cat in.txt > out.txt; mkdir -p outdir/sub; touch outdir/sub/f; exit 1"
	j.Spec.Inputs = []rules.Path{{Path: "in.txt"}}
	j.Spec.Outputs = []rules.Path{{Path: "out.txt"}, {Path: "outdir", Flags: rules.Directory}}
	s, err := Run(context.Background(), b.plan(), Local{}, Options{Cores: 1, Dir: dir})
	if !errors.Is(err, ErrFailed) || s.Failures[0].Result.ExitCode != 1 {
		t.Fatalf("err %v, summary %+v", err, s)
	}
	for _, gone := range []string{"out.txt", "outdir"} {
		if exists(dir, gone) {
			t.Errorf("%s kept after the failure", gone)
		}
	}
	for _, kept := range []string{"in.txt", "keep.txt"} {
		if !exists(dir, kept) {
			t.Errorf("%s deleted", kept)
		}
	}
}

func TestLocalMissingOutput(t *testing.T) {
	dir := t.TempDir()
	var b graph
	j := b.job("half")
	j.Spec.Shell = "echo a > a.txt"
	j.Spec.Outputs = []rules.Path{{Path: "a.txt"}, {Path: "b.txt"}}
	s, err := Run(context.Background(), b.plan(), Local{}, Options{Cores: 1, Dir: dir, LatencyWait: 200 * time.Millisecond})
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("err %v", err)
	}
	if e := s.Failures[0].Result.Err; e == nil || !strings.HasPrefix(e.Error(), "missing output b.txt") {
		t.Errorf("error %v", e)
	}
	if exists(dir, "a.txt") {
		t.Error("the other output of a job with a missing output was kept")
	}
}

func TestNewSpecJobJSON(t *testing.T) {
	var b graph
	j := b.job("plot")
	j.Spec.Wildcards = map[string]string{"sample": "a", "kind": "x"}
	j.Key = "" // the helper keyed it "plot"; the name must come from rule and wildcards
	j.Spec.Script = "scripts/plot.py"
	j.Spec.Inputs = []rules.Path{{Name: "reads", Path: "r1.fq"}, {Name: "reads", Path: "r2.fq"}, {Name: "ref", Path: "ref.fa"}}
	j.Spec.Outputs = []rules.Path{{Path: "plots/a.png"}}
	j.Spec.Log = []rules.Path{{Path: "logs/a.log"}}
	j.Spec.Params = cty.ObjectVal(map[string]cty.Value{"min": cty.NumberIntVal(3), "flags": cty.StringVal("-a")})
	j.Spec.Threads = 4
	j.Spec.Resources = map[string]int64{"mem_mb": 100}
	j.Spec.ResourceText = map[string]string{"partition": "short"}
	s := NewSpec(j, "/work")
	if s.Name != "plot (kind=x, sample=a)" || s.Script != "scripts/plot.py" || !reflect.DeepEqual(s.Logs, []string{"logs/a.log"}) || s.Capture != ".flowmake/log/plot/kind=x,sample=a.log" || s.Threads != 4 || s.Dir != "/work" {
		t.Errorf("spec %+v", s)
	}
	var got map[string]any
	if err := json.Unmarshal(s.JobJSON, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"rule":         "plot",
		"wildcards":    map[string]any{"sample": "a", "kind": "x"},
		"input":        []any{"r1.fq", "r2.fq", "ref.fa"},
		"output":       []any{"plots/a.png"},
		"named_input":  map[string]any{"reads": []any{"r1.fq", "r2.fq"}, "ref": "ref.fa"},
		"named_output": map[string]any{},
		"named_log":    map[string]any{},
		"params":       map[string]any{"min": 3.0, "flags": "-a"},
		"threads":      4.0,
		"resources":    map[string]any{"mem_mb": 100.0, "partition": "short"},
		"log":          []any{"logs/a.log"},
	}
	if g, w := mustJSON(got), mustJSON(want); g != w {
		t.Errorf("job JSON\n got %s\nwant %s", g, w)
	}
	withConfig, err := JobJSON(j.Spec, cty.ObjectVal(map[string]cty.Value{"n": cty.NumberIntVal(1)}))
	if err != nil || !bytes.Contains(withConfig, []byte(`"config":{"n":1}`)) {
		t.Errorf("with config: %s %v", withConfig, err)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v) // maps marshal with sorted keys
	return string(b)
}

// evalJob loads src and evaluates rule name for wildcards wc.
func evalJob(t *testing.T, src, name string, wc map[string]string) *rules.Job {
	t.Helper()
	wf, diags := rules.Parse([]byte(src), "Rulefile")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	j, diags := wf.ByName[name].Eval(wc, rules.Env{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return j
}

// The job JSON keeps what the author wrote: names in their order, a list
// of one as a list, a single string as a string.
func TestJobJSONShapeAndOrder(t *testing.T) {
	j := evalJob(t, `rule "r" {
  input  = { zeta = "z.txt", alpha = ["a.txt"], mid = ["m1", "m2"], none = [] }
  output = { tab = "out/{s}.tsv", png = "out/{s}.png" }
  log    = { stderr = "log/{s}.err" }
  params = { zz = 1, aa = ["x", "y"] }
  script = "s.py"
}`, "r", map[string]string{"s": "a"})
	doc, err := JobJSON(j, cty.NilVal)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"input":["z.txt","a.txt","m1","m2"]`,
		`"named_input":{"zeta":"z.txt","alpha":["a.txt"],"mid":["m1","m2"],"none":[]}`,
		`"named_output":{"tab":"out/a.tsv","png":"out/a.png"}`,
		`"named_log":{"stderr":"log/a.err"}`,
		`"params":{"zz":1,"aa":["x","y"]}`,
		`"wildcards":{"s":"a"}`,
	} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("job JSON lacks %s:\n%s", want, doc)
		}
	}
}

// A Python script gets Snakemake's snakemake object, built from the job.
func TestLocalPythonSnakemakeObject(t *testing.T) {
	if _, err := osexec.LookPath("python3"); err != nil {
		t.Skip("no python3")
	}
	dir := t.TempDir()
	j := evalJob(t, `
config {
  k = "v"
}
rule "r" {
  input     = { reads = ["r 1.fq", "r2.fq"], ref = "g.fa" }
  output    = ["out/{sample}.txt"]
  params    = { n = 3, flags = ["-v", "two words"] }
  threads   = 2
  resources = { mem_mb = 100, partition = "short" }
  log       = "logs/{sample}.log"
  script    = "scripts/show.py"
}`, "r", map[string]string{"sample": "A"})
	script := `import os, sys
s = snakemake
rows = [
    s.input[0], s.input.reads[1], s.input["ref"], str(s.input), len(s.input), list(s.input), list(s.input.keys()),
    str(s.input.reads), type(s.input.ref).__name__, s.input.get("ref"), s.input.get("nope", "dflt"),
    s.output[0], str(s.output),
    s.params.n, s.params[1], s.params["flags"], list(s.params.keys()),
    s.wildcards.sample, s.wildcards[0], s.wildcards["sample"],
    s.threads, s.resources.mem_mb, s.resources.mem_mib, s.resources._cores, s.resources.partition,
    s.log[0], str(s.log), s.log_fmt_shell(stdout=False), s.config["k"], s.rule,
    __file__ == os.path.realpath("scripts/show.py"), sys.argv, __name__, s.scriptdir == os.path.realpath("scripts"),
]
with open(s.output[0], "w") as f:
    for r in rows:
        print(repr(r), file=f)
`
	files(t, dir, "scripts/show.py")
	os.WriteFile(filepath.Join(dir, "scripts/show.py"), []byte(script), 0o644)
	doc, err := JobJSON(j, cty.ObjectVal(map[string]cty.Value{"k": cty.StringVal("v")}))
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	r := Local{Stdout: &errb, Stderr: &errb}.Run(context.Background(), Spec{Script: j.Script, Dir: dir, JobJSON: doc, Outputs: []string{"out/A.txt"}})
	if !r.OK() {
		t.Fatalf("%+v\n%s", r, errb.String())
	}
	want := `'r 1.fq'
'r2.fq'
'g.fa'
'r 1.fq r2.fq g.fa'
3
['r 1.fq', 'r2.fq', 'g.fa']
['reads', 'ref']
'r 1.fq r2.fq'
'str'
'g.fa'
'dflt'
'out/A.txt'
'out/A.txt'
3
['-v', 'two words']
['-v', 'two words']
['n', 'flags']
'A'
'A'
'A'
2
100
96
2
'short'
'logs/A.log'
'logs/A.log'
' 2> logs/A.log'
'v'
'r'
True
['scripts/show.py']
'__main__'
True
`
	if got, _ := os.ReadFile(filepath.Join(dir, "out/A.txt")); string(got) != want {
		t.Errorf("script saw\n%s\nwant\n%s", got, want)
	}
}

// A failing script's traceback names the script and its line, and
// nothing of the prelude.
func TestLocalPythonTraceback(t *testing.T) {
	if _, err := osexec.LookPath("python3"); err != nil {
		t.Skip("no python3")
	}
	dir := t.TempDir()
	files(t, dir, "s.py")
	os.WriteFile(filepath.Join(dir, "s.py"), []byte("x = 1\n\ndef f():\n    raise ValueError('boom')\n\nf()\n"), 0o644)
	var out bytes.Buffer
	r := Local{Stdout: &out, Stderr: &out}.Run(context.Background(), Spec{Script: "s.py", Dir: dir, JobJSON: []byte(`{}`)})
	if r.ExitCode != 1 {
		t.Fatalf("%+v\n%s", r, out.String())
	}
	real, _ := filepath.EvalSymlinks(filepath.Join(dir, "s.py"))
	for _, want := range []string{`File "` + real + `", line 6, in <module>`, `line 4, in f`, "ValueError: boom"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("traceback lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "<string>") || strings.Contains(out.String(), "_flowmake") {
		t.Errorf("traceback shows the prelude:\n%s", out.String())
	}
	// sys.exit keeps its code.
	os.WriteFile(filepath.Join(dir, "s.py"), []byte("import sys\nsys.exit(7)\n"), 0o644)
	if r := (Local{Stdout: &out, Stderr: &out}).Run(context.Background(), Spec{Script: "s.py", Dir: dir, JobJSON: []byte(`{}`)}); r.ExitCode != 7 {
		t.Errorf("sys.exit(7): %+v", r)
	}
}
