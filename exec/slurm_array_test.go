package exec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// runConcurrently runs specs at once, as the scheduler does a fan.
func runConcurrently(ctx context.Context, s *Slurm, specs []Spec) []Result {
	results := make([]Result, len(specs))
	var wg sync.WaitGroup
	for i, spec := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.Run(ctx, spec)
		}()
	}
	wg.Wait()
	return results
}

// fanSpecs are n jobs of rule in dir; job i writes out/RULE-i.txt, or
// fails with exit 3 when i is in failing.
func fanSpecs(dir, rule string, n int, failing ...int) []Spec {
	var specs []Spec
	for i := range n {
		cmd := fmt.Sprintf("mkdir -p out; echo task $SLURM_ARRAY_TASK_ID job %d; echo %d > out/%s-%d.txt", i, i, rule, i)
		if slices.Contains(failing, i) {
			cmd = fmt.Sprintf("echo job %d breaks; exit 3", i)
		}
		specs = append(specs, Spec{
			Name: fmt.Sprintf("%s (i=%d)", rule, i), Command: cmd, Dir: dir, Threads: 1,
			Capture: fmt.Sprintf(".flowmake/log/%s/i=%d.log", rule, i),
		})
	}
	return specs
}

func sbatchArrays(calls []string) (arrays []string, plain int) {
	for _, c := range calls {
		if _, a, ok := strings.Cut(c, "--array="); ok {
			a, _, _ = strings.Cut(a, " ")
			arrays = append(arrays, a)
		} else {
			plain++
		}
	}
	return arrays, plain
}

// Jobs of one rule that arrive together go out as one array; each task
// keeps its own output, capture and result, a failing task fails only its
// job, and jobs of another rule or with other resources get their own
// submission.
func TestSlurmArraySubmitsAFanAsOneArray(t *testing.T) {
	state := withFakeSlurm(t)
	dir := t.TempDir()
	s := fastSlurm()
	s.ArraySize = 100
	specs := fanSpecs(dir, "fan", 10, 4)
	other := fanSpecs(dir, "other", 1)[0]
	big := fanSpecs(dir, "fan", 12)[11] // the same rule, more memory
	big.Resources = map[string]int64{"mem_mb": 500}
	results := runConcurrently(context.Background(), s, append(specs, other, big))

	for i, r := range results[:10] {
		if i == 4 {
			if r.OK() || r.ExitCode != 3 || !strings.Contains(r.Err.Error(), "FAILED, exit code 3") {
				t.Errorf("the failing task: %+v", r)
			}
			continue
		}
		if !r.OK() {
			t.Errorf("job %d failed: %+v", i, r)
			continue
		}
		if got, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("out/fan-%d.txt", i))); strings.TrimSpace(string(got)) != fmt.Sprint(i) {
			t.Errorf("out/fan-%d.txt = %q", i, got)
		}
	}
	for _, r := range results[10:] {
		if !r.OK() {
			t.Errorf("%+v", r)
		}
	}
	calls := logLines(t, state, "sbatch.log")
	arrays, plain := sbatchArrays(calls)
	if len(arrays) != 1 || arrays[0] != "0-9" || plain != 2 {
		t.Fatalf("sbatch calls: arrays %q and %d plain, want one array 0-9 and 2 plain:\n%s", arrays, plain, strings.Join(calls, "\n"))
	}
	// Each job's capture and .out are its own task's output.
	seen := map[string]bool{}
	for i := range 10 {
		capture, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf(".flowmake/log/fan/i=%d.log", i)))
		out, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf(".flowmake/slurm/fan/i=%d.out", i)))
		want := fmt.Sprintf("job %d", i)
		if i == 4 {
			want = "job 4 breaks"
		}
		if !strings.Contains(string(capture), want) || string(out) != string(capture) {
			t.Errorf("job %d: capture %q, .out %q; want both with %q", i, capture, out, want)
		}
		task := strings.Fields(string(capture))
		if i != 4 && (len(task) < 2 || seen[task[1]]) {
			t.Errorf("job %d: task id %q missing or shared", i, task)
		} else if i != 4 {
			seen[task[1]] = true
		}
	}
	// squeue is asked for the array by its id, and lists its tasks (-r).
	for _, c := range logLines(t, state, "squeue.log") {
		_, list, _ := strings.Cut(c, "-j ")
		list, _, _ = strings.Cut(list, " ")
		if !strings.Contains(c, " -r ") || strings.Contains(list, "_") {
			t.Errorf("squeue call %q: want -r and job ids, not task ids", c)
		}
	}
}

