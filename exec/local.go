package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	osexec "os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/flowmake/flowmake/workdir"
)

// Local runs jobs as processes on this machine: a command under
// `bash -euo pipefail -c` (from a file when too long for one argument,
// see maxArgCommand; exec'd without bash when it has no shell syntax at
// all, see direct.go), a script by its extension. Each job is its own
// process group, so stopping a job stops everything it started; when the
// job's main process ends, whatever it left running in its group is
// killed, so no process outlives its job.
//
// A job's stdout and stderr go to the terminal, as in Snakemake (the
// rule's log files are the command's to write), and with Spec.Capture
// also to that file.
type Local struct {
	// Stdout and Stderr receive a job's output; nil means os.Stdout and
	// os.Stderr. Writers may be shared by concurrent jobs: writes to
	// them are serialized.
	Stdout, Stderr io.Writer
	// Output, when set, gives each job writers of its own for its stdout
	// and stderr in place of Stdout and Stderr, so a display can group or
	// prefix a job's lines; done is called once the job's output was
	// drained. The same writer for both keeps them in one pipe, in order.
	Output func(spec Spec) (stdout, stderr io.Writer, done func())
	// Grace is the time between SIGTERM and SIGKILL for a cancelled job
	// whose Spec.Kill is nil; 0 means DefaultGrace.
	Grace time.Duration
}

// pollGroup is how often a stopping job's process group is checked for
// members left.
const pollGroup = 20 * time.Millisecond

// pipeDrain bounds the wait for output still in a pipe after a job's
// group is dead; a process that escaped the group (setsid) may hold the
// pipe open forever.
const pipeDrain = time.Second

// Run runs spec to completion, or until ctx is cancelled: then the job's
// process group gets SIGTERM, and SIGKILL once spec.Kill is closed (or
// after Grace when it is nil) if anything in it is still alive.
func (l Local) Run(ctx context.Context, spec Spec) Result { return timed(ctx, spec, l.run) }

// timed is an executor's Run around its run: the result's times, and an
// error for a job that was cancelled before it started or could not be
// started (run's error; a job that ran and failed has its exit code).
func timed(ctx context.Context, spec Spec, run func(context.Context, Spec, *Result) error) Result {
	r := Result{ExitCode: -1, Start: time.Now()}
	if err := ctx.Err(); err != nil {
		r.Err = fmt.Errorf("interrupted: %w", err)
	} else if err := run(ctx, spec, &r); err != nil {
		r.Err = err
	}
	r.End = time.Now()
	return r
}

