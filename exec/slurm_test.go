package exec

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fake SLURM: sbatch, squeue, scontrol and scancel as bash scripts on
// PATH, sharing a state directory ($FAKE_SLURM). sbatch runs the batch
// script at once (its output to --output) and records the final state;
// squeue reports RUNNING until the job's duration has passed. Files in
// the state directory steer it:
//
//	reject       N: reject the next N submissions with reject_msg
//	final        STATE|REASON|RAW: the final state of every job
//	duration_ms  how long jobs stay RUNNING
//	lose         submitted jobs are unknown to squeue and scontrol
//	scontrol     submitted jobs are unknown to squeue, known to scontrol
//	queue        ID|NAME|WORKDIR lines: what squeue -u lists (scancel drops them)
//
// With --array=0-N, sbatch runs the script once per task with
// SLURM_ARRAY_TASK_ID set and %a in --output replaced, and squeue -j ID
// lists the tasks as ID_TASK.
//
// Every call is appended to sbatch.log, squeue.log or scancel.log.
var fakeSlurm = map[string]string{
	"sbatch": `#!/bin/bash
D=$FAKE_SLURM
echo "$(date +%s%3N) $*" >> "$D/sbatch.log"
exec 9>"$D/lock"; flock 9
if [ -s "$D/reject" ] && [ "$(cat "$D/reject")" -gt 0 ]; then
  echo $(( $(cat "$D/reject") - 1 )) > "$D/reject"
  echo "sbatch: error: $(cat "$D/reject_msg" 2>/dev/null || echo 'Batch job submission failed: Socket timed out on send/recv operation')" >&2
  exit 1
fi
id=$(( $(cat "$D/next" 2>/dev/null || echo 100) + 1 )); echo $id > "$D/next"
flock -u 9
out=; last=; for a in "$@"; do case $a in --output=*) out=${a#--output=} ;; --array=0-*) last=${a#--array=0-} ;; esac; done
script=${!#}
cp "$script" "$D/script.$id"
run() { # run TASKID OUTPUT
  SLURM_ARRAY_TASK_ID=$1 bash "$script" > "$2" 2>&1; rc=$?
  if [ -s "$D/final" ]; then st=$(cat "$D/final")
  elif [ $rc = 0 ]; then st="COMPLETED|None|0"
  else st="FAILED|NonZeroExitCode|$(( rc << 8 ))"; fi
  end=$(( $(date +%s%3N) + $(cat "$D/duration_ms" 2>/dev/null || echo 0) ))
  t=$id${1:+_$1}
  if [ -e "$D/lose" ]; then :
  elif [ -e "$D/scontrol" ]; then echo "$st" > "$D/sc.$t"
  else echo "$end $st" > "$D/job.$t"; fi
}
if [ -z "$last" ]; then run "" "$out"
else for i in $(seq 0 "$last"); do run "$i" "${out//%a/$i}"; done; fi
echo "$id"
`,
	"squeue": `#!/bin/bash
D=$FAKE_SLURM
echo "$*" >> "$D/squeue.log"
ids=; while [ $# -gt 0 ]; do [ "$1" = -j ] && ids=$2; shift; done
if [ -z "$ids" ]; then cat "$D/queue" 2>/dev/null; exit 0; fi  # squeue -u: the queue file
now=$(date +%s%3N); n=0; known=0
for id in ${ids//,/ }; do
  n=$((n+1))
  for f in "$D/job.$id" "$D/job.${id}_"*; do  # a job, or an array's tasks (squeue -r)
    [ -e "$f" ] || continue
    known=1; t=${f##*/job.}
    read -r end st < "$f"
    if [ "$now" -lt "$end" ]; then echo "$t|RUNNING|None|0"; else echo "$t|$st"; fi
  done
done
if [ $n = 1 ] && [ $known = 0 ]; then echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1; fi
`,
	"scontrol": `#!/bin/bash
D=$FAKE_SLURM
if [ "$2" = config ]; then echo "JobCompType             = jobcomp/none"; exit 0; fi
id=$4
if [ -e "$D/sc.$id" ]; then
  IFS='|' read -r st reason raw < "$D/sc.$id"
  echo "JobId=$id JobName=x JobState=$st Reason=$reason ExitCode=$(( raw >> 8 )):$(( raw & 127 )) RunTime=00:00:01"
  exit 0
fi
echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1
`,
	"scancel": `#!/bin/bash
D=$FAKE_SLURM
echo "$*" >> "$D/scancel.log"
for id in "$@"; do [ -e "$D/job.$id" ] && echo "0 CANCELLED|None|15" > "$D/job.$id"; done
for id in "$@"; do [ -e "$D/queue" ] && sed -i "/^$id|/d" "$D/queue"; done
exit 0
`,
}