// ArraySize caps the tasks of one array.
func TestSlurmArraySizeCapsAnArray(t *testing.T) {
	state := withFakeSlurm(t)
	s := fastSlurm()
	s.ArraySize = 4
	for _, r := range runConcurrently(context.Background(), s, fanSpecs(t.TempDir(), "fan", 10)) {
		if !r.OK() {
			t.Fatalf("%+v", r)
		}
	}
	arrays, plain := sbatchArrays(logLines(t, state, "sbatch.log"))
	slices.Sort(arrays)
	if strings.Join(arrays, " ") != "0-1 0-3 0-3" || plain != 0 {
		t.Errorf("arrays %q and %d plain jobs for 10 jobs at 4 per array, want 0-3 0-3 0-1", arrays, plain)
	}
}

// A job that arrives alone is an ordinary job, not an array of one.
func TestSlurmArrayOfOneIsAPlainJob(t *testing.T) {
	state := withFakeSlurm(t)
	s := fastSlurm()
	s.ArraySize = 100
	if r := s.Run(context.Background(), fanSpecs(t.TempDir(), "fan", 1)[0]); !r.OK() {
		t.Fatalf("%+v", r)
	}
	if arrays, plain := sbatchArrays(logLines(t, state, "sbatch.log")); len(arrays) != 0 || plain != 1 {
		t.Errorf("arrays %q, %d plain; want one plain job", arrays, plain)
	}
}

// An interrupt scancels every task of the array, by task id, at once.
func TestSlurmArrayInterruptCancelsEachTask(t *testing.T) {
	state := withFakeSlurm(t)
	writeState(t, state, "duration_ms", "60000")
	s := fastSlurm()
	s.ArraySize = 100
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(400*time.Millisecond, cancel)
	begin := time.Now()
	results := runConcurrently(ctx, s, fanSpecs(t.TempDir(), "fan", 5))
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("the interrupted array took %v", d)
	}
	for i, r := range results {
		if r.OK() || !errors.Is(r.Err, context.Canceled) {
			t.Errorf("job %d: want interrupted, got %+v", i, r)
		}
	}
	var ids []string
	for _, l := range logLines(t, state, "scancel.log") {
		ids = append(ids, strings.Fields(l)...)
	}
	slices.Sort(ids)
	if strings.Join(ids, " ") != "101_0 101_1 101_2 101_3 101_4" {
		t.Errorf("scancelled %q, want the 5 tasks of array 101", ids)
	}
}

// A rejected array fails every job in it with sbatch's message.
func TestSlurmArrayRejectedFailsItsJobs(t *testing.T) {
	state := withFakeSlurm(t)
	writeState(t, state, "reject", "100")
	writeState(t, state, "reject_msg", "Batch job submission failed: Invalid job array specification")
	s := fastSlurm()
	s.ArraySize = 100
	for i, r := range runConcurrently(context.Background(), s, fanSpecs(t.TempDir(), "fan", 3)) {
		if r.OK() || r.Err == nil || !strings.Contains(r.Err.Error(), "Invalid job array specification") {
			t.Errorf("job %d: want sbatch's message, got %+v", i, r)
		}
	}
	if n := len(logLines(t, state, "sbatch.log")); n != 1 {
		t.Errorf("%d sbatch calls for a permanently rejected array, want 1", n)
	}
}

// Pending tasks that were cancelled are left in the array's own record,
// which squeue -r lists under the bare array id (seen on SLURM 22.05):
// the task takes that record's state instead of being lost.
func TestSlurmArrayTaskInTheArraysRecord(t *testing.T) {
	state := withFakeSlurm(t)
	writeState(t, state, "job.101", "0 CANCELLED|None|0")
	p := newPoller(time.Millisecond, time.Millisecond)
	w := &watch{done: make(chan jobState, 1)}
	p.jobs["101_2"] = w
	if _, err := p.pollOnce([]string{"101_2"}); err != nil {
		t.Fatal(err)
	}
	select {
	case st := <-w.done:
		if st.State != "CANCELLED" {
			t.Errorf("task 101_2 got %+v, want CANCELLED", st)
		}
	default:
		t.Error("task 101_2 got no final state from the array's record")
	}
}
