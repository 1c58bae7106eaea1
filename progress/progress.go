// Package progress is what a run shows on the terminal: an exec.Status
// that draws a live bar with the jobs running now, or prints plain lines,
// and the writers a job's output reaches the terminal through.
//
// Live mode (stdout and stderr terminals, CI unset, TERM not dumb) draws,
// on stderr, a bar of finished/total jobs with the elapsed time and an
// ETA, and under it the jobs running now with their elapsed times. Lines
// (finished jobs, failures, job output) go above the bar. Plain mode
// prints the same lines and no bar, for logs and CI.
//
// The bar is drawn with github.com/vbauerster/mpb/v8 rather than ANSI
// codes written by hand. What is hard about a live display is not the
// escape codes but the rest: redrawing a block of several lines whose
// height changes, measuring and truncating to the terminal's width so a
// line never wraps (which would shift every redraw by a line), printing
// lines above the block without tearing it, and a clean end that removes
// the block. mpb does all of that behind io.Writer (Progress.Write puts
// lines above the bars) and extender rows (one per running job); it is
// maintained (v8 has had releases for years), small, and pulls in only
// go-runewidth, an ANSI stripper and its own cursor writer.
//
// A job's output is grouped: its lines are kept until the job ends and
// then printed together, each prefixed with the job's name ("count
// sample=a | line"), so parallel jobs never interleave. A job that runs
// longer than StreamAfter, or prints more than GroupLimit, switches to
// streaming its lines, still prefixed, so a long job is visible while it
// runs. At -j1 lines stream at once; without a bar they are unprefixed,
// as Snakemake prints them. Only whole lines are ever written, and in
// plain mode a job's stdout stays on stdout and its stderr on stderr.
// The capture under .flowmake/log is exec.Local's and stays complete.
package progress

import (
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/exec"
)

// Options configure a Display.
type Options struct {
	// Stdout and Stderr are where the run's output goes: the bar and the
	// status lines on Stderr; in plain mode jobs' stdout on Stdout.
	Stdout, Stderr io.Writer
	Live           bool // draw the bar (see Detect)
	Color          bool // ANSI colours (see Detect)
	PrintCommands  bool // -p
	Reasons        bool // -r
	Quiet          bool // -q: only failures and an unsuccessful end
	// Cores is the number of job slots, for the ETA and for streaming
	// (at 1 job output streams at once).
	Cores int
	// Means are the mean durations of each rule's jobs in earlier runs,
	// and Planned the number of jobs of each rule the run starts with:
	// the ETA is their remaining work over the slots. Without them it
	// comes from this run's own durations.
	Means   map[string]time.Duration
	Planned map[string]int
	// StreamAfter (0: 5s) and GroupLimit (0: 64 KiB) are when a job's
	// grouped output starts streaming.
	StreamAfter time.Duration
	GroupLimit  int
}

// Detect says whether a run draws the live bar and uses colour: live
// when stdout and stderr are terminals, CI is unset and TERM is not
// dumb; colour only when live and NO_COLOR is unset (any value, even
// empty, disables it: https://no-color.org).
func Detect(stdout, stderr io.Writer, getenv func(string) (string, bool)) (live, color bool) {
	if _, ci := getenv("CI"); ci {
		return false, false
	}
	if term, _ := getenv("TERM"); term == "dumb" {
		return false, false
	}
	if !isTerminal(stdout) || !isTerminal(stderr) {
		return false, false
	}
	_, noColor := getenv("NO_COLOR")
	return true, !noColor
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// Display is the run's exec.Status and the source of its jobs' output
// writers (JobOutput, for exec.Local.Output).
type Display struct {
	opts    Options
	printer *exec.Printer
	out     emitter
	live    *live // nil in plain mode

	mu   sync.Mutex
	jobs map[string]*dag.Job // running, by Spec.Name: JobOutput's prefix
}

// New returns a Display. In live mode the bar appears with the first
// started job, so a run that fails before starting anything leaves no
// trace of it.
func New(o Options) *Display {
	if o.StreamAfter <= 0 {
		o.StreamAfter = 5 * time.Second
	}
	if o.GroupLimit <= 0 {
		o.GroupLimit = 64 << 10
	}
	if o.Quiet {
		o.Live = false // -q: quiet on a terminal too, no bar
	}
	d := &Display{opts: o, jobs: map[string]*dag.Job{}}
	if o.Live {
		d.live = newLive(o)
		d.out = d.live
	} else {
		d.out = &plainEmitter{stdout: o.Stdout, stderr: o.Stderr}
	}
	d.printer = &exec.Printer{
		W:             emitWriter{d.out, stderrStream},
		PrintCommands: o.PrintCommands,
		Reasons:       o.Reasons,
		Quiet:         o.Quiet,
		Color:         o.Color && o.Live,
	}
	return d
}

// Started implements exec.Status.
func (d *Display) Started(j *dag.Job, spec exec.Spec, n, total int) {
	d.mu.Lock()
	d.jobs[spec.Name] = j
	d.mu.Unlock()
	if d.live != nil {
		d.live.started(j, total)
	}
	d.printer.Started(j, spec, n, total)
}

// Finished implements exec.Status.
func (d *Display) Finished(j *dag.Job, spec exec.Spec, r exec.Result) {
	d.mu.Lock()
	delete(d.jobs, spec.Name)
	d.mu.Unlock()
	d.printer.Finished(j, spec, r)
	if d.live != nil {
		d.live.finished(j, r)
	}
}

// Done implements exec.Status: the bar is removed, then the summary is
// the last line.
func (d *Display) Done(s exec.Summary) {
	if d.live != nil {
		d.live.stop()
	}
	p := &exec.Printer{W: d.opts.Stderr, Quiet: d.opts.Quiet}
	p.Done(s)
}

// stream tells a job's stdout from its stderr.
type stream int

const (
	stdoutStream stream = iota
	stderrStream
)

// emitter puts whole lines on the terminal; emit is safe for concurrent
// use and writes the chunks of one call together.
type emitter interface {
	emit(chunks ...chunk)
}

// emitWriter is an emitter as an io.Writer, for the Printer, which
// writes whole lines.
type emitWriter struct {
	e emitter
	s stream
}

func (w emitWriter) Write(p []byte) (int, error) {
	w.e.emit(chunk{w.s, p})
	return len(p), nil
}

// plainEmitter writes to stdout and stderr under one lock, so a line on
// one never lands inside a line on the other when both are the same
// terminal or file.
type plainEmitter struct {
	mu             sync.Mutex
	stdout, stderr io.Writer
}

func (e *plainEmitter) emit(chunks ...chunk) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range chunks {
		w := e.stderr
		if c.s == stdoutStream {
			w = e.stdout
		}
		w.Write(c.lines)
	}
}
