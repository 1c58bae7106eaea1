package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// End-to-end tests of --executor slurm against a real SLURM: the local
// single-node cluster of scripts/local-slurm.sh, which scripts/test.sh
// (and so .ci/run) starts. Without sbatch or a cluster that answers they
// skip, except under CI, where they fail.

// needSlurm skips (or, under CI, fails) the test when no cluster is up.
func needSlurm(t *testing.T) {
	t.Helper()
	why := ""
	if _, err := osexec.LookPath("sbatch"); err != nil {
		why = "sbatch is not on PATH"
	} else if out, err := osexec.Command("scontrol", "ping").CombinedOutput(); err != nil || !bytes.Contains(out, []byte("is UP")) {
		why = "no SLURM controller answers (scontrol ping: " + strings.TrimSpace(string(out)) + ")"
	}
	if why == "" {
		return
	}
	why += "; start the local cluster with: bash scripts/local-slurm.sh start"
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// slurmShims puts sbatch and squeue wrappers first on PATH that log each
// call to a file before running the real command, so tests count calls.
// It returns the environment for flowmake and the log's path.
func slurmShims(t *testing.T) ([]string, string) {
	t.Helper()
	bin := t.TempDir()
	log := filepath.Join(bin, "calls.log")
	for _, name := range []string{"sbatch", "squeue"} {
		real, err := osexec.LookPath(name)
		if err != nil {
			t.Fatal(err)
		}
		shim := fmt.Sprintf("#!/bin/sh\necho %s >> '%s'\nexec '%s' \"$@\"\n", name, log, real)
		writeFile(t, filepath.Join(bin, name), shim)
		if err := os.Chmod(filepath.Join(bin, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(), "GORACE=atexit_sleep_ms=0", "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return env, log
}

// countCalls counts the calls of name in a shim log.
func countCalls(t *testing.T, log, name string) int {
	t.Helper()
	data, err := os.ReadFile(log)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(string(data), "\n") {
		if l == name {
			n++
		}
	}
	return n
}

// scontrolJob is `scontrol show job -o ID` as name -> value.
func scontrolJob(t *testing.T, id string) map[string]string {
	t.Helper()
	out, err := osexec.Command("scontrol", "show", "job", "-o", id).Output()
	if err != nil {
		t.Fatalf("scontrol show job %s: %v", id, err)
	}
	fields := map[string]string{}
	for _, m := range regexp.MustCompile(`(\w+)=(\S*)`).FindAllStringSubmatch(string(out), -1) {
		if _, seen := fields[m[1]]; !seen {
			fields[m[1]] = m[2]
		}
	}
	return fields
}

const slurmFanRulefile = `
rule "all" {
  input = concat(expand("fan/{i}.txt", { i = range(6) }), ["wide.txt"])
}

rule "fan" {
  output    = "fan/{i}.txt"
  resources = { mem_mb = 100, runtime = 2 }
  # bash only ([[ ]]), and the job's own view of its allocation
  shell = "[[ -n $SLURM_JOB_ID ]] && sleep 0.2 && echo $SLURM_JOB_ID $SLURM_CPUS_PER_TASK > ${output}"
}

rule "wide" {
  output    = "wide.txt"
  threads   = 2
  resources = { mem_mb = 150 }
  shell     = "echo $SLURM_JOB_ID $SLURM_CPUS_PER_TASK > ${output}"
}
`

// A fan of jobs runs on the cluster with each job's threads, memory and
// time; SLURM's view of each job agrees; a second run does nothing.
func TestSlurmFanRunsOnTheCluster(t *testing.T) {
	needSlurm(t)
	dir := workspace(t, map[string]string{"Rulefile": slurmFanRulefile})
	env, log := slurmShims(t)
	begin := time.Now()
	r := runWithEnv(t, dir, env, "--executor", "slurm", "-j", "20")
	elapsed := time.Since(begin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "8 of 8 steps (100%) done") {
		t.Errorf("no final count:\n%s", r.stderr)
	}
	m := regexp.MustCompile(`flowmake-([0-9a-f]+)-RULE`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no run id in:\n%s", r.stderr)
	}
	ids := map[string]bool{}
	check := func(out, rule, cpus, mem, limit string) {
		f := strings.Fields(readFile(t, filepath.Join(dir, out)))
		if len(f) != 2 || f[1] != cpus {
			t.Errorf("%s: job saw %q, want a job id and %s CPUs", out, f, cpus)
			return
		}
		if ids[f[0]] {
			t.Errorf("%s: job id %s used twice", out, f[0])
		}
		ids[f[0]] = true
		job := scontrolJob(t, f[0])
		want := map[string]string{
			"JobName": "flowmake-" + m[1] + "-" + rule, "JobState": "COMPLETED", "NumCPUs": cpus,
			"MinMemoryNode": mem, "TimeLimit": limit, "Requeue": "0", "WorkDir": dir,
			"StdOut": filepath.Join(dir, ".flowmake/slurm", strings.TrimSuffix(out, ".txt")+".out"),
		}
		if rule == "fan" {
			want["StdOut"] = filepath.Join(dir, ".flowmake/slurm/fan", "i="+strings.TrimSuffix(filepath.Base(out), ".txt")+".out")
		}
		if limit == "" {
			delete(want, "TimeLimit") // the cluster's default; it is not ours to test
		}
		for k, v := range want {
			if job[k] != v {
				t.Errorf("%s (job %s): %s=%s, want %s", out, f[0], k, job[k], v)
			}
		}
	}
	for i := range 6 {
		check(fmt.Sprintf("fan/%d.txt", i), "fan", "1", "100M", "00:02:00")
	}
	check("wide.txt", "wide", "2", "150M", "")
	sb, sq := countCalls(t, log, "sbatch"), countCalls(t, log, "squeue")
	if sb != 7 {
		t.Errorf("%d sbatch calls for 7 jobs (the all rule has nothing to run)", sb)
	}
	// One squeue per poll for all jobs: far fewer calls than per-job polling.
	if limit := int(elapsed/(250*time.Millisecond)) + 1; sq > limit {
		t.Errorf("%d squeue calls in %v, more than one per 250 ms", sq, elapsed)
	}
	t.Logf("7 jobs in %v: %d sbatch, %d squeue calls", elapsed.Round(time.Millisecond), sb, sq)

	r = runWithEnv(t, dir, env, "--executor", "slurm", "-j", "20")
	if r.code != 0 || !strings.Contains(r.stderr, "Nothing to be done.") {
		t.Errorf("second run: exit %d\n%s", r.code, r.stderr)
	}
	if n := countCalls(t, log, "sbatch"); n != sb {
		t.Errorf("the second run submitted %d jobs", n-sb)
	}
}

// A failing job's state, exit code and last output lines are in the
// error, and -k lets the others finish.
func TestSlurmFailureIsReported(t *testing.T) {
	needSlurm(t)
	dir := workspace(t, map[string]string{"Rulefile": `
rule "all" {
  input = ["bad.txt", "good.txt"]
}
rule "bad" {
  output = "bad.txt"
  shell  = "echo 'the mixer broke' >&2; exit 3"
}
rule "good" {
  output = "good.txt"
  shell  = "echo ok > ${output}"
}
`})
	r := flowmake(t, dir, "--executor", "slurm", "-j", "4", "-k")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"FAILED rule bad, exit 3: slurm job ", " FAILED, exit code 3, reason NonZeroExitCode", "the mixer broke"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if got := readFile(t, filepath.Join(dir, "good.txt")); got != "ok\n" {
		t.Errorf("good.txt = %q", got)
	}
	if exists(filepath.Join(dir, "bad.txt")) {
		t.Error("the failed job's output exists")
	}
}

// Ctrl-C scancels the run's jobs: flowmake exits 130, SLURM shows the job
// CANCELLED and nothing of the run left in the queue, and the next run
// runs the job again.
func TestSlurmInterruptCancelsJobs(t *testing.T) {
	needSlurm(t)
	dir := workspace(t, map[string]string{"Rulefile": `
rule "sleeper" {
  output = "slept.txt"
  shell  = "echo $SLURM_JOB_ID > started; echo partial > ${output}; sleep 300; echo done >> ${output}"
}
`})
	cmd, errb := startFlowmake(t, dir, "--executor", "slurm", "-j", "2")
	started := filepath.Join(dir, "started")
	deadline := time.Now().Add(30 * time.Second)
	for !exists(started) || len(readFile(t, started)) == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the job did not start:\n%s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	id := strings.TrimSpace(readFile(t, started))
	begin := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *osexec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("after SIGINT: %v, want exit 130\n%s", err, errb.String())
	}
	t.Logf("exit 130 %v after SIGINT", time.Since(begin).Round(time.Millisecond))
	job := scontrolJob(t, id)
	if job["JobState"] != "CANCELLED" {
		t.Errorf("job %s is %s after the interrupt, want CANCELLED", id, job["JobState"])
	}
	out, err := osexec.Command("squeue", "-h", "-t", "PENDING,RUNNING,COMPLETING,SUSPENDED", "-n", job["JobName"], "-o", "%i %T").Output()
	if err != nil {
		t.Fatal(err)
	}
	if len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("jobs of the run still in the queue:\n%s", out)
	}
	if exists(filepath.Join(dir, "slept.txt")) {
		t.Error("the partial output slept.txt is left")
	}
	r := flowmake(t, dir, "--executor", "slurm", "-n")
	if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "sleeper") {
		t.Errorf("the next (dry) run would not rerun the job: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// The workshop example runs unchanged on the cluster.
func TestSlurmPeasoup(t *testing.T) {
	needSlurm(t)
	dir := copyTracked(t, filepath.Join("..", "..", "examples", "peasoup"))
	local := copyTracked(t, filepath.Join("..", "..", "examples", "peasoup"))
	mustRun(t, local, "-j2")
	r := mustRun(t, dir, "--executor", "slurm", "-j", "10")
	if !strings.Contains(r.stderr, "6 of 6 steps (100%) done") {
		t.Errorf("no final count:\n%s", r.stderr)
	}
	if got, want := readFile(t, filepath.Join(dir, "pea-soup.txt")), readFile(t, filepath.Join(local, "pea-soup.txt")); got != want {
		t.Errorf("the cluster's soup differs from the local one:\n%s\nvs\n%s", got, want)
	}
	if n, _ := filepath.Glob(filepath.Join(dir, ".flowmake/slurm/*.out")); len(n) != 5 {
		t.Errorf("%d SLURM output files, want 5 (one per job with a command): %v", len(n), n)
	}
}

// A flowmake killed with -9 leaves its job running in SLURM; the next run
// cancels it, says so, reruns the job (its output was marked incomplete)
// and finishes, with the two never running at once.
func TestSlurmRunAfterKill9DoesNotDuplicateJobs(t *testing.T) {
	needSlurm(t)
	dir := workspace(t, map[string]string{"slow": "", "Rulefile": `
rule "job" {
  output = "done.txt"
  shell  = "echo $SLURM_JOB_ID >> ids; echo partial > ${output}; if [ -e slow ]; then sleep 300; fi; echo ok > ${output}"
}
`})
	cmd := osexec.Command(flowmakeBin, "--executor", "slurm", "-j", "2")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ids := filepath.Join(dir, "ids")
	deadline := time.Now().Add(30 * time.Second)
	for !exists(ids) || len(readFile(t, ids)) == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the job did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	first := strings.TrimSpace(readFile(t, ids))
	if st := scontrolJob(t, first)["JobState"]; st != "RUNNING" {
		t.Fatalf("the killed run's job is %s, want it still RUNNING for this test", st)
	}
	if err := os.Remove(filepath.Join(dir, "slow")); err != nil {
		t.Fatal(err)
	}
	r := mustRun(t, dir, "--executor", "slurm", "-j", "2")
	if !strings.Contains(r.stderr, "Cancelled 1 SLURM job left queued or running by an earlier flowmake in this directory: "+first+".") {
		t.Errorf("the orphan was not reported:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "Rerunning 1 job left incomplete") {
		t.Errorf("the job was not rerun as incomplete:\n%s", r.stderr)
	}
	if got := readFile(t, filepath.Join(dir, "done.txt")); got != "ok\n" {
		t.Errorf("done.txt = %q", got)
	}
	lines := strings.Fields(readFile(t, ids))
	if len(lines) != 2 {
		t.Fatalf("the job ran %d times (%v), want twice: killed, then rerun", len(lines), lines)
	}
	old, rerun := scontrolJob(t, lines[0]), scontrolJob(t, lines[1])
	if old["JobState"] != "CANCELLED" || rerun["JobState"] != "COMPLETED" {
		t.Errorf("states: orphan %s, rerun %s; want CANCELLED, COMPLETED", old["JobState"], rerun["JobState"])
	}
	if old["EndTime"] > rerun["StartTime"] {
		t.Errorf("the rerun started (%s) before the orphan ended (%s)", rerun["StartTime"], old["EndTime"])
	}
}

// --default-resources fill in what a rule does not set, and bad values of
// the SLURM flags are usage errors (no cluster needed for those).
func TestSlurmDefaultResourcesAndFlags(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": `
rule "one" {
  output = "one.txt"
  shell  = "echo $SLURM_JOB_ID > ${output}"
}
`})
	for _, args := range [][]string{
		{"--executor", "slurm", "--default-resources", "mem_mb", "-n"},
		{"--executor", "slurm", "--max-jobs-per-second", "-1", "-n"},
	} {
		if r := flowmake(t, dir, args...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, r.code, r.stderr)
		}
	}
	if r := flowmake(t, dir, "--executor", "slurm", "-n"); r.code != 0 {
		t.Errorf("a dry run with --executor slurm: exit %d\n%s", r.code, r.stderr)
	}
	needSlurm(t)
	mustRun(t, dir, "--executor", "slurm", "--default-resources", "mem_mb=123", "runtime=3", "-j", "2")
	job := scontrolJob(t, strings.TrimSpace(readFile(t, filepath.Join(dir, "one.txt"))))
	if job["MinMemoryNode"] != "123M" || job["TimeLimit"] != "00:03:00" {
		t.Errorf("defaults not passed on: MinMemoryNode=%s TimeLimit=%s, want 123M and 00:03:00", job["MinMemoryNode"], job["TimeLimit"])
	}
}
