package exec

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	osexec "os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/flowmake/flowmake/workdir"
)

// Slurm runs each job as one SLURM batch job: a generated bash script
// (#!/bin/bash, the node's name written to NAME.node for the run history,
// set -euo pipefail, cd to the working directory, the command) submitted
// with one `sbatch --parsable`, so a command of any length goes in the
// script and never on sbatch's command line. The job's
// threads, resources.mem_mb and resources.runtime become --cpus-per-task,
// --mem and --time; resources slurm_partition, slurm_account and
// slurm_extra become --partition, --account and extra flags. Script,
// output and job file live in SlurmDir; after the job the output is
// copied to the job's capture (.flowmake/log/), as a local run writes it.
//
// One poller per executor follows every job of the run with one
// `squeue -h -t all -j ID,ID,...` per interval (see poller); a job squeue
// no longer lists is looked up with `scontrol show job`, then in the
// job-completion log when the cluster keeps one as a file. A cancelled
// context scancels the job.
//
// Outputs stay the scheduler's business: COMPLETED is success, after which
// the scheduler waits up to --latency-wait for the outputs (shared
// filesystems lag); any other final state fails the job with the state,
// the exit code and the tail of the job's output.
//
// The commands are looked up on PATH (sbatch, squeue, scontrol, scancel),
// so tests put fakes there.
type Slurm struct {
	// RunID is in every job's name, flowmake-RUNID-RULE, so a run's jobs
	// can be found in squeue; "" means one made by NewRunID on first use.
	RunID string
	// Defaults are --default-resources: a resource a job does not set
	// (mem_mb, runtime, slurm_partition, ...) is taken from here.
	Defaults map[string]string
	// MaxSubmitRate caps sbatch calls per second (--max-jobs-per-second);
	// 0 means no cap.
	MaxSubmitRate float64
	// PollMin and PollMax bound the status interval: PollMin after a
	// submission or a change, growing by half each quiet poll up to
	// PollMax. 0 means 250ms and 10s.
	PollMin, PollMax time.Duration
	// SubmitTries is how often a rejected sbatch is tried in all, waiting
	// SubmitBackoff, then twice that, ... between tries. 0 means 5 tries
	// from 1s (1+2+4+8 s of waiting).
	SubmitTries   int
	SubmitBackoff time.Duration
	// ArraySize is the most jobs one job array holds (--slurm-array-size):
	// jobs of one rule with the same sbatch options that become ready
	// together are submitted as one `sbatch --array` (see arrays). 0 or 1
	// submits every job on its own.
	ArraySize int

	mu       sync.Mutex
	nextSend time.Time // rate limit: the earliest next sbatch
	poll     *poller
	gather   *gatherer
}

// SlurmDir is where, relative to the working directory, the SLURM
// executor keeps each job's batch script (.sh), SLURM output (.out) and,
// for script jobs, job file (.json): .flowmake/slurm/RULE[/k=v].*, the
// names of the job's capture under .flowmake/log/.
const SlurmDir = ".flowmake/slurm"

// NewRunID returns a short random id for job names.
func NewRunID() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Run submits spec and waits for it to end, or until ctx is cancelled:
// then the job is scancelled, and Run returns when SLURM reports it ended
// or spec.Kill is closed.
func (s *Slurm) Run(ctx context.Context, spec Spec) Result { return timed(ctx, spec, s.run) }

