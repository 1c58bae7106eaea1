package main

import (
	"encoding/json"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Critical-path scheduling is checked by the order jobs started in, as
// --stats recorded it, never by timing: the makespans themselves are
// benchmarks (bench/critical.sh), which a loaded machine cannot fail.

// statsRun runs flowmake -j2 --stats in dir with extra environment and
// returns the recorded jobs.
func statsRun(t *testing.T, dir string, env ...string) runStats {
	t.Helper()
	cmd := osexec.Command(flowmakeBin, "-j2", "-q", "--stats", "stats.json")
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GORACE=atexit_sleep_ms=0"), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("flowmake %v: %v\n%s", env, err, out)
	}
	var st runStats
	data, err := os.ReadFile(filepath.Join(dir, "stats.json"))
	if err == nil {
		err = json.Unmarshal(data, &st)
	}
	if err != nil || st.Failed != 0 || len(st.Jobs) != st.Total {
		t.Fatalf("stats: %v, %d of %d jobs, %d failed", err, len(st.Jobs), st.Total, st.Failed)
	}
	return st
}

// removeOutputs deletes a run's outputs, keeping .flowmake (the history).
func removeOutputs(t *testing.T, dir string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.RemoveAll(filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
}

// startedBefore counts the jobs of st that started before the job of rule
// with the given wildcards (nil: the rule's only job).
func startedBefore(t *testing.T, st runStats, rule string, wc map[string]string) int {
	t.Helper()
	var at *time.Time
	for _, j := range st.Jobs {
		if j.Rule == rule && fmt.Sprint(j.Wildcards) == fmt.Sprint(wc) {
			at = j.Start
		}
	}
	if at == nil {
		t.Fatalf("no job %s %v in the stats", rule, wc)
	}
	n := 0
	for _, j := range st.Jobs {
		if j.Start.Before(*at) {
			n++
		}
	}
	return n
}

// chainWaits counts, over the critical shape's chain, the short jobs that
// started after one slow job ended and before the next slow job started:
// jobs the scheduler preferred to the chain when it could have gone on.
func chainWaits(st runStats) int {
	var ends, starts [criticalDepth]time.Time
	for _, j := range st.Jobs {
		switch j.Rule {
		case "slow0":
			ends[0] = *j.End
		case "slow":
			var k int
			fmt.Sscan(j.Wildcards["k"], &k)
			ends[k], starts[k] = *j.End, *j.Start
		}
	}
	waits := 0
	for _, j := range st.Jobs {
		if j.Rule != "fast" {
			continue
		}
		for k := 1; k < criticalDepth; k++ {
			if j.Start.After(ends[k-1]) && j.Start.Before(starts[k]) {
				waits++
			}
		}
	}
	return waits
}

// criticalDepth is bench/gen's chain of slow jobs in the critical shape.
const criticalDepth = 10

// TestCriticalShape: bench/gen's critical shape (a chain of 10 slow jobs
// beside 40 short ones) at -j2. In the second run, weighted by the first
// one's history, each slow job starts as soon as the one before it ends;
// starting jobs in the order they became ready (FLOWMAKE_SCHEDULE=fifo)
// leaves the chain waiting behind the short jobs.
func TestCriticalShape(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 8 s")
	}
	dir := t.TempDir()
	gen := osexec.Command("go", "run", "./bench/gen", "-dir", dir, "-shape", "critical", "-n", "40", "-sleep", "0.2")
	gen.Dir = filepath.Join("..", "..")
	if out, err := gen.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "51" {
		t.Fatalf("bench/gen: %v\n%s", err, out)
	}
	outputs := []string{"fast", "slow", "all.txt"}
	statsRun(t, dir) // learns the durations
	removeOutputs(t, dir, outputs...)
	st := statsRun(t, dir)
	// A slow job is ready only once the one before it is settled (its
	// outputs checked, its record committed); a short job may start on
	// the other slot in that moment, at most once per link of the chain.
	// FIFO sends nearly all 40 short jobs ahead of the chain.
	if n := startedBefore(t, st, "slow0", nil); n > 1 {
		t.Errorf("the chain's first job started after %d others", n)
	}
	w := chainWaits(st)
	t.Logf("critical-path order: %d short jobs started between chain jobs", w)
	if w >= criticalDepth {
		t.Errorf("critical-path order: %d short jobs started while the chain could go on", w)
	}

	removeOutputs(t, dir, outputs...)
	fifo := chainWaits(statsRun(t, dir, scheduleEnv+"=fifo"))
	t.Logf("FIFO order: %d short jobs started between chain jobs", fifo)
	if fifo < 2*criticalDepth {
		t.Errorf("FIFO order: only %d short jobs went ahead of the chain; the test cannot tell the orders apart", fifo)
	}
}

// criticalLearnRulefile: one long job beside five chains of three short
// ones. Counted in jobs the chains' heads have the longer paths, so
// without a history the long job starts only after the five heads (and
// more); weighted by the history it starts first.
const criticalLearnRulefile = `
rule "all" {
  input = concat(["long.txt"], expand("c/{i}.3", { i = ["0", "1", "2", "3", "4"] }))
}
rule "long" {
  output = "long.txt"
  shell  = "sleep 1.5; echo long > ${output}"
}
rule "s1" {
  output = "c/{i}.1"
  shell  = "sleep 0.1; echo ${wildcards.i} > ${output}"
}
rule "s2" {
  input  = "c/{i}.1"
  output = "c/{i}.2"
  shell  = "sleep 0.1; cat ${input} > ${output}"
}
rule "s3" {
  input  = "c/{i}.2"
  output = "c/{i}.3"
  shell  = "sleep 0.1; cat ${input} > ${output}"
}
`

// TestCriticalPathLearnsFromHistory: the first run (no history) orders
// by job counts and starts the long job after the chains' heads; the
// second, weighted by the first run's durations, starts it first.
func TestCriticalPathLearnsFromHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 4 s")
	}
	dir := workspace(t, map[string]string{"Rulefile": criticalLearnRulefile})
	if n := startedBefore(t, statsRun(t, dir), "long", nil); n < 5 {
		t.Errorf("without a history the long job started after %d others, want after the five chains' heads", n)
	}
	removeOutputs(t, dir, "long.txt", "c")
	// At -j2 the first two jobs start together, in either order.
	if n := startedBefore(t, statsRun(t, dir), "long", nil); n > 1 {
		t.Errorf("with the history the long job started after %d others, want among the first two", n)
	}
}

// TestScheduleEnvChecked: a mistyped FLOWMAKE_SCHEDULE is an error, not
// silently the default.
func TestScheduleEnvChecked(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": `rule "a" {
  output = "a.txt"
  shell  = "echo a > ${output}"
}
`})
	cmd := osexec.Command(flowmakeBin, "-j1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0", scheduleEnv+"=lifo")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), `FLOWMAKE_SCHEDULE="lifo"`) || exists(filepath.Join(dir, "a.txt")) {
		t.Errorf("FLOWMAKE_SCHEDULE=lifo: %v\n%s", err, out)
	}
	for _, v := range []string{"critical", "unweighted", "fifo"} {
		os.Remove(filepath.Join(dir, "a.txt"))
		cmd := osexec.Command(flowmakeBin, "-j1")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0", fmt.Sprintf("%s=%s", scheduleEnv, v))
		if out, err := cmd.CombinedOutput(); err != nil || !exists(filepath.Join(dir, "a.txt")) {
			t.Errorf("%s=%s: %v\n%s", scheduleEnv, v, err, out)
		}
	}
}
