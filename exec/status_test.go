package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/rules"
)

func countJob(sample, message string) *dag.Job {
	return &dag.Job{Key: "count/" + sample, Spec: &rules.Job{
		Rule:      &rules.Rule{Name: "count"},
		Wildcards: map[string]string{"sample": sample},
		Message:   message,
	}}
}

func TestPrinterStarted(t *testing.T) {
	reasoned := countJob("a", "")
	reasoned.Reason = dag.Reason{Kind: dag.MissingOutput, Path: "counts/a.txt"}
	tests := []struct {
		name   string
		p      *Printer
		job    *dag.Job
		spec   Spec
		n, tot int
		want   string
	}{
		{"nothing to say", &Printer{}, countJob("a", ""), Spec{Command: "wc -l"}, 3, 12, ""},
		{"message", &Printer{}, countJob("a", "counting a"), Spec{}, 1, 2, "start count (sample=a): counting a\n"},
		{"no wildcards", &Printer{}, &dag.Job{Spec: &rules.Job{Rule: &rules.Rule{Name: "all"}, Message: "m"}}, Spec{}, 1, 1, "start all: m\n"},
		{"print commands", &Printer{PrintCommands: true}, countJob("a", ""), Spec{Command: "wc -l a \\\n  > b\n"}, 1, 1,
			"start count (sample=a)\n    wc -l a \\\n      > b\n"},
		{"print script", &Printer{PrintCommands: true}, countJob("a", ""), Spec{Script: "s.py"}, 1, 1,
			"start count (sample=a)\n    script s.py\n"},
		{"reason after the command", &Printer{PrintCommands: true, Reasons: true}, reasoned, Spec{Command: "wc"}, 1, 1,
			"start count (sample=a)\n    wc\n    reason: missing output: counts/a.txt\n"},
		{"quiet", &Printer{Quiet: true, PrintCommands: true, Reasons: true}, countJob("a", "m"), Spec{Command: "x"}, 1, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.p.W = &buf
			tt.p.Started(tt.job, tt.spec, tt.n, tt.tot)
			if buf.String() != tt.want {
				t.Errorf("got\n%q\nwant\n%q", buf.String(), tt.want)
			}
		})
	}
}

// TestPrinterDoneLines: a line per finished job, counting the jobs done
// (not started) against the latest total, which grows after checkpoints.
func TestPrinterDoneLines(t *testing.T) {
	var buf bytes.Buffer
	p := &Printer{W: &buf}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, b, c := countJob("a", ""), countJob("b", ""), countJob("c", "")
	p.Started(a, Spec{}, 1, 2)
	p.Started(b, Spec{}, 2, 2)
	p.Finished(b, Spec{}, Result{Start: start, End: start.Add(1234 * time.Millisecond)})
	p.Started(c, Spec{}, 3, 3)
	p.Finished(a, Spec{Name: "count (sample=a)"}, Result{ExitCode: 1, Start: start, End: start})
	p.Finished(c, Spec{}, Result{Start: start, End: start.Add(61 * time.Second)})
	want := "[1/2] done count (sample=b) in 1.2s\n" +
		"FAILED rule count (sample=a), exit 1\n" +
		"[2/3] done count (sample=c) in 1m1s\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}

	buf.Reset()
	q := &Printer{W: &buf, Quiet: true}
	q.Started(a, Spec{}, 1, 1)
	q.Finished(a, Spec{}, Result{Start: start, End: start})
	if buf.Len() != 0 {
		t.Errorf("quiet printed %q for a success", buf.String())
	}

	buf.Reset()
	colored := &Printer{W: &buf, Color: true}
	colored.Started(a, Spec{}, 1, 1)
	colored.Finished(a, Spec{}, Result{Start: start, End: start})
	colored.Finished(b, Spec{Name: "count (sample=b)"}, Result{ExitCode: 2})
	if got := buf.String(); !strings.HasPrefix(got, "[1/1] "+colorGreen+"done"+colorReset+" count (sample=a)") ||
		!strings.Contains(got, colorRed+"FAILED"+colorReset+" rule count (sample=b), exit 2") {
		t.Errorf("colours missing:\n%q", got)
	}
}