func (s *Slurm) run(ctx context.Context, spec Spec, r *Result) error {
	r.Executor = "slurm"
	wd := workdir.Dir(spec.Dir)
	for _, p := range append([]string{spec.Benchmark, spec.Capture}, append(spec.Outputs, spec.Logs...)...) {
		if p == "" {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(wd.Path(p)), 0o777); err != nil {
			return err
		}
	}
	if spec.Command == "" && spec.Script == "" {
		r.ExitCode = 0 // nothing to run (an "all" rule): no batch job for it
		return nil
	}
	for _, p := range spec.Logs {
		if err := os.Remove(wd.Path(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove old log %s: %w", p, err)
		}
	}
	defer createMissing(wd, spec.Logs)

	dir, err := filepath.Abs(spec.Dir)
	if err != nil {
		return err
	}
	base := filepath.Join(dir, slurmBase(spec))
	if err := os.MkdirAll(filepath.Dir(base), 0o777); err != nil {
		return err
	}
	script, out := base+".sh", base+".out"
	jobFile := ""
	if spec.Script != "" {
		jobFile = base + ".json"
		if err := os.WriteFile(jobFile, spec.JobJSON, 0o644); err != nil {
			return fmt.Errorf("write job file: %w", err)
		}
	}
	node := base + ".node" // the script writes its node's name there
	os.Remove(node)
	defer func() {
		if b, err := os.ReadFile(node); err == nil {
			r.Host = strings.TrimSpace(string(b))
		}
	}()
	text, err := batchScript(spec, dir, jobFile, node)
	if err != nil {
		return err
	}
	if err := os.WriteFile(script, []byte(text), 0o755); err != nil {
		return fmt.Errorf("write batch script: %w", err)
	}
	// A failure must never show an earlier run's lines, from either file.
	os.Remove(out)
	if spec.Capture != "" {
		os.WriteFile(wd.Path(spec.Capture), nil, 0o644)
	}

	var id string
	if s.ArraySize > 1 {
		var taskOut string
		id, taskOut, err = s.gatherer().add(ctx, s.sbatchOptions(spec, dir), dir, script, out)
		if taskOut != out {
			// An array task writes its output under the array's name;
			// it becomes the job's own .out once the task ended.
			defer os.Rename(taskOut, out)
			out = taskOut
		}
	} else {
		id, err = s.submit(ctx, append(s.sbatchOptions(spec, dir), "--output="+out, script))
	}
	if err != nil {
		return err
	}
	st, err := s.poller().wait(ctx, id, spec.Kill)
	if spec.Capture != "" {
		copyFile(out, wd.Path(spec.Capture))
	}
	if err != nil {
		return err
	}
	r.ExitCode, r.Signal = st.Exit, st.Signal
	if r.Signal != 0 {
		r.ExitCode = -1
	}
	if st.State == "COMPLETED" && r.ExitCode == 0 && r.Signal == 0 {
		if spec.Benchmark != "" {
			if err := writeWallBenchmark(wd.Path(spec.Benchmark), time.Since(r.Start)); err != nil {
				return fmt.Errorf("write benchmark %s: %w", spec.Benchmark, err)
			}
		}
		return nil
	}
	return st.failure(id, spec, out, slurmBase(spec)+".out")
}

// slurmBase is the job's files under SlurmDir, without extension: the
// capture's name, or the escaped job name for a spec without one.
func slurmBase(spec Spec) string {
	if spec.Capture != "" {
		rel := strings.TrimPrefix(filepath.ToSlash(spec.Capture), CaptureDir+"/")
		return path.Join(SlurmDir, strings.TrimSuffix(rel, ".log"))
	}
	return path.Join(SlurmDir, escapeName(spec.Name))
}

// batchScript is the job as a bash script: the command itself, or the
// script's command line, after a cd into dir and the job's environment.
func batchScript(spec Spec, dir, jobFile, nodeFile string) (string, error) {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	fmt.Fprintf(&b, "# flowmake job %s\n", strings.ReplaceAll(spec.Name, "\n", " "))
	// The node's name, for the run history; squeue forgets it with the
	// job. A failure to write it must not fail the job.
	fmt.Fprintf(&b, "printf '%%s\\n' \"${SLURMD_NODENAME:-$(hostname)}\" 2>/dev/null >%s || true\n", shellQuote(nodeFile))
	b.WriteString("set -euo pipefail\n")
	fmt.Fprintf(&b, "cd %s\n", shellQuote(dir))
	for _, kv := range spec.Env {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(v))
	}
	if spec.Script == "" {
		b.WriteString(spec.Command)
		b.WriteString("\n")
		return b.String(), nil
	}
	fmt.Fprintf(&b, "export FLOWMAKE_JOB=%s\n", shellQuote(jobFile))
	args, err := commandLine(spec, "")
	if err != nil {
		return "", err
	}
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(shellQuote(a))
	}
	b.WriteString("\n")
	return b.String(), nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// sbatchOptions are sbatch's options for spec but --output and the
