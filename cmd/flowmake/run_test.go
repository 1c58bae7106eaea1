package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ranRules returns the rule names of the jobs a run finished, from its
// "[k/n] done rule ..." progress lines.
func ranRules(stderr string) []string {
	var out []string
	re := regexp.MustCompile(`(?m)^\[\d+/\d+\] done (\w+)`)
	for _, m := range re.FindAllStringSubmatch(stderr, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return out
}

func TestPeasoup(t *testing.T) {
	dir := copyTracked(t, filepath.Join("..", "..", "examples", "peasoup"))
	r := mustRun(t, dir, "-j4")
	if got := ranRules(r.stderr); strings.Join(got, " ") != "all boiled_peas chopped_vegetables pea_soup protosoup water_and_peas" {
		t.Errorf("first run ran %v\n%s", got, r.stderr)
	}
	soup := readFile(t, filepath.Join(dir, "pea-soup.txt"))
	for _, want := range []string{"pea soup (", "pinches of salt", "boiled green peas", "chopped onion"} {
		if !strings.Contains(soup, want) {
			t.Errorf("pea-soup.txt lacks %q:\n%s", want, soup)
		}
	}
	if !strings.Contains(r.stderr, "6 of 6 steps (100%) done") {
		t.Errorf("no final count:\n%s", r.stderr)
	}

	r = mustRun(t, dir, "-j4")
	if got := ranRules(r.stderr); len(got) != 0 || !strings.Contains(r.stderr, "Nothing to be done.") {
		t.Errorf("second run ran %v:\n%s", got, r.stderr)
	}

	setMtime(t, filepath.Join(dir, "vegetables.txt"), time.Second)
	r = mustRun(t, dir, "-j4")
	if got := ranRules(r.stderr); strings.Join(got, " ") != "all chopped_vegetables pea_soup protosoup" {
		t.Errorf("after touching vegetables.txt ran %v, want chopped_vegetables protosoup pea_soup\n%s", got, r.stderr)
	}
	if got := readFile(t, filepath.Join(dir, "pea-soup.txt")); got != soup {
		t.Errorf("same inputs, different soup:\n%s\nvs\n%s", got, soup)
	}
}

const failingRulefile = `
rule "all" {
  input = ["good/done.txt", "bad/done.txt"]
}

rule "good_step" {
  output = "good/step.txt"
  shell  = "sleep 0.5; echo ok > ${output}"
}

rule "good" {
  input  = "good/step.txt"
  output = "good/done.txt"
  shell  = "cat ${input} > ${output}"
}

rule "breaks" {
  output = "bad/{part}.partial"
  log    = "logs/breaks_{part}.log"
  shell  = "echo half > ${output}; echo 'something broke' 2> ${log} >&2; exit 3"
}

rule "bad" {
  input  = "bad/step.partial"
  output = "bad/done.txt"
  shell  = "cat ${input} > ${output}"
}
`

func TestFailingJob(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": failingRulefile, "bad/keep.txt": "not ours"})
	r := flowmake(t, dir, "-j2")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"FAILED rule breaks (part=step), exit 3", "logs/breaks_step.log", "something broke"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("failure report lacks %q:\n%s", want, r.stderr)
		}
	}
	if exists(filepath.Join(dir, "bad", "step.partial")) {
		t.Error("the failed job's output was left behind")
	}
	if exists(filepath.Join(dir, "bad", "done.txt")) {
		t.Error("a dependent of the failed job ran")
	}
	if readFile(t, filepath.Join(dir, "bad", "keep.txt")) != "not ours" {
		t.Error("a file flowmake did not make was touched")
	}
	// Without -k no new job starts after the failure; with -k the
	// independent branch completes.
	r = flowmake(t, dir, "-j2", "-k")
	if r.code != 1 {
		t.Fatalf("-k: exit %d, want 1\n%s", r.code, r.stderr)
	}
	if readFile(t, filepath.Join(dir, "good", "done.txt")) != "ok\n" {
		t.Error("-k: the independent branch did not complete")
	}
}

const concurrencyRulefile = `
config {
  n = 12
}

rule "all" {
  input = expand("out/{i}.txt", { i = [for i in range(config.n) : tostring(i)] })
}

rule "work" {
  output    = "out/{i}.txt"
  threads   = tonumber(wildcards.i) % 3 == 0 ? 2 : 1
  resources = { mem_mb = tonumber(wildcards.i) % 2 == 0 ? 300 : 200 }
  # Each job registers its thread and memory use while it runs, then
  # records what all running jobs use together.
  shell = <<-EOT
    mkdir -p running
    echo "${threads} ${resources.mem_mb}" > running/${wildcards.i}
    sleep 0.2
    cat running/* | awk '{t+=$1; m+=$2} END {print t, m}' >> usage.log
    sleep 0.2
    rm running/${wildcards.i}
    echo done > ${output}
  EOT
}
`

