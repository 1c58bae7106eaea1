package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/rules"
	"github.com/flowmake/flowmake/workdir"
)

// Status hears what a run does, on the scheduler goroutine: the plain
// Printer, a progress bar or the run history implement it.
type Status interface {
	// Started: job n of total (total may grow after checkpoints).
	Started(j *dag.Job, spec Spec, n, total int)
	// Finished: every started job, and jobs failed before starting.
	// Failed is !r.OK(); an interrupted job has r.Err wrapping
	// context.Canceled (or DeadlineExceeded).
	Finished(j *dag.Job, spec Spec, r Result)
	// Done: the run is over.
	Done(s Summary)
}

type nopStatus struct{}

func (nopStatus) Started(*dag.Job, Spec, int, int) {}
func (nopStatus) Finished(*dag.Job, Spec, Result)  {}
func (nopStatus) Done(Summary)                     {}

// Printer is the plain status: a line per finished job, "[k/n] done
// count (sample=a) in 1.2s" with k the jobs done so far and n the run's
// total, a block per failure with the command and the tail of the log,
// and a count at the end. A job's start is shown only when there is
// something to say: its message, with PrintCommands its command, with
// Reasons why it runs. It is safe for concurrent use.
type Printer struct {
	W             io.Writer // usually stderr
	PrintCommands bool      // -p: the command under each started job
	Reasons       bool      // -r: why each started job runs
	Quiet         bool      // only failures and an unsuccessful end
	Color         bool      // ANSI colours for done and FAILED (a live terminal without NO_COLOR)
	TailLines     int       // log lines shown for a failure; 0 means 10

	mu          sync.Mutex
	done, total int
}

// NewPrinter returns a Printer writing to w.
func NewPrinter(w io.Writer) *Printer { return &Printer{W: w} }

// ANSI colours, used only when Printer.Color is set.
const (
	colorGreen = "\x1b[32m"
	colorRed   = "\x1b[1;31m"
	colorReset = "\x1b[0m"
)

func (p *Printer) paint(s, color string) string {
	if !p.Color {
		return s
	}
	return color + s + colorReset
}

// Started notes the total and, when there is something to say, prints
// "start count (sample=a): message", then the command (PrintCommands)
// and the reason (Reasons), as one write so nothing comes between them.
func (p *Printer) Started(j *dag.Job, spec Spec, n, total int) {
	p.mu.Lock()
	p.total = max(p.total, total)
	p.mu.Unlock()
	if p.Quiet {
		return
	}
	message := ""
	if j.Spec != nil {
		message = j.Spec.Message
	}
	if message == "" && !p.PrintCommands && !p.Reasons {
		return
	}
	var b strings.Builder
	b.WriteString("start ")
	b.WriteString(jobName(j))
	if message != "" {
		b.WriteString(": ")
		b.WriteString(message)
	}
	b.WriteByte('\n')
	if p.PrintCommands {
		writeCommand(&b, spec)
	}
	if p.Reasons {
		fmt.Fprintf(&b, "    reason: %s\n", j.Reason)
	}
	p.write(b.String())
}

// Finished prints "[k/n] done ..." for a success, and for a failure
// "FAILED rule align (sample=A), exit 1", the command (shortened when
// long) and the last lines of the logs.
func (p *Printer) Finished(j *dag.Job, spec Spec, r Result) {
	if r.OK() {
		p.mu.Lock()
		p.done++
		k, n := p.done, max(p.total, p.done)
		p.mu.Unlock()
		if !p.Quiet {
			p.write(fmt.Sprintf("[%d/%d] %s %s in %s\n", k, n, p.paint("done", colorGreen), jobName(j), formatElapsed(r.End.Sub(r.Start))))
		}
		return
	}
	var b strings.Builder
	if errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, context.DeadlineExceeded) {
		if p.Quiet {
			return
		}
		fmt.Fprintf(&b, "%s rule %s\n", p.paint("INTERRUPTED", colorRed), spec.Name)
		p.write(b.String())
		return
	}
	fmt.Fprintf(&b, "%s rule %s, %s", p.paint("FAILED", colorRed), spec.Name, describe(r))
	if r.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", r.Attempts)
	}
	b.WriteByte('\n')
	writeCommand(&b, shortCommand(spec))
	n := p.TailLines
	if n <= 0 {
		n = 10
	}
	// The rule's logs, then what the job printed: a log may hold only
	// what the command sent there (2> ${log}).
	for _, l := range spec.Logs {
		writeTail(&b, workdir.Dir(spec.Dir).Path(l), n, "log "+l)
	}
	if spec.Capture != "" {
		writeTail(&b, workdir.Dir(spec.Dir).Path(spec.Capture), n, "output, in full in "+spec.Capture)
	}
	p.write(b.String())
}