// script: jobs with the same options may share one job array.
func (s *Slurm) sbatchOptions(spec Spec, dir string) []string {
	rule, _, _ := strings.Cut(spec.Name, " (")
	args := []string{
		"--parsable",
		"--job-name=flowmake-" + s.runID() + "-" + rule,
		"--chdir=" + dir,
		"--no-requeue",
		"--cpus-per-task=" + strconv.Itoa(max(spec.Threads, 1)),
	}
	if v, ok := s.resource(spec, "mem_mb"); ok {
		args = append(args, "--mem="+v+"M")
	} else if v, ok := s.resource(spec, "mem_mb_per_cpu"); ok {
		args = append(args, "--mem-per-cpu="+v+"M")
	}
	if v, ok := s.resource(spec, "runtime"); ok {
		args = append(args, "--time="+v)
	}
	if v, ok := s.resource(spec, "slurm_partition"); ok {
		args = append(args, "--partition="+v)
	}
	if v, ok := s.resource(spec, "slurm_account"); ok {
		args = append(args, "--account="+v)
	}
	if v, ok := s.resource(spec, "slurm_extra"); ok {
		args = append(args, splitWords(v)...)
	}
	return args
}

// resource is a job's resource as text: the job's own, else the default.
func (s *Slurm) resource(spec Spec, name string) (string, bool) {
	if v, ok := spec.ResourceText[name]; ok && v != "" {
		return v, true
	}
	if v, ok := spec.Resources[name]; ok {
		return strconv.FormatInt(v, 10), true
	}
	v, ok := s.Defaults[name]
	return v, ok && v != ""
}

// splitWords splits slurm_extra as a shell would split plain words:
// on blanks, with '...' and "..." quoting (no expansions).
func splitWords(s string) []string {
	var words []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

func (s *Slurm) runID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.RunID == "" {
		s.RunID = NewRunID()
	}
	return s.RunID
}

func (s *Slurm) poller() *poller {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.poll == nil {
		min, max := s.PollMin, s.PollMax
		if min <= 0 {
			min = 250 * time.Millisecond
		}
		if max <= 0 {
			max = 10 * time.Second
		}
		s.poll = newPoller(min, max)
	}
	return s.poll
}

// sbatchTimeout bounds one sbatch call: it is never killed by the run's
// interrupt, or a job could be submitted without our learning its id.
const sbatchTimeout = time.Minute

// permanentRejection matches sbatch errors that no retry will fix: the
// request itself is wrong. Others (a busy or restarting controller,
// "Socket timed out", "temporarily unable") are retried.
var permanentRejection = regexp.MustCompile(`(?i)invalid|not available|requested than permitted|unrecognized option|unknown option|not permitted|exceeds|usage:`)

// submit calls sbatch with args until it gives a job id: at most
// SubmitTries times, doubling the wait after each rejection.
func (s *Slurm) submit(ctx context.Context, args []string) (string, error) {
	tries, wait := s.SubmitTries, s.SubmitBackoff
	if tries <= 0 {
		tries = 5
	}
	if wait <= 0 {
		wait = time.Second
	}
	for a := 1; ; a++ {
		if err := s.waitRate(ctx); err != nil {
			return "", err
		}
		out, msg, err := runTool(context.Background(), sbatchTimeout, "sbatch", args...)
		if err == nil {
			id, _, _ := strings.Cut(strings.TrimSpace(out), ";") // "ID;cluster" on federations
			if _, perr := strconv.ParseUint(id, 10, 64); perr == nil {
				return id, nil
			}
			err = fmt.Errorf("sbatch printed %q, not a job id", strings.TrimSpace(out))
		} else if msg != "" {
			err = errors.New(msg)
		}
		if a >= tries || permanentRejection.MatchString(err.Error()) {
			if a > 1 {
				return "", fmt.Errorf("sbatch failed %d times: %w", a, err)
			}
			return "", fmt.Errorf("sbatch failed: %w", err)
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return "", fmt.Errorf("interrupted: %w", ctx.Err())
		}
		wait *= 2
	}
}

