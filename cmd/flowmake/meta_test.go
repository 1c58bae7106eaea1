package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const halfRulefile = `
rule "all" {
  input = "result.txt"
}

rule "write" {
  output = "result.txt"
  # First half, then (while slow.flag exists) a long pause, then the rest.
  shell = "echo $$ > job.pid; echo first half > ${output}; if [ -e slow.flag ]; then sleep 60; fi; echo second half >> ${output}"
}
`

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestKill9LeavesOutputThatIsRerun(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": halfRulefile, "slow.flag": ""})
	cmd := osexec.Command(flowmakeBin)
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the job to write half its output", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "result.txt"))
		return string(b) == "first half\n" && exists(filepath.Join(dir, "job.pid"))
	})
	pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, filepath.Join(dir, "job.pid"))))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Process.Kill() // SIGKILL: flowmake gets no chance to clean up
	cmd.Wait()
	syscall.Kill(-pid, syscall.SIGKILL)
	os.Remove(filepath.Join(dir, "slow.flag"))

	// The output is newer than every input, yet it is known incomplete.
	r := mustRun(t, dir, "-n")
	if !strings.Contains(r.stdout, "incomplete (interrupted run): result.txt") {
		t.Fatalf("dry run should say the output is incomplete:\n%s%s", r.stdout, r.stderr)
	}
	r = mustRun(t, dir)
	if !strings.Contains(r.stderr, "incomplete") {
		t.Errorf("the run should say it reruns an incomplete job:\n%s", r.stderr)
	}
	if got := readFile(t, filepath.Join(dir, "result.txt")); got != "first half\nsecond half\n" {
		t.Errorf("result.txt = %q after the rerun", got)
	}
	r = mustRun(t, dir, "-n")
	if !strings.Contains(r.stderr, "Nothing to be done") {
		t.Errorf("after the rerun:\n%s%s", r.stdout, r.stderr)
	}
}

const triggersRulefile = `
config {
  factor = 2
  extra  = []
}

rule "all" {
  input = ["b/x.txt", "b/y.txt"]
}

rule "a" {
  input  = concat(["in/{s}.txt"], config.extra)
  output = "a/{s}.txt"
  params = { factor = config.factor }
  shell  = "cat ${input} > ${output}; echo ${params.factor} >> ${output}"
}

rule "b" {
  input  = "a/{s}.txt"
  output = "b/{s}.txt"
  shell  = "cp ${input} ${output}"
}
`

func TestRerunTriggers(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": triggersRulefile, "in/x.txt": "x\n", "in/y.txt": "y\n", "in/z.txt": "z\n"})
	mustRun(t, dir)
	if r := mustRun(t, dir, "-n"); !strings.Contains(r.stderr, "Nothing to be done") {
		t.Fatalf("fresh build not up to date:\n%s", r.stdout)
	}
	tests := []struct {
		name, args, reason string
	}{
		{"param", "--config=factor=3", "params changed"},
		{"input list", `--config=extra=["in/z.txt"]`, "input list changed: in/z.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRun(t, dir, "-n", tt.args)
			if got := strings.Count(r.stdout, "rule a:"); got != 2 || !strings.Contains(r.stdout, "reason: "+tt.reason) {
				t.Errorf("want both a jobs with reason %q:\n%s", tt.reason, r.stdout)
			}
			if got := strings.Count(r.stdout, "rule b:"); got != 2 || !strings.Contains(r.stdout, "upstream changed") {
				t.Errorf("downstream b jobs should follow:\n%s", r.stdout)
			}
			r = mustRun(t, dir, "-n", "--rerun-triggers", "mtime", tt.args)
			if !strings.Contains(r.stderr, "Nothing to be done") {
				t.Errorf("--rerun-triggers mtime should ignore the change:\n%s", r.stdout)
			}
		})
	}
	t.Run("code", func(t *testing.T) {
		writeFile(t, filepath.Join(dir, "Rulefile"), strings.Replace(triggersRulefile, `shell  = "cp ${input} ${output}"`, `shell  = "cat ${input} > ${output}"`, 1))
		r := mustRun(t, dir, "-n")
		if strings.Contains(r.stdout, "rule a:") || strings.Count(r.stdout, "reason: code changed") != 2 {
			t.Errorf("changed shell text should rerun exactly the b jobs:\n%s", r.stdout)
		}
		r = mustRun(t, dir, "--list-changes", "code")
		if !strings.Contains(r.stdout, "b/x.txt") || strings.Contains(r.stdout, "a/x.txt") {
			t.Errorf("--list-changes code:\n%s", r.stdout)
		}
		// --summary shows the same reasons, as text and JSON.
		r = mustRun(t, dir, "--summary")
		if !strings.Contains(r.stdout, "b/x.txt") || !strings.Contains(r.stdout, "code changed") {
			t.Errorf("--summary:\n%s", r.stdout)
		}
		r = mustRun(t, dir, "--summary", "--json")
		var rows []map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 4 {
			t.Fatalf("--summary --json: %v, %d rows:\n%s", err, len(rows), r.stdout)
		}
		mustRun(t, dir)
		if r := mustRun(t, dir, "-n"); !strings.Contains(r.stderr, "Nothing to be done") {
			t.Errorf("after rerun:\n%s", r.stdout)
		}
	})
}