// writeTail writes the last n lines of a file under a heading, nothing
// when the file is missing or empty.
func writeTail(b *strings.Builder, file string, n int, heading string) {
	tail, err := TailLines(file, n)
	if err != nil || len(tail) == 0 {
		return
	}
	fmt.Fprintf(b, "    %s (last lines):\n", heading)
	for _, l := range strings.Split(strings.TrimRight(string(tail), "\n"), "\n") {
		b.WriteString("      ")
		b.WriteString(l)
		b.WriteByte('\n')
	}
}

// Done prints "12 of 12 steps (100%) done in 4.2s", or what went wrong.
func (p *Printer) Done(s Summary) {
	bad := s.Failed > 0 || s.Interrupted
	if p.Quiet && !bad {
		return
	}
	if s.Total == 0 {
		p.write("nothing to be done\n")
		return
	}
	line := fmt.Sprintf("%d of %d steps (%d%%) done", s.Done, s.Total, s.Done*100/s.Total)
	switch {
	case s.Interrupted:
		line += fmt.Sprintf("; interrupted, %d stopped", len(s.Stopped))
		if s.Failed > 0 {
			line += fmt.Sprintf(", %d failed", s.Failed)
		}
	case s.Failed > 0:
		line += fmt.Sprintf("; %d failed, %d skipped", s.Failed, s.Skipped)
	default:
		line += " in " + formatElapsed(s.Elapsed)
	}
	p.write(line + "\n")
}

func (p *Printer) write(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	io.WriteString(p.W, s)
}

// jobName is a job in status lines: rules.JobName's Plain form,
// "count (sample=a)".
func jobName(j *dag.Job) string {
	if j.Spec == nil || j.Spec.Rule == nil {
		return j.Key
	}
	return rules.JobName(j.Spec.Rule.Name, j.Spec.Wildcards, rules.Plain)
}

func writeCommand(b *strings.Builder, spec Spec) {
	cmd := spec.Command
	if spec.Script != "" {
		cmd = "script " + spec.Script
	}
	if cmd == "" {
		return
	}
	for _, l := range strings.Split(strings.TrimRight(cmd, "\n"), "\n") {
		b.WriteString("    ")
		b.WriteString(l)
		b.WriteByte('\n')
	}
}

// describe says how a job ended: "exit 1", "signal 9 (killed)", or the error.
func describe(r Result) string {
	var parts []string
	switch {
	case r.Signal != 0:
		parts = append(parts, fmt.Sprintf("signal %d (%s)", r.Signal, syscall.Signal(r.Signal)))
	case r.ExitCode > 0:
		parts = append(parts, fmt.Sprintf("exit %d", r.ExitCode))
	}
	if r.Err != nil {
		parts = append(parts, r.Err.Error())
	}
	if len(parts) == 0 {
		return "failed"
	}
	return strings.Join(parts, ": ")
}

// FormatElapsed is a duration as status lines show it: "4.2s" under a
// minute, else rounded to the second ("1m30s").
func FormatElapsed(d time.Duration) string { return formatElapsed(d) }

func formatElapsed(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// TailLines returns the last n lines of a file, reading backwards from
// the end in blocks so a large log costs only its tail (at most 64 KiB).
func TailLines(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	const block, limit = 4096, 64 << 10
	end := fi.Size()
	var buf []byte
	for end > 0 && len(buf) < limit {
		start := max(end-block, 0)
		chunk := make([]byte, end-start)
		if _, err := f.ReadAt(chunk, start); err != nil && err != io.EOF {
			return nil, err
		}
		buf = append(chunk, buf...)
		end = start
		// n lines need n newlines before them, beside a final one.
		if bytes.Count(bytes.TrimRight(buf, "\n"), []byte{'\n'}) >= n {
			break
		}
	}
	buf = bytes.TrimRight(buf, "\n")
	i := len(buf)
	for k := 0; k < n; k++ {
		j := bytes.LastIndexByte(buf[:i], '\n')
		if j < 0 {
			return buf, nil // fewer lines than asked (or a partial first line at the limit)
		}
		i = j
	}
	return buf[i+1:], nil
}
