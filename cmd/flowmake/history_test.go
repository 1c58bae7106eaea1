package main

import (
	"errors"
	"os"
	osexec "os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/flowmake/flowmake/meta"
	"github.com/flowmake/flowmake/workdir"
)

// historyRulefile: burn uses CPU for a few tenths of a second, bad prints
// 30 lines and fails, after needs bad (so it never starts).
const historyRulefile = `
rule "burn" {
  output = "burn.txt"
  shell  = "i=0; while [ $i -lt 150000 ]; do i=$((i+1)); done; echo $i > burn.txt"
}
rule "bad" {
  output = "bad.txt"
  log    = "logs/bad.log"
  shell  = "for i in $(seq 1 30); do echo line $i; done; echo oops > ${log}; exit 3"
}
rule "after" {
  input  = "bad.txt"
  output = "after.txt"
  shell  = "cp bad.txt after.txt"
}
`

// loadHistory opens dir's store read-only, as the report does.
func loadHistory(t *testing.T, dir string) *meta.Store {
	t.Helper()
	s, err := meta.Open(filepath.Join(dir, ".flowmake"), meta.OpenOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestHistoryRecordsRun(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": historyRulefile})
	args := []string{"-k", "-j2", "burn.txt", "after.txt"}
	before := time.Now()
	if r := flowmake(t, dir, args...); r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	after := time.Now()
	s := loadHistory(t, dir)
	run, err := s.LoadRun("")
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	abs, _ := filepath.Abs(dir)
	if !reflect.DeepEqual(run.Args, args) || !reflect.DeepEqual(run.Targets, []string{"burn.txt", "after.txt"}) {
		t.Errorf("args %q targets %q", run.Args, run.Targets)
	}
	if run.Total != 3 || run.Done != 1 || run.Failed != 1 || run.Skipped != 1 || run.Interrupted {
		t.Errorf("counts total %d done %d failed %d skipped %d interrupted %v; want 3 1 1 1 false",
			run.Total, run.Done, run.Failed, run.Skipped, run.Interrupted)
	}
	if run.Start.Before(before) || !run.Start.Before(run.End) || run.End.After(after) {
		t.Errorf("run from %v to %v, outside the run's %v-%v", run.Start, run.End, before, after)
	}
	if run.Host != host || run.Executor != "local" || run.Cores != 2 || run.Dir != abs || run.Version != version || run.ID == "" {
		t.Errorf("run %+v", run)
	}
	if !reflect.DeepEqual(run.Rules, []string{"burn", "bad", "after"}) && !reflect.DeepEqual(run.Rules, []string{"bad", "burn", "after"}) {
		t.Errorf("rules %q", run.Rules)
	}
	if !reflect.DeepEqual(run.RuleEdges, [][2]string{{"bad", "after"}}) {
		t.Errorf("rule edges %q", run.RuleEdges)
	}
	jobs := map[string]meta.JobRun{}
	for _, j := range run.Jobs {
		jobs[j.Rule] = j
	}
	if len(run.Jobs) != 3 || len(jobs) != 3 {
		t.Fatalf("jobs %+v", run.Jobs)
	}
	for rule, want := range map[string]string{"burn": "ok", "bad": "failed", "after": "skipped"} {
		if jobs[rule].Status != want {
			t.Errorf("%s: status %q, want %q", rule, jobs[rule].Status, want)
		}
	}
	burn := jobs["burn"]
	if burn.UserCPU <= 0 || burn.MaxRSS <= 0 || burn.ExitCode != 0 || burn.Attempts != 1 {
		t.Errorf("burn: user %v rss %d exit %d attempts %d", burn.UserCPU, burn.MaxRSS, burn.ExitCode, burn.Attempts)
	}
	if !burn.Start.Before(burn.End) || burn.Start.Before(run.Start) || burn.End.After(run.End) {
		t.Errorf("burn ran %v-%v, outside the run %v-%v", burn.Start, burn.End, run.Start, run.End)
	}
	if burn.Host != host || burn.Executor != "local" || !reflect.DeepEqual(burn.Outputs, []string{"burn.txt"}) || burn.LogTail != "" {
		t.Errorf("burn %+v", burn)
	}
	bad := jobs["bad"]
	if bad.ExitCode != 3 || bad.Signal != 0 || bad.Start.IsZero() || bad.Capture == "" ||
		!reflect.DeepEqual(bad.Logs, []string{"logs/bad.log"}) {
		t.Errorf("bad %+v", bad)
	}
	// The last 20 of the 30 lines, under their files' names.
	for _, want := range []string{"==> logs/bad.log <==\noops\n", "==> " + bad.Capture + " <==\nline 11\n", "line 30\n"} {
		if !strings.Contains(bad.LogTail, want) {
			t.Errorf("bad's log tail lacks %q:\n%s", want, bad.LogTail)
		}
	}
	if strings.Contains(bad.LogTail, "line 10\n") {
		t.Errorf("bad's log tail has more than 20 lines:\n%s", bad.LogTail)
	}
	skipped := jobs["after"]
	if !skipped.Start.IsZero() || !reflect.DeepEqual(skipped.Inputs, []string{"bad.txt"}) || !reflect.DeepEqual(skipped.Outputs, []string{"after.txt"}) {
		t.Errorf("after %+v", skipped)
	}
	if m, err := s.MeanDurations(); err != nil || m["burn"] != burn.End.Sub(burn.Start) || len(m) != 1 {
		t.Errorf("mean durations %v %v, want burn's wall only", m, err)
	}
	s.Close()

	// A second run appends; the first stays as it was.
	writeFile(t, filepath.Join(dir, "Rulefile"), strings.Replace(historyRulefile, "exit 3", "echo ok > bad.txt", 1))
	mustRun(t, dir, "after.txt")
	runs, err := loadHistory(t, dir).Runs()
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[1].ID != run.ID || runs[0].Done != 2 || runs[0].Failed != 0 || runs[0].Jobs != nil {
		t.Errorf("after a second run: %+v", runs)
	}
}

// Only real runs are recorded.
func TestHistoryOnlyRealRuns(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": historyRulefile})
	for _, args := range [][]string{{"-n", "burn.txt"}, {"--touch", "burn.txt"}, {"--dag", "burn.txt"}, {"--summary", "burn.txt"}} {
		mustRun(t, dir, args...)
	}
	os.Remove(filepath.Join(dir, "burn.txt"))
	mustRun(t, dir, "burn.txt")
	r := mustRun(t, dir, "burn.txt") // nothing to be done: no run
	if strings.Contains(r.stderr, "history") {
		t.Errorf("a no-op run mentions the history: %q", r.stderr)
	}
	runs, err := loadHistory(t, dir).Runs()
	if err != nil || len(runs) != 1 || !reflect.DeepEqual(runs[0].Args, []string{"burn.txt"}) {
		t.Errorf("runs %+v %v, want the one real run", runs, err)
	}
}

// A history that cannot be written warns and does not fail the run.
func TestHistorySaveErrorWarns(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": historyRulefile})
	mustRun(t, dir, "burn.txt")
	s, err := meta.Open(filepath.Join(dir, ".flowmake"), meta.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	runs, _ := s.Runs()
	s.Close()
	if len(runs) != 1 {
		t.Fatalf("runs %v", runs)
	}
	damageHistory(t, filepath.Join(dir, ".flowmake", meta.DBName))
	os.Remove(filepath.Join(dir, "burn.txt"))
	r := mustRun(t, dir, "burn.txt")
	if !strings.Contains(r.stderr, "flowmake: warning: the run is not in the history: ") {
		t.Errorf("stderr %q, want the warning", r.stderr)
	}
	if _, err := loadHistory(t, dir).LoadRun(""); errors.Is(err, meta.ErrNoRun) || err == nil {
		t.Errorf("LoadRun of the damaged history: %v, want a damage error", err)
	}
}

// damageHistory overwrites every stored run header with bytes that do
// not decode.
func damageHistory(t *testing.T, db string) {
	t.Helper()
	bdb, err := bolt.Open(db, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	err = bdb.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("runs"))
		if b == nil {
			return errors.New("no runs bucket")
		}
		var keys [][]byte
		b.ForEach(func(k, _ []byte) error {
			keys = append(keys, append([]byte(nil), k...))
			return nil
		})
		for _, k := range keys {
			if err := b.Put(k, []byte{1, 0xff}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An interrupted run is recorded: the running job as interrupted, the
// one that never started as skipped.
func TestHistoryInterruptedRun(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": `
rule "all" {
  input = ["slow.txt", "later.txt"]
}
rule "slow" {
  output = "slow.txt"
  shell  = "touch started; sleep 30; touch slow.txt"
}
rule "later" {
  input  = "slow.txt"
  output = "later.txt"
  shell  = "cp slow.txt later.txt"
}
`})
	cmd, errb := startFlowmake(t, dir, "--grace", "1")
	deadline := time.Now().Add(20 * time.Second)
	for !exists(filepath.Join(dir, "started")) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the job did not start:\n%s", errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	var ee *osexec.ExitError
	if err := cmd.Wait(); !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("after SIGINT: %v, want exit 130\n%s", err, errb.String())
	}
	run, err := loadHistory(t, dir).LoadRun("")
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, j := range run.Jobs {
		status[j.Rule] = j.Status
	}
	want := map[string]string{"slow": "interrupted", "later": "skipped", "all": "skipped"}
	if !run.Interrupted || run.Total != 3 || run.Skipped != 2 || !reflect.DeepEqual(status, want) {
		t.Errorf("interrupted %v total %d skipped %d statuses %v; want true 3 2 %v", run.Interrupted, run.Total, run.Skipped, status, want)
	}
}

// A SLURM run records the executor and each job's node. CPU time and RSS
// stay zero: the local cluster keeps no accounting for sacct.
func TestHistorySlurm(t *testing.T) {
	needSlurm(t)
	dir := workspace(t, map[string]string{"Rulefile": `
rule "one" {
  output = "one.txt"
  shell  = "echo one > one.txt"
}
`})
	mustRun(t, dir, "--executor", "slurm", "-j2")
	out, err := osexec.Command("sinfo", "-h", "-N", "-o", "%N").Output()
	if err != nil {
		t.Fatal(err)
	}
	nodes := strings.Fields(string(out))
	run, err := loadHistory(t, dir).LoadRun("")
	if err != nil {
		t.Fatal(err)
	}
	if run.Executor != "slurm" || len(run.Jobs) != 1 {
		t.Fatalf("run %+v", run)
	}
	if j := run.Jobs[0]; j.Executor != "slurm" || j.Status != "ok" || j.Host == "" || !slices.Contains(nodes, j.Host) {
		t.Errorf("job executor %q status %q host %q; want slurm, ok and one of the nodes %q", j.Executor, j.Status, j.Host, nodes)
	}
}

func TestLogTail(t *testing.T) {
	long := strings.Repeat("é", 600) // 1,200 bytes a line
	var many, wide strings.Builder
	for i := range 50 {
		many.WriteString("line " + strings.Repeat("x", i%3) + "\n")
		wide.WriteString(long + "\n")
	}
	for _, tc := range []struct {
		name  string
		files map[string]string
		check func(tail string) string // "" when right
	}{
		{"missing and empty files give nothing", map[string]string{"b.log": ""}, func(tail string) string {
			if tail != "" {
				return "want nothing"
			}
			return ""
		}},
		{"20 lines a file, headed, no final newline added twice", map[string]string{"a.log": many.String(), "cap.log": "one\ntwo"}, func(tail string) string {
			want := "==> a.log <==\n" + strings.Join(strings.Split(many.String(), "\n")[30:50], "\n") + "\n==> cap.log <==\none\ntwo\n"
			if tail != want {
				return "want " + want
			}
			return ""
		}},
		{"8 KiB at most, whole lines and characters, the end kept", map[string]string{"a.log": wide.String(), "b.log": wide.String(), "cap.log": "the end\n"}, func(tail string) string {
			if len(tail) > historyTailBytes || len(tail) < historyTailBytes-2*len(long) || !strings.HasSuffix(tail, "\n==> cap.log <==\nthe end\n") {
				return "want 8 KiB at most, ending with the capture"
			}
			for _, l := range strings.Split(strings.TrimSuffix(tail, "==> cap.log <==\nthe end\n"), "\n") {
				if l != long && l != "==> b.log <==" && l != "" {
					return "want whole lines of the logs: " + l[:min(len(l), 40)]
				}
			}
			return ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := workspace(t, tc.files)
			got := logTail(workdir.Dir(dir), []string{"missing.log", "a.log", "b.log"}, "cap.log")
			if why := tc.check(got); why != "" {
				t.Errorf("logTail:\n%q\n%s", got, why)
			}
		})
	}
}