func TestPrinterFinished(t *testing.T) {
	dir := t.TempDir()
	var log strings.Builder
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&log, "line %d\n", i)
	}
	os.WriteFile(filepath.Join(dir, "align.log"), []byte(log.String()), 0o644)
	spec := Spec{Name: "align (sample=A)", Command: "bwa mem ref A.fq > A.bam", Dir: dir}
	os.WriteFile(filepath.Join(dir, "capture.log"), []byte("printed 1\nprinted 2\n"), 0o644)
	withLog := spec
	withLog.Logs = []string{"align.log", "never-written.log"}
	tail := "    log align.log (last lines):\n"
	for i := 11; i <= 20; i++ {
		tail += fmt.Sprintf("      line %d\n", i)
	}
	withCapture := withLog
	withCapture.Capture = "capture.log"
	captured := "    output, in full in capture.log (last lines):\n      printed 1\n      printed 2\n"
	onlyCapture := spec
	onlyCapture.Capture = "capture.log"
	tests := []struct {
		name  string
		quiet bool
		spec  Spec
		r     Result
		want  string
	}{
		{"success", false, spec, Result{}, "[1/1] done count (sample=A) in 0.0s\n"},
		{"success, quiet", true, spec, Result{}, ""},
		{"exit", false, spec, Result{ExitCode: 1, Attempts: 1},
			"FAILED rule align (sample=A), exit 1\n    bwa mem ref A.fq > A.bam\n"},
		{"log tail, even when quiet", true, withLog, Result{ExitCode: 2},
			"FAILED rule align (sample=A), exit 2\n    bwa mem ref A.fq > A.bam\n" + tail},
		{"log tail, then the captured output", false, withCapture, Result{ExitCode: 1},
			"FAILED rule align (sample=A), exit 1\n    bwa mem ref A.fq > A.bam\n" + tail + captured},
		{"captured output without a log", false, onlyCapture, Result{ExitCode: 1},
			"FAILED rule align (sample=A), exit 1\n    bwa mem ref A.fq > A.bam\n" + captured},
		{"signal", false, spec, Result{ExitCode: -1, Signal: 9},
			"FAILED rule align (sample=A), signal 9 (killed)\n    bwa mem ref A.fq > A.bam\n"},
		{"missing output after retries", false, spec, Result{Err: errors.New("missing output A.bam"), Attempts: 3},
			"FAILED rule align (sample=A), missing output A.bam (after 3 attempts)\n    bwa mem ref A.fq > A.bam\n"},
		{"interrupted", false, spec, Result{ExitCode: -1, Signal: 15, Err: fmt.Errorf("interrupted: %w", context.Canceled)},
			"INTERRUPTED rule align (sample=A)\n"},
		{"interrupted, quiet", true, spec, Result{ExitCode: -1, Err: context.Canceled}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := &Printer{W: &buf, Quiet: tt.quiet}
			p.Finished(countJob("A", ""), tt.spec, tt.r)
			if buf.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", buf.String(), tt.want)
			}
		})
	}
}

func TestPrinterDone(t *testing.T) {
	tests := []struct {
		name  string
		quiet bool
		s     Summary
		want  string
	}{
		{"all done", false, Summary{Total: 12, Done: 12, Elapsed: 4200 * time.Millisecond}, "12 of 12 steps (100%) done in 4.2s\n"},
		{"minutes", false, Summary{Total: 1, Done: 1, Elapsed: 90*time.Second + 400*time.Millisecond}, "1 of 1 steps (100%) done in 1m30s\n"},
		{"failures", false, Summary{Total: 12, Done: 3, Failed: 1, Skipped: 8}, "3 of 12 steps (25%) done; 1 failed, 8 skipped\n"},
		{"failures, quiet", true, Summary{Total: 12, Done: 3, Failed: 1, Skipped: 8}, "3 of 12 steps (25%) done; 1 failed, 8 skipped\n"},
		{"interrupted", false, Summary{Total: 4, Done: 1, Interrupted: true, Stopped: make([]*dag.Job, 2)}, "1 of 4 steps (25%) done; interrupted, 2 stopped\n"},
		{"quiet success", true, Summary{Total: 2, Done: 2}, ""},
		{"nothing", false, Summary{}, "nothing to be done\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			(&Printer{W: &buf, Quiet: tt.quiet}).Done(tt.s)
			if buf.String() != tt.want {
				t.Errorf("got %q, want %q", buf.String(), tt.want)
			}
		})
	}
}

func TestTailLines(t *testing.T) {
	long := strings.Repeat("x", 5000)
	tests := []struct {
		name, content string
		n             int
		want          string
	}{
		{"empty", "", 10, ""},
		{"fewer lines", "a\nb\n", 10, "a\nb"},
		{"no final newline", "a\nb\nc", 2, "b\nc"},
		{"blank final lines", "a\nb\nc\n\n\n", 2, "b\nc"},
		{"lines across blocks", long + "\n" + long + "\nend\n", 2, long + "\nend"},
		{"exact", "a\nb\n", 2, "a\nb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "log")
			os.WriteFile(p, []byte(tt.content), 0o644)
			got, err := TailLines(p, tt.n)
			if err != nil || string(got) != tt.want {
				t.Errorf("got %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

func TestPrinterInRun(t *testing.T) {
	var b graph
	a := b.job("a")
	b.job("b", a)
	var buf bytes.Buffer
	if _, err := run(t, b.plan(), &Fake{}, Options{Cores: 1, Status: NewPrinter(&buf)}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	done := regexp.MustCompile(`^\[(\d)/2\] done (\w) in \d+\.\ds$`)
	if len(lines) != 3 || !strings.HasPrefix(lines[2], "2 of 2 steps (100%) done in ") {
		t.Fatalf("output:\n%s", buf.String())
	}
	for i, want := range []string{"1 a", "2 b"} {
		if m := done.FindStringSubmatch(lines[i]); m == nil || m[1]+" "+m[2] != want {
			t.Errorf("line %d: %q, want [%s/2] done %s in ...", i+1, lines[i], want[:1], want[2:])
		}
	}
}