func TestSecondRunIsLockedOut(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": `
rule "slow" {
  output = "slow.txt"
  shell  = "touch started; sleep 2; echo done > ${output}"
}
`})
	first := osexec.Command(flowmakeBin)
	first.Dir = dir
	var firstErr bytes.Buffer
	first.Stderr = &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first run's job", func() bool { return exists(filepath.Join(dir, "started")) })
	start := time.Now()
	r := flowmake(t, dir)
	took := time.Since(start)
	if r.code != 1 || !strings.Contains(r.stderr, "locked by flowmake pid "+strconv.Itoa(first.Process.Pid)) {
		t.Errorf("second run: exit %d, want 1 naming pid %d:\n%s", r.code, first.Process.Pid, r.stderr)
	}
	if took > time.Second {
		t.Errorf("second run took %v to give up, want < 1s", took)
	}
	// A dry run takes no lock.
	if r := flowmake(t, dir, "-n"); r.code != 0 {
		t.Errorf("dry run during a run: exit %d\n%s", r.code, r.stderr)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first run: %v\n%s", err, firstErr.String())
	}
	if readFile(t, filepath.Join(dir, "slow.txt")) != "done\n" {
		t.Error("first run's output damaged")
	}
}

func TestBrokenMetadataIsReportedNotDeleted(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(t *testing.T, db string)
		want    string
	}{
		{"corrupt", func(t *testing.T, db string) {
			if err := os.WriteFile(db, bytes.Repeat([]byte("garbage!"), 4096), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "meta.db"},
		{"unreadable", func(t *testing.T, db string) {
			os.Remove(db)
			if err := os.Mkdir(db, 0o755); err != nil {
				t.Fatal(err)
			}
		}, "meta.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := countsWorkspace(t)
			mustRun(t, dir)
			before := workFiles(t, dir)
			tt.breakIt(t, filepath.Join(dir, ".flowmake", "meta.db"))
			for _, args := range [][]string{nil, {"-n"}} {
				r := flowmake(t, dir, args...)
				if r.code != 1 || !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "cleanup-metadata") && !strings.Contains(r.stderr, "remove") {
					t.Errorf("flowmake %v: exit %d, want 1 with a way out:\n%s", args, r.code, r.stderr)
				}
				if strings.Contains(r.stderr, "panic") {
					t.Errorf("panic:\n%s", r.stderr)
				}
			}
			after := workFiles(t, dir)
			for path := range before {
				if _, ok := after[path]; !ok {
					t.Errorf("%s was deleted", path)
				}
			}
		})
	}
}

// workFiles lists the regular files under dir outside .flowmake.
func workFiles(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files := map[string]bool{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".flowmake" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			files[p] = true
		}
		return nil
	})
	return files
}

func TestContentTriggerSurvivesFreshCheckout(t *testing.T) {
	dir := countsWorkspace(t)
	content := "--rerun-triggers=mtime,params,input,code,content"
	mustRun(t, dir, content)
	// A fresh checkout or cache restore: the same tree, every timestamp
	// new, inputs newest of all.
	clone := copyTree(t, dir)
	for _, s := range []string{"a", "b", "c"} {
		setMtime(t, filepath.Join(clone, "plots", s+".txt"), 1*time.Second)
		setMtime(t, filepath.Join(clone, "counts", s+".txt"), 2*time.Second)
		setMtime(t, filepath.Join(clone, "data", s+".txt"), 3*time.Second)
	}
	r := mustRun(t, clone, "-n")
	if !strings.Contains(r.stdout, "input newer") {
		t.Errorf("by timestamps alone the clone should look stale:\n%s%s", r.stdout, r.stderr)
	}
	r = mustRun(t, clone, content)
	if got := ranRules(r.stderr); len(got) != 0 || !strings.Contains(r.stderr, "Nothing to be done") {
		t.Errorf("content trigger: ran %v after a fresh checkout:\n%s", got, r.stderr)
	}
	// A real change in content still counts.
	writeFile(t, filepath.Join(clone, "data", "b.txt"), "1\n2\n3\n4\n")
	setMtime(t, filepath.Join(clone, "data", "b.txt"), 4*time.Second)
	r = mustRun(t, clone, content)
	if got := ranRules(r.stderr); strings.Join(got, " ") != "all count plot" {
		t.Errorf("changed data/b.txt should rerun count and plot for b, ran %v\n%s", got, r.stderr)
	}
}

func TestCleanupMetadata(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": triggersRulefile, "in/x.txt": "x\n", "in/y.txt": "y\n"})
	mustRun(t, dir)
	r := mustRun(t, dir, "--cleanup-metadata", "a/x.txt")
	if !strings.Contains(r.stderr, "1") {
		t.Errorf("cleanup should say what it forgot:\n%s", r.stderr)
	}
	// Without metadata a/x.txt falls back to timestamps: a param change no
	// longer reruns its job, but still reruns the job of a/y.txt.
	r = mustRun(t, dir, "-n", "--config=factor=5")
	if got := strings.Count(r.stdout, "rule a:"); got != 1 || !strings.Contains(r.stdout, "output: a/y.txt") {
		t.Errorf("want only a/y.txt's job rerun for params:\n%s", r.stdout)
	}
}

// The start records of the next jobs are written ahead in one commit
// (exec.Hooks.Prepare); a run that a failure stops takes back those of
// the jobs it never started, so the next run judges them as before, not
// as left incomplete.
func TestStoppedRunLeavesNoStartRecords(t *testing.T) {
	var names []string
	for i := range 12 {
		names = append(names, fmt.Sprintf(`"out/%d.txt"`, i))
	}
	rulefile := `
rule "all" {
  input = [` + strings.Join(names, ", ") + `, "bad.txt"]
}

rule "bad" {
  output   = "bad.txt"
  priority = 1
  shell    = "test -e ok.flag; touch ${output}"
}

rule "item" {
  input  = "in.txt"
  output = "out/{i}.txt"
  shell  = "cp ${input} ${output}"
}
`
	dir := workspace(t, map[string]string{"Rulefile": rulefile, "in.txt": "x\n", "ok.flag": ""})
	mustRun(t, dir, "-j1")
	// Now every item is stale (a newer input) and bad fails, first.
	os.Remove(filepath.Join(dir, "ok.flag"))
	os.Remove(filepath.Join(dir, "bad.txt"))
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "in.txt"), future, future); err != nil {
		t.Fatal(err)
	}
	if r := flowmake(t, dir, "-j1"); r.code == 0 || strings.Contains(r.stderr, "record") {
		t.Fatalf("want the job's failure, nothing about records:\n%s", r.stderr)
	}
	r := mustRun(t, dir, "-n", "out/0.txt", "out/11.txt") // the dry run shows each job's reason
	if strings.Contains(r.stdout+r.stderr, "incomplete") {
		t.Errorf("jobs that never started are taken for interrupted:\n%s%s", r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "in.txt") {
		t.Errorf("want the newer input as the reason:\n%s", r.stdout)
	}
}