// run fills r from the finished process; the error is a failure to start.
func (l Local) run(ctx context.Context, spec Spec, r *Result) error {
	r.Host, r.Executor = hostname(), "local"
	wd := workdir.Dir(spec.Dir)
	dirsFor := append([]string{spec.Benchmark, spec.Capture}, spec.Outputs...)
	for _, p := range append(dirsFor, spec.Logs...) {
		if p == "" {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(wd.Path(p)), 0o777); err != nil {
			return err
		}
	}
	if spec.Command == "" && spec.Script == "" {
		// A rule without shell or script (an "all" rule, touch() outputs)
		// has nothing to run and succeeds.
		r.ExitCode = 0
		return nil
	}
	// As Snakemake does: a log of an earlier run is removed, so a failure
	// never shows stale lines, and a log the command did not write exists
	// afterwards, empty.
	for _, p := range spec.Logs {
		if err := os.Remove(wd.Path(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove old log %s: %w", p, err)
		}
	}
	defer createMissing(wd, spec.Logs)
	file := ""
	if spec.Script == "" && len(spec.Command) > maxArgCommand {
		f, temp, err := writeCommandFile(spec)
		if err != nil {
			return err
		}
		file = f
		// Kept after the job itself failed, for the failure message to
		// point at; a temporary file always goes.
		defer func() {
			if temp || r.Err != nil || (r.ExitCode == 0 && r.Signal == 0) {
				os.Remove(f)
			}
		}()
	}
	args, err := commandLine(spec, file)
	if err != nil {
		return err
	}
	cmd := command(args)
	cmd.Dir = spec.Dir
	cmd.Env = append(os.Environ(), spec.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if spec.Script != "" {
		// Scripts read the job from a file, not the command line: params
		// and config may be large and hold anything.
		jobFile, err := writeJobFile(spec.JobJSON)
		if err != nil {
			return err
		}
		defer os.Remove(jobFile)
		cmd.Env = append(cmd.Env, "FLOWMAKE_JOB="+jobFile)
	}

	stdout, stderr := l.Stdout, l.Stderr
	if l.Output != nil {
		var done func()
		stdout, stderr, done = l.Output(spec)
		defer done() // deferred first, so it runs after out.close: no copier writes any more
	}
	var out outputs
	defer out.close()
	if stdout == nil {
		stdout = os.Stdout
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	var capture io.Writer
	if spec.Capture != "" {
		// An earlier run's capture must not pass for this run's: it goes
		// now, and the file is made when the job first prints, so a job
		// that prints nothing costs no file (creating one was about a
		// fifth of flowmake's own time on trivial jobs).
		c := &captureFile{path: wd.Path(spec.Capture)}
		// Unlink, not os.Remove: that tries rmdir after a failed unlink,
		// a second system call for every job that has no capture yet.
		if err := syscall.Unlink(c.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("capture output: %w", &fs.PathError{Op: "remove", Path: c.path, Err: err})
		}
		out.capture = c
		capture = c
	}
	if cmd.Stdout, err = out.attach(stdout, capture); err != nil {
		return err
	}
	if same(stdout, stderr) {
		cmd.Stderr = cmd.Stdout // one pipe keeps their order
	} else if cmd.Stderr, err = out.attach(stderr, capture); err != nil {
		return err
	}

	if d, ok := startDirect(cmd, spec, file); ok {
		cmd = d // bash would only have exec'd it (direct.go)
	} else if err := cmd.Start(); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	out.started() // the child has its copies of the pipes' write ends
	interrupted := l.wait(ctx, cmd, spec.Kill)
	out.drain()

	r.Usage = usageOf(cmd.ProcessState)
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled():
		r.Signal = int(ws.Signal())
	default:
		r.ExitCode = ws.ExitStatus()
	}
	if interrupted {
		// Even an exit 0 after SIGTERM may have left outputs half-written.
		r.Err = fmt.Errorf("interrupted: %w", ctx.Err())
		return nil
	}
	if spec.Benchmark != "" && r.ExitCode == 0 && r.Signal == 0 {
		if err := writeBenchmark(wd.Path(spec.Benchmark), time.Since(r.Start), cmd.ProcessState); err != nil {
			return fmt.Errorf("write benchmark %s: %w", spec.Benchmark, err)
		}
	}
	return nil
}

// command is osexec.Command(args[0], args[1:]...) with the program's
// lookup in PATH done once per name and PATH: a run starts bash for
// every job. Argument 0 stays as given, as bash's $0.
func command(args []string) *osexec.Cmd {
	key := args[0] + "\x00" + os.Getenv("PATH")
	if p, ok := lookedUp.Load(key); ok {
		return &osexec.Cmd{Path: p.(string), Args: args}
	}
	cmd := osexec.Command(args[0], args[1:]...)
	if cmd.Err == nil && filepath.IsAbs(cmd.Path) && !strings.ContainsRune(args[0], '/') {
		lookedUp.Store(key, cmd.Path)
	}
	return cmd
}

// lookedUp caches command's lookups: name NUL PATH -> absolute path.
var lookedUp sync.Map

// hostname is os.Hostname, read once: every job of a run asks.
var hostname = sync.OnceValue(func() string {
	h, _ := os.Hostname()
	return h
})

// usageOf reads wait4's rusage: it covers the children the job's shell
// waited for, so a pipeline's busiest stage sets MaxRSS.
func usageOf(ps *os.ProcessState) Usage {
	u := Usage{UserCPU: ps.UserTime(), SysCPU: ps.SystemTime()}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		u.MaxRSS = ru.Maxrss * 1024 // Linux reports KiB
	}
	return u
}

// writeBenchmark writes a job's figures as a tab-separated header and row,
// in Snakemake's units: wall seconds, the same as h:m:s, peak resident
// memory in MB and CPU seconds. The process's rusage covers the children
// it waited for, so a pipeline's busiest stage sets max_rss.
func writeBenchmark(path string, wall time.Duration, ps *os.ProcessState) error {
	var maxRSS float64
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		maxRSS = float64(ru.Maxrss) / 1024 // Linux reports KB
	}
	cpu := (ps.UserTime() + ps.SystemTime()).Seconds()
	sec := int(wall.Seconds())
	row := fmt.Sprintf("s\th:m:s\tmax_rss\tcpu_time\n%.4f\t%d:%02d:%02d\t%.2f\t%.2f\n",
		wall.Seconds(), sec/3600, sec/60%60, sec%60, maxRSS, cpu)
	return os.WriteFile(path, []byte(row), 0o644)
}

