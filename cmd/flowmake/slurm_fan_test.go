package main

import (
	"errors"
	"fmt"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

const slurmFan50Rulefile = `
rule "all" {
  input = expand("fan/{i}.txt", { i = range(50) })
}

rule "fan" {
  output = "fan/{i}.txt"
  # what SLURM gave the job: its id, its array and the CPUs on its node
  shell  = "echo $SLURM_JOB_ID $${SLURM_ARRAY_JOB_ID:-none} $SLURM_CPUS_ON_NODE > ${output}"
}
`

// A 50-job fan runs on the cluster as job arrays: all outputs are there,
// each job was given exactly the CPUs it asked for, the fan costs a
// handful of sbatch calls and one squeue call per poll, and a second run
// does nothing. (A 2-thread job beside the fan would need the whole
// 2-CPU node: SLURM then holds the fan's tasks back for it until its
// backfill pass, doubling the test's time; TestSlurmFanRunsOnTheCluster
// checks threads 2.) The node runs 2 jobs at once, so this takes ~25 s.
//
// "No more CPUs than it asked": the local cluster runs with
// TaskPlugin=task/none, so nproc inside a job shows the whole node and
// proves nothing. What is checked is SLURM's allocation, the thing that
// caps a job on a real cluster's cgroups: NumCPUs of `scontrol show job`
// and SLURM_CPUS_ON_NODE as the job itself saw it, equal to the rule's
// threads.
func TestSlurmFan50RunsAsArrays(t *testing.T) {
	needSlurm(t)
	dir := workspace(t, map[string]string{"Rulefile": slurmFan50Rulefile})
	env, log := slurmShims(t)
	begin := time.Now()
	r := runWithEnv(t, dir, env, "--executor", "slurm", "-j", "60", "--slurm-array-size", "100")
	elapsed := time.Since(begin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "51 of 51 steps (100%) done") {
		t.Errorf("no final count:\n%s", r.stderr)
	}
	m := regexp.MustCompile(`flowmake-([0-9a-f]+)-RULE`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no run id in:\n%s", r.stderr)
	}
	jobIDs, arrays := map[string]bool{}, map[string]int{}
	check := func(out, rule, cpus string) {
		f := strings.Fields(readFile(t, filepath.Join(dir, out)))
		if len(f) != 3 {
			t.Errorf("%s: %q, want job id, array id and CPUs", out, f)
			return
		}
		if jobIDs[f[0]] {
			t.Errorf("%s: job id %s used twice", out, f[0])
		}
		jobIDs[f[0]] = true
		arrays[f[1]]++
		if f[2] != cpus {
			t.Errorf("%s: the job saw SLURM_CPUS_ON_NODE=%s, want %s", out, f[2], cpus)
		}
		job := scontrolJob(t, f[0])
		if job["NumCPUs"] != cpus || job["JobState"] != "COMPLETED" || job["JobName"] != "flowmake-"+m[1]+"-"+rule {
			t.Errorf("%s (job %s): NumCPUs=%s JobState=%s JobName=%s, want %s, COMPLETED, flowmake-%s-%s",
				out, f[0], job["NumCPUs"], job["JobState"], job["JobName"], cpus, m[1], rule)
		}
	}
	for i := range 50 {
		check(fmt.Sprintf("fan/%d.txt", i), "fan", "1")
	}
	// The 50 jobs became ready at once: a handful of arrays (one, unless
	// the scheduler's start of them was split).
	if arrays["none"] > 0 || len(arrays) > 3 {
		t.Errorf("jobs per array %v: want the fan in at most 3 arrays", arrays)
	}
	sb, sq := countCalls(t, log, "sbatch"), countCalls(t, log, "squeue")
	if sb != len(arrays) {
		t.Errorf("%d sbatch calls for %d arrays", sb, len(arrays))
	}
	// One squeue per poll for all jobs (polls are at least 250 ms apart),
	// plus the start's look for an earlier run's jobs.
	if limit := int(elapsed/(250*time.Millisecond)) + 2; sq > limit {
		t.Errorf("%d squeue calls in %v, more than one per 250 ms", sq, elapsed)
	}
	t.Logf("50 jobs in %v: %d sbatch, %d squeue calls", elapsed.Round(time.Millisecond), sb, sq)

	r = runWithEnv(t, dir, env, "--executor", "slurm", "-j", "60", "--slurm-array-size", "100")
	if r.code != 0 || !strings.Contains(r.stderr, "Nothing to be done.") {
		t.Errorf("second run: exit %d\n%s", r.code, r.stderr)
	}
	if n := countCalls(t, log, "sbatch"); n != sb {
		t.Errorf("the second run submitted %d times", n-sb)
	}
}

// In an array, a failing task fails its own job with its exit code and
// output, and the other tasks' jobs succeed.
func TestSlurmArrayTaskFailure(t *testing.T) {
	needSlurm(t)
	dir := workspace(t, map[string]string{"Rulefile": `
rule "all" {
  input = expand("t/{i}.txt", { i = range(3) })
}
rule "t" {
  output = "t/{i}.txt"
  shell  = "if [ ${wildcards.i} = 1 ]; then echo 'task one broke' >&2; exit 3; fi; echo ok > ${output}"
}
`})
	r := flowmake(t, dir, "--executor", "slurm", "-j", "10", "--slurm-array-size", "10", "-k")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	if !regexp.MustCompile(`FAILED rule t \(i=1\), exit 3: slurm job \d+_\d FAILED, exit code 3, reason NonZeroExitCode; output in .flowmake/slurm/t/i=1.out`).MatchString(r.stderr) ||
		!strings.Contains(r.stderr, "task one broke") {
		t.Errorf("no array task failure with its exit code and output:\n%s", r.stderr)
	}
	for _, ok := range []string{"t/0.txt", "t/2.txt"} {
		if got := readFile(t, filepath.Join(dir, ok)); got != "ok\n" {
			t.Errorf("%s = %q", ok, got)
		}
	}
	if exists(filepath.Join(dir, "t/1.txt")) {
		t.Error("the failed task's output exists")
	}
}

// Ctrl-C cancels every task of an array, running or still pending (the
// node runs 2 of the 4 at once): flowmake exits 130 and squeue shows
// nothing of the run left.
func TestSlurmArrayInterruptCancelsEveryTask(t *testing.T) {
	needSlurm(t)
	dir := workspace(t, map[string]string{"Rulefile": `
rule "all" {
  input = expand("s/{i}.txt", { i = range(4) })
}
rule "s" {
  output = "s/{i}.txt"
  shell  = "echo $SLURM_ARRAY_JOB_ID > started; echo partial > ${output}; sleep 300"
}
`})
	cmd, errb := startFlowmake(t, dir, "--executor", "slurm", "-j", "4", "--slurm-array-size", "10")
	started := filepath.Join(dir, "started")
	deadline := time.Now().Add(30 * time.Second)
	for !exists(started) || len(readFile(t, started)) == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no task started:\n%s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	array := strings.TrimSpace(readFile(t, started))
	begin := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *osexec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("after SIGINT: %v, want exit 130\n%s", err, errb.String())
	}
	if d := time.Since(begin); d > 20*time.Second {
		t.Errorf("exit 130 only %v after SIGINT", d)
	}
	out, err := osexec.Command("squeue", "-h", "-r", "-t", "all", "-j", array, "-o", "%i %T").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for _, l := range lines {
		if !strings.HasSuffix(l, " CANCELLED") {
			t.Errorf("array %s after the interrupt: %q, want every task CANCELLED", array, lines)
			break
		}
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "s/*.txt")); len(matches) > 0 {
		t.Errorf("partial outputs left: %v", matches)
	}
}