// waitRate waits for the next sbatch slot under MaxSubmitRate.
func (s *Slurm) waitRate(ctx context.Context) error {
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	if s.MaxSubmitRate <= 0 {
		return nil
	}
	s.mu.Lock()
	now := time.Now()
	at := s.nextSend
	if at.Before(now) {
		at = now
	}
	s.nextSend = at.Add(time.Duration(float64(time.Second) / s.MaxSubmitRate))
	s.mu.Unlock()
	select {
	case <-time.After(time.Until(at)):
		return nil
	case <-ctx.Done():
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
}

// runTool runs a SLURM command and returns its stdout and its stderr's
// last line; err is set when it did not exit 0.
func runTool(ctx context.Context, timeout time.Duration, name string, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := osexec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	msg := strings.TrimSpace(stderr.String())
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = strings.TrimSpace(msg[i+1:])
	}
	if err != nil && msg == "" {
		msg = fmt.Sprintf("%s: %v", name, err)
	}
	return stdout.String(), msg, err
}

// copyFile copies src over dst, best effort: a missing src (the job
// never started) leaves dst empty.
func copyFile(src, dst string) {
	out, err := os.Create(dst)
	if err != nil {
		return
	}
	defer out.Close()
	if in, err := os.Open(src); err == nil {
		io.Copy(out, in)
		in.Close()
	}
}

// writeWallBenchmark writes a batch job's benchmark: only the wall time,
// from submission to the end seen by polling, is known to the submitter
// (without SLURM accounting there is no memory or CPU figure), so
// max_rss and cpu_time are NA.
func writeWallBenchmark(path string, wall time.Duration) error {
	sec := int(wall.Seconds())
	row := fmt.Sprintf("s\th:m:s\tmax_rss\tcpu_time\n%.4f\t%d:%02d:%02d\tNA\tNA\n",
		wall.Seconds(), sec/3600, sec/60%60, sec%60)
	return os.WriteFile(path, []byte(row), 0o644)
}

// orphanStates are the states of a job that may still write outputs.
const orphanStates = "PENDING,CONFIGURING,RUNNING,COMPLETING,SUSPENDED,REQUEUED,RESIZING"

// CancelOrphans finds the jobs that an earlier flowmake left in SLURM for
// the working directory dir, still queued or running (its flowmake was
// killed with -9, or the submitting machine died): jobs of the caller's
// user named flowmake-* whose working directory is dir. A run holds the
// directory's lock, so no live flowmake owns them. They are scancelled,
// and waited for (at most a minute) until none runs, so an orphan never
// writes into outputs the new run is making. (The killed run marked
// their outputs incomplete before submitting, so the new run reruns
// those jobs.) It returns the ids it cancelled.
func (s *Slurm) CancelOrphans(ctx context.Context, dir string) ([]string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	find := func() ([]string, error) {
		out, msg, err := runTool(ctx, toolTimeout, "squeue", "-h", "-u", strconv.Itoa(os.Getuid()), // not --me: SLURM < 20.11 lacks it
			"-t", orphanStates, "-o", "%i|%j|%Z")
		if err != nil {
			return nil, fmt.Errorf("squeue: %s", msg)
		}
		var ids []string
		for _, line := range strings.Split(out, "\n") {
			f := strings.SplitN(strings.TrimSpace(line), "|", 3)
			if len(f) == 3 && strings.HasPrefix(f[1], "flowmake-") && filepath.Clean(f[2]) == dir {
				ids = append(ids, f[0])
			}
		}
		return ids, nil
	}
	ids, err := find()
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	if _, msg, err := runTool(ctx, toolTimeout, "scancel", ids...); err != nil {
		return nil, fmt.Errorf("scancel: %s", msg)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		left, err := find()
		if err != nil || len(left) == 0 {
			return ids, err
		}
		if time.Now().After(deadline) {
			return ids, fmt.Errorf("jobs %s of an earlier run are still running a minute after scancel", strings.Join(left, ","))
		}
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			return ids, ctx.Err()
		}
	}
}