// maxUsage reads usage.log: the largest thread and memory sums seen.
func maxUsage(t *testing.T, path string) (threads, mem int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var a, b int
		if _, err := fmt.Sscan(sc.Text(), &a, &b); err != nil {
			t.Fatalf("usage.log line %q: %v", sc.Text(), err)
		}
		threads, mem = max(threads, a), max(mem, b)
	}
	return threads, mem
}

func TestLimitsAreNeverExceeded(t *testing.T) {
	tests := []struct {
		args              []string
		maxThreads, maxMB int
	}{
		{[]string{"-j3"}, 3, 1 << 30},
		{[]string{"-j4", "--resources", "mem_mb=600"}, 4, 600},
		{[]string{"-j1"}, 1, 1 << 30},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			dir := workspace(t, map[string]string{"Rulefile": concurrencyRulefile})
			mustRun(t, dir, tt.args...)
			threads, mem := maxUsage(t, filepath.Join(dir, "usage.log"))
			if threads > tt.maxThreads || mem > tt.maxMB {
				t.Errorf("running jobs used %d threads and %d MB at once; limits %d and %d", threads, mem, tt.maxThreads, tt.maxMB)
			}
			if threads < 1 {
				t.Errorf("no usage recorded")
			}
		})
	}
}

const slowRulefile = `
rule "all" {
  input = ["slow/1.txt", "slow/2.txt"]
}

rule "slow" {
  output = "slow/{n}.txt"
  shell  = "echo $$ > pids/${wildcards.n}; echo partial > ${output}; sleep 30 & sleep 30; wait; echo done >> ${output}"
}
`

func TestInterruptLeavesNothingBehind(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": slowRulefile, "pids/.keep": ""})
	cmd := osexec.Command(flowmakeBin, "-j2", "--grace", "1")
	cmd.Dir = dir
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until both jobs are running.
	deadline := time.Now().Add(20 * time.Second)
	for !(exists(filepath.Join(dir, "slow", "1.txt")) && exists(filepath.Join(dir, "slow", "2.txt")) &&
		exists(filepath.Join(dir, "pids", "1")) && exists(filepath.Join(dir, "pids", "2"))) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("jobs did not start:\n%s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	var pgids []int
	for _, n := range []string{"1", "2"} {
		pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, filepath.Join(dir, "pids", n))))
		if err != nil {
			t.Fatal(err)
		}
		pgid, err := syscall.Getpgid(pid)
		if err != nil {
			t.Fatalf("job process %d: %v", pid, err)
		}
		pgids = append(pgids, pgid)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *osexec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("after SIGINT: %v, want exit 130\n%s", err, errb.String())
	}
	for _, pgid := range pgids {
		if live := liveGroupMembers(pgid); len(live) > 0 {
			t.Errorf("process group %d still has live processes %v after flowmake exited", pgid, live)
		}
	}
	for _, n := range []string{"1", "2"} {
		if exists(filepath.Join(dir, "slow", n+".txt")) {
			t.Errorf("partial output slow/%s.txt left behind", n)
		}
	}
	// The next run completes the work.
	writeFile(t, filepath.Join(dir, "Rulefile"), strings.ReplaceAll(slowRulefile, "sleep 30 & sleep 30; wait; ", ""))
	mustRun(t, dir, "-j2")
	if got := readFile(t, filepath.Join(dir, "slow", "1.txt")); got != "partial\ndone\n" {
		t.Errorf("rerun output %q", got)
	}
}

func TestTouchMarksOutputsUpToDate(t *testing.T) {
	dir := countsWorkspace(t)
	mustRun(t, dir, "-j2")
	setMtime(t, filepath.Join(dir, "data", "a.txt"), time.Hour) // even from the future
	before := readFile(t, filepath.Join(dir, "plots", "a.txt"))
	r := mustRun(t, dir, "--touch")
	if got := ranRules(r.stderr); len(got) != 0 {
		t.Errorf("--touch ran jobs: %v", got)
	}
	if readFile(t, filepath.Join(dir, "plots", "a.txt")) != before {
		t.Error("--touch changed an output's content")
	}
	r = mustRun(t, dir, "-n")
	if !strings.Contains(r.stderr, "Nothing to be done") {
		t.Errorf("after --touch:\n%s%s", r.stdout, r.stderr)
	}
}

// liveGroupMembers lists the processes of group pgid that are not zombies
// (a zombie is dead; it only waits for its parent to reap it). It gives
// the kernel a moment to finish killing before it answers.
func liveGroupMembers(pgid int) []int {
	var live []int
	for try := 0; try < 20; try++ {
		live = live[:0]
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
			if err != nil {
				continue
			}
			// Fields after the parenthesised command: state ppid pgrp ...
			rest := string(stat[bytes.LastIndexByte(stat, ')')+2:])
			f := strings.Fields(rest)
			if len(f) < 3 || f[0] == "Z" {
				continue
			}
			if g, _ := strconv.Atoi(f[2]); g == pgid {
				live = append(live, pid)
			}
		}
		if len(live) == 0 {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return live
}