// withFakeSlurm puts the fake commands first on PATH and returns the
// state directory.
func withFakeSlurm(t *testing.T) string {
	t.Helper()
	bin, state := t.TempDir(), t.TempDir()
	for name, text := range fakeSlurm {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_SLURM", state)
	return state
}

func writeState(t *testing.T, state, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(state, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func logLines(t *testing.T, state, name string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(state, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(data), "\n"), "\n")
}

func fastSlurm() *Slurm {
	return &Slurm{RunID: "r1", PollMin: 20 * time.Millisecond, PollMax: 100 * time.Millisecond, SubmitBackoff: 10 * time.Millisecond}
}

func slurmSpec(dir, cmd string) Spec {
	return Spec{Name: "count (s=a)", Command: cmd, Dir: dir, Threads: 1, Capture: ".flowmake/log/count/s=a.log", Outputs: []string{"out/a.txt"}}
}

func TestSlurmSubmitsAScriptWithTheJobsResources(t *testing.T) {
	state := withFakeSlurm(t)
	dir := t.TempDir()
	s := fastSlurm()
	s.Defaults = map[string]string{"slurm_partition": "short", "runtime": "5", "slurm_account": "nobody"}
	spec := slurmSpec(dir, `[[ 1 == 1 ]] && echo "hello $0" && mkdir -p out && echo a > out/a.txt`)
	spec.Threads = 4
	spec.Resources = map[string]int64{"mem_mb": 1000, "runtime": 30}
	spec.ResourceText = map[string]string{"slurm_account": "lab", "slurm_extra": `--qos=high --comment "two words"`}
	spec.Env = []string{"FOO=it's"}
	r := s.Run(context.Background(), spec)
	if !r.OK() {
		t.Fatalf("job failed: %+v", r)
	}
	calls := logLines(t, state, "sbatch.log")
	if len(calls) != 1 {
		t.Fatalf("sbatch calls = %d, want 1: %q", len(calls), calls)
	}
	for _, want := range []string{
		" --parsable ", "--job-name=flowmake-r1-count ", "--cpus-per-task=4 ", "--mem=1000M ",
		"--time=30 ", "--partition=short ", "--account=lab ", "--qos=high --comment two words ",
		"--no-requeue ", "--chdir=" + dir + " ",
		"--output=" + filepath.Join(dir, ".flowmake/slurm/count/s=a.out") + " ",
	} {
		if !strings.Contains(calls[0]+" ", want) {
			t.Errorf("sbatch call lacks %q:\n%s", want, calls[0])
		}
	}
	if !strings.HasSuffix(calls[0], filepath.Join(dir, ".flowmake/slurm/count/s=a.sh")) {
		t.Errorf("the script is not sbatch's last argument: %s", calls[0])
	}
	script, err := os.ReadFile(filepath.Join(dir, ".flowmake/slurm/count/s=a.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"#!/bin/bash\n", "\nset -euo pipefail\n", "\ncd '" + dir + "'\n", "\nexport FOO='it'\\''s'\n", "\n" + spec.Command + "\n"} {
		if !strings.Contains(string(script), want) {
			t.Errorf("script lacks %q:\n%s", want, script)
		}
	}
	if !strings.HasPrefix(string(script), "#!/bin/bash\n") {
		t.Errorf("script does not start with #!/bin/bash:\n%s", script)
	}
	capture, _ := os.ReadFile(filepath.Join(dir, spec.Capture))
	if !strings.Contains(string(capture), "hello ") {
		t.Errorf("capture %q lacks the job's output", capture)
	}
}

func TestSlurmLongCommandStaysOffTheCommandLine(t *testing.T) {
	state := withFakeSlurm(t)
	dir := t.TempDir()
	long := "mkdir -p out; echo " + strings.Repeat("x", 300<<10) + " | wc -c > out/a.txt"
	r := fastSlurm().Run(context.Background(), slurmSpec(dir, long))
	if !r.OK() {
		t.Fatalf("job failed: %+v", r)
	}
	if calls := logLines(t, state, "sbatch.log"); len(calls) != 1 || len(calls[0]) > 2000 {
		t.Fatalf("sbatch got the command on its command line (%d calls, first %d bytes)", len(calls), len(calls[0]))
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "out/a.txt")); strings.TrimSpace(string(got)) != strconv.Itoa(300<<10+1) {
		t.Errorf("the long command ran wrongly: wc says %q", got)
	}
}

func TestSlurmFailureGivesStateExitCodeAndTail(t *testing.T) {
	withFakeSlurm(t)
	dir := t.TempDir()
	spec := slurmSpec(dir, "echo line one; echo the last words; exit 3")
	spec.Capture = "" // the message then carries the tail itself
	r := fastSlurm().Run(context.Background(), spec)
	if r.OK() || r.ExitCode != 3 {
		t.Fatalf("want exit 3, got %+v", r)
	}
	msg := r.Err.Error()
	for _, want := range []string{"FAILED", "exit code 3", "NonZeroExitCode", "the last words", ".flowmake/slurm/"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
}

func TestSlurmFinalStates(t *testing.T) {
	for _, c := range []struct {
		final, output string
		want          []string
		signal        int
	}{
		{"TIMEOUT|TimeLimit|15", "", []string{"TIMEOUT", "signal 15", "time limit"}, 15},
		{"CANCELLED|None|36608", "", []string{"CANCELLED", "exit code 143"}, 0},
		{"NODE_FAIL|NodeFail|0", "", []string{"NODE_FAIL", "reason NodeFail"}, 0},
		{"OUT_OF_MEMORY|OutOfMemory|0", "", []string{"OUT_OF_MEMORY", "out of memory"}, 0},
		{"FAILED|JobLaunchFailure|9", "slurmstepd: error: StepId=1.batch exceeded memory limit (6 > 1), being killed",
			[]string{"FAILED", "signal 9", "out of memory"}, 9},
		{"PREEMPTED|None|0", "", []string{"PREEMPTED"}, 0},
		{"BOOT_FAIL|None|0", "", []string{"BOOT_FAIL"}, 0},
		{"DEADLINE|None|0", "", []string{"DEADLINE"}, 0},
	} {
		t.Run(strings.Split(c.final, "|")[0], func(t *testing.T) {
			state := withFakeSlurm(t)
			writeState(t, state, "final", c.final)
			dir := t.TempDir()
			r := fastSlurm().Run(context.Background(), slurmSpec(dir, "echo '"+c.output+"'"))
			if r.OK() || r.Err == nil {
				t.Fatalf("%s counted as success: %+v", c.final, r)
			}
			if r.Signal != c.signal {
				t.Errorf("signal = %d, want %d", r.Signal, c.signal)
			}
			for _, w := range c.want {
				if !strings.Contains(r.Err.Error(), w) {
					t.Errorf("message lacks %q: %v", w, r.Err)
				}
			}
		})
	}
}

func TestSlurmRejectedSubmissionIsRetried(t *testing.T) {
	state := withFakeSlurm(t)
	writeState(t, state, "reject", "2")
	dir := t.TempDir()
	r := fastSlurm().Run(context.Background(), slurmSpec(dir, "mkdir -p out; touch out/a.txt"))
	if !r.OK() {
		t.Fatalf("job failed after 2 rejections: %+v", r)
	}
	if n := len(logLines(t, state, "sbatch.log")); n != 3 {
		t.Errorf("sbatch calls = %d, want 3 (2 rejected, 1 accepted)", n)
	}
}

func TestSlurmSubmissionGivesUp(t *testing.T) {
	for _, c := range []struct {
		msg   string
		calls int
	}{
		{"Batch job submission failed: Slurm temporarily unable to accept job, sleeping and retrying", 3},
		{"Batch job submission failed: Invalid account or account/partition combination specified", 1},
	} {
		state := withFakeSlurm(t)
		writeState(t, state, "reject", "100")
		writeState(t, state, "reject_msg", c.msg)
		s := fastSlurm()
		s.SubmitTries = 3
		r := s.Run(context.Background(), slurmSpec(t.TempDir(), "true"))
		if r.OK() || r.Err == nil || !strings.Contains(r.Err.Error(), c.msg) {
			t.Errorf("want a failure with sbatch's message %q, got %+v", c.msg, r)
		}
		if n := len(logLines(t, state, "sbatch.log")); n != c.calls {
			t.Errorf("%q: sbatch calls = %d, want %d", c.msg, n, c.calls)
		}
	}
}

func TestSlurmLostJobs(t *testing.T) {
	t.Run("unknown everywhere", func(t *testing.T) {
		state := withFakeSlurm(t)
		writeState(t, state, "lose", "")
		r := fastSlurm().Run(context.Background(), slurmSpec(t.TempDir(), "true"))
		if r.OK() || r.Err == nil || !strings.Contains(r.Err.Error(), "LOST") {
			t.Fatalf("want a lost job, got %+v", r)
		}
		if n := len(logLines(t, state, "squeue.log")); n < lostAfter {
			t.Errorf("lost after %d polls, want at least %d", n, lostAfter)
		}
	})
	t.Run("found by scontrol", func(t *testing.T) {
		state := withFakeSlurm(t)
		writeState(t, state, "scontrol", "")
		dir := t.TempDir()
		r := fastSlurm().Run(context.Background(), slurmSpec(dir, "mkdir -p out; touch out/a.txt"))
		if !r.OK() {
			t.Fatalf("a job only scontrol knows as COMPLETED failed: %+v", r)
		}
	})
}

// The rule of the issue: one squeue call per interval for all jobs, never
// one per job.
func TestSlurmOneSqueueCallPerInterval(t *testing.T) {
	state := withFakeSlurm(t)
	writeState(t, state, "duration_ms", "1500")
	s := &Slurm{RunID: "r", PollMin: 100 * time.Millisecond, PollMax: 400 * time.Millisecond}
	const jobs = 20
	var wg sync.WaitGroup
	begin := time.Now()
	results := make([]Result, jobs)
	for i := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			spec := slurmSpec(t.TempDir(), "true")
			spec.Name = "fan (i=" + strconv.Itoa(i) + ")"
			spec.Capture = ""
			results[i] = s.Run(context.Background(), spec)
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	for i, r := range results {
		if !r.OK() {
			t.Fatalf("job %d failed: %+v", i, r)
		}
	}
	calls := logLines(t, state, "squeue.log")
	if n := s.poller().squeueCalls(); n != len(calls) {
		t.Errorf("poller counted %d squeue calls, the fake saw %d", n, len(calls))
	}
	// At most one call per PollMin, plus the last one.
	if limit := int(elapsed/s.PollMin) + 1; len(calls) > limit {
		t.Errorf("%d squeue calls in %v for %d jobs, want at most %d (one per interval)", len(calls), elapsed, jobs, limit)
	}
	most := 0
	for _, c := range calls {
		_, list, _ := strings.Cut(c, "-j ")
		list, _, _ = strings.Cut(list, " ")
		most = max(most, len(strings.Split(list, ",")))
	}
	if most != jobs {
		t.Errorf("no squeue call asked for all %d jobs at once (at most %d); first calls: %q", jobs, most, calls[:min(3, len(calls))])
	}
	t.Logf("%d jobs of 1.5 s: %d squeue calls in %v", jobs, len(calls), elapsed.Round(time.Millisecond))
}

func TestSlurmInterruptCancelsTheJob(t *testing.T) {
	state := withFakeSlurm(t)
	writeState(t, state, "duration_ms", "60000")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	begin := time.Now()
	r := fastSlurm().Run(ctx, slurmSpec(t.TempDir(), "true"))
	if r.OK() || !errors.Is(r.Err, context.Canceled) {
		t.Fatalf("want an interrupted job, got %+v", r)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("the interrupted job took %v to return", d)
	}
	if got := logLines(t, state, "scancel.log"); len(got) != 1 || got[0] != "101" {
		t.Errorf("scancel calls = %q, want one for job 101", got)
	}
}

func TestSlurmRateLimitsSbatch(t *testing.T) {
	state := withFakeSlurm(t)
	s := fastSlurm()
	s.MaxSubmitRate = 10
	for range 4 {
		if r := s.Run(context.Background(), slurmSpec(t.TempDir(), "true")); r.Err != nil && !strings.Contains(r.Err.Error(), "missing") {
			t.Fatalf("%+v", r)
		}
	}
	calls := logLines(t, state, "sbatch.log")
	first, _ := strconv.ParseInt(strings.Fields(calls[0])[0], 10, 64)
	last, _ := strconv.ParseInt(strings.Fields(calls[len(calls)-1])[0], 10, 64)
	if span := last - first; span < 280 {
		t.Errorf("4 submissions at 10/s took %d ms, want at least 300 ms (less a margin)", span)
	}
}

func TestSlurmJobWithoutCommandIsNotSubmitted(t *testing.T) {
	state := withFakeSlurm(t)
	r := fastSlurm().Run(context.Background(), Spec{Name: "all", Dir: t.TempDir()})
	if !r.OK() {
		t.Fatalf("%+v", r)
	}
	if n := len(logLines(t, state, "sbatch.log")); n != 0 {
		t.Errorf("sbatch called %d times for a job with nothing to run", n)
	}
}

func TestParseSqueue(t *testing.T) {
	got := parseSqueue("12|COMPLETED|None|0\n13|FAILED|NonZeroExitCode|768\n14|CANCELLED by 0|None|15\n15|CANCELLED|None|36608\nbad line\n")
	want := map[string]jobState{
		"12": {State: "COMPLETED", Reason: "None"},
		"13": {State: "FAILED", Reason: "NonZeroExitCode", Exit: 3},
		"14": {State: "CANCELLED", Reason: "None", Signal: 15},
		"15": {State: "CANCELLED", Reason: "None", Exit: 143},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("job %s: got %+v, want %+v", id, got[id], w)
		}
	}
	st, ok := parseScontrol("JobId=13 JobName=my job JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 RunTime=1")
	if !ok || st != (jobState{State: "FAILED", Reason: "NonZeroExitCode", Exit: 3}) {
		t.Errorf("scontrol: got %+v %v", st, ok)
	}
}

func TestSplitWords(t *testing.T) {
	got := splitWords(` --qos=high  --comment "a b" --x='c d'e ''`)
	want := []string{"--qos=high", "--comment", "a b", "--x=c de", ""}
	if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// With CountJobs, -j counts jobs: four 8-thread jobs on -j 3 run three at
// once (without it, one at a time, as TestThreadsTakeSlots shows).
func TestCountJobsGivesEveryJobOneSlot(t *testing.T) {
	for _, c := range []struct {
		count bool
		want  int
	}{{true, 3}, {false, 1}} {
		var b graph
		for i := range 4 {
			b.job(strconv.Itoa(i)).Spec.Threads = 8
		}
		// Long enough that the first job is still running when the third
		// starts, even on a loaded machine.
		fake := &Fake{Delay: delay(300 * time.Millisecond)}
		if _, err := run(t, b.plan(), fake, Options{Cores: 3, CountJobs: c.count}); err != nil {
			t.Fatal(err)
		}
		if got := fake.MaxRunning(); got != c.want {
			t.Errorf("CountJobs=%v: %d jobs at once, want %d", c.count, got, c.want)
		}
	}
}

func TestSlurmCancelsOrphansOfTheDirectoryOnly(t *testing.T) {
	state := withFakeSlurm(t)
	dir := t.TempDir()
	writeState(t, state, "queue", "7|flowmake-dead-count|"+dir+"\n8|flowmake-other-count|/elsewhere\n9|my-own-job|"+dir+"\n10|flowmake-dead-plot|"+dir+"/\n")
	ids, err := fastSlurm().CancelOrphans(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "7,10" {
		t.Errorf("cancelled %q, want 7 and 10 (flowmake's jobs in this directory)", ids)
	}
	if got := logLines(t, state, "scancel.log"); len(got) != 1 || got[0] != "7 10" {
		t.Errorf("scancel calls %q, want one for 7 and 10", got)
	}
	ids, err = fastSlurm().CancelOrphans(context.Background(), dir)
	if err != nil || len(ids) != 0 {
		t.Errorf("second look: %q, %v; want nothing left", ids, err)
	}
}

func TestSlurmScriptJobGetsItsJobFile(t *testing.T) {
	withFakeSlurm(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "s.sh"), []byte("mkdir -p out; cp \"$FLOWMAKE_JOB\" out/a.txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := slurmSpec(dir, "")
	spec.Script, spec.JobJSON = "s.sh", []byte(`{"rule":"count"}`)
	if err := os.MkdirAll(filepath.Join(dir, ".flowmake/log/count"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeState(t, dir, spec.Capture, "an earlier run's output\n")
	r := fastSlurm().Run(context.Background(), spec)
	if !r.OK() {
		t.Fatalf("%+v", r)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "out/a.txt")); string(got) != `{"rule":"count"}` {
		t.Errorf("the script read %q from $FLOWMAKE_JOB", got)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, spec.Capture)); strings.Contains(string(got), "earlier") {
		t.Errorf("the capture still holds the earlier run's output: %q", got)
	}
}