// wait waits for the job. On cancellation it sends SIGTERM to the group,
// then waits until the group is empty, or kill is closed (or the grace
// period ends) and sends SIGKILL. Either way nothing of the group is
// left when it returns. It reports whether the job was interrupted.
//
// A group id is signalled only while it was seen alive moments before:
// pids are handed out cyclically, so a group id freed milliseconds ago
// is not someone else's yet.
func (l Local) wait(ctx context.Context, cmd *osexec.Cmd, kill <-chan struct{}) bool {
	pgid := cmd.Process.Pid
	waited := make(chan struct{})
	go func() {
		cmd.Wait() // the exit status is read from cmd.ProcessState
		close(waited)
	}()
	select {
	case <-waited:
		syscall.Kill(-pgid, syscall.SIGKILL) // stragglers of a finished job
		return false
	case <-ctx.Done():
	}
	syscall.Kill(-pgid, syscall.SIGTERM)
	var deadline <-chan time.Time
	if kill == nil {
		grace := l.Grace
		if grace <= 0 {
			grace = DefaultGrace
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		deadline = t.C
	}
	tick := time.NewTicker(pollGroup)
	defer tick.Stop()
	exited := false
	for stop := false; !stop; {
		select {
		case <-waited:
			exited, waited = true, nil // a nil channel is never selected again
		case <-tick.C:
			if exited && !groupAlive(pgid) {
				return true // the whole group ended within the grace period
			}
		case <-kill:
			stop = true
		case <-deadline:
			stop = true
		}
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
	if !exited {
		<-waited
	}
	return true
}

// commandLine is what runs: the shell command (from file when it was
// too long for the command line), or the script by its extension
// (.py python3 behind the snakemake-object prelude, .sh bash, .R
// Rscript; anything else is executed itself and needs its #! line and
// execute bit).
func commandLine(spec Spec, file string) ([]string, error) {
	if spec.Script == "" {
		if file != "" {
			// The same shell and options; only $0 differs (the
			// file's path instead of "bash").
			return []string{"bash", "-euo", "pipefail", file}, nil
		}
		return []string{"bash", "-euo", "pipefail", "-c", spec.Command}, nil
	}
	switch strings.ToLower(filepath.Ext(spec.Script)) {
	case ".py":
		return []string{"python3", "-c", pythonPrelude, spec.Script}, nil
	case ".sh", ".bash":
		return []string{"bash", spec.Script}, nil
	case ".r":
		return []string{"Rscript", spec.Script}, nil
	}
	// Run by path, never looked up in PATH.
	p, err := filepath.Abs(workdir.Dir(spec.Dir).Path(spec.Script))
	if err != nil {
		return nil, err
	}
	return []string{p}, nil
}

func writeJobFile(doc []byte) (string, error) {
	f, err := os.CreateTemp("", "flowmake-job-*.json")
	if err != nil {
		return "", fmt.Errorf("write job file: %w", err)
	}
	_, err = f.Write(doc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("write job file: %w", err)
	}
	return f.Name(), nil
}

// createMissing creates the files of paths that do not exist, empty.
func createMissing(wd workdir.Dir, paths []string) {
	for _, p := range paths {
		f, err := os.OpenFile(wd.Path(p), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			f.Close()
		}
	}
}

// captureFile is a job's capture: created on the first write, which the
// stdout and stderr copiers serialize here. A file that cannot be created
// then drops the capture, not the job (as a full disk does).
type captureFile struct {
	path string
	mu   sync.Mutex
	f    *os.File
	err  error
}

func (c *captureFile) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil && c.err == nil {
		c.f, c.err = os.Create(c.path)
	}
	if c.err != nil {
		return 0, c.err
	}
	return c.f.Write(p)
}

// close ends the capture; a copier's write after it (one that outlived
// the drain) makes no file.
func (c *captureFile) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f != nil {
		c.f.Close()
	}
	c.err = os.ErrClosed
}

// outputs are the files and pipes of one job's output. Writers that are
// not files get a pipe and a copier of our own instead of os/exec's, so
// Wait never blocks on a pipe that a leftover process holds open: we
// kill the group first and then drain.
type outputs struct {
	capture *captureFile // closed at the end
	writeTo []*os.File   // pipe write ends, closed once the child started
	readers []*os.File
	wg      sync.WaitGroup
}

// copyBuffers are the copiers' buffers: two per job that prints through
// a pipe, which would otherwise be most of what a run of short jobs
// allocates.
var copyBuffers = sync.Pool{New: func() any {
	b := make([]byte, 32<<10)
	return &b
}}

// writeMu serializes writes of all jobs to shared non-file writers.
var writeMu sync.Mutex

// attach returns what the child writes one stream to: w itself when it
// is a file and there is no capture, else a pipe whose copier writes to
// capture (when not nil) and w.
func (o *outputs) attach(w io.Writer, capture io.Writer) (io.Writer, error) {
	if f, ok := w.(*os.File); ok && capture == nil {
		return f, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	o.writeTo = append(o.writeTo, pw)
	o.readers = append(o.readers, pr)
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		bp := copyBuffers.Get().(*[]byte)
		defer copyBuffers.Put(bp)
		buf := *bp
		for {
			n, err := pr.Read(buf)
			if n > 0 {
				if capture != nil {
					capture.Write(buf[:n]) // a full disk must not stop the job
				}
				writeMu.Lock()
				w.Write(buf[:n])
				writeMu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	return pw, nil
}

func (o *outputs) started() {
	for _, f := range o.writeTo {
		f.Close()
	}
	o.writeTo = nil
}

// drain waits for the copiers to reach the end of their pipes, for at
// most pipeDrain.
func (o *outputs) drain() {
	done := make(chan struct{})
	go func() { o.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(pipeDrain):
	}
}

func (o *outputs) close() {
	for _, f := range o.writeTo {
		f.Close()
	}
	for _, f := range o.readers {
		f.Close() // ends a copier stuck on a pipe held by an escaped process
	}
	if o.capture != nil {
		o.capture.close()
	}
}

// same reports whether two writers are the same one, without panicking
// on writers of incomparable types.
func same(a, b io.Writer) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta != nil && ta.Comparable() && a == b
}
